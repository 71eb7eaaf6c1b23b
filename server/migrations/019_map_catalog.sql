-- A map's status and tags (`domain::catalog`), kept with its listing: the journey landscape
-- reads them for every map without loading any. `tags` is a JSON array of names, sorted.
ALTER TABLE maps ADD COLUMN status TEXT NOT NULL DEFAULT 'draft'
    CHECK (status IN ('draft', 'in_review', 'validated', 'archived'));
ALTER TABLE maps ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
