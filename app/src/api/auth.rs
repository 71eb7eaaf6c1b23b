//! Accounts and sessions: first-run setup, signing in and out, the password, and who is calling.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::error::AppError;
use crate::domain::ids::UserId;

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted (argon2 takes longer on longer input; nobody types more).
pub const MAX_PASSWORD_CHARS: usize = 256;

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

/// The caller's network address as the server saw it (for throttling).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientAddress(pub String);

/// Site-wide facts the server's middleware hands to server functions with each request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SiteSettings {
    /// Mark cookies `Secure` (the site is served over HTTPS).
    pub secure_cookies: bool,
}

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "waymark_session";
/// The name of the cookie that remembers an unlocked, password-protected share link.
pub const SHARE_COOKIE: &str = "waymark_share";

/// Checks a new password's length (its strength is the user's business beyond that).
pub fn check_password(password: &str) -> Result<(), AppError> {
    let count = password.chars().count();
    if count < MIN_PASSWORD_CHARS {
        return Err(AppError::Invalid {
            field: "password".into(),
            message: format!("use at least {MIN_PASSWORD_CHARS} characters"),
        });
    }
    if count > MAX_PASSWORD_CHARS {
        return Err(AppError::Invalid {
            field: "password".into(),
            message: format!("use at most {MAX_PASSWORD_CHARS} characters"),
        });
    }
    Ok(())
}

/// A normalised email address: trimmed, lower-case, one `@` with text on both sides.
pub fn parse_email(raw: &str) -> Result<String, AppError> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        })
        && !email.chars().any(char::is_whitespace);
    if !valid {
        return Err(AppError::Invalid {
            field: "email".into(),
            message: "enter an email address like name@example.com".into(),
        });
    }
    Ok(email)
}

/// The signed-in user, if any.
#[server]
pub async fn current_user() -> Result<Option<User>, AppError> {
    use crate::api::ctx::caller;
    Ok(caller().user)
}

/// Whether this Waymark still needs its first admin account.
#[server]
pub async fn needs_setup() -> Result<bool, AppError> {
    use crate::api::ctx::accounts;
    accounts()?.needs_setup().await
}

/// Creates the first admin account and signs it in. Refused once any account exists.
#[server]
pub async fn set_up(email: String, name: String, password: String) -> Result<(), AppError> {
    use crate::api::ctx::{accounts, start_session};
    use crate::domain::text::Name;

    let email = parse_email(&email)?;
    let name = Name::parse(&name).map_err(|e| AppError::invalid("name", e))?;
    check_password(&password)?;
    let session = accounts()?
        .set_up(email, name.to_string(), password)
        .await?;
    start_session(&session);
    leptos_axum::redirect("/");
    Ok(())
}

/// Signs in; attempts are throttled per address and per account.
#[server]
pub async fn log_in(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use crate::api::ctx::{accounts, client_address, start_session};

    let email = email.trim().to_lowercase();
    let session = accounts()?
        .log_in(email, password, client_address())
        .await?;
    start_session(&session);
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

/// Signs out: the session ends on the server, not just in this browser.
#[server]
pub async fn log_out() -> Result<(), AppError> {
    use crate::api::ctx::{accounts, end_session, session_token};

    if let Some(token) = session_token() {
        accounts()?.log_out(token).await?;
    }
    end_session();
    leptos_axum::redirect("/login");
    Ok(())
}

/// Changes the signed-in user's password; every other session of theirs ends.
#[server]
pub async fn change_password(current: String, new: String) -> Result<(), AppError> {
    use crate::api::ctx::{accounts, require_user, start_session};

    let user = require_user()?;
    check_password(&new)?;
    let session = accounts()?.change_password(user.id, current, new).await?;
    start_session(&session);
    Ok(())
}

/// Where to go after signing in: only a path on this site, never another site.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_passwords_are_checked() {
        assert_eq!(parse_email(" Ana@Example.COM ").unwrap(), "ana@example.com");
        for bad in ["", "ana", "@example.com", "ana@example", "a na@example.com"] {
            assert!(parse_email(bad).is_err(), "{bad}");
        }
        assert!(check_password("short").is_err());
        assert!(check_password("long enough!").is_ok());
    }

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/maps/1")), "/maps/1");
        for bad in [
            Some("//evil.example"),
            Some("https://evil.example"),
            Some("/\\evil"),
            None,
        ] {
            assert_eq!(safe_next(bad), "/");
        }
    }
}
