-- Who did what and when (see `server::audit`). The actor's label is kept as written at the
-- time, so a row still reads after its account is removed. `actor` has no foreign key: removing
-- a user would otherwise scan the whole log to clear it.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor TEXT,
    actor_label TEXT NOT NULL,
    action TEXT NOT NULL,
    map_id TEXT,
    target TEXT,
    detail TEXT,
    ip TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
