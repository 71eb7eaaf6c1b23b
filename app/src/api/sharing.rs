//! Sharing a map: its members and their roles, read-only share links, invitations, and what a
//! share-link visitor sees.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::error::AppError;
use crate::api::maps::MapSnapshot;
use crate::domain::access::Role;
use crate::domain::account::{Email, Password, Token};
use crate::domain::ids::{LinkId, MapId, UserId};
use crate::domain::text::Name;
use crate::domain::time::Millis;

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

/// What a share link or embed shows besides the map itself: the team's comment threads,
/// customers' own words and what customers measurably did are internal, so each is off unless
/// the map's owner turns it on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disclosure {
    /// The team's comment threads.
    pub comments: bool,
    /// Customers' comments, word for word (scores are always shown).
    pub customer_comments: bool,
    /// The measured funnel and path flows (journey analytics). Absent in what was stored
    /// before it could be chosen, which reads as off.
    #[serde(default)]
    pub funnel: bool,
}

impl Disclosure {
    /// Everything: what the map's members see.
    pub const ALL: Disclosure = Disclosure {
        comments: true,
        customer_comments: true,
        funnel: true,
    };
}

/// A read-only link to a map. Its secret is shown once, when it is made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareLink {
    pub id: LinkId,
    pub label: String,
    pub expires_at: Option<Millis>,
    pub has_password: bool,
    pub created_at: Millis,
    #[serde(default)]
    pub shows: Disclosure,
}

/// How a new share link is made.
#[derive(Clone, Debug)]
pub struct LinkSettings {
    pub label: Name,
    /// Expires this many days from now; `None`: never.
    pub days: Option<u32>,
    pub password: Option<Password>,
    pub shows: Disclosure,
}

/// A live share link, as the token a visitor presented opens it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenedLink {
    pub map: MapId,
    pub link: LinkId,
    pub expires_at: Option<Millis>,
    pub shows: Disclosure,
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
    /// Whether the invitation was also mailed to the address it is bound to.
    #[serde(default)]
    pub emailed: bool,
}

/// What an invitation offers, and to whom.
#[derive(Clone, Debug, Default)]
pub struct InviteTerms {
    /// A map the new member joins, and their role on it.
    pub offer: Option<(MapId, Role)>,
    /// Only this address may accept it.
    pub email: Option<Email>,
}

/// What an invitation offers, shown before it is accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub invited_by: String,
    /// The map the new member joins, if the invitation names one.
    pub map_title: Option<String>,
    pub role: Option<Role>,
    pub expires_at: Millis,
    /// The address it was sent to, which accepting it needs.
    #[serde(default)]
    pub email: Option<String>,
}

/// A map as a share-link visitor sees it: without what the link does not disclose.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SharedMap {
    pub snapshot: MapSnapshot,
    pub link: LinkId,
    pub shows: Disclosure,
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

/// A token from a link, or `NotFound`: a malformed one cannot name anything.
pub fn token_field(raw: &str) -> Result<Token, AppError> {
    Token::parse(raw).ok_or(AppError::NotFound)
}

/// The people on a map and their roles. Owners only.
#[server]
pub async fn map_members(map: MapId) -> Result<Vec<MapMember>, AppError> {
    use crate::api::ctx::{accounts, authorize};
    use crate::domain::access::Capability;
    authorize(map, Capability::Share).await?;
    accounts()?.map_members(map).await
}

/// Gives an existing account a role on the map (or changes it). Owners only.
#[server]
pub async fn add_member(map: MapId, email: String, role: String) -> Result<(), AppError> {
    use crate::api::audit::Action;
    use crate::api::auth::email_field;
    use crate::api::ctx::{accounts, authorize};
    use crate::api::ctx::{record, AuditEvent};
    use crate::domain::access::Capability;
    authorize(map, Capability::Share).await?;
    let (email, role) = (email_field(&email)?, parse_role(&role)?);
    let who = email.to_string();
    accounts()?.add_member(map, email, role).await?;
    let event = AuditEvent::by_caller(Action::MemberAdded).on_map(map);
    record(event.target(who).detail(role.label())).await;
    Ok(())
}

/// Changes a member's role, or with `role` empty removes them. A map keeps at least one owner.
/// Whoever is on the map through that membership right now is told, and downgraded or
/// disconnected.
#[server]
pub async fn set_member_role(map: MapId, user: UserId, role: String) -> Result<(), AppError> {
    use crate::api::audit::Action;
    use crate::api::ctx::{accounts, authorize, record, AuditEvent};
    use crate::domain::access::Capability;
    authorize(map, Capability::Share).await?;
    let role = match role.as_str() {
        "" => None,
        raw => Some(parse_role(raw)?),
    };
    // The member's email, read before a removal, so the row says whom it was.
    let members = accounts()?.map_members(map).await?;
    let whom = members.into_iter().find(|m| m.user == user);
    accounts()?.set_member_role(map, user, role).await?;
    let event = AuditEvent::by_caller(Action::MemberRoleChanged).on_map(map);
    let detail = role.map_or("removed", |r| r.label());
    let target = whom.map_or_else(|| user.to_string(), |m| m.email);
    record(event.target(target).detail(detail)).await;
    Ok(())
}

/// Who owns each stage that has an owner: (stage, member). Owners only.
#[server]
pub async fn stage_owners(
    map: MapId,
) -> Result<Vec<(crate::domain::ids::StageId, UserId)>, AppError> {
    use crate::api::ctx::{accounts, authorize};
    use crate::domain::access::Capability;
    authorize(map, Capability::Share).await?;
    accounts()?.stage_owners(map).await
}

/// Makes a member the owner of a stage (they then hear of its touchpoints' unhappy answers
/// instead of the map's owners), or with `user` empty gives the stage back to the map's
/// owners. Owners only.
#[server]
pub async fn set_stage_owner(
    map: MapId,
    stage: crate::domain::ids::StageId,
    user: String,
) -> Result<(), AppError> {
    use crate::api::ctx::{accounts, authorize};
    use crate::domain::access::Capability;
    authorize(map, Capability::Share).await?;
    let user = match user.as_str() {
        "" => None,
        raw => Some(raw.parse::<UserId>().map_err(|_| AppError::Invalid {
            field: "user".into(),
            message: "choose a member of the map".into(),
        })?),
    };
    accounts()?.set_stage_owner(map, stage, user).await
}

/// The map's live share links. Owners only.
#[server]
pub async fn share_links(map: MapId) -> Result<Vec<ShareLink>, AppError> {
    use crate::api::ctx::{accounts, authorize};
    use crate::domain::access::Capability;
    authorize(map, Capability::Share).await?;
    accounts()?.share_links(map).await
}

/// Makes a read-only link, optionally expiring after `days` and behind a password, showing the
/// team's comments, customers' words and the measured funnel only when asked to.
#[server]
pub async fn create_share_link(
    map: MapId,
    label: String,
    days: Option<u32>,
    password: Option<String>,
    #[server(default)] comments: bool,
    #[server(default)] customer_comments: bool,
    #[server(default)] funnel: bool,
) -> Result<NewShareLink, AppError> {
    use crate::api::audit::Action;
    use crate::api::auth::new_password_field;
    use crate::api::ctx::{accounts, authorize, record, AuditEvent};
    use crate::domain::access::Capability;

    let (user, _) = authorize(map, Capability::Share).await?;
    let label = match label.trim() {
        "" => Name::parse("Share link"),
        raw => Name::parse(raw),
    }
    .map_err(|e| AppError::invalid("label", e))?;
    let password = password
        .filter(|p| !p.is_empty())
        .map(|p| new_password_field("password", &p))
        .transpose()?;
    let settings = LinkSettings {
        label,
        days: parse_days(days)?,
        password,
        shows: Disclosure {
            comments,
            customer_comments,
            funnel,
        },
    };
    let made = accounts()?
        .create_share_link(map, user.id, settings)
        .await?;
    // The link's id and label only: its token is the secret that opens the map.
    let event = AuditEvent::by_caller(Action::ShareLinkCreated).on_map(map);
    record(
        event
            .target(made.link.id.to_string())
            .detail(made.link.label.clone()),
    )
    .await;
    Ok(made)
}

/// Revokes a link; anyone following the map through it is disconnected.
#[server]
pub async fn revoke_share_link(map: MapId, link: LinkId) -> Result<(), AppError> {
    use crate::api::audit::Action;
    use crate::api::ctx::{accounts, authorize, record, AuditEvent};
    use crate::domain::access::Capability;
    authorize(map, Capability::Share).await?;
    accounts()?.revoke_share_link(map, link).await?;
    let event = AuditEvent::by_caller(Action::ShareLinkRevoked).on_map(map);
    record(event.target(link.to_string())).await;
    Ok(())
}

/// Makes an invitation link, for the instance (admins) or to one map (its owners); with
/// `email`, only that address can accept it.
#[server]
pub async fn create_invite(
    map: Option<MapId>,
    role: Option<String>,
    #[server(default)] email: Option<String>,
) -> Result<NewInvite, AppError> {
    use crate::api::audit::Action;
    use crate::api::auth::email_field;
    use crate::api::ctx::{accounts, authorize, record, require_admin, AuditEvent};
    use crate::domain::access::Capability;

    let (by, offer) = match (map, role.as_deref()) {
        (Some(map), Some(raw)) => {
            let role = parse_role(raw)?;
            let (user, _) = authorize(map, Capability::Share).await?;
            (user.id, Some((map, role)))
        }
        (None, _) => (require_admin()?.id, None),
        (Some(_), None) => {
            return Err(AppError::Invalid {
                field: "role".into(),
                message: "choose a role".into(),
            })
        }
    };
    let email = email
        .filter(|e| !e.trim().is_empty())
        .map(|e| email_field(&e))
        .transpose()?;
    let mut event = AuditEvent::by_caller(Action::InviteCreated);
    if let Some((map, role)) = offer {
        event = event.on_map(map).detail(role.label());
    }
    if let Some(email) = &email {
        event = event.target(email.to_string());
    }
    // The invitation's token is its secret, so it is not recorded.
    let invite = accounts()?
        .create_invite(by, InviteTerms { offer, email })
        .await?;
    record(event).await;
    Ok(invite)
}

/// What an invitation offers. Anyone holding the link may ask.
#[server]
pub async fn invite_info(token: String) -> Result<Invitation, AppError> {
    use crate::api::ctx::accounts;
    accounts()?.invite_info(token_field(&token)?).await
}

/// Accepts an invitation: creates the account, signs it in, and opens the map it names.
#[server]
pub async fn accept_invite(
    token: String,
    email: String,
    name: String,
    password: String,
) -> Result<(), AppError> {
    use crate::api::audit::Action;
    use crate::api::auth::NewAccount;
    use crate::api::ctx::{accounts, client_address, record, start_session, AuditEvent};

    crate::api::auth::require_passwords_allowed()?;
    let token = token_field(&token)?;
    let account = NewAccount::from_form(&email, &name, &password)?;
    let mut event = AuditEvent::by_email(Action::AccountCreated, &account.email);
    let (session, map) = accounts()?
        .accept_invite(token, account, client_address())
        .await?;
    if let Some(map) = map {
        event = event.on_map(map);
    }
    record(event.detail("accepted an invitation")).await;
    start_session(&session);
    leptos_axum::redirect(&map.map_or("/".to_owned(), |map| format!("/maps/{map}")));
    Ok(())
}

/// The map behind a share link, for a visitor: without comment threads unless the link shows
/// them. A password-protected link needs unlocking first (`unlock_share`), which this browser
/// then remembers.
#[server]
pub async fn open_share(token: String) -> Result<SharedMap, AppError> {
    use crate::api::ctx::{accounts, backend, share_grant};
    let opened = accounts()?
        .open_share(token_field(&token)?, share_grant())
        .await?;
    let mut snapshot = backend()?.load_map(opened.map).await?;
    if !opened.shows.comments {
        snapshot.map.withhold_comments();
    }
    Ok(SharedMap {
        snapshot,
        link: opened.link,
        shows: opened.shows,
    })
}

/// Unlocks a password-protected share link in this browser.
#[server]
pub async fn unlock_share(token: String, password: String) -> Result<(), AppError> {
    use crate::api::auth::password_attempt_field;
    use crate::api::ctx::{accounts, client_address, remember_share_grant};
    let token = token_field(&token)?;
    let password = password_attempt_field("password", &password)?;
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

/// Removes an account (not one's own). Admins only. Its open live connections end.
#[server]
pub async fn remove_user(user: UserId) -> Result<(), AppError> {
    use crate::api::audit::Action;
    use crate::api::ctx::{accounts, record, require_admin, AuditEvent};
    let admin = require_admin()?;
    if admin.id == user {
        return Err(AppError::Invalid {
            field: "user".into(),
            message: "you can't remove yourself".into(),
        });
    }
    // The email, read before the account goes, so the row says whom it was.
    let gone = accounts()?
        .users()
        .await?
        .into_iter()
        .find(|u| u.id == user);
    accounts()?.remove_user(user).await?;
    let target = gone.map_or_else(|| user.to_string(), |u| u.email);
    record(AuditEvent::by_caller(Action::UserRemoved).target(target)).await;
    Ok(())
}

/// Makes an account an admin or not. Admins only; the last admin stays one.
#[server]
pub async fn set_admin(user: UserId, admin: bool) -> Result<(), AppError> {
    use crate::api::audit::Action;
    use crate::api::ctx::{accounts, record, require_admin, AuditEvent};
    require_admin()?;
    let whom = accounts()?
        .users()
        .await?
        .into_iter()
        .find(|u| u.id == user);
    accounts()?.set_admin(user, admin).await?;
    let target = whom.map_or_else(|| user.to_string(), |u| u.email);
    let detail = if admin {
        "made admin"
    } else {
        "no longer admin"
    };
    record(
        AuditEvent::by_caller(Action::AdminChanged)
            .target(target)
            .detail(detail),
    )
    .await;
    Ok(())
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
