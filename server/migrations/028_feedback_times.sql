-- The responses' time order, kept in a table of its own and filled behind them.
--
-- An index on (map_id, at) takes a random page per response when answers arrive out of time
-- order (an API backfill of last year's survey, shuffled), and each such page is written at
-- every commit: measured, it held bulk ingest to 55,000 rows a second against 460,000 without
-- it. Here an entry is keyed by its day, and within the day by id: new answers append to the
-- runs of the days they fall on, so a part of thousands of entries writes about a page per day
-- it touches. The entries are added a second after the answers (server::feedback::tallying),
-- in parts sorted by key; readers of the time order (the inbox, comments, a map's export) first
-- add what is missing. Newest first is then by day from the key, and by `at` within a day (a
-- few thousand entries at most, sorted as read).
--
-- Every response with an id up to `feedback_times_upto.upto` has its entry; those above it are
-- added next, in id order.
CREATE TABLE feedback_times (
    map_id TEXT NOT NULL REFERENCES maps (id) ON DELETE CASCADE,
    day    INTEGER NOT NULL,
    id     INTEGER NOT NULL,
    at     INTEGER NOT NULL,
    PRIMARY KEY (map_id, day, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE feedback_times_upto (upto INTEGER NOT NULL) STRICT;

INSERT INTO feedback_times (map_id, day, id, at)
    SELECT map_id, day, id, at FROM feedback_responses ORDER BY map_id, day, id;
INSERT INTO feedback_times_upto (upto) SELECT coalesce(max(id), 0) FROM feedback_responses;

-- A response taken out takes its entry along. Taking out the newest responses lowers the mark
-- to the newest left, since SQLite gives their ids to the next responses stored.
CREATE TRIGGER feedback_times_out AFTER DELETE ON feedback_responses BEGIN
    DELETE FROM feedback_times WHERE map_id = old.map_id AND day = old.day AND id = old.id;
    UPDATE feedback_times_upto SET upto = (SELECT coalesce(max(id), 0) FROM feedback_responses)
        WHERE upto > (SELECT coalesce(max(id), 0) FROM feedback_responses);
END;

-- What the responses are still read by map for (exports and recounts in id order, deleting a
-- map, finding a respondent's answers): new responses append to their map's run of it.
DROP INDEX feedback_by_time;
CREATE INDEX feedback_by_map ON feedback_responses (map_id);
