-- Bulk writes in slices, and summaries that never scan, whatever the filter.
--
-- feedback_batches, feedback_batch_slices: a request of many responses (an API batch, a CSV
-- file, a map file) is stored in slices of at most 1,000, each its own writer job, so that live
-- edits never wait behind it. A batch row stands while such a request is under way, with the
-- rowid range of each slice committed: a request that fails part-way (or a server that stops)
-- has its slices taken out again, responses and tallies, so from the caller's view it stored
-- nothing and a retry stores it once. Waymark undoes unfinished batches when it starts; a
-- map imported from a file has its map made in the same job as its batch, and is deleted
-- with it when the import does not finish.
CREATE TABLE feedback_batches (
    id         INTEGER PRIMARY KEY,
    map_id     TEXT NOT NULL REFERENCES maps (id) ON DELETE CASCADE,
    started_at INTEGER NOT NULL,
    -- The batch brought its map (a map file's import): undoing it deletes the map too.
    discards_map INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE feedback_batch_slices (
    batch INTEGER NOT NULL REFERENCES feedback_batches (id) ON DELETE CASCADE,
    first INTEGER NOT NULL,
    last  INTEGER NOT NULL,
    PRIMARY KEY (batch, first)
) STRICT, WITHOUT ROWID;

-- Tallies keyed the way filters ask, so that a filtered summary sums only the rows it keeps
-- (feedback_daily is keyed by touchpoint first, for trends, and a channel or segment filter
-- had to read every row of the map):
-- feedback_labelled: per channel, segment and touchpoint, all time (label filters, no dates);
-- feedback_labelled_days: the same per day (label filters with dates, at a range's edges);
-- feedback_labelled_months: the same per calendar month (the whole months of a range);
-- feedback_months: per month and touchpoint (date filters, the whole months of the range).
-- A month is the day number of its first day. A range is read as its whole months plus the
-- days at either edge, so even a year's range reads a few thousand rows.
CREATE TABLE feedback_labelled (
    map_id    TEXT NOT NULL REFERENCES maps (id) ON DELETE CASCADE,
    channel   TEXT NOT NULL,
    segment   TEXT NOT NULL,
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
    PRIMARY KEY (map_id, channel, segment, card_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE feedback_labelled_days (
    map_id    TEXT NOT NULL REFERENCES maps (id) ON DELETE CASCADE,
    channel   TEXT NOT NULL,
    segment   TEXT NOT NULL,
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
    PRIMARY KEY (map_id, channel, segment, day, card_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE feedback_labelled_months (
    map_id    TEXT NOT NULL REFERENCES maps (id) ON DELETE CASCADE,
    channel   TEXT NOT NULL,
    segment   TEXT NOT NULL,
    month     INTEGER NOT NULL,
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
    PRIMARY KEY (map_id, channel, segment, month, card_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE feedback_months (
    map_id    TEXT NOT NULL REFERENCES maps (id) ON DELETE CASCADE,
    month     INTEGER NOT NULL,
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
    PRIMARY KEY (map_id, month, card_id)
) STRICT, WITHOUT ROWID;

INSERT INTO feedback_labelled (map_id, channel, segment, card_id, responses, comments, negative, nps0, nps1, nps2, nps3, nps4, nps5, nps6, nps7, nps8, nps9, nps10, csat1, csat2, csat3, csat4, csat5, ces1, ces2, ces3, ces4, ces5, ces6, ces7)
SELECT map_id, channel, segment, card_id, SUM(responses), SUM(comments), SUM(negative), SUM(nps0), SUM(nps1), SUM(nps2), SUM(nps3), SUM(nps4), SUM(nps5), SUM(nps6), SUM(nps7), SUM(nps8), SUM(nps9), SUM(nps10), SUM(csat1), SUM(csat2), SUM(csat3), SUM(csat4), SUM(csat5), SUM(ces1), SUM(ces2), SUM(ces3), SUM(ces4), SUM(ces5), SUM(ces6), SUM(ces7)
FROM feedback_daily GROUP BY map_id, channel, segment, card_id;

INSERT INTO feedback_labelled_days (map_id, channel, segment, day, card_id, responses, comments, negative, nps0, nps1, nps2, nps3, nps4, nps5, nps6, nps7, nps8, nps9, nps10, csat1, csat2, csat3, csat4, csat5, ces1, ces2, ces3, ces4, ces5, ces6, ces7)
SELECT map_id, channel, segment, day, card_id, SUM(responses), SUM(comments), SUM(negative), SUM(nps0), SUM(nps1), SUM(nps2), SUM(nps3), SUM(nps4), SUM(nps5), SUM(nps6), SUM(nps7), SUM(nps8), SUM(nps9), SUM(nps10), SUM(csat1), SUM(csat2), SUM(csat3), SUM(csat4), SUM(csat5), SUM(ces1), SUM(ces2), SUM(ces3), SUM(ces4), SUM(ces5), SUM(ces6), SUM(ces7)
FROM feedback_daily GROUP BY map_id, channel, segment, day, card_id;

INSERT INTO feedback_labelled_months (map_id, channel, segment, month, card_id, responses, comments, negative, nps0, nps1, nps2, nps3, nps4, nps5, nps6, nps7, nps8, nps9, nps10, csat1, csat2, csat3, csat4, csat5, ces1, ces2, ces3, ces4, ces5, ces6, ces7)
SELECT map_id, channel, segment, CAST(julianday(date(day * 86400, 'unixepoch', 'start of month')) - 2440587.5 AS INTEGER), card_id, SUM(responses), SUM(comments), SUM(negative), SUM(nps0), SUM(nps1), SUM(nps2), SUM(nps3), SUM(nps4), SUM(nps5), SUM(nps6), SUM(nps7), SUM(nps8), SUM(nps9), SUM(nps10), SUM(csat1), SUM(csat2), SUM(csat3), SUM(csat4), SUM(csat5), SUM(ces1), SUM(ces2), SUM(ces3), SUM(ces4), SUM(ces5), SUM(ces6), SUM(ces7)
FROM feedback_daily GROUP BY 1, 2, 3, 4, 5;

INSERT INTO feedback_months (map_id, month, card_id, responses, comments, negative, nps0, nps1, nps2, nps3, nps4, nps5, nps6, nps7, nps8, nps9, nps10, csat1, csat2, csat3, csat4, csat5, ces1, ces2, ces3, ces4, ces5, ces6, ces7)
SELECT map_id, CAST(julianday(date(day * 86400, 'unixepoch', 'start of month')) - 2440587.5 AS INTEGER), card_id, SUM(responses), SUM(comments), SUM(negative), SUM(nps0), SUM(nps1), SUM(nps2), SUM(nps3), SUM(nps4), SUM(nps5), SUM(nps6), SUM(nps7), SUM(nps8), SUM(nps9), SUM(nps10), SUM(csat1), SUM(csat2), SUM(csat3), SUM(csat4), SUM(csat5), SUM(ces1), SUM(ces2), SUM(ces3), SUM(ces4), SUM(ces5), SUM(ces6), SUM(ces7)
FROM feedback_daily GROUP BY 1, 2, 3;
