//! Password resets by email: "Forgot your password?" on the sign-in page.
//!
//! Asking for a reset always gets the same answer, at once: the account is looked up, and the
//! reset and its mail queued, in a task of their own after the answer has gone, so neither the
//! answer nor its timing tells whether an address has an account. Asking is limited per client
//! address (refused beyond it, which tells the asker only about themselves) and per email
//! (beyond it, quietly nothing is sent), so nobody can flood an inbox. A reset's token is
//! random, stored as a hash, works once and for an hour; using it sets the password, ends every
//! session of the account (and with them its live connections) and uses up its other resets.

use std::net::IpAddr;
use std::time::Duration;

use app::api::audit::Action;
use app::api::ctx::AuditEvent;
use app::api::error::AppError;
use app::domain::account::{Email, Password, Token};

use crate::accounts::{password_error, too_many, ServerAccounts, FAILURES_PER_ADDRESS};
use crate::backend::app_error;
use crate::clock::now_millis;
use crate::db::{accounts as store, mail as outbox, Db, StoreError};
use crate::mail::{letters, Mailer};
use crate::rooms::AccessChange;
use crate::secrets::{hash_token, new_token, Priority};
use crate::throttle::{network, Rule};

/// How long a reset link works.
pub const RESET_MINUTES: i64 = 60;
/// Resets one client address may ask for.
const PER_ADDRESS: Rule = Rule::Limit {
    limit: 10,
    window: Duration::from_secs(15 * 60),
};
/// Reset mails one address may receive.
const PER_EMAIL: Rule = Rule::Limit {
    limit: 3,
    window: Duration::from_secs(3600),
};

/// What a reset link that cannot be used says.
pub fn dead_link() -> AppError {
    AppError::Invalid {
        field: "link".into(),
        message: "this link has expired or was used already; ask for a new one".into(),
    }
}

/// What asking for a reset says while mail is off.
pub fn mail_off() -> AppError {
    AppError::Invalid {
        field: "email".into(),
        message: "this Waymark is not set up to send email; ask whoever runs it to help you in"
            .into(),
    }
}

impl ServerAccounts {
    /// Asks for a reset link to be mailed to `email`, if it has an account. Answers before
    /// anything is looked up.
    pub fn request_reset(&self, email: Email, client: IpAddr) -> Result<(), AppError> {
        let mail = self.mailer().cloned().ok_or_else(mail_off)?;
        let address = self.throttle.key("reset-address", network(client));
        self.throttle
            .attempt(&[(address, PER_ADDRESS)])
            .map_err(too_many)?;
        let inbox = self.throttle.key("reset-email", email.as_str());
        if self.throttle.attempt(&[(inbox, PER_EMAIL)]).is_err() {
            // The same answer as any other: the owner's inbox just gets no more for a while.
            return Ok(());
        }
        let db = self.db.clone();
        tokio::spawn(async move {
            if let Err(err) = issue(&db, &mail, &email, client).await {
                tracing::error!(%err, "could not queue a password reset");
            }
        });
        Ok(())
    }

    /// Whether a reset link can still be used (the page says so before asking for a password).
    pub async fn reset_is_live(&self, token: &Token) -> Result<bool, AppError> {
        let (hash, now) = (hash_token(token.as_str()), now_millis());
        self.db
            .read(move |conn| outbox::reset_is_live(conn, &hash, now))
            .await
            .map_err(app_error)
    }

    /// Sets the password of the account a reset link names, using the link up; every session
    /// of the account ends. Returns the account's email.
    pub async fn reset_password_with(
        &self,
        token: Token,
        password: Password,
        client: IpAddr,
    ) -> Result<String, AppError> {
        // Tokens cannot be guessed, but trying costs password work: counted per address.
        let address = self.throttle.key("failures", network(client));
        self.throttle
            .attempt(&[(address, FAILURES_PER_ADDRESS)])
            .map_err(too_many)?;
        if !self.reset_is_live(&token).await? {
            return Err(dead_link());
        }
        let hash = self
            .passwords
            .hash(password.expose(), Priority::Clean)
            .await
            .map_err(password_error)?;
        let token_hash = hash_token(token.as_str());
        // Checked again as it is used, in one transaction: a link works exactly once.
        let (user, email) = self
            .db
            .writer()
            .write(move |conn| {
                let user = outbox::use_reset(conn, &token_hash, now_millis())?
                    .ok_or_else(|| StoreError::Conflict(dead_link().to_string()))?;
                store::set_password(conn, user, &hash)?;
                // The reset's mail reached its owner: the address is theirs.
                outbox::set_email_verified(conn, user, true)?;
                let email = store::email_of(conn, user)?;
                Ok((user, email))
            })
            .await
            .map_err(|err| match err {
                StoreError::Conflict(_) => dead_link(),
                other => app_error(other),
            })?;
        self.rooms.access_changed(AccessChange::Account { user });
        self.throttle.refund(address, FAILURES_PER_ADDRESS);
        Ok(email)
    }
}

/// Looks `email` up and, if it has an account, stores a reset and queues its mail together.
async fn issue(db: &Db, mail: &Mailer, email: &Email, client: IpAddr) -> Result<(), StoreError> {
    let token = new_token()?;
    let hash = hash_token(&token);
    let link = mail.link(&format!("/login?reset={token}"));
    let lookup = email.to_string();
    let now = now_millis();
    let user = db
        .writer()
        .write(move |conn| {
            let Some((user, _)) = store::user_by_email(conn, &lookup)? else {
                return Ok(None);
            };
            let expires = now + RESET_MINUTES * 60 * 1000;
            outbox::insert_reset(conn, &hash, user.id, now, expires)?;
            let letter = letters::password_reset(&user.email, &user.name, &link, RESET_MINUTES);
            outbox::queue(conn, &letter, now)?;
            // Resets that can no longer be used are of no further interest.
            outbox::prune_resets(conn, now)?;
            Ok(Some(user))
        })
        .await?;
    if let Some(user) = user {
        mail.wake();
        let event = AuditEvent {
            action: Action::PasswordResetRequested,
            actor: Some(user.id),
            actor_label: user.email,
            map: None,
            target: None,
            detail: None,
            ip: Some(client),
        };
        crate::audit::record(db, event).await?;
    }
    Ok(())
}
