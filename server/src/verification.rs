//! Verifying a new account's email, while mail is on.
//!
//! An account made from an invitation that was mailed to its address is verified by
//! construction: whoever accepted it read that mailbox. Any other account made while mail is on
//! (through an invitation link passed on by hand, or the first admin's set-up) starts
//! unverified and is mailed a link, which a button on the page it opens uses (a button, not the
//! link alone: mail scanners open links); the account page says "not verified" and sends the
//! link again, at most 3 times an hour. Using a password-reset link verifies the email too, as
//! it proves the same thing. Accounts made while mail is off, before this existed, or with
//! `waymark create-admin` count as verified: nobody could have asked them.
//!
//! What an unverified account may not do: have Waymark mail on its behalf (its invitations are
//! links to copy, not mailed), and receive notification mail once there is any.

use std::time::Duration;

use app::api::auth::User;
use app::api::error::AppError;
use app::domain::account::Token;
use app::domain::ids::UserId;

use crate::accounts::{too_many, ServerAccounts};
use crate::backend::app_error;
use crate::clock::now_millis;
use crate::db::{accounts, mail as store, StoreError};
use crate::mail::{letters, Mailer};
use crate::recovery::mail_off;
use crate::secrets::{hash_token, new_token};
use crate::throttle::Rule;

/// How long a verification link works.
pub const VERIFY_DAYS: i64 = 7;
/// Verification mails one account may ask for.
const RESENDS: Rule = Rule::Limit {
    limit: 3,
    window: Duration::from_secs(3600),
};

/// In the transaction that made `user` (or asks again): marks its email unverified, stores a
/// link and queues its mail. Call `mail.wake()` once committed.
pub fn ask(
    conn: &rusqlite::Connection,
    mail: &Mailer,
    user: &User,
    now: i64,
) -> Result<(), StoreError> {
    let token = new_token()?;
    let expires = now + VERIFY_DAYS * 24 * 3600 * 1000;
    store::set_email_verified(conn, user.id, false)?;
    store::insert_verification(conn, &hash_token(&token), user.id, expires)?;
    let link = mail.link(&format!("/login?verify={token}"));
    let letter = letters::verification(&user.email, &user.name, &link, VERIFY_DAYS);
    store::queue(conn, &letter, now)
}

/// What a verification link that cannot be used says.
pub fn dead_link() -> AppError {
    AppError::Invalid {
        field: "link".into(),
        message: "this link has expired or was used already; send a new one from your account page"
            .into(),
    }
}

impl ServerAccounts {
    /// Whether `user`'s email is verified, and whether mail is on.
    pub async fn verification_status(&self, user: UserId) -> Result<(bool, bool), AppError> {
        let verified = self
            .db
            .read(move |conn| store::email_verified(conn, user))
            .await
            .map_err(app_error)?;
        Ok((verified, self.mailer().is_some()))
    }

    /// Mails `user` a new verification link, unless the email is verified already.
    pub async fn send_verification_again(&self, user: User) -> Result<(), AppError> {
        let mail = self.mailer().cloned().ok_or_else(mail_off)?;
        let key = self.throttle.key("verify-resend", user.id.to_string());
        self.throttle.attempt(&[(key, RESENDS)]).map_err(too_many)?;
        let mailer = mail.clone();
        let sent = self
            .db
            .writer()
            .write(move |conn| {
                if store::email_verified(conn, user.id)? {
                    return Ok(false);
                }
                ask(conn, &mailer, &user, now_millis())?;
                Ok(true)
            })
            .await
            .map_err(app_error)?;
        if sent {
            mail.wake();
        }
        Ok(())
    }

    /// Uses a verification link: the account's email is verified. Returns the email.
    pub async fn confirm_email(&self, token: Token) -> Result<String, AppError> {
        let hash = hash_token(token.as_str());
        self.db
            .writer()
            .write(
                move |conn| match store::use_verification(conn, &hash, now_millis())? {
                    Some(user) => accounts::email_of(conn, user).map(Some),
                    None => Ok(None),
                },
            )
            .await
            .map_err(app_error)?
            .ok_or_else(dead_link)
    }
}
