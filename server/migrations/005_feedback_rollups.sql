-- Summaries that stay fast as responses grow.
--
-- feedback_days: the tallies per day and touchpoint, without channel and segment, so that a
-- date filter reads one row per touchpoint and day in its range (feedback_daily, which also
-- splits by channel and segment, can have a row per response when those vary a lot).
-- feedback_labels: the channels and segments a map's responses have, for the filter menus,
-- instead of reading them out of every daily tally.
CREATE TABLE feedback_days (
    map_id    TEXT NOT NULL REFERENCES maps (id) ON DELETE CASCADE,
    day       INTEGER NOT NULL,
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
    PRIMARY KEY (map_id, day, card_id)
) STRICT, WITHOUT ROWID;

INSERT INTO feedback_days (map_id, day, card_id, responses, comments, negative, nps0, nps1, nps2, nps3, nps4, nps5, nps6, nps7, nps8, nps9, nps10, csat1, csat2, csat3, csat4, csat5, ces1, ces2, ces3, ces4, ces5, ces6, ces7)
SELECT map_id, day, card_id, SUM(responses), SUM(comments), SUM(negative), SUM(nps0), SUM(nps1), SUM(nps2), SUM(nps3), SUM(nps4), SUM(nps5), SUM(nps6), SUM(nps7), SUM(nps8), SUM(nps9), SUM(nps10), SUM(csat1), SUM(csat2), SUM(csat3), SUM(csat4), SUM(csat5), SUM(ces1), SUM(ces2), SUM(ces3), SUM(ces4), SUM(ces5), SUM(ces6), SUM(ces7)
FROM feedback_daily
GROUP BY map_id, day, card_id;

CREATE TABLE feedback_labels (
    map_id TEXT NOT NULL REFERENCES maps (id) ON DELETE CASCADE,
    kind   TEXT NOT NULL CHECK (kind IN ('channel', 'segment')),
    value  TEXT NOT NULL,
    PRIMARY KEY (map_id, kind, value)
) STRICT, WITHOUT ROWID;

INSERT OR IGNORE INTO feedback_labels (map_id, kind, value)
SELECT DISTINCT map_id, 'channel', channel FROM feedback_daily WHERE channel <> '';
INSERT OR IGNORE INTO feedback_labels (map_id, kind, value)
SELECT DISTINCT map_id, 'segment', segment FROM feedback_daily WHERE segment <> '';
