-- Journey analytics (see app::domain::journey).
--
-- Each customer's events on a map, in time order, as one row: a late event or a forgotten
-- customer then recounts that customer alone. `customer` is a keyed hash of the sender's
-- reference; the key is kept outside this file (see server::pseudonyms). `steps` is the
-- encoding of server::db::journey.
CREATE TABLE journey_paths (
    map_id   TEXT NOT NULL REFERENCES maps (id) ON DELETE CASCADE,
    customer INTEGER NOT NULL,
    steps    BLOB NOT NULL,
    PRIMARY KEY (map_id, customer)
) WITHOUT ROWID;

-- What the paths add up to, kept at four grains so that any filter reads one range:
-- 0 all time; 1 by day; 2 by channel and segment; 3 by channel, segment and day. Columns a
-- grain does not split by hold '' (channel, segment) or 0 (day). `kind`, `a`, `b` and
-- `bucket` name the measure (server::db::journey::Changes::add): `a` and `b` hold ids as
-- their 16 bytes (or an outcome's text), shorter and quicker to compare than their text.
CREATE TABLE journey_counts (
    map_id  TEXT NOT NULL REFERENCES maps (id) ON DELETE CASCADE,
    grain   INTEGER NOT NULL,
    channel TEXT NOT NULL,
    segment TEXT NOT NULL,
    day     INTEGER NOT NULL,
    kind    INTEGER NOT NULL,
    a       BLOB NOT NULL,
    b       BLOB NOT NULL,
    bucket  INTEGER NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (map_id, grain, channel, segment, day, kind, a, b, bucket)
) WITHOUT ROWID;

-- Maps whose counts may lack changes that were committed with their events: the changes wait
-- in memory to be written together (server::db::journey::Pending), and a start after a crash
-- recounts these maps from their paths.
CREATE TABLE journey_unflushed (
    map_id TEXT PRIMARY KEY REFERENCES maps (id) ON DELETE CASCADE
) WITHOUT ROWID;

-- Counts of events deleted after their map's retention period that the remaining paths no
-- longer account for (the moves between a customer's deleted steps, and every count of a
-- customer with nothing left): journey_counts holds them too, and a recount starts from them.
-- Same columns as journey_counts; nothing here names a customer.
CREATE TABLE journey_retained (
    map_id  TEXT NOT NULL REFERENCES maps (id) ON DELETE CASCADE,
    grain   INTEGER NOT NULL,
    channel TEXT NOT NULL,
    segment TEXT NOT NULL,
    day     INTEGER NOT NULL,
    kind    INTEGER NOT NULL,
    a       BLOB NOT NULL,
    b       BLOB NOT NULL,
    bucket  INTEGER NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (map_id, grain, channel, segment, day, kind, a, b, bucket)
) WITHOUT ROWID;

-- How long a map keeps its raw events, in days (no row: forever); set by its owner.
CREATE TABLE journey_settings (
    map_id         TEXT PRIMARY KEY REFERENCES maps (id) ON DELETE CASCADE,
    retention_days INTEGER NOT NULL
) WITHOUT ROWID;

-- A CSV file of events is stored in slices, each its own writer job (so live edits never wait
-- behind a whole file), yet all or nothing: a batch row stands while the file is under way, and
-- a file that fails part-way (or a server that stops) has its committed slices taken out again,
-- at the next start if need be (server::db::journey::undo_unfinished). `finished`: every slice
-- is in and the import was answered; only the batch's notes below are still being cleared.
-- Few rows at any time (one per import under way), so nothing indexes `map_id`.
CREATE TABLE journey_batches (
    id         INTEGER PRIMARY KEY,
    map_id     TEXT NOT NULL REFERENCES maps (id) ON DELETE CASCADE,
    started_at INTEGER NOT NULL,
    finished   INTEGER NOT NULL DEFAULT 0
) STRICT;

-- The steps (as encoded in a path) that a batch's slices put into customers' paths: undoing
-- the batch removes exactly these, never a step the path held before. A step another
-- unfinished batch also carried is noted for both, and stays while either may still finish;
-- a step that a finished batch or an acknowledged request carried loses every note (it stays).
CREATE TABLE journey_batch_steps (
    batch    INTEGER NOT NULL REFERENCES journey_batches (id) ON DELETE CASCADE,
    customer INTEGER NOT NULL,
    step     BLOB NOT NULL,
    PRIMARY KEY (batch, customer, step)
) STRICT, WITHOUT ROWID;
