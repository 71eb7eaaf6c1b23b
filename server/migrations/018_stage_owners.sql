-- Stage owners (see `api::sharing::set_stage_owner`): a member of the map who answers for one
-- stage, and so for its touchpoints (their unhappy answers are mailed to them, not to the
-- map's owners). Kept with the map's members, not in its log: like a role, it is about
-- people. A stage owner who leaves the map owns nothing (every read joins `map_members`).
CREATE TABLE stage_owners (
    map_id   TEXT NOT NULL REFERENCES maps (id) ON DELETE CASCADE,
    stage_id TEXT NOT NULL,
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (map_id, stage_id)
) STRICT, WITHOUT ROWID;
