-- How maps hang together (`app::domain::hierarchy`): a to-be map made from an as-is map, and a
-- sub-journey that details a stage of a parent map. A map has at most one link of each kind.
-- Deleting either map deletes the link, never the other map. Kept beside the maps, like their
-- status and tags (019), not in either map's log.
CREATE TABLE map_links (
    map_id    TEXT NOT NULL REFERENCES maps (id) ON DELETE CASCADE,
    kind      TEXT NOT NULL CHECK (kind IN ('to_be', 'sub_journey')),
    parent_id TEXT NOT NULL REFERENCES maps (id) ON DELETE CASCADE,
    -- A sub-journey's stage of its parent; none for a to-be map.
    stage_id  TEXT,
    PRIMARY KEY (map_id, kind)
) STRICT, WITHOUT ROWID;
CREATE INDEX map_links_by_parent ON map_links (parent_id);
