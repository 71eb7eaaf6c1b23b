//! Accounts and sessions: first-run setup, signing in and out, the password, and who is calling.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::error::AppError;
use crate::domain::account::{Email, Password};
use crate::domain::ids::UserId;
use crate::domain::text::Name;

pub use crate::domain::account::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};

/// A person with an account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub is_admin: bool,
}

/// Who is calling, as the server's middleware established it from the session cookie.
/// (Share-link visitors are recognised where they present their link.)
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Caller {
    pub user: Option<User>,
}

/// The caller's network address: the connection's peer, or the client a trusted proxy names
/// (for throttling).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddress(pub std::net::IpAddr);

/// Site-wide facts the server's middleware hands to server functions with each request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SiteSettings {
    /// Mark cookies `Secure` (the site is served over HTTPS).
    pub secure_cookies: bool,
    /// Single sign-on through an OpenID provider, when it is configured (shared, as every
    /// request carries a copy).
    pub sso: Option<std::sync::Arc<SsoSettings>>,
}

/// How single sign-on is offered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SsoSettings {
    /// What the sign-in button names the provider ("Sign in with …").
    pub label: String,
    /// Password sign-in is off: the provider is the only way in.
    pub only: bool,
}

/// The ways in that the sign-in and set-up pages offer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInMethods {
    /// No account exists yet.
    pub needs_setup: bool,
    /// The provider's label, when single sign-on is on (started at `SSO_START`).
    pub sso: Option<String>,
    /// Whether passwords are accepted (off with "SSO only").
    pub password: bool,
}

/// Where single sign-on starts (a plain route of the server, outside Leptos).
pub const SSO_START: &str = "/auth/oidc/start";

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "waymark_session";
/// The name of the cookie that remembers a browser which signed in to an account.
pub const DEVICE_COOKIE: &str = "waymark_device";
/// The name of the cookie that remembers an unlocked, password-protected share link.
pub const SHARE_COOKIE: &str = "waymark_share";

/// The email of a form, checked.
pub fn email_field(raw: &str) -> Result<Email, AppError> {
    Email::parse(raw).map_err(|e| AppError::invalid("email", e))
}

/// A new password of a form, checked.
pub fn new_password_field(field: &str, raw: &str) -> Result<Password, AppError> {
    Password::new(raw).map_err(|e| AppError::invalid(field, e))
}

/// A password of a form to check against a stored one.
pub fn password_attempt_field(field: &str, raw: &str) -> Result<Password, AppError> {
    Password::attempt(raw).map_err(|e| AppError::invalid(field, e))
}

/// Someone signing in: what they typed, from where, and the device cookie their browser holds.
#[derive(Clone, Debug)]
pub struct SignIn {
    pub email: Email,
    pub password: Password,
    pub client: std::net::IpAddr,
    pub device: Option<crate::domain::account::Token>,
}

/// A sign-in that worked: the new session, and a device cookie for a browser that had none for
/// this account.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub session: crate::domain::account::Token,
    pub device: Option<crate::domain::account::Token>,
}

/// The first admin account, or an invited person's: who they are and how they sign in.
#[derive(Clone, Debug)]
pub struct NewAccount {
    pub email: Email,
    pub name: Name,
    pub password: Password,
}

impl NewAccount {
    /// A new account from a form's fields, each checked.
    pub fn from_form(email: &str, name: &str, password: &str) -> Result<NewAccount, AppError> {
        Ok(NewAccount {
            email: email_field(email)?,
            name: Name::parse(name).map_err(|e| AppError::invalid("name", e))?,
            password: new_password_field("password", password)?,
        })
    }
}

/// The signed-in user, if any.
#[server]
pub async fn current_user() -> Result<Option<User>, AppError> {
    use crate::api::ctx::caller;
    Ok(caller().user)
}

/// How one can sign in here, and whether Waymark still needs its first account.
#[server]
pub async fn ways_in() -> Result<SignInMethods, AppError> {
    use crate::api::ctx::{accounts, site_settings};
    let sso = site_settings().sso;
    Ok(SignInMethods {
        needs_setup: accounts()?.needs_setup().await?,
        password: !sso.as_ref().is_some_and(|sso| sso.only),
        sso: sso.map(|sso| sso.label.clone()),
    })
}

/// Refuses password sign-in, set-up and accounts when single sign-on is the only way in; checked
/// here, on the server, not only by hiding the form.
#[cfg(feature = "ssr")]
pub fn require_passwords_allowed() -> Result<(), AppError> {
    match crate::api::ctx::site_settings().sso {
        Some(sso) if sso.only => Err(AppError::Invalid {
            field: "password".into(),
            message: format!("this Waymark signs people in with {} only", sso.label),
        }),
        _ => Ok(()),
    }
}

/// Creates the first admin account and signs it in. Refused once any account exists.
#[server]
pub async fn set_up(email: String, name: String, password: String) -> Result<(), AppError> {
    use crate::api::audit::Action;
    use crate::api::ctx::{accounts, record, start_session, AuditEvent};

    require_passwords_allowed()?;
    let account = NewAccount::from_form(&email, &name, &password)?;
    let event = AuditEvent::by_email(Action::AccountCreated, &account.email).detail("first admin");
    let session = accounts()?.set_up(account).await?;
    record(event).await;
    start_session(&session);
    leptos_axum::redirect("/");
    Ok(())
}

/// Signs in; attempts are throttled per address and per account, except from a browser that
/// signed in to the account before.
#[server]
pub async fn log_in(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use crate::api::audit::Action;
    use crate::api::ctx::{
        accounts, client_address, device_token, record, remember_device, start_session, AuditEvent,
    };

    require_passwords_allowed()?;
    let attempt = SignIn {
        email: email_field(&email)?,
        password: password_attempt_field("password", &password)?,
        client: client_address(),
        device: device_token(),
    };
    // The email tried, never the password.
    let mut event = AuditEvent::by_email(Action::SignIn, &attempt.email);
    let signed_in = match accounts()?.log_in(attempt).await {
        Ok(signed_in) => signed_in,
        Err(err) => {
            // Only a judged guess: a throttled one was refused before it was judged, so the
            // log grows no faster than the throttle lets guesses through.
            if matches!(&err, AppError::Invalid { field, .. } if field == "password") {
                event.action = Action::SignInFailed;
                record(event).await;
            }
            return Err(err);
        }
    };
    record(event).await;
    start_session(&signed_in.session);
    if let Some(device) = &signed_in.device {
        remember_device(device);
    }
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

/// Signs out: the session ends on the server, not just in this browser.
#[server]
pub async fn log_out() -> Result<(), AppError> {
    use crate::api::audit::Action;
    use crate::api::ctx::{accounts, caller, end_session, record, session_token, AuditEvent};

    if let Some(token) = session_token() {
        accounts()?.log_out(token).await?;
        if caller().user.is_some() {
            record(AuditEvent::by_caller(Action::SignOut)).await;
        }
    }
    end_session();
    leptos_axum::redirect("/login");
    Ok(())
}

/// Changes the signed-in user's password; every other session of theirs ends.
#[server]
pub async fn change_password(current: String, new: String) -> Result<(), AppError> {
    use crate::api::audit::Action;
    use crate::api::ctx::{
        accounts, client_address, record, require_user, start_session, AuditEvent,
    };

    let user = require_user()?;
    let current = password_attempt_field("current", &current)?;
    let new = new_password_field("new", &new)?;
    let session = accounts()?
        .change_password(user.id, current, new, client_address())
        .await?;
    record(AuditEvent::by_caller(Action::PasswordChanged)).await;
    start_session(&session);
    Ok(())
}

/// Where to go after signing in: only a path on this site, never another site.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if is_local_path(path) => path.to_owned(),
        _ => "/".to_owned(),
    }
}

/// Whether `path` can only mean a page of this site. It must start with exactly one `/`:
/// browsers read `//host` and `/\host` as another site. And it may hold only printable ASCII
/// other than `\`: browsers drop tabs and line breaks inside a URL, so `/<TAB>/host` would
/// become `//host`, and anything else would not be a valid `Location` header.
fn is_local_path(path: &str) -> bool {
    const LONGEST: usize = 2048;
    path.len() <= LONGEST
        && path.starts_with('/')
        && !path[1..].starts_with(['/', '\\'])
        && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/maps/1")), "/maps/1");
        assert_eq!(safe_next(Some("/maps/1?x=%20y#z")), "/maps/1?x=%20y#z");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "/\tevil",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /evil.example",
            "/é",
            "/\u{7f}",
            "",
            "maps/1",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(Some(&format!("/{}", "a".repeat(3000)))), "/");
        assert_eq!(safe_next(None), "/");
    }
}
