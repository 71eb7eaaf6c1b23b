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
