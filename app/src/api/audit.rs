//! The audit log: who did what and when, for instance admins. The server records each
//! action where it happens (`server::audit`); this module holds the wire types and the one
//! server function the admin page reads it through.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::api::error::AppError;
use crate::domain::ids::MapId;

/// Rows on one page of the log.
pub const PAGE_ROWS: u32 = 100;

/// What was done. Stored by its `as_str` name, so renaming a variant's name needs a migration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    SignIn,
    SignInFailed,
    SignOut,
    PasswordChanged,
    AccountCreated,
    InviteCreated,
    UserRemoved,
    AdminChanged,
    MemberAdded,
    MemberRoleChanged,
    ShareLinkCreated,
    ShareLinkRevoked,
    ApiKeyCreated,
    ApiKeyRevoked,
    MapExported,
    MapImported,
    AnswersImported,
    EventsImported,
    MapDeleted,
    CustomerForgotten,
    RetentionChanged,
    DatabaseRestored,
    /// Signed in through the OpenID provider (the detail says how the account was matched).
    SsoSignIn,
    /// The provider vouched for someone Waymark refused (the detail says why).
    SsoRefused,
    PasswordResetRequested,
    PasswordReset,
    EmailVerified,
    MapReviewed,
    /// A map's status and tags were set (the detail lists them).
    MapCatalogued,
    /// An opportunity card was triaged in the backlog (the detail names it and its status).
    OpportunityTriaged,
    /// A map's target was set or removed (the detail says which).
    TargetsChanged,
    /// A map was made, or stopped being, a sub-journey (the detail says of what).
    MapLinked,
    /// A metric definition or channel of the library was added, changed or deleted.
    LibraryChanged,
}

impl Action {
    /// Every action, in the order the admin page's filter lists them.
    pub const ALL: [Action; 33] = [
        Action::SignIn,
        Action::SignInFailed,
        Action::SignOut,
        Action::PasswordChanged,
        Action::AccountCreated,
        Action::InviteCreated,
        Action::UserRemoved,
        Action::AdminChanged,
        Action::MemberAdded,
        Action::MemberRoleChanged,
        Action::ShareLinkCreated,
        Action::ShareLinkRevoked,
        Action::ApiKeyCreated,
        Action::ApiKeyRevoked,
        Action::MapExported,
        Action::MapImported,
        Action::AnswersImported,
        Action::EventsImported,
        Action::MapDeleted,
        Action::CustomerForgotten,
        Action::RetentionChanged,
        Action::DatabaseRestored,
        Action::SsoSignIn,
        Action::SsoRefused,
        Action::PasswordResetRequested,
        Action::PasswordReset,
        Action::EmailVerified,
        Action::MapReviewed,
        Action::MapCatalogued,
        Action::OpportunityTriaged,
        Action::TargetsChanged,
        Action::MapLinked,
        Action::LibraryChanged,
    ];

    /// The name stored in the database and used in exports and query strings.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::SignIn => "sign_in",
            Action::SignInFailed => "sign_in_failed",
            Action::SignOut => "sign_out",
            Action::PasswordChanged => "password_changed",
            Action::AccountCreated => "account_created",
            Action::InviteCreated => "invite_created",
            Action::UserRemoved => "user_removed",
            Action::AdminChanged => "admin_changed",
            Action::MemberAdded => "member_added",
            Action::MemberRoleChanged => "member_role_changed",
            Action::ShareLinkCreated => "share_link_created",
            Action::ShareLinkRevoked => "share_link_revoked",
            Action::ApiKeyCreated => "api_key_created",
            Action::ApiKeyRevoked => "api_key_revoked",
            Action::MapExported => "map_exported",
            Action::MapImported => "map_imported",
            Action::AnswersImported => "answers_imported",
            Action::EventsImported => "events_imported",
            Action::MapDeleted => "map_deleted",
            Action::CustomerForgotten => "customer_forgotten",
            Action::RetentionChanged => "retention_changed",
            Action::DatabaseRestored => "database_restored",
            Action::SsoSignIn => "sso_sign_in",
            Action::SsoRefused => "sso_refused",
            Action::PasswordResetRequested => "password_reset_requested",
            Action::PasswordReset => "password_reset",
            Action::EmailVerified => "email_verified",
            Action::MapReviewed => "map_reviewed",
            Action::MapCatalogued => "map_catalogued",
            Action::OpportunityTriaged => "opportunity_triaged",
            Action::TargetsChanged => "targets_changed",
            Action::MapLinked => "map_linked",
            Action::LibraryChanged => "library_changed",
        }
    }

    pub fn parse(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

/// One row of the log as an admin reads it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    /// The account's id, while it exists.
    pub actor: Option<String>,
    /// The account's email at the time, "API key …" or "anonymous".
    pub actor_label: String,
    pub action: String,
    pub map: Option<String>,
    pub target: Option<String>,
    pub detail: Option<String>,
    pub ip: Option<String>,
}

/// Which rows to show; every part optional.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditQuery {
    pub action: Option<Action>,
    /// Part of the actor's label (an email), case-insensitive.
    pub actor: Option<String>,
    pub map: Option<MapId>,
    /// From this time (ms since the epoch, inclusive)…
    pub from: Option<i64>,
    /// …to this one (exclusive).
    pub to: Option<i64>,
    /// Only rows older than this id: the "Older" page's cursor.
    pub before: Option<i64>,
}

/// Longest actor filter accepted; an email is at most 254 characters.
pub const MAX_ACTOR_FILTER: usize = 254;

impl AuditQuery {
    /// Refuses a filter no row could need (an oversized actor text), trimming an empty one away.
    pub fn checked(mut self) -> Result<AuditQuery, AppError> {
        if let Some(actor) = &self.actor {
            let trimmed = actor.trim();
            if trimmed.chars().count() > MAX_ACTOR_FILTER {
                return Err(AppError::Invalid {
                    field: "actor".into(),
                    message: "too long".into(),
                });
            }
            self.actor = (!trimmed.is_empty()).then(|| trimmed.to_owned());
        }
        Ok(self)
    }
}

/// A date range's end from a form's text: `2026-12-01` or a time; a bare date that ends the
/// range (`through`) means up to the end of that day, so both ends' days are included.
pub fn time_filter(text: &str, through: bool) -> Option<i64> {
    let at = crate::domain::time::parse_time(text)?;
    let whole_day = text.trim().len() == "2026-12-01".len();
    Some(if through && whole_day {
        at + 24 * 3600 * 1000
    } else {
        at
    })
}

/// A page of the log, newest first; `older` is the cursor of the next page when there is one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub older: Option<i64>,
}

/// A page of the audit log. Instance admins only.
#[server(input = Json)]
pub async fn audit_log(query: AuditQuery) -> Result<AuditPage, AppError> {
    use crate::api::ctx::{audit, require_admin};
    require_admin()?;
    audit()?.log(query.checked()?, PAGE_ROWS).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_stored_by_a_name_of_its_own() {
        let mut names: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(action));
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Action::ALL.len());
        assert_eq!(Action::parse("drop table"), None);
    }

    #[test]
    fn a_date_that_ends_a_range_includes_its_day() {
        let day = 24 * 3600 * 1000;
        let start = time_filter("2026-12-01", false).unwrap();
        assert_eq!(time_filter("2026-12-01", true), Some(start + day));
        assert_eq!(
            time_filter("2026-12-01T10:00:00Z", true),
            Some(start + 10 * 3600 * 1000)
        );
        assert_eq!(time_filter("yesterday", false), None);
    }

    #[test]
    fn an_empty_actor_filter_is_none_and_a_huge_one_refused() {
        let blank = AuditQuery {
            actor: Some("  ".into()),
            ..AuditQuery::default()
        };
        assert_eq!(blank.checked().unwrap().actor, None);
        let huge = AuditQuery {
            actor: Some("x".repeat(MAX_ACTOR_FILTER + 1)),
            ..AuditQuery::default()
        };
        assert!(huge.checked().is_err());
    }
}
