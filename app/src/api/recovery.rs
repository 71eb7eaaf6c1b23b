//! Getting into an account by email: asking for a password-reset link and using it (anyone,
//! signed in or not), and confirming a new account's email. All need mail on the server.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::error::AppError;

/// The query parameter of the sign-in page that carries a reset link's token.
pub const RESET_PARAM: &str = "reset";
/// The query parameter of the sign-in page that asks for the "forgot your password" form.
pub const FORGOT_PARAM: &str = "forgot";
/// The query parameter of the sign-in page once a new password is set.
pub const DONE_PARAM: &str = "password_set";
/// The query parameter of the sign-in page that carries an email verification link's token.
pub const VERIFY_PARAM: &str = "verify";
/// The query parameter of the sign-in page once an email is verified.
pub const VERIFIED_PARAM: &str = "verified";

/// Whether the signed-in account's email is verified, and whether this Waymark sends mail.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailStatus {
    pub verified: bool,
    pub mail_on: bool,
}

/// Mails a link to set a new password to `email`, if it has an account. The answer is the
/// same either way, and comes before anything is looked up.
#[server]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    use crate::api::auth::{email_field, require_passwords_allowed};
    use crate::api::ctx::{accounts, client_address};

    // With single sign-on only, nobody signs in with a password, so nobody resets one.
    require_passwords_allowed()?;
    let email = email_field(&email)?;
    accounts()?
        .request_password_reset(email, client_address())
        .await?;
    leptos_axum::redirect(&format!("/login?{FORGOT_PARAM}=sent"));
    Ok(())
}

/// Whether a reset link can still be used.
#[server]
pub async fn reset_link_live(token: String) -> Result<bool, AppError> {
    use crate::api::ctx::accounts;
    use crate::domain::account::Token;
    let Some(token) = Token::parse(&token) else {
        return Ok(false);
    };
    accounts()?.reset_link_live(token).await
}

/// Sets a new password through a reset link, which is then used up; every session of the
/// account ends. Then the sign-in page says so.
#[server]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    use crate::api::audit::Action;
    use crate::api::auth::{new_password_field, require_passwords_allowed};
    use crate::api::ctx::{accounts, client_address, record, AuditEvent};
    use crate::domain::account::{Email, Token};

    require_passwords_allowed()?;
    // A token the server could never have made is a link that cannot be used.
    let token = Token::parse(&token).ok_or_else(|| AppError::Invalid {
        field: "link".into(),
        message: "this link has expired or was used already; ask for a new one".into(),
    })?;
    let password = new_password_field("password", &password)?;
    let email = accounts()?
        .reset_password(token, password, client_address())
        .await?;
    if let Ok(email) = Email::parse(&email) {
        record(AuditEvent::by_email(Action::PasswordReset, &email)).await;
    }
    leptos_axum::redirect(&format!("/login?{DONE_PARAM}"));
    Ok(())
}

/// The signed-in account's email status.
#[server]
pub async fn my_email_status() -> Result<EmailStatus, AppError> {
    use crate::api::ctx::{accounts, require_user};
    let user = require_user()?;
    accounts()?.email_status(user.id).await
}

/// Mails the signed-in account a new link to verify its email (a few times an hour at most).
#[server]
pub async fn resend_verification() -> Result<(), AppError> {
    use crate::api::ctx::{accounts, require_user};
    let user = require_user()?;
    accounts()?.resend_verification(user).await
}

/// Verifies an account's email through the link mailed to it; then the sign-in page says so.
#[server]
pub async fn verify_email(token: String) -> Result<(), AppError> {
    use crate::api::audit::Action;
    use crate::api::ctx::{accounts, record, AuditEvent};
    use crate::domain::account::{Email, Token};

    let token = Token::parse(&token).ok_or_else(|| AppError::Invalid {
        field: "link".into(),
        message: "this link has expired or was used already".into(),
    })?;
    let email = accounts()?.verify_email(token).await?;
    if let Ok(email) = Email::parse(&email) {
        record(AuditEvent::by_email(Action::EmailVerified, &email)).await;
    }
    leptos_axum::redirect(&format!("/login?{VERIFIED_PARAM}"));
    Ok(())
}
