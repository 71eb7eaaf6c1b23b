-- A map's targets (`app::domain::targets`): a JSON array of { stage?, measure, tenths }. Kept
-- with the map's listing like its status and tags (019), so the map editor's bundle carries
-- none of it; changes are recorded in the audit log.
ALTER TABLE maps ADD COLUMN targets TEXT NOT NULL DEFAULT '[]';
