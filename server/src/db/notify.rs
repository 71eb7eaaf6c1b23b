//! Notifications as stored (see `server::notify`): how far the notifier has read the logs and
//! the answers, who wrote in each comment thread, the lines gathering for each person's next
//! digest, and each account's switches.

use app::api::notifications::Kind;
use app::domain::access::Role;
use app::domain::edit::Edit;
use app::domain::ids::{MapId, Rev, UserId};
use rusqlite::{params, Connection, OptionalExtension};

use crate::db::{parse_id, rev_column, rev_param, StoreError};

/// A map whose log grew since the notifier last read it.
pub struct News {
    pub map: MapId,
    /// The last revision read.
    pub read: Rev,
    pub rev: Rev,
}

/// Up to `limit` maps with operations the notifier has not read.
pub fn maps_with_news(conn: &Connection, limit: u32) -> Result<Vec<News>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT m.id, coalesce(c.rev, 0), m.rev FROM maps m
         LEFT JOIN notify_map_cursor c ON c.map_id = m.id
         WHERE m.rev > coalesce(c.rev, 0) LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| {
        Ok((
            r.get::<_, String>(0)?,
            rev_column(r.get(1)?),
            rev_column(r.get(2)?),
        ))
    })?;
    rows.map(|row| {
        let (map, read, rev) = row?;
        Ok(News {
            map: parse_id(&map)?,
            read,
            rev,
        })
    })
    .collect()
}

/// A comment added to a map's log, and the account that wrote it (if one did).
pub struct NewComment {
    pub rev: Rev,
    pub comment: app::domain::map::Comment,
    pub author: Option<UserId>,
}

/// The comments added to `map` after revision `after` up to `upto`, at most `limit` of them,
/// oldest first.
pub fn comments_after(
    conn: &Connection,
    map: MapId,
    (after, upto): (Rev, Rev),
    limit: u32,
) -> Result<Vec<NewComment>, StoreError> {
    // Edits are stored as serde writes them: `{"add_comment":{"comment":…}}`.
    let mut stmt = conn.prepare_cached(
        "SELECT rev, edit, author_id FROM ops
         WHERE map_id = ?1 AND rev > ?2 AND rev <= ?3 AND edit LIKE '{\"add_comment\":%'
         ORDER BY rev LIMIT ?4",
    )?;
    let range = (rev_param(after), rev_param(upto));
    let rows = stmt.query_map(params![map.to_string(), range.0, range.1, limit], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
        ))
    })?;
    let mut comments = Vec::new();
    for row in rows {
        let (rev, edit, author) = row?;
        let Ok(Edit::AddComment { comment }) = serde_json::from_str(&edit) else {
            continue;
        };
        comments.push(NewComment {
            rev: rev_column(rev),
            comment,
            author: author.as_deref().map(parse_id).transpose()?,
        });
    }
    Ok(comments)
}

/// Someone who can see a map, as the notifier needs them.
#[derive(Clone, Debug)]
pub struct Reader {
    pub id: UserId,
    pub name: String,
    pub email: String,
    /// Their role on the map; `None` for an admin who is not a member.
    pub role: Option<Role>,
}

/// Everyone who can see `map`: its members, and the admins.
pub fn readers(conn: &Connection, map: MapId) -> Result<Vec<Reader>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT u.id, u.name, u.email, m.role FROM users u
         LEFT JOIN map_members m ON m.user_id = u.id AND m.map_id = ?1
         WHERE m.role IS NOT NULL OR u.is_admin",
    )?;
    let rows = stmt.query_map([map.to_string()], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
        ))
    })?;
    rows.map(|row| {
        let (id, name, email, role) = row?;
        Ok(Reader {
            id: parse_id(&id)?,
            name,
            email,
            role: role.as_deref().and_then(Role::from_key),
        })
    })
    .collect()
}

/// The stage owners of `map` who are still its members: (stage, account).
pub fn stage_owners(conn: &Connection, map: MapId) -> Result<Vec<(String, UserId)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT so.stage_id, so.user_id FROM stage_owners so
         JOIN map_members mm ON mm.map_id = so.map_id AND mm.user_id = so.user_id
         WHERE so.map_id = ?1",
    )?;
    let rows = stmt.query_map([map.to_string()], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    rows.map(|row| {
        let (stage, user) = row?;
        Ok((stage, parse_id(&user)?))
    })
    .collect()
}

/// Makes `user` the owner of `stage` on `map`, or (`None`) leaves the stage to the map's owners.
pub fn set_stage_owner(
    conn: &Connection,
    map: MapId,
    stage: &str,
    user: Option<UserId>,
) -> Result<(), StoreError> {
    match user {
        Some(user) => conn.execute(
            "INSERT INTO stage_owners (map_id, stage_id, user_id) VALUES (?1, ?2, ?3)
             ON CONFLICT (map_id, stage_id) DO UPDATE SET user_id = excluded.user_id",
            params![map.to_string(), stage, user.to_string()],
        )?,
        None => conn.execute(
            "DELETE FROM stage_owners WHERE map_id = ?1 AND stage_id = ?2",
            params![map.to_string(), stage],
        )?,
    };
    Ok(())
}

/// The accounts that started or answered `thread` on `map`.
pub fn thread_authors(
    conn: &Connection,
    map: MapId,
    thread: &str,
) -> Result<Vec<UserId>, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT user_id FROM comment_authors WHERE map_id = ?1 AND thread = ?2")?;
    let rows = stmt.query_map(params![map.to_string(), thread], |r| r.get::<_, String>(0))?;
    rows.map(|row| parse_id(&row?)).collect()
}

/// Notes that `user` wrote in `thread` on `map`.
pub fn add_thread_author(
    conn: &Connection,
    map: MapId,
    thread: &str,
    user: UserId,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO comment_authors (map_id, thread, user_id) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![map.to_string(), thread, user.to_string()])?;
    Ok(())
}

/// Notes that the notifier read `map`'s log up to `rev`.
pub fn set_map_read(conn: &Connection, map: MapId, rev: Rev) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO notify_map_cursor (map_id, rev) VALUES (?1, ?2)
         ON CONFLICT (map_id) DO UPDATE SET rev = excluded.rev",
    )?
    .execute(params![map.to_string(), rev_param(rev)])?;
    Ok(())
}

/// An unhappy answer the notifier has not read.
pub struct Unhappy {
    pub id: i64,
    pub map: MapId,
    pub card: String,
    pub comment: Option<String>,
}

/// Up to `limit` unhappy answers received since the notifier last read them, in order, and
/// the newest answer's id as of the same read.
pub fn unhappy_answers(conn: &Connection, limit: u32) -> Result<(Vec<Unhappy>, i64), StoreError> {
    let newest: i64 = conn.query_row(
        "SELECT coalesce(max(id), 0) FROM feedback_responses",
        [],
        |r| r.get(0),
    )?;
    let mut stmt = conn.prepare_cached(
        "SELECT id, map_id, card_id, comment FROM feedback_responses
         WHERE id > (SELECT id FROM notify_response_cursor) AND detractor
         ORDER BY id LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
        ))
    })?;
    let answers = rows
        .map(|row| {
            let (id, map, card, comment) = row?;
            Ok(Unhappy {
                id,
                map: parse_id(&map)?,
                card,
                comment,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok((answers, newest))
}

/// Notes that the notifier read the answers up to `id`.
pub fn set_answers_read(conn: &Connection, id: i64) -> Result<(), StoreError> {
    conn.execute("UPDATE notify_response_cursor SET id = max(id, ?1)", [id])?;
    Ok(())
}

/// A map due for review whose owners were not reminded since it fell due.
pub struct DueReview {
    pub map: MapId,
    pub title: String,
    pub days: u16,
}

/// The maps due for review at `now` whose owners have not been reminded since.
pub fn reviews_to_remind(conn: &Connection, now: i64) -> Result<Vec<DueReview>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, title, review_days FROM maps
         WHERE review_days IS NOT NULL
           AND coalesce(reviewed_at, created_at) + review_days * 86400000 <= ?1
           AND (review_reminded_at IS NULL
                OR review_reminded_at < coalesce(reviewed_at, created_at) + review_days * 86400000)
         LIMIT 100",
    )?;
    let rows = stmt.query_map([now], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, u16>(2)?,
        ))
    })?;
    rows.map(|row| {
        let (map, title, days) = row?;
        Ok(DueReview {
            map: parse_id(&map)?,
            title,
            days,
        })
    })
    .collect()
}

/// Notes that `map`'s owners were reminded of its review at `now`.
pub fn set_reminded(conn: &Connection, map: MapId, now: i64) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE maps SET review_reminded_at = ?2 WHERE id = ?1",
        params![map.to_string(), now],
    )?;
    Ok(())
}

/// A line for `user`'s next digest. Adding one for the same thing again (a touchpoint's
/// next unhappy answer) counts it and keeps the newest text.
pub struct Line<'a> {
    pub user: UserId,
    pub kind: Kind,
    pub map: MapId,
    pub subject: &'a str,
    pub text: &'a str,
    pub count: u32,
}

/// Adds `line` to its person's next digest, if they want its kind.
pub fn add_line(conn: &Connection, line: &Line<'_>, now: i64) -> Result<(), StoreError> {
    if !wants(conn, line.user, line.kind)? {
        return Ok(());
    }
    conn.prepare_cached(
        "INSERT INTO notifications (user_id, kind, map_id, subject, line, count, first_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (user_id, kind, map_id, subject)
         DO UPDATE SET line = excluded.line, count = count + excluded.count",
    )?
    .execute(params![
        line.user.to_string(),
        line.kind.as_str(),
        line.map.to_string(),
        line.subject,
        line.text,
        line.count,
        now
    ])?;
    Ok(())
}

fn column(kind: Kind) -> &'static str {
    match kind {
        Kind::Mention => "notify_mentions",
        Kind::Reply => "notify_replies",
        Kind::Detractor => "notify_detractors",
        Kind::Review => "notify_reviews",
    }
}

/// Whether `user` wants mail about `kind`, and can get it (their email is verified).
fn wants(conn: &Connection, user: UserId, kind: Kind) -> Result<bool, StoreError> {
    let sql = format!(
        "SELECT {} AND email_verified FROM users WHERE id = ?1",
        column(kind)
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([user.to_string()], |r| r.get(0))
        .optional()?
        .unwrap_or(false))
}

/// The kinds `user` has switched on.
pub fn switches(conn: &Connection, user: UserId) -> Result<Vec<Kind>, StoreError> {
    let mut on = Vec::new();
    for kind in Kind::ALL {
        let sql = format!("SELECT {} FROM users WHERE id = ?1", column(kind));
        let wanted: bool = conn
            .prepare_cached(&sql)?
            .query_row([user.to_string()], |r| r.get(0))
            .optional()?
            .ok_or(StoreError::NotFound)?;
        if wanted {
            on.push(kind);
        }
    }
    Ok(on)
}

/// Switches `kinds` on (`on`) or off for `user`; lines of kinds switched off go.
pub fn switch(conn: &Connection, user: UserId, kinds: &[Kind], on: bool) -> Result<(), StoreError> {
    for kind in kinds {
        let sql = format!("UPDATE users SET {} = ?2 WHERE id = ?1", column(*kind));
        if conn.execute(&sql, params![user.to_string(), on])? == 0 {
            return Err(StoreError::NotFound);
        }
        if !on {
            conn.execute(
                "DELETE FROM notifications WHERE user_id = ?1 AND kind = ?2",
                params![user.to_string(), kind.as_str()],
            )?;
        }
    }
    Ok(())
}

/// Up to `limit` people with a line that has waited since `before` or longer.
pub fn digests_due(conn: &Connection, before: i64, limit: u32) -> Result<Vec<UserId>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT user_id FROM notifications WHERE first_at <= ?1 LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![before, limit], |r| r.get::<_, String>(0))?;
    rows.map(|row| parse_id(&row?)).collect()
}

/// A line of a digest as read back.
pub struct Gathered {
    pub kind: Kind,
    pub map: MapId,
    pub map_title: String,
    pub text: String,
    pub count: u32,
}

/// Who a digest goes to.
pub struct Recipient {
    pub name: String,
    pub email: String,
}

/// Takes `user`'s gathered lines (they are gone after), those about maps they can still see,
/// oldest map first; `None` if the account is gone.
pub fn take_lines(
    conn: &Connection,
    user: UserId,
) -> Result<Option<(Recipient, Vec<Gathered>)>, StoreError> {
    let id = user.to_string();
    let recipient = conn
        .query_row("SELECT name, email FROM users WHERE id = ?1", [&id], |r| {
            Ok(Recipient {
                name: r.get(0)?,
                email: r.get(1)?,
            })
        })
        .optional()?;
    let Some(recipient) = recipient else {
        // Gone (its lines go with it, by their foreign key; this is for certain).
        conn.execute("DELETE FROM notifications WHERE user_id = ?1", [&id])?;
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(
        "SELECT n.kind, n.map_id, m.title, n.line, n.count FROM notifications n
         JOIN maps m ON m.id = n.map_id
         JOIN users u ON u.id = n.user_id
         WHERE n.user_id = ?1
           AND (u.is_admin OR EXISTS (SELECT 1 FROM map_members mm
                                      WHERE mm.map_id = n.map_id AND mm.user_id = n.user_id))
         ORDER BY n.first_at, n.map_id, n.kind",
    )?;
    let rows = stmt.query_map([&id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, u32>(4)?,
        ))
    })?;
    let mut lines = Vec::new();
    for row in rows {
        let (kind, map, map_title, text, count) = row?;
        let Some(kind) = Kind::parse(&kind) else {
            continue;
        };
        lines.push(Gathered {
            kind,
            map: parse_id(&map)?,
            map_title,
            text,
            count,
        });
    }
    conn.execute("DELETE FROM notifications WHERE user_id = ?1", [&id])?;
    Ok(Some((recipient, lines)))
}
