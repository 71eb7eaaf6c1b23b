-- The side log (`app::domain::beside`): each change to what is kept beside a map rather than
-- in its log (its status and tags, targets, an opportunity's triage, its place as a
-- sub-journey), with the value before and after as JSON so it can be undone; and reviews,
-- which only record who and when. `actor` is a user id without a foreign key, as in audit_log.
CREATE TABLE side_log (
    id     INTEGER PRIMARY KEY,
    map_id TEXT NOT NULL REFERENCES maps (id) ON DELETE CASCADE,
    at     INTEGER NOT NULL,
    actor  TEXT,
    what   TEXT NOT NULL,
    before TEXT,
    after  TEXT,
    undone INTEGER NOT NULL DEFAULT 0 CHECK (undone IN (0, 1)),
    CHECK ((before IS NULL) = (after IS NULL))
) STRICT;
CREATE INDEX side_log_by_map ON side_log (map_id, id);

-- What the audit log recorded of such changes until now: entries without values, so they are
-- listed but cannot be undone.
INSERT INTO side_log (map_id, at, actor, what)
SELECT a.map_id, a.at, a.actor,
       CASE a.action
           WHEN 'map_catalogued' THEN 'Status and tags'
           WHEN 'targets_changed' THEN 'Target'
           WHEN 'opportunity_triaged' THEN 'Opportunity'
           WHEN 'map_linked' THEN 'Linked'
           ELSE 'Reviewed'
       END || COALESCE(': ' || NULLIF(a.detail, ''), '')
FROM audit_log AS a JOIN maps AS m ON m.id = a.map_id
WHERE a.action IN ('map_catalogued', 'targets_changed', 'opportunity_triaged', 'map_linked',
                   'map_reviewed')
ORDER BY a.id;
