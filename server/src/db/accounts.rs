//! People and access as stored: accounts, sessions, map roles, invitations, share links.
//! Every secret arrives here already hashed.

use app::api::auth::User;
use app::api::sharing::{Disclosure, MapMember, ShareLink};
use app::domain::access::Role;
use app::domain::ids::{LinkId, MapId, UserId};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::db::{parse_id, StoreError};

fn user_from(row: &Row<'_>) -> rusqlite::Result<(String, String, String, bool)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

fn user(
    (user_id, email, name, is_admin): (String, String, String, bool),
) -> Result<User, StoreError> {
    Ok(User {
        id: parse_id(&user_id)?,
        email,
        name,
        is_admin,
    })
}

fn role(raw: &str) -> Result<Role, StoreError> {
    Role::from_key(raw).ok_or_else(|| StoreError::internal(format!("unknown role {raw:?}")))
}

pub fn count_users(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?)
}

/// Adds an account. An email already in use is a `Conflict`.
pub fn insert_user(
    conn: &Connection,
    user: &User,
    password_hash: &str,
    now: i64,
) -> Result<(), StoreError> {
    let taken: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM users WHERE email = ?1)",
        [&user.email],
        |r| r.get(0),
    )?;
    if taken {
        return Err(StoreError::Conflict(
            "an account with that email already exists".into(),
        ));
    }
    conn.execute(
        "INSERT INTO users (id, email, name, password_hash, is_admin, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            user.id.to_string(),
            user.email,
            user.name,
            password_hash,
            user.is_admin,
            now
        ],
    )?;
    Ok(())
}

/// An account and its password hash, by email.
pub fn user_by_email(conn: &Connection, email: &str) -> Result<Option<(User, String)>, StoreError> {
    let row = conn
        .query_row(
            "SELECT id, email, name, is_admin, password_hash FROM users WHERE email = ?1",
            [email],
            |r| Ok((user_from(r)?, r.get::<_, String>(4)?)),
        )
        .optional()?;
    row.map(|(u, hash)| Ok((user(u)?, hash))).transpose()
}

/// An account's email.
pub fn email_of(conn: &Connection, user_id: UserId) -> Result<String, StoreError> {
    Ok(conn.query_row(
        "SELECT email FROM users WHERE id = ?1",
        [user_id.to_string()],
        |r| r.get(0),
    )?)
}

pub fn password_hash(conn: &Connection, user_id: UserId) -> Result<String, StoreError> {
    Ok(conn.query_row(
        "SELECT password_hash FROM users WHERE id = ?1",
        [user_id.to_string()],
        |r| r.get(0),
    )?)
}

pub fn users(conn: &Connection) -> Result<Vec<User>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT id, email, name, is_admin FROM users ORDER BY name, email")?;
    let rows = stmt.query_map([], user_from)?;
    rows.map(|r| user(r?)).collect()
}

pub fn delete_user(conn: &Connection, user_id: UserId) -> Result<(), StoreError> {
    // Maps this person alone owned would be left without an owner; admins can still reach
    // them, and can make someone else owner.
    let changed = conn.execute("DELETE FROM users WHERE id = ?1", [user_id.to_string()])?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub fn set_admin(conn: &Connection, user_id: UserId, admin: bool) -> Result<(), StoreError> {
    if !admin {
        let others: i64 = conn.query_row(
            "SELECT count(*) FROM users WHERE is_admin = 1 AND id != ?1",
            [user_id.to_string()],
            |r| r.get(0),
        )?;
        if others == 0 {
            return Err(StoreError::Conflict(
                "Waymark needs at least one admin".into(),
            ));
        }
    }
    let changed = conn.execute(
        "UPDATE users SET is_admin = ?2 WHERE id = ?1",
        params![user_id.to_string(), admin],
    )?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Replaces a password and ends every session of the account.
pub fn set_password(
    conn: &Connection,
    user_id: UserId,
    password_hash: &str,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE users SET password_hash = ?2 WHERE id = ?1",
        params![user_id.to_string(), password_hash],
    )?;
    conn.execute(
        "DELETE FROM sessions WHERE user_id = ?1",
        [user_id.to_string()],
    )?;
    Ok(())
}

pub fn insert_session(
    conn: &Connection,
    token_hash: &str,
    user_id: UserId,
    now: i64,
    expires: i64,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![token_hash, user_id.to_string(), now, expires],
    )?;
    Ok(())
}

/// The account a live session belongs to, and when the session expires.
pub fn session_user(
    conn: &Connection,
    token_hash: &str,
    now: i64,
) -> Result<Option<(User, i64)>, StoreError> {
    let row = conn
        .query_row(
            "SELECT u.id, u.email, u.name, u.is_admin, s.expires_at
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = ?1 AND s.expires_at > ?2",
            params![token_hash, now],
            |r| Ok((user_from(r)?, r.get::<_, i64>(4)?)),
        )
        .optional()?;
    row.map(|(u, expires)| Ok((user(u)?, expires))).transpose()
}

pub fn user_exists(conn: &Connection, user_id: UserId) -> Result<bool, StoreError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM users WHERE id = ?1)",
        [user_id.to_string()],
        |r| r.get(0),
    )?)
}

pub fn map_exists(conn: &Connection, map: MapId) -> Result<bool, StoreError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM maps WHERE id = ?1)",
        [map.to_string()],
        |r| r.get(0),
    )?)
}

/// Devices remembered per account; older ones are forgotten.
const DEVICES_PER_ACCOUNT: i64 = 20;

/// Remembers a browser that signed in to `user_id`.
pub fn insert_device(
    conn: &Connection,
    token_hash: &str,
    user_id: UserId,
    now: i64,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO devices (token_hash, user_id, created_at) VALUES (?1, ?2, ?3)",
        params![token_hash, user_id.to_string(), now],
    )?;
    conn.execute(
        "DELETE FROM devices WHERE user_id = ?1 AND token_hash NOT IN (
             SELECT token_hash FROM devices WHERE user_id = ?1
             ORDER BY created_at DESC LIMIT ?2)",
        params![user_id.to_string(), DEVICES_PER_ACCOUNT],
    )?;
    Ok(())
}

/// The account a device cookie was given for.
pub fn device_user(conn: &Connection, token_hash: &str) -> Result<Option<UserId>, StoreError> {
    let raw: Option<String> = conn
        .query_row(
            "SELECT user_id FROM devices WHERE token_hash = ?1",
            [token_hash],
            |r| r.get(0),
        )
        .optional()?;
    raw.as_deref().map(parse_id).transpose()
}

pub fn delete_session(conn: &Connection, token_hash: &str) -> Result<(), StoreError> {
    conn.execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
    Ok(())
}

pub fn member_role(
    conn: &Connection,
    map: MapId,
    user_id: UserId,
) -> Result<Option<Role>, StoreError> {
    let raw: Option<String> = conn
        .query_row(
            "SELECT role FROM map_members WHERE map_id = ?1 AND user_id = ?2",
            params![map.to_string(), user_id.to_string()],
            |r| r.get(0),
        )
        .optional()?;
    raw.map(|r| role(&r)).transpose()
}

pub fn members(conn: &Connection, map: MapId) -> Result<Vec<MapMember>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT u.id, u.name, u.email, m.role FROM map_members m JOIN users u ON u.id = m.user_id
         WHERE m.map_id = ?1 ORDER BY u.name",
    )?;
    let rows = stmt.query_map([map.to_string()], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    rows.map(|row| {
        let (user_id, name, email, raw) = row?;
        Ok(MapMember {
            user: parse_id(&user_id)?,
            name,
            email,
            role: role(&raw)?,
        })
    })
    .collect()
}

/// Sets (or with `None` removes) a role on a map. A map keeps at least one owner.
pub fn set_member(
    conn: &Connection,
    map: MapId,
    user_id: UserId,
    new: Option<Role>,
) -> Result<(), StoreError> {
    let current = member_role(conn, map, user_id)?;
    if current == Some(Role::Owner) && new != Some(Role::Owner) {
        let owners: i64 = conn.query_row(
            "SELECT count(*) FROM map_members WHERE map_id = ?1 AND role = 'owner'",
            [map.to_string()],
            |r| r.get(0),
        )?;
        if owners <= 1 {
            return Err(StoreError::Conflict(
                "a map needs at least one owner".into(),
            ));
        }
    }
    match new {
        Some(role) => conn.execute(
            "INSERT INTO map_members (map_id, user_id, role) VALUES (?1, ?2, ?3)
             ON CONFLICT (map_id, user_id) DO UPDATE SET role = excluded.role",
            params![map.to_string(), user_id.to_string(), role.key()],
        )?,
        None => conn.execute(
            "DELETE FROM map_members WHERE map_id = ?1 AND user_id = ?2",
            params![map.to_string(), user_id.to_string()],
        )?,
    };
    Ok(())
}

/// An invitation as stored.
pub struct InviteRow {
    pub invited_by: String,
    /// Only this address may accept it.
    pub email: Option<String>,
    pub map: Option<MapId>,
    pub map_title: Option<String>,
    pub role: Option<Role>,
    pub expires_at: i64,
    pub used: bool,
}

/// An invitation about to be stored.
pub struct NewInviteRow<'a> {
    pub token_hash: &'a str,
    pub by: UserId,
    pub offer: Option<(MapId, Role)>,
    pub email: Option<&'a str>,
    pub created_at: i64,
    pub expires_at: i64,
}

pub fn insert_invite(conn: &Connection, invite: &NewInviteRow<'_>) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO invites (token_hash, created_by, map_id, role, email, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            invite.token_hash,
            invite.by.to_string(),
            invite.offer.map(|(m, _)| m.to_string()),
            invite.offer.map(|(_, r)| r.key()),
            invite.email,
            invite.created_at,
            invite.expires_at
        ],
    )?;
    Ok(())
}

pub fn invite(conn: &Connection, token_hash: &str) -> Result<Option<InviteRow>, StoreError> {
    let row = conn
        .query_row(
            "SELECT u.name, i.map_id, m.title, i.role, i.expires_at, i.used_at IS NOT NULL, i.email
             FROM invites i JOIN users u ON u.id = i.created_by LEFT JOIN maps m ON m.id = i.map_id
             WHERE i.token_hash = ?1",
            [token_hash],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, bool>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            },
        )
        .optional()?;
    row.map(
        |(invited_by, map, map_title, raw_role, expires_at, used, email)| {
            Ok(InviteRow {
                invited_by,
                email,
                map: map.as_deref().map(parse_id).transpose()?,
                map_title,
                role: raw_role.as_deref().map(role).transpose()?,
                expires_at,
                used,
            })
        },
    )
    .transpose()
}

pub fn use_invite(conn: &Connection, token_hash: &str, now: i64) -> Result<(), StoreError> {
    let changed = conn.execute(
        "UPDATE invites SET used_at = ?2 WHERE token_hash = ?1 AND used_at IS NULL",
        params![token_hash, now],
    )?;
    if changed == 0 {
        return Err(StoreError::Conflict(
            "this invitation has been used already".into(),
        ));
    }
    Ok(())
}

/// An open invitation: its token's hash, and the map and role it offers, if any.
pub type OpenInvite = (String, Option<(MapId, Role)>);

/// The open invitations bound to `email` (unused, unexpired), newest first.
pub fn open_invites_for(
    conn: &Connection,
    email: &str,
    now: i64,
) -> Result<Vec<OpenInvite>, StoreError> {
    let mut statement = conn.prepare(
        "SELECT token_hash, map_id, role FROM invites
         WHERE email = ?1 AND used_at IS NULL AND expires_at > ?2
         ORDER BY created_at DESC",
    )?;
    let rows = statement.query_map(params![email, now], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, Option<String>>(2)?,
        ))
    })?;
    let mut invites = Vec::new();
    for row in rows {
        let (token_hash, map, raw_role) = row?;
        let offer = match (map, raw_role) {
            (Some(map), Some(raw_role)) => Some((parse_id(&map)?, role(&raw_role)?)),
            _ => None,
        };
        invites.push((token_hash, offer));
    }
    Ok(invites)
}

/// A share link as stored.
pub struct LinkRow {
    pub id: LinkId,
    pub map: MapId,
    pub password_hash: Option<String>,
    pub expires_at: Option<i64>,
    pub revoked: bool,
    pub shows: Disclosure,
}

pub fn insert_share_link(
    conn: &Connection,
    map: MapId,
    token_hash: &str,
    link: &ShareLink,
    password_hash: Option<&str>,
    by: UserId,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO share_links (id, map_id, token_hash, label, password_hash, expires_at, created_by,
             created_at, show_comments, show_customer_comments, show_funnel)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            link.id.to_string(),
            map.to_string(),
            token_hash,
            link.label,
            password_hash,
            link.expires_at,
            by.to_string(),
            link.created_at,
            link.shows.comments,
            link.shows.customer_comments,
            link.shows.funnel
        ],
    )?;
    Ok(())
}

/// What a link shows, from its three `show_*` columns starting at `first` (in the order
/// comments, customers' comments, funnel).
fn disclosure(r: &Row, first: usize) -> rusqlite::Result<Disclosure> {
    Ok(Disclosure {
        comments: r.get(first)?,
        customer_comments: r.get(first + 1)?,
        funnel: r.get(first + 2)?,
    })
}

/// A map's links that are neither revoked nor expired.
pub fn share_links(conn: &Connection, map: MapId, now: i64) -> Result<Vec<ShareLink>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, label, expires_at, password_hash IS NOT NULL, created_at, show_comments,
             show_customer_comments, show_funnel
         FROM share_links
         WHERE map_id = ?1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?2)
         ORDER BY created_at DESC",
    )?;
    let rows = stmt.query_map(params![map.to_string(), now], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            disclosure(r, 5)?,
        ))
    })?;
    rows.map(|row| {
        let (link_id, label, expires_at, has_password, created_at, shows) = row?;
        Ok(ShareLink {
            id: parse_id(&link_id)?,
            label,
            expires_at,
            has_password,
            created_at,
            shows,
        })
    })
    .collect()
}

pub fn share_link(conn: &Connection, token_hash: &str) -> Result<Option<LinkRow>, StoreError> {
    let row = conn
        .query_row(
            "SELECT id, map_id, password_hash, expires_at, revoked_at IS NOT NULL, show_comments,
                 show_customer_comments, show_funnel
             FROM share_links WHERE token_hash = ?1",
            [token_hash],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                    r.get::<_, bool>(4)?,
                    disclosure(r, 5)?,
                ))
            },
        )
        .optional()?;
    row.map(|(link, map, password_hash, expires_at, revoked, shows)| {
        Ok(LinkRow {
            id: parse_id(&link)?,
            map: parse_id(&map)?,
            password_hash,
            expires_at,
            revoked,
            shows,
        })
    })
    .transpose()
}

pub fn revoke_share_link(
    conn: &Connection,
    map: MapId,
    link: LinkId,
    now: i64,
) -> Result<(), StoreError> {
    let changed = conn.execute(
        "UPDATE share_links SET revoked_at = ?3 WHERE id = ?1 AND map_id = ?2 AND revoked_at IS NULL",
        params![link.to_string(), map.to_string(), now],
    )?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    conn.execute(
        "DELETE FROM share_grants WHERE link_id = ?1",
        [link.to_string()],
    )?;
    Ok(())
}

pub fn insert_share_grant(
    conn: &Connection,
    token_hash: &str,
    link: LinkId,
    expires: i64,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO share_grants (token_hash, link_id, expires_at) VALUES (?1, ?2, ?3)",
        params![token_hash, link.to_string(), expires],
    )?;
    Ok(())
}

pub fn has_share_grant(
    conn: &Connection,
    token_hash: &str,
    link: LinkId,
    now: i64,
) -> Result<bool, StoreError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM share_grants WHERE token_hash = ?1 AND link_id = ?2 AND expires_at > ?3)",
        params![token_hash, link.to_string(), now],
        |r| r.get(0),
    )?)
}
