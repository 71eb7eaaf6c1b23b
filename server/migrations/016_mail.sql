-- Mail waiting to be sent (see `server::mail`). A message is written here in the same
-- transaction as what it announces (a password reset, an invitation), and deleted once the
-- SMTP server took it, so a restart or an SMTP server that is down loses none. Its body holds
-- the link it carries, so a row lives only until it is sent or given up.
CREATE TABLE mail_outbox (
    id              INTEGER PRIMARY KEY,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT
) STRICT;

CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at);

-- Password resets asked for by email: single-use, expiring, stored only as SHA-256 hashes.
CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
) STRICT;

CREATE INDEX password_resets_by_user ON password_resets (user_id);

-- Whether an account's owner has shown they read mail at its email (see
-- `server::verification`). Accounts made before, or while mail is off, count as verified:
-- nobody could have asked them. Invitations record whether they were mailed: accepting one
-- that was proves the address.
ALTER TABLE users ADD COLUMN email_verified INTEGER NOT NULL DEFAULT 1;
ALTER TABLE invites ADD COLUMN emailed INTEGER NOT NULL DEFAULT 0;

CREATE TABLE email_verifications (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX email_verifications_by_user ON email_verifications (user_id);
