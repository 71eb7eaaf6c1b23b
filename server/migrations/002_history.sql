-- History: who made each operation, every snapshot kept (so any past revision can be rebuilt
-- from the nearest one), and named versions.
ALTER TABLE ops ADD COLUMN author TEXT NOT NULL DEFAULT '';

CREATE TABLE snapshots (
    map_id TEXT NOT NULL REFERENCES maps (id) ON DELETE CASCADE,
    rev    INTEGER NOT NULL,
    map    TEXT NOT NULL,
    PRIMARY KEY (map_id, rev)
) STRICT, WITHOUT ROWID;

INSERT INTO snapshots (map_id, rev, map) SELECT id, snapshot_rev, snapshot FROM maps;

ALTER TABLE maps DROP COLUMN snapshot;
ALTER TABLE maps DROP COLUMN snapshot_rev;

CREATE TABLE versions (
    id         TEXT PRIMARY KEY,
    map_id     TEXT NOT NULL REFERENCES maps (id) ON DELETE CASCADE,
    rev        INTEGER NOT NULL,
    name       TEXT NOT NULL,
    author     TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX versions_by_map ON versions (map_id, rev);
