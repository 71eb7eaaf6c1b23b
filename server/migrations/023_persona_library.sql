-- The shared persona library (`app::domain::library`): personas defined once, used on many
-- maps. A map's copy is an ordinary persona of the map, kept in step through the map's own
-- log; `persona_links` says which copy follows which library persona, until the map detaches
-- it (deletes the link) or removes the persona.
CREATE TABLE library_personas (
    id           TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL DEFAULT '',
    goals        TEXT NOT NULL DEFAULT '',
    motivations  TEXT NOT NULL DEFAULT '',
    frustrations TEXT NOT NULL DEFAULT '',
    updated_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE persona_links (
    map_id     TEXT NOT NULL REFERENCES maps (id) ON DELETE CASCADE,
    persona_id TEXT NOT NULL,
    library_id TEXT NOT NULL REFERENCES library_personas (id) ON DELETE CASCADE,
    PRIMARY KEY (map_id, persona_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX persona_links_by_library ON persona_links (library_id);
