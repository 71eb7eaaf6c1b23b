-- A browser that signed in to an account is remembered by a device cookie, whose hash is kept
-- here: its later sign-ins to that account go first, whatever guessing goes on meanwhile.
CREATE TABLE devices (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX devices_by_user ON devices (user_id, created_at);

-- A share link shows the team's comments and customers' own words only when its owner asked
-- for that when making it (links made before stop showing them). An invitation can be bound to
-- the one address allowed to accept it.
ALTER TABLE share_links ADD COLUMN show_comments INTEGER NOT NULL DEFAULT 0;
ALTER TABLE share_links ADD COLUMN show_customer_comments INTEGER NOT NULL DEFAULT 0;
ALTER TABLE invites ADD COLUMN email TEXT;
