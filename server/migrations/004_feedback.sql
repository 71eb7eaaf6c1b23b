-- Customer feedback: responses as received, and tallies kept beside them.
--
-- A tally is the count of answers per score (nps0 … ces7) plus comment counts. Every insert of
-- responses adds to the tallies in the same transaction, so summaries read a few tally rows
-- instead of every response: per touchpoint and day (for filters and trends) and per
-- touchpoint overall (for the map's default view).
CREATE TABLE feedback_responses (
    id          INTEGER PRIMARY KEY,
    map_id      TEXT NOT NULL REFERENCES maps (id) ON DELETE CASCADE,
    card_id     TEXT NOT NULL,
    at          INTEGER NOT NULL,
    day         INTEGER NOT NULL,
    nps         INTEGER CHECK (nps BETWEEN 0 AND 10),
    csat        INTEGER CHECK (csat BETWEEN 1 AND 5),
    ces         INTEGER CHECK (ces BETWEEN 1 AND 7),
    comment     TEXT CHECK (length(comment) <= 2000),
    -- VADER compound score of the comment, -1 … 1.
    sentiment   REAL,
    channel     TEXT NOT NULL DEFAULT '',
    segment     TEXT NOT NULL DEFAULT '',
    respondent  TEXT,
    source      TEXT NOT NULL CHECK (source IN ('form', 'api', 'csv')),
    received_at INTEGER NOT NULL,
    -- An unhappy answer (NPS 0–6, CSAT 1–2 or CES 1–3), for the inbox's filter.
    detractor   INTEGER NOT NULL DEFAULT 0,
    followed_up INTEGER NOT NULL DEFAULT 0,
    CHECK (nps IS NOT NULL OR csat IS NOT NULL OR ces IS NOT NULL OR comment IS NOT NULL)
) STRICT;

CREATE INDEX feedback_by_time ON feedback_responses (map_id, at DESC);
CREATE INDEX feedback_detractors ON feedback_responses (map_id, detractor, at DESC);
CREATE INDEX feedback_by_card ON feedback_responses (map_id, card_id, at DESC);

CREATE TABLE feedback_daily (
    map_id    TEXT NOT NULL REFERENCES maps (id) ON DELETE CASCADE,
    card_id   TEXT NOT NULL,
    day       INTEGER NOT NULL,
    channel   TEXT NOT NULL,
    segment   TEXT NOT NULL,
    responses INTEGER NOT NULL DEFAULT 0,
    comments  INTEGER NOT NULL DEFAULT 0,
    negative  INTEGER NOT NULL DEFAULT 0,
    nps0      INTEGER NOT NULL DEFAULT 0,
    nps1      INTEGER NOT NULL DEFAULT 0,
    nps2      INTEGER NOT NULL DEFAULT 0,
    nps3      INTEGER NOT NULL DEFAULT 0,
    nps4      INTEGER NOT NULL DEFAULT 0,
    nps5      INTEGER NOT NULL DEFAULT 0,
    nps6      INTEGER NOT NULL DEFAULT 0,
    nps7      INTEGER NOT NULL DEFAULT 0,
    nps8      INTEGER NOT NULL DEFAULT 0,
    nps9      INTEGER NOT NULL DEFAULT 0,
    nps10     INTEGER NOT NULL DEFAULT 0,
    csat1     INTEGER NOT NULL DEFAULT 0,
    csat2     INTEGER NOT NULL DEFAULT 0,
    csat3     INTEGER NOT NULL DEFAULT 0,
    csat4     INTEGER NOT NULL DEFAULT 0,
    csat5     INTEGER NOT NULL DEFAULT 0,
    ces1      INTEGER NOT NULL DEFAULT 0,
    ces2      INTEGER NOT NULL DEFAULT 0,
    ces3      INTEGER NOT NULL DEFAULT 0,
    ces4      INTEGER NOT NULL DEFAULT 0,
    ces5      INTEGER NOT NULL DEFAULT 0,
    ces6      INTEGER NOT NULL DEFAULT 0,
    ces7      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (map_id, card_id, day, channel, segment)
) STRICT, WITHOUT ROWID;

CREATE TABLE feedback_totals (
    map_id    TEXT NOT NULL REFERENCES maps (id) ON DELETE CASCADE,
    card_id   TEXT NOT NULL,
    responses INTEGER NOT NULL DEFAULT 0,
    comments  INTEGER NOT NULL DEFAULT 0,
    negative  INTEGER NOT NULL DEFAULT 0,
    nps0      INTEGER NOT NULL DEFAULT 0,
    nps1      INTEGER NOT NULL DEFAULT 0,
    nps2      INTEGER NOT NULL DEFAULT 0,
    nps3      INTEGER NOT NULL DEFAULT 0,
    nps4      INTEGER NOT NULL DEFAULT 0,
    nps5      INTEGER NOT NULL DEFAULT 0,
    nps6      INTEGER NOT NULL DEFAULT 0,
    nps7      INTEGER NOT NULL DEFAULT 0,
    nps8      INTEGER NOT NULL DEFAULT 0,
    nps9      INTEGER NOT NULL DEFAULT 0,
    nps10     INTEGER NOT NULL DEFAULT 0,
    csat1     INTEGER NOT NULL DEFAULT 0,
    csat2     INTEGER NOT NULL DEFAULT 0,
    csat3     INTEGER NOT NULL DEFAULT 0,
    csat4     INTEGER NOT NULL DEFAULT 0,
    csat5     INTEGER NOT NULL DEFAULT 0,
    ces1      INTEGER NOT NULL DEFAULT 0,
    ces2      INTEGER NOT NULL DEFAULT 0,
    ces3      INTEGER NOT NULL DEFAULT 0,
    ces4      INTEGER NOT NULL DEFAULT 0,
    ces5      INTEGER NOT NULL DEFAULT 0,
    ces6      INTEGER NOT NULL DEFAULT 0,
    ces7      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (map_id, card_id)
) STRICT, WITHOUT ROWID;

-- The public form of a touchpoint. The token is in printed QR codes, so it is kept as is;
-- it opens only the form, never the map.
CREATE TABLE feedback_forms (
    token      TEXT PRIMARY KEY,
    map_id     TEXT NOT NULL REFERENCES maps (id) ON DELETE CASCADE,
    card_id    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (map_id, card_id)
) STRICT;

-- Keys for the feedback API, one map each; stored as SHA-256 hashes.
CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    map_id       TEXT NOT NULL REFERENCES maps (id) ON DELETE CASCADE,
    token_hash   TEXT NOT NULL UNIQUE,
    label        TEXT NOT NULL,
    created_by   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
) STRICT;

CREATE INDEX api_keys_by_map ON api_keys (map_id);
