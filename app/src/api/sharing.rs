//! Sharing a map: its members and their roles, read-only share links, invitations, and what a
//! share-link visitor sees.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::error::AppError;
use crate::api::maps::MapSnapshot;
use crate::domain::access::Role;
use crate::domain::ids::{LinkId, MapId, UserId};
use crate::domain::map::Millis;

/// Longest a share link or invitation may last, in days.
pub const MAX_DAYS: u32 = 365;

/// A person's role on a map.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapMember {
    pub user: UserId,
    pub name: String,
    pub email: String,
    pub role: Role,
}

/// A read-only link to a map. Its secret is shown once, when it is made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareLink {
    pub id: LinkId,
    pub label: String,
    pub expires_at: Option<Millis>,
    pub has_password: bool,
    pub created_at: Millis,
}

/// A link just made, with its secret token (the only time the token is available).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewShareLink {
    pub link: ShareLink,
    pub token: String,
}

/// An invitation just made: the token goes into the link `/invite/{token}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewInvite {
    pub token: String,
    pub expires_at: Millis,
}

/// What an invitation offers, shown before it is accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub invited_by: String,
    /// The map the new member joins, if the invitation names one.
    pub map_title: Option<String>,
    pub role: Option<Role>,
    pub expires_at: Millis,
}

/// A map as a share-link visitor sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SharedMap {
    pub snapshot: MapSnapshot,
    pub link: LinkId,
}

/// A role from a form value.
pub fn parse_role(raw: &str) -> Result<Role, AppError> {
    Role::from_key(raw).ok_or_else(|| AppError::Invalid {
        field: "role".into(),
        message: "choose viewer, editor or owner".into(),
    })
}

/// A link's lifetime in days from a form value; 0 or nothing means it never expires.
pub fn parse_days(raw: Option<u32>) -> Result<Option<u32>, AppError> {
    match raw {
        Some(0) | None => Ok(None),
        Some(days) if days <= MAX_DAYS => Ok(Some(days)),
        Some(_) => Err(AppError::Invalid {
            field: "expires".into(),
            message: format!("at most {MAX_DAYS} days"),
        }),
    }
}

/// The people on a map and their roles. Owners only.
#[server]
pub async fn map_members(map: MapId) -> Result<Vec<MapMember>, AppError> {
    use crate::api::ctx::{accounts, authorize};
    authorize(map, Role::Owner).await?;
    accounts()?.map_members(map).await
}

/// Gives an existing account a role on the map (or changes it). Owners only.
#[server]
pub async fn add_member(map: MapId, email: String, role: String) -> Result<(), AppError> {
    use crate::api::auth::parse_email;
    use crate::api::ctx::{accounts, authorize};
    authorize(map, Role::Owner).await?;
    let (email, role) = (parse_email(&email)?, parse_role(&role)?);
    accounts()?.add_member(map, email, role).await
}

/// Changes a member's role, or with `role` empty removes them. A map keeps at least one owner.
#[server]
pub async fn set_member_role(map: MapId, user: UserId, role: String) -> Result<(), AppError> {
    use crate::api::ctx::{accounts, authorize};
    authorize(map, Role::Owner).await?;
    let role = match role.as_str() {
        "" => None,
        raw => Some(parse_role(raw)?),
    };
    accounts()?.set_member_role(map, user, role).await
}

/// The map's live share links. Owners only.
#[server]
pub async fn share_links(map: MapId) -> Result<Vec<ShareLink>, AppError> {
    use crate::api::ctx::{accounts, authorize};
    authorize(map, Role::Owner).await?;
    accounts()?.share_links(map).await
}

/// Makes a read-only link, optionally expiring after `days` and behind a password.
#[server]
pub async fn create_share_link(
    map: MapId,
    label: String,
    days: Option<u32>,
    password: Option<String>,
) -> Result<NewShareLink, AppError> {
    use crate::api::auth::check_password;
    use crate::api::ctx::{accounts, authorize};
    use crate::domain::text::Name;

    let user = authorize(map, Role::Owner).await?;
    let label = match label.trim() {
        "" => "Share link".to_owned(),
        raw => Name::parse(raw)
            .map_err(|e| AppError::invalid("label", e))?
            .to_string(),
    };
    let password = password.filter(|p| !p.is_empty());
    if let Some(password) = &password {
        check_password(password)?;
    }
    let days = parse_days(days)?;
    accounts()?
        .create_share_link(map, user, label, days, password)
        .await
}

/// Revokes a link; anyone following the map through it is disconnected.
#[server]
pub async fn revoke_share_link(map: MapId, link: LinkId) -> Result<(), AppError> {
    use crate::api::ctx::{accounts, authorize};
    authorize(map, Role::Owner).await?;
    accounts()?.revoke_share_link(map, link).await
}

/// Makes an invitation link, for the instance (admins) or to one map (its owners).
#[server]
pub async fn create_invite(
    map: Option<MapId>,
    role: Option<String>,
) -> Result<NewInvite, AppError> {
    use crate::api::ctx::{accounts, authorize, require_admin};

    let offer = match (map, role.as_deref()) {
        (Some(map), Some(raw)) => {
            let role = parse_role(raw)?;
            (authorize(map, Role::Owner).await?, Some((map, role)))
        }
        (None, _) => (require_admin()?.id, None),
        (Some(_), None) => {
            return Err(AppError::Invalid {
                field: "role".into(),
                message: "choose a role".into(),
            })
        }
    };
    accounts()?.create_invite(offer.0, offer.1).await
}

/// What an invitation offers. Anyone holding the link may ask.
#[server]
pub async fn invite_info(token: String) -> Result<Invitation, AppError> {
    use crate::api::ctx::accounts;
    accounts()?.invite_info(token).await
}

/// Accepts an invitation: creates the account, signs it in, and opens the map it names.
#[server]
pub async fn accept_invite(
    token: String,
    email: String,
    name: String,
    password: String,
) -> Result<(), AppError> {
    use crate::api::auth::{check_password, parse_email};
    use crate::api::ctx::{accounts, client_address, start_session};
    use crate::domain::text::Name;

    let email = parse_email(&email)?;
    let name = Name::parse(&name).map_err(|e| AppError::invalid("name", e))?;
    check_password(&password)?;
    let (session, map) = accounts()?
        .accept_invite(token, email, name.to_string(), password, client_address())
        .await?;
    start_session(&session);
    leptos_axum::redirect(&map.map_or("/".to_owned(), |map| format!("/maps/{map}")));
    Ok(())
}

/// The map behind a share link, for a visitor. A password-protected link needs unlocking
/// first (`unlock_share`), which this browser then remembers.
#[server]
pub async fn open_share(token: String) -> Result<SharedMap, AppError> {
    use crate::api::ctx::{accounts, backend, share_grant};
    let (map, link) = accounts()?.open_share(token, share_grant()).await?;
    let snapshot = backend()?.load_map(map).await?;
    Ok(SharedMap { snapshot, link })
}

/// Unlocks a password-protected share link in this browser.
#[server]
pub async fn unlock_share(token: String, password: String) -> Result<(), AppError> {
    use crate::api::ctx::{accounts, client_address, remember_share_grant};
    let grant = accounts()?
        .unlock_share(token, password, client_address())
        .await?;
    remember_share_grant(&grant);
    Ok(())
}

/// Everyone with an account. Admins only.
#[server]
pub async fn list_users() -> Result<Vec<crate::api::auth::User>, AppError> {
    use crate::api::ctx::{accounts, require_admin};
    require_admin()?;
    accounts()?.users().await
}

/// Removes an account (not one's own). Admins only.
#[server]
pub async fn remove_user(user: UserId) -> Result<(), AppError> {
    use crate::api::ctx::{accounts, require_admin};
    let admin = require_admin()?;
    if admin.id == user {
        return Err(AppError::Invalid {
            field: "user".into(),
            message: "you can't remove yourself".into(),
        });
    }
    accounts()?.remove_user(user).await
}

/// Makes an account an admin or not. Admins only; the last admin stays one.
#[server]
pub async fn set_admin(user: UserId, admin: bool) -> Result<(), AppError> {
    use crate::api::ctx::{accounts, require_admin};
    require_admin()?;
    accounts()?.set_admin(user, admin).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_values_are_checked() {
        assert_eq!(parse_role("owner"), Ok(Role::Owner));
        assert!(parse_role("god").is_err());
        assert_eq!(parse_days(Some(0)), Ok(None));
        assert_eq!(parse_days(Some(30)), Ok(Some(30)));
        assert!(parse_days(Some(MAX_DAYS + 1)).is_err());
    }
}
