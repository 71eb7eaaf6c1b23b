-- Accounts, sessions, per-map roles, invitations and read-only share links.
-- Secrets (session, invitation and share tokens) are stored only as SHA-256 hashes;
-- passwords only as argon2id hashes.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE map_members (
    map_id  TEXT NOT NULL REFERENCES maps (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role    TEXT NOT NULL CHECK (role IN ('viewer', 'editor', 'owner')),
    PRIMARY KEY (map_id, user_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX members_by_user ON map_members (user_id);

CREATE TABLE invites (
    token_hash  TEXT PRIMARY KEY,
    created_by  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Optionally, a map the new member joins, and their role on it.
    map_id      TEXT REFERENCES maps (id) ON DELETE CASCADE,
    role        TEXT CHECK (role IN ('viewer', 'editor', 'owner')),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
) STRICT;

CREATE TABLE share_links (
    id            TEXT PRIMARY KEY,
    map_id        TEXT NOT NULL REFERENCES maps (id) ON DELETE CASCADE,
    token_hash    TEXT NOT NULL UNIQUE,
    label         TEXT NOT NULL,
    password_hash TEXT,
    expires_at    INTEGER,
    created_by    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    revoked_at    INTEGER
) STRICT;

CREATE INDEX share_links_by_map ON share_links (map_id);

-- A browser that entered a share link's password holds a grant for that link.
CREATE TABLE share_grants (
    token_hash TEXT PRIMARY KEY,
    link_id    TEXT NOT NULL REFERENCES share_links (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
) STRICT;
