-- Maps whose feedback tallies may lack answers that were committed in bulk: a bulk request's
-- tallies wait in memory to be written together with others' (server::db::feedback::Waiting),
-- and a start after a crash recounts these maps from their responses.
CREATE TABLE feedback_unflushed (
    map_id TEXT PRIMARY KEY REFERENCES maps (id) ON DELETE CASCADE
) WITHOUT ROWID;
