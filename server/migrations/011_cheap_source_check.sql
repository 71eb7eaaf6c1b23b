-- Faster bulk inserts of responses: the `source IN (...)` check built a temporary table on
-- every inserted row (SQLite evaluates a constant IN list that way); the same check written
-- as comparisons costs nothing. A constraint can only be changed by rebuilding the table.
CREATE TABLE feedback_responses_new (
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
    source      TEXT NOT NULL CHECK (source = 'form' OR source = 'api' OR source = 'csv'),
    received_at INTEGER NOT NULL,
    -- An unhappy answer (NPS 0–6, CSAT 1–2 or CES 1–3), for the inbox's filter.
    detractor   INTEGER NOT NULL DEFAULT 0,
    followed_up INTEGER NOT NULL DEFAULT 0,
    CHECK (nps IS NOT NULL OR csat IS NOT NULL OR ces IS NOT NULL OR comment IS NOT NULL)
) STRICT;

INSERT INTO feedback_responses_new SELECT * FROM feedback_responses;
DROP TABLE feedback_responses;
ALTER TABLE feedback_responses_new RENAME TO feedback_responses;
CREATE INDEX feedback_by_time ON feedback_responses (map_id, at DESC);
