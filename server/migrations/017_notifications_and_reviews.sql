-- Notifications by email (see `server::notify`) and map reviews.

-- The account that made each logged operation (NULL for share-link visitors and for
-- operations logged before this version): a reply notifies the account that started the
-- thread, not whoever shares its name.
ALTER TABLE ops ADD COLUMN author_id TEXT;

-- Which notifications an account gets by email; all on until switched off on the account
-- page or by a mail's unsubscribe link.
ALTER TABLE users ADD COLUMN notify_mentions INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN notify_replies INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN notify_detractors INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN notify_reviews INTEGER NOT NULL DEFAULT 1;

-- How far the notifier has read each map's log: the next pass reads the operations after
-- `rev`. Maps that exist now start at their present revision, so an upgrade does not mail
-- about old comments.
CREATE TABLE notify_map_cursor (
    map_id TEXT PRIMARY KEY REFERENCES maps (id) ON DELETE CASCADE,
    rev    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO notify_map_cursor (map_id, rev) SELECT id, rev FROM maps;

-- How far the notifier has read the answers (their ids only grow), in one row.
CREATE TABLE notify_response_cursor (
    slot INTEGER PRIMARY KEY CHECK (slot = 1),
    id   INTEGER NOT NULL
) STRICT;
INSERT INTO notify_response_cursor (slot, id)
    SELECT 1, coalesce(max(id), 0) FROM feedback_responses;

-- Who started or answered each comment thread, as the notifier reads the log.
CREATE TABLE comment_authors (
    map_id  TEXT NOT NULL REFERENCES maps (id) ON DELETE CASCADE,
    thread  TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (map_id, thread, user_id)
) STRICT, WITHOUT ROWID;

-- Notifications gathering for their digest: one mail per account once the oldest has waited
-- the notification delay. Several detractor answers on one touchpoint are one line, counted.
CREATE TABLE notifications (
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind     TEXT NOT NULL CHECK (kind IN ('mention', 'reply', 'detractor', 'review')),
    map_id   TEXT NOT NULL REFERENCES maps (id) ON DELETE CASCADE,
    -- The comment, the touchpoint or (for reviews) '' the line is about.
    subject  TEXT NOT NULL,
    line     TEXT NOT NULL,
    count    INTEGER NOT NULL DEFAULT 1,
    first_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, kind, map_id, subject)
) STRICT, WITHOUT ROWID;
CREATE INDEX notifications_by_age ON notifications (first_at);

-- A mail's one-click unsubscribe address (RFC 8058), for its List-Unsubscribe header.
ALTER TABLE mail_outbox ADD COLUMN unsubscribe TEXT;

-- Reviews: a map is due for review `review_days` after it was last reviewed (or made), and
-- its owners are reminded once per time it falls due.
ALTER TABLE maps ADD COLUMN review_days INTEGER CHECK (review_days BETWEEN 1 AND 3660);
ALTER TABLE maps ADD COLUMN reviewed_at INTEGER;
ALTER TABLE maps ADD COLUMN reviewed_by TEXT;
ALTER TABLE maps ADD COLUMN review_reminded_at INTEGER;
