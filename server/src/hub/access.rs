//! Who a live connection speaks for, worked out when it connects and again whenever that may
//! have changed.
//!
//! A connection keeps the credential it came with: an account's session, a share link's token
//! (with the grant of a password-protected link), or both. `resolve` works out its standing on
//! the map from that credential, the same way at the upgrade and at every later check. Changes
//! that may alter someone's standing are announced once committed (`rooms::AccessChange`); a
//! connection subscribes before its first check, so any change committed after that check is
//! heard, and it checks again when a change may concern it. Expiry needs no announcement: a
//! connection wakes when its link or session runs out. And since the database can be changed
//! from outside Waymark, every connection also checks once in a while regardless.

use std::time::Duration;

use app::api::auth::User;
use app::api::ctx::Accounts;
use app::api::error::AppError;
use app::api::sharing::Disclosure;
use app::domain::access::Capability;
use app::domain::account::Token;
use app::domain::ids::{LinkId, MapId, UserId};
use app::domain::protocol::Ended;
use app::domain::time::Millis;

use crate::accounts::ServerAccounts;
use crate::rooms::AccessChange;

/// How often a connection checks its standing when nothing announced a change.
pub const RECHECK_EVERY: Duration = Duration::from_secs(60);

/// What a connection presented when it connected.
#[derive(Clone, Debug, Default)]
pub struct Credential {
    /// The session cookie.
    pub session: Option<Token>,
    /// A share link's token, and the grant cookie that unlocks a password-protected one.
    pub link: Option<(Token, Option<Token>)>,
}

/// What a connection may do with the map, and until when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Standing {
    pub can_edit: bool,
    /// The account it speaks for; `None` for a share-link visitor.
    pub account: Option<Account>,
    /// The share link it came through.
    pub link: Option<LinkId>,
    /// What the connection is shown besides the map.
    pub shows: Disclosure,
    /// When its session or link runs out.
    pub until: Option<Millis>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub user: UserId,
    pub name: String,
}

/// Why a credential gives no standing on the map.
#[derive(Debug)]
pub enum Refusal {
    /// No live session, and no live link.
    NotSignedIn,
    /// Signed in or through a link, but not to this map.
    NoAccess,
    /// The check itself failed; try again later.
    Failed(AppError),
}

impl From<AppError> for Refusal {
    fn from(err: AppError) -> Refusal {
        match err {
            AppError::NotFound | AppError::Unauthenticated | AppError::Forbidden => {
                Refusal::NoAccess
            }
            other => Refusal::Failed(other),
        }
    }
}

/// The standing `credential` gives on `map` now. An account with a role on the map counts
/// first; someone signed in without one may still follow the map through a link.
pub async fn resolve(
    accounts: &ServerAccounts,
    map: MapId,
    credential: &Credential,
) -> Result<Standing, Refusal> {
    let mut refusal = Refusal::NotSignedIn;
    if let Some(session) = &credential.session {
        if let Some((user, expires)) = accounts.session(session).await? {
            match accounts.role(&user, map).await? {
                Some(role) => {
                    return Ok(account_standing(user, role.may(Capability::Edit), expires))
                }
                None => refusal = Refusal::NoAccess,
            }
        }
    }
    if let Some((token, grant)) = &credential.link {
        match accounts.open_share(token.clone(), grant.clone()).await {
            Ok(opened) if opened.map == map => {
                return Ok(Standing {
                    can_edit: false,
                    account: None,
                    link: Some(opened.link),
                    shows: opened.shows,
                    until: opened.expires_at,
                })
            }
            Ok(_) => refusal = Refusal::NoAccess,
            Err(err) => match Refusal::from(err) {
                Refusal::Failed(err) => return Err(Refusal::Failed(err)),
                _ => refusal = Refusal::NoAccess,
            },
        }
    }
    Err(refusal)
}

fn account_standing(user: User, can_edit: bool, expires: Millis) -> Standing {
    Standing {
        can_edit,
        account: Some(Account {
            user: user.id,
            name: user.name,
        }),
        link: None,
        shows: Disclosure::ALL,
        until: Some(expires),
    }
}

/// Whether `change` may alter the standing of a connection to `map` with `standing`.
pub fn concerns(change: AccessChange, map: MapId, standing: &Standing) -> bool {
    let user = standing.account.as_ref().map(|a| a.user);
    match change {
        AccessChange::Member { map: on, user: who } => on == map && user == Some(who),
        AccessChange::Account { user: who } => user == Some(who),
        AccessChange::Link { link } => standing.link == Some(link),
        AccessChange::Map { map: gone } => gone == map,
        AccessChange::Everyone => true,
    }
}

/// What to tell a connection that had `before` and now has none, given what prompted the check.
pub async fn why_ended(
    accounts: &ServerAccounts,
    before: &Standing,
    refusal: &Refusal,
    cause: Option<AccessChange>,
    now: Millis,
) -> Ended {
    if matches!(cause, Some(AccessChange::Map { .. })) {
        return Ended::MapDeleted;
    }
    if before.link.is_some() {
        return match before.until {
            Some(until) if until <= now => Ended::LinkExpired,
            _ => Ended::LinkRevoked,
        };
    }
    match (refusal, &before.account) {
        (Refusal::NotSignedIn, _) if before.until.is_some_and(|until| until <= now) => {
            Ended::SessionExpired
        }
        (Refusal::NotSignedIn, Some(account)) => match accounts.exists(account.user).await {
            Ok(false) => Ended::AccountRemoved,
            _ => Ended::SignedOut,
        },
        _ => Ended::Removed,
    }
}
