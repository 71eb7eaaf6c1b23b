-- The opportunity backlog (`app::domain::backlog`): what the team decided about each card in
-- an Opportunities lane. Kept beside the map rather than in its log, like its status and tags
-- (019). A card removed from the map keeps its row, so undoing the removal brings its triage
-- back; the backlog shows only cards the map still has. `links` is a JSON array of card ids.
CREATE TABLE opportunities (
    map_id   TEXT NOT NULL REFERENCES maps (id) ON DELETE CASCADE,
    card_id  TEXT NOT NULL,
    status   TEXT NOT NULL DEFAULT 'idea'
        CHECK (status IN ('idea', 'planned', 'in_progress', 'done', 'dropped')),
    owner_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    impact   TEXT CHECK (impact IN ('low', 'medium', 'high')),
    effort   TEXT CHECK (effort IN ('low', 'medium', 'high')),
    links    TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (map_id, card_id)
) STRICT, WITHOUT ROWID;
