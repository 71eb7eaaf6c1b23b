//! Mail as stored: the outbox of messages waiting for the SMTP server, and password resets.
//! Every secret arrives here already hashed; a queued message's body holds its link only until
//! it is sent or given up.

use app::domain::ids::UserId;
use rusqlite::{params, Connection, OptionalExtension};

use crate::db::{parse_id, StoreError};

/// A message to send: one recipient, a subject, and the same text as plain text and HTML.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Letter {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Where the recipient stops mail like this in one click (notifications only).
    pub unsubscribe: Option<String>,
}

/// A queued message with its delivery record.
#[derive(Clone, Debug)]
pub struct Queued {
    pub id: i64,
    pub letter: Letter,
    pub created_at: i64,
    pub attempts: u32,
}

/// Queues `letter` to be sent at once.
pub fn queue(conn: &Connection, letter: &Letter, now: i64) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO mail_outbox
         (recipient, subject, text_body, html_body, created_at, next_attempt_at, unsubscribe)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)",
        params![
            letter.to,
            letter.subject,
            letter.text,
            letter.html,
            now,
            letter.unsubscribe
        ],
    )?;
    Ok(())
}

/// Up to `limit` messages due by `now`, oldest first.
pub fn due(conn: &Connection, now: i64, limit: u32) -> Result<Vec<Queued>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, recipient, subject, text_body, html_body, created_at, attempts, unsubscribe
         FROM mail_outbox WHERE next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![now, limit], |r| {
        Ok(Queued {
            id: r.get(0)?,
            letter: Letter {
                to: r.get(1)?,
                subject: r.get(2)?,
                text: r.get(3)?,
                html: r.get(4)?,
                unsubscribe: r.get(7)?,
            },
            created_at: r.get(5)?,
            attempts: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// When the next message falls due, if any is queued.
pub fn next_due(conn: &Connection) -> Result<Option<i64>, StoreError> {
    Ok(
        conn.query_row("SELECT min(next_attempt_at) FROM mail_outbox", [], |r| {
            r.get(0)
        })?,
    )
}

/// How many messages wait.
pub fn waiting(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("SELECT count(*) FROM mail_outbox", [], |r| r.get(0))?)
}

/// The message was sent, or given up on: it goes.
pub fn remove(conn: &Connection, id: i64) -> Result<(), StoreError> {
    conn.execute("DELETE FROM mail_outbox WHERE id = ?1", [id])?;
    Ok(())
}

/// The message could not be sent this time: try again at `next`.
pub fn retry_at(conn: &Connection, id: i64, next: i64, error: &str) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3
         WHERE id = ?1",
        params![id, next, error],
    )?;
    Ok(())
}

/// Stores a password reset's hash for `user`, usable until `expires_at`.
pub fn insert_reset(
    conn: &Connection,
    token_hash: &str,
    user: UserId,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4)",
        params![token_hash, user.to_string(), now, expires_at],
    )?;
    Ok(())
}

/// Whether the reset `token_hash` names can still be used at `now`.
pub fn reset_is_live(conn: &Connection, token_hash: &str, now: i64) -> Result<bool, StoreError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM password_resets
         WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2)",
        params![token_hash, now],
        |r| r.get(0),
    )?)
}

/// Uses the reset `token_hash` names, if it is live at `now`: returns its account, and every
/// other reset of that account is used up with it. `None`: expired, used, or never made.
pub fn use_reset(
    conn: &Connection,
    token_hash: &str,
    now: i64,
) -> Result<Option<UserId>, StoreError> {
    let user: Option<String> = conn
        .query_row(
            "UPDATE password_resets SET used_at = ?2
             WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2
             RETURNING user_id",
            params![token_hash, now],
            |r| r.get(0),
        )
        .optional()?;
    let Some(user) = user else {
        return Ok(None);
    };
    conn.execute(
        "UPDATE password_resets SET used_at = ?2 WHERE user_id = ?1 AND used_at IS NULL",
        params![user, now],
    )?;
    parse_id(&user).map(Some)
}

/// Forgets resets that can no longer be used (expired before `before`).
pub fn prune_resets(conn: &Connection, before: i64) -> Result<usize, StoreError> {
    Ok(conn.execute(
        "DELETE FROM password_resets WHERE expires_at < ?1",
        [before],
    )?)
}

/// Notes that the invitation `token_hash` names was mailed to the address it is bound to.
pub fn mark_invite_mailed(conn: &Connection, token_hash: &str) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE invites SET emailed = 1 WHERE token_hash = ?1",
        [token_hash],
    )?;
    Ok(())
}

/// Whether the invitation `token_hash` names was mailed.
pub fn invite_was_mailed(conn: &Connection, token_hash: &str) -> Result<bool, StoreError> {
    Ok(conn
        .query_row(
            "SELECT emailed FROM invites WHERE token_hash = ?1",
            [token_hash],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(false))
}

/// Whether `user`'s email is verified.
pub fn email_verified(conn: &Connection, user: UserId) -> Result<bool, StoreError> {
    Ok(conn.query_row(
        "SELECT email_verified FROM users WHERE id = ?1",
        [user.to_string()],
        |r| r.get(0),
    )?)
}

/// Marks `user`'s email verified (or not), and forgets its verification links once it is.
pub fn set_email_verified(
    conn: &Connection,
    user: UserId,
    verified: bool,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE users SET email_verified = ?2 WHERE id = ?1",
        params![user.to_string(), verified],
    )?;
    if verified {
        conn.execute(
            "DELETE FROM email_verifications WHERE user_id = ?1",
            [user.to_string()],
        )?;
    }
    Ok(())
}

/// Stores a verification link's hash for `user`, usable until `expires_at`.
pub fn insert_verification(
    conn: &Connection,
    token_hash: &str,
    user: UserId,
    expires_at: i64,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO email_verifications (token_hash, user_id, expires_at) VALUES (?1, ?2, ?3)",
        params![token_hash, user.to_string(), expires_at],
    )?;
    Ok(())
}

/// Uses the verification link `token_hash` names, if it is live at `now`: the account's email
/// is verified. Returns the account; `None`: expired, used, or never made.
pub fn use_verification(
    conn: &Connection,
    token_hash: &str,
    now: i64,
) -> Result<Option<UserId>, StoreError> {
    let user: Option<String> = conn
        .query_row(
            "DELETE FROM email_verifications WHERE token_hash = ?1 AND expires_at > ?2
             RETURNING user_id",
            params![token_hash, now],
            |r| r.get(0),
        )
        .optional()?;
    let Some(user) = user else {
        return Ok(None);
    };
    let user: UserId = parse_id(&user)?;
    set_email_verified(conn, user, true)?;
    Ok(Some(user))
}
