-- Journey maps are stored as an operation log beside a snapshot of their state.
-- The snapshot is the map (JSON) as of `snapshot_rev`; replaying the log after it gives the
-- current map. The other columns of `maps` are copies kept for the list of maps.
CREATE TABLE maps (
    id           TEXT PRIMARY KEY,
    title        TEXT NOT NULL,
    stage_count  INTEGER NOT NULL,
    rev          INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    snapshot     TEXT NOT NULL,
    snapshot_rev INTEGER NOT NULL
) STRICT;

CREATE INDEX maps_by_updated_at ON maps (updated_at DESC);

-- One row per applied operation, numbered by the map's revision.
CREATE TABLE ops (
    map_id     TEXT NOT NULL REFERENCES maps (id) ON DELETE CASCADE,
    rev        INTEGER NOT NULL,
    op_id      TEXT NOT NULL,
    edit       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (map_id, rev),
    UNIQUE (map_id, op_id)
) STRICT, WITHOUT ROWID;
