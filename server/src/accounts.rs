//! The server's implementation of `app::api::ctx::Accounts`: accounts, sessions, roles,
//! invitations and share links, with guessing throttled and password work bounded.
//!
//! Guards protect the owner of an account instead of locking them out. Every guess is counted
//! before any await (so a concurrent burst cannot slip past a limit). An address that keeps
//! failing is refused for a while; an account or link under attack makes each further guess wait
//! longer (see `throttle::Rule::Backoff`), but only for addresses that have failed recently, so
//! the right password from a clean address goes through. A browser that signed in to an account
//! before holds a device cookie for it (OWASP's "device cookies"): its sign-ins to that account
//! skip those guards and go first in the queue for the password work (`secrets::Priority`), so
//! no flood of guesses from fresh addresses can keep a returning owner out. Every change that affects someone's access is announced
//! to live connections once committed (`rooms::AccessChange`).

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use app::api::auth::{NewAccount, SignIn, SignedIn, User};
use app::api::ctx::{Accounts, BackendFuture};
use app::api::error::AppError;
use app::api::recovery::EmailStatus;
use app::api::sharing::{
    Invitation, InviteTerms, LinkSettings, MapMember, NewInvite, NewShareLink, OpenedLink,
    ShareLink,
};
use app::domain::access::{effective_role, Role, Standing};
use app::domain::account::{Email, Password, Token};
use app::domain::ids::{LinkId, MapId, StageId, UserId};
use app::domain::time::Millis;
use uuid::Uuid;

use crate::backend::app_error;
use crate::clock::now_millis;
use crate::db::{accounts as store, mail as outbox, Db, StoreError};
use crate::mail::{letters, Mailer};
use crate::rooms::{AccessChange, Rooms};
use crate::secrets::{hash_token, new_token, PasswordError, Passwords, Priority};
use crate::throttle::{network, Key, Rule, Throttle, Wait};
use crate::verification;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// How long a sign-in lasts.
const SESSION_DAYS: i64 = 30;
/// How long an invitation can be accepted.
const INVITE_DAYS: i64 = 7;
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failed guesses (passwords, invitations, share links) allowed per address.
pub(crate) const FAILURES_PER_ADDRESS: Rule = Rule::Limit {
    limit: 20,
    window: WINDOW,
};
/// Guesses against one account or link from addresses that have failed recently: a few at any
/// pace, then a growing wait between them.
const PER_TARGET: Rule = Rule::Backoff {
    free: 5,
    window: WINDOW,
    cap: Duration::from_secs(60),
};
/// Sign-ins from one remembered browser: its owner mistyping now and then, not guessing.
const PER_DEVICE: Rule = Rule::Limit {
    limit: 10,
    window: WINDOW,
};
/// Attempts to accept one invitation (a wrong email, a taken one).
const PER_INVITE: Rule = Rule::Limit {
    limit: 10,
    window: WINDOW,
};

#[derive(Clone)]
pub struct ServerAccounts {
    pub db: Db,
    pub rooms: Rooms,
    pub throttle: Throttle,
    pub passwords: Passwords,
    /// Set once any account exists; from then on `set_up` is refused without any work.
    set_up: Arc<AtomicBool>,
    /// Sends mail, when `--smtp-url` is set.
    mail: Option<Mailer>,
}

fn days_from_now(days: i64) -> i64 {
    now_millis() + days * DAY_MS
}

pub(crate) fn too_many(wait: Wait) -> AppError {
    AppError::TooManyRequests(wait.seconds())
}

pub(crate) fn password_error(err: PasswordError) -> AppError {
    match err {
        PasswordError::Busy => AppError::Busy,
        PasswordError::Store(err) => app_error(err),
    }
}

/// A guess in progress: counted against an address and a target (an account, a link) before
/// the work that tells whether it is right.
struct Guess {
    address: Key,
    target: Key,
    priority: Priority,
}

impl ServerAccounts {
    pub fn new(db: Db, rooms: Rooms) -> ServerAccounts {
        ServerAccounts {
            db,
            rooms,
            throttle: Throttle::default(),
            passwords: Passwords::for_this_machine(),
            set_up: Arc::default(),
            mail: None,
        }
    }

    /// Sends password resets and invitations with `mail` (none: mail is off).
    pub fn with_mail(self, mail: Option<Mailer>) -> ServerAccounts {
        ServerAccounts { mail, ..self }
    }

    /// The mailer, when mail is on.
    pub fn mailer(&self) -> Option<&Mailer> {
        self.mail.as_ref()
    }

    /// Tells the mail delivery that something may have been queued (and committed).
    fn wake_mail(&self) {
        if let Some(mail) = &self.mail {
            mail.wake();
        }
    }

    /// Counts a guess from `client` at `target` in `scope`, or refuses it.
    fn guess(&self, scope: &str, target: &str, client: IpAddr) -> Result<Guess, AppError> {
        let address = self.throttle.key("failures", network(client));
        let target = self.throttle.key(scope, target);
        let clean = self
            .throttle
            .attempt_guess((address, FAILURES_PER_ADDRESS), (target, PER_TARGET))
            .map_err(too_many)?;
        let priority = if clean {
            Priority::Clean
        } else {
            Priority::Suspect
        };
        Ok(Guess {
            address,
            target,
            priority,
        })
    }

    /// The guess was right: it does not count against the address, and the target's run of
    /// failures is over.
    fn guessed_right(&self, guess: &Guess) {
        self.throttle.refund(guess.address, FAILURES_PER_ADDRESS);
        self.throttle.forget(guess.target);
    }

    /// The guess could not be judged (the server was busy, or its storage failed): it does not
    /// count against the account or link. It still counts against the address, which is no
    /// longer clean: otherwise a flood of refused guesses from fresh addresses would stay clean
    /// for ever and fill the clean callers' queue.
    fn not_judged(&self, guess: &Guess) {
        self.throttle.refund(guess.target, PER_TARGET);
    }

    /// Checks `password` against `hash` for `guess`, counting the outcome.
    async fn judge(
        &self,
        guess: &Guess,
        password: &Password,
        hash: Option<String>,
    ) -> Result<bool, AppError> {
        match self
            .passwords
            .verify(password.expose(), hash, guess.priority)
            .await
        {
            Ok(true) => {
                self.guessed_right(guess);
                Ok(true)
            }
            Ok(false) => Ok(false),
            Err(err) => {
                self.not_judged(guess);
                Err(password_error(err))
            }
        }
    }

    pub(crate) async fn new_session(&self, user: UserId) -> Result<Token, AppError> {
        let token = new_token().map_err(app_error)?;
        let hash = hash_token(&token);
        let (now, expires) = (now_millis(), days_from_now(SESSION_DAYS));
        self.db
            .writer()
            .write(move |conn| store::insert_session(conn, &hash, user, now, expires))
            .await
            .map_err(app_error)?;
        Token::parse(&token).ok_or(AppError::Internal)
    }

    /// A new account's user and password hash, ready to store.
    async fn account_record(
        &self,
        account: &NewAccount,
        admin: bool,
    ) -> Result<(User, String), AppError> {
        let hash = self
            .passwords
            .hash(account.password.expose(), Priority::Clean)
            .await
            .map_err(password_error)?;
        let user = User {
            id: UserId::from_uuid(Uuid::new_v4()),
            email: account.email.to_string(),
            name: account.name.to_string(),
            is_admin: admin,
        };
        Ok((user, hash))
    }

    /// Remembers this browser for `user`: a device cookie to hand it.
    async fn new_device(&self, user: UserId) -> Result<Token, AppError> {
        let token = new_token().map_err(app_error)?;
        let hash = hash_token(&token);
        let now = now_millis();
        self.db
            .writer()
            .write(move |conn| store::insert_device(conn, &hash, user, now))
            .await
            .map_err(app_error)?;
        Token::parse(&token).ok_or(AppError::Internal)
    }

    /// The account a session token belongs to, and when the session ends.
    pub async fn session(&self, token: &Token) -> Result<Option<(User, Millis)>, AppError> {
        let (hash, now) = (hash_token(token.as_str()), now_millis());
        self.db
            .read(move |conn| store::session_user(conn, &hash, now))
            .await
            .map_err(app_error)
    }

    /// Whether the account still exists.
    pub async fn exists(&self, user: UserId) -> Result<bool, AppError> {
        self.db
            .read(move |conn| store::user_exists(conn, user))
            .await
            .map_err(app_error)
    }

    async fn is_set_up(&self) -> Result<bool, AppError> {
        if self.set_up.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let users = self.db.read(store::count_users).await.map_err(app_error)?;
        if users > 0 {
            self.set_up.store(true, Ordering::Relaxed);
        }
        Ok(users > 0)
    }

    /// The live link a share token names.
    async fn live_link(&self, token: &Token) -> Result<store::LinkRow, AppError> {
        let hash = hash_token(token.as_str());
        let link = self
            .db
            .read(move |conn| store::share_link(conn, &hash))
            .await
            .map_err(app_error)?
            .ok_or(AppError::NotFound)?;
        let expired = link.expires_at.is_some_and(|at| at <= now_millis());
        if link.revoked || expired {
            return Err(AppError::NotFound);
        }
        Ok(link)
    }

    /// Runs `change` in the writer, then tells live connections about `announce`.
    async fn write_and_announce<T: Send + 'static>(
        &self,
        announce: AccessChange,
        change: impl FnOnce(&rusqlite::Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, AppError> {
        let done = self.db.writer().write(change).await.map_err(app_error)?;
        self.rooms.access_changed(announce);
        Ok(done)
    }
}

impl Accounts for ServerAccounts {
    fn needs_setup(&self) -> BackendFuture<'_, bool> {
        Box::pin(async move { Ok(!self.is_set_up().await?) })
    }

    fn set_up(&self, account: NewAccount) -> BackendFuture<'_, Token> {
        Box::pin(async move {
            let refused = || AppError::Invalid {
                field: String::new(),
                message: "Waymark is already set up; sign in instead".into(),
            };
            // Before any password work: once set up, this costs a glance at a flag (and a pause,
            // since nobody but a script asks again).
            if self.is_set_up().await? {
                tokio::time::sleep(crate::auth::REFUSAL_DELAY).await;
                return Err(refused());
            }
            let (user, hash) = self.account_record(&account, true).await?;
            let stored = user.clone();
            let mail = self.mail.clone();
            self.db
                .writer()
                .write(move |conn| {
                    // Checked again in the writer: two first visitors cannot both win.
                    if store::count_users(conn)? > 0 {
                        return Err(StoreError::Conflict(
                            "Waymark is already set up; sign in instead".into(),
                        ));
                    }
                    let now = now_millis();
                    store::insert_user(conn, &stored, &hash, now)?;
                    match &mail {
                        Some(mail) => verification::ask(conn, mail, &stored, now),
                        None => Ok(()),
                    }
                })
                .await
                .map_err(app_error)?;
            self.wake_mail();
            self.set_up.store(true, Ordering::Relaxed);
            self.new_session(user.id).await
        })
    }

    fn log_in(&self, attempt: SignIn) -> BackendFuture<'_, SignedIn> {
        Box::pin(async move {
            let SignIn {
                email,
                password,
                client,
                device,
            } = attempt;
            // A browser that signed in to this account before is let through at once, and
            // first: the owner is never held up by guessing from elsewhere. Its own attempts
            // are counted (before anything is looked up) so a stolen cookie alone gets nowhere.
            let device_key = device
                .as_ref()
                .map(|device| self.throttle.key("device", device.as_str()));
            if let Some(key) = device_key {
                self.throttle
                    .attempt(&[(key, PER_DEVICE)])
                    .map_err(too_many)?;
            }
            let lookup = email.to_string();
            let device_hash = device.as_ref().map(|d| hash_token(d.as_str()));
            let (found, trusted_for) = self
                .db
                .read(move |conn| {
                    let found = store::user_by_email(conn, &lookup)?;
                    let trusted_for = match &device_hash {
                        Some(hash) => store::device_user(conn, hash)?,
                        None => None,
                    };
                    Ok((found, trusted_for))
                })
                .await
                .map_err(app_error)?;
            let trusted = found
                .as_ref()
                .is_some_and(|(user, _)| trusted_for == Some(user.id));
            let guess = if trusted {
                None
            } else {
                Some(self.guess("sign-in", email.as_str(), client)?)
            };
            let (user, hash) = match found {
                Some((user, hash)) => (Some(user), Some(hash)),
                None => (None, None),
            };
            let right = match &guess {
                Some(guess) => self.judge(guess, &password, hash).await?,
                None => self
                    .passwords
                    .verify(password.expose(), hash, Priority::Trusted)
                    .await
                    .map_err(password_error)?,
            };
            if !right {
                return Err(AppError::Invalid {
                    field: "password".into(),
                    message: "that email and password don't match an account".into(),
                });
            }
            let user = user.ok_or(AppError::Internal)?;
            if let Some(key) = device_key {
                // Only mistakes count against a remembered browser.
                self.throttle.refund(key, PER_DEVICE);
            }
            let session = self.new_session(user.id).await?;
            let device = if trusted {
                None
            } else {
                Some(self.new_device(user.id).await?)
            };
            Ok(SignedIn { session, device })
        })
    }

    fn log_out(&self, session: Token) -> BackendFuture<'_, ()> {
        Box::pin(async move {
            let Some((user, _)) = self.session(&session).await? else {
                return Ok(());
            };
            let hash = hash_token(session.as_str());
            self.write_and_announce(AccessChange::Account { user: user.id }, move |conn| {
                store::delete_session(conn, &hash)
            })
            .await
        })
    }

    fn change_password(
        &self,
        user: UserId,
        current: Password,
        new: Password,
        client: IpAddr,
    ) -> BackendFuture<'_, Token> {
        Box::pin(async move {
            let guess = self.guess("password", &user.to_string(), client)?;
            let hash = self
                .db
                .read(move |conn| store::password_hash(conn, user))
                .await
                .map_err(app_error)?;
            if !self.judge(&guess, &current, Some(hash)).await? {
                return Err(AppError::Invalid {
                    field: "current".into(),
                    message: "the current password is not right".into(),
                });
            }
            let hash = self
                .passwords
                .hash(new.expose(), Priority::Clean)
                .await
                .map_err(password_error)?;
            // Every session of the account ends, and with them its live connections.
            self.write_and_announce(AccessChange::Account { user }, move |conn| {
                store::set_password(conn, user, &hash)
            })
            .await?;
            self.new_session(user).await
        })
    }

    fn role(&self, user: &User, map: MapId) -> BackendFuture<'_, Option<Role>> {
        let (user_id, admin) = (user.id, user.is_admin);
        Box::pin(async move {
            let (member, exists) = self
                .db
                .read(move |conn| {
                    Ok((
                        store::member_role(conn, map, user_id)?,
                        store::map_exists(conn, map)?,
                    ))
                })
                .await
                .map_err(app_error)?;
            if !exists {
                return Ok(None);
            }
            Ok(effective_role(Standing {
                admin,
                member,
                share_link: false,
            }))
        })
    }

    fn request_password_reset(&self, email: Email, client: IpAddr) -> BackendFuture<'_, ()> {
        Box::pin(async move { self.request_reset(email, client) })
    }

    fn reset_link_live(&self, token: Token) -> BackendFuture<'_, bool> {
        Box::pin(async move { self.reset_is_live(&token).await })
    }

    fn reset_password(
        &self,
        token: Token,
        password: Password,
        client: IpAddr,
    ) -> BackendFuture<'_, String> {
        Box::pin(self.reset_password_with(token, password, client))
    }

    fn email_status(&self, user: UserId) -> BackendFuture<'_, EmailStatus> {
        Box::pin(async move {
            let (verified, mail_on) = self.verification_status(user).await?;
            Ok(EmailStatus { verified, mail_on })
        })
    }

    fn stage_owners(&self, map: MapId) -> BackendFuture<'_, Vec<(StageId, UserId)>> {
        Box::pin(async move {
            let owners = self
                .db
                .read(move |conn| crate::db::notify::stage_owners(conn, map))
                .await
                .map_err(app_error)?;
            Ok(owners
                .into_iter()
                .filter_map(|(stage, user)| Some((stage.parse().ok()?, user)))
                .collect())
        })
    }

    fn set_stage_owner(
        &self,
        map: MapId,
        stage: StageId,
        user: Option<UserId>,
    ) -> BackendFuture<'_, ()> {
        Box::pin(async move {
            let committed = self.rooms.committed(map).await.map_err(app_error)?;
            if committed.map.stage(stage).is_none() {
                return Err(AppError::Invalid {
                    field: "stage".into(),
                    message: "this map has no such stage".into(),
                });
            }
            if let Some(user) = user {
                let members = self
                    .db
                    .read(move |conn| store::members(conn, map))
                    .await
                    .map_err(app_error)?;
                if !members.iter().any(|m| m.user == user) {
                    return Err(AppError::Invalid {
                        field: "user".into(),
                        message: "a stage's owner must be a member of the map".into(),
                    });
                }
            }
            let stage = stage.to_string();
            self.db
                .writer()
                .write(move |conn| crate::db::notify::set_stage_owner(conn, map, &stage, user))
                .await
                .map_err(app_error)
        })
    }

    fn notification_settings(
        &self,
        user: UserId,
    ) -> BackendFuture<'_, app::api::notifications::Settings> {
        Box::pin(async move {
            let on = self
                .db
                .read(move |conn| crate::db::notify::switches(conn, user))
                .await
                .map_err(app_error)?;
            Ok(app::api::notifications::Settings {
                on,
                mail_on: self.mailer().is_some(),
            })
        })
    }

    fn set_notifications(
        &self,
        user: UserId,
        on: Vec<app::api::notifications::Kind>,
    ) -> BackendFuture<'_, ()> {
        use app::api::notifications::Kind;
        Box::pin(async move {
            let off: Vec<Kind> = Kind::ALL.into_iter().filter(|k| !on.contains(k)).collect();
            self.db
                .writer()
                .write(move |conn| {
                    crate::db::notify::switch(conn, user, &on, true)?;
                    crate::db::notify::switch(conn, user, &off, false)
                })
                .await
                .map_err(app_error)
        })
    }

    fn resend_verification(&self, user: User) -> BackendFuture<'_, ()> {
        Box::pin(self.send_verification_again(user))
    }

    fn verify_email(&self, token: Token) -> BackendFuture<'_, String> {
        Box::pin(self.confirm_email(token))
    }

    fn users(&self) -> BackendFuture<'_, Vec<User>> {
        Box::pin(async move { self.db.read(store::users).await.map_err(app_error) })
    }

    fn remove_user(&self, user: UserId) -> BackendFuture<'_, ()> {
        // The account's sessions go with it, and so do the share links it made: every live
        // connection checks again, not only the account's own.
        Box::pin(
            self.write_and_announce(AccessChange::Everyone, move |conn| {
                store::delete_user(conn, user)
            }),
        )
    }

    fn set_admin(&self, user: UserId, admin: bool) -> BackendFuture<'_, ()> {
        Box::pin(
            self.write_and_announce(AccessChange::Account { user }, move |conn| {
                store::set_admin(conn, user, admin)
            }),
        )
    }

    fn create_invite(&self, by: UserId, terms: InviteTerms) -> BackendFuture<'_, NewInvite> {
        Box::pin(async move {
            let token = new_token().map_err(app_error)?;
            let hash = hash_token(&token);
            let (now, expires_at) = (now_millis(), days_from_now(INVITE_DAYS));
            // An invitation bound to an address is mailed to it, in the same transaction: it
            // exists exactly when its mail is on its way.
            let mail = self.mail.clone().filter(|_| terms.email.is_some());
            let link = mail.as_ref().map(|m| m.link(&format!("/invite/{token}")));
            let emailed = self
                .db
                .writer()
                .write(move |conn| {
                    let email = terms.email.as_ref().map(Email::to_string);
                    let invite = store::NewInviteRow {
                        token_hash: &hash,
                        by,
                        offer: terms.offer,
                        email: email.as_deref(),
                        created_at: now,
                        expires_at,
                    };
                    store::insert_invite(conn, &invite)?;
                    let (Some(to), Some(link)) = (email.as_deref(), link.as_deref()) else {
                        return Ok(false);
                    };
                    // Waymark mails on behalf of verified accounts only.
                    if !outbox::email_verified(conn, by)? {
                        return Ok(false);
                    }
                    let made = store::invite(conn, &hash)?.ok_or(StoreError::NotFound)?;
                    let role = made.role.map(|r| r.label().to_lowercase());
                    let map = made.map_title.as_deref().zip(role.as_deref());
                    let letter = letters::invitation(to, &made.invited_by, map, link, INVITE_DAYS);
                    outbox::queue(conn, &letter, now)?;
                    outbox::mark_invite_mailed(conn, &hash)?;
                    Ok(true)
                })
                .await
                .map_err(app_error)?;
            if emailed {
                self.wake_mail();
            }
            Ok(NewInvite {
                token,
                expires_at,
                emailed,
            })
        })
    }

    fn invite_info(&self, token: Token) -> BackendFuture<'_, Invitation> {
        Box::pin(async move {
            let hash = hash_token(token.as_str());
            let invite = self
                .db
                .read(move |conn| store::invite(conn, &hash))
                .await
                .map_err(app_error)?
                .filter(|i| !i.used && i.expires_at > now_millis())
                .ok_or(AppError::NotFound)?;
            Ok(Invitation {
                invited_by: invite.invited_by,
                map_title: invite.map_title,
                role: invite.role,
                expires_at: invite.expires_at,
                email: invite.email,
            })
        })
    }

    fn accept_invite(
        &self,
        token: Token,
        account: NewAccount,
        client: IpAddr,
    ) -> BackendFuture<'_, (Token, Option<MapId>)> {
        Box::pin(async move {
            // Counted per invitation as well as per address, before anything else: a link
            // cannot be used to probe which addresses have accounts, nor to run password work
            // without end. Only an accepted invitation does not count against the address.
            let address = self.throttle.key("failures", network(client));
            let per_invite = self.throttle.key("invite", token.as_str());
            self.throttle
                .attempt(&[(address, FAILURES_PER_ADDRESS), (per_invite, PER_INVITE)])
                .map_err(too_many)?;
            let token_hash = hash_token(token.as_str());
            let lookup = token_hash.clone();
            let invite = self
                .db
                .read(move |conn| store::invite(conn, &lookup))
                .await
                .map_err(app_error)?
                .filter(|i| !i.used && i.expires_at > now_millis())
                .ok_or(AppError::NotFound)?;
            if invite
                .email
                .as_deref()
                .is_some_and(|bound| bound != account.email.as_str())
            {
                return Err(AppError::Invalid {
                    field: "email".into(),
                    message: "this invitation is for another email address".into(),
                });
            }
            let (user, hash) = self.account_record(&account, false).await?;
            let offer = invite.map.zip(invite.role);
            let stored = user.clone();
            let mail = self.mail.clone();
            // One transaction: the invitation is used exactly once, with the account it made.
            self.db
                .writer()
                .write(move |conn| {
                    let now = now_millis();
                    // An invitation mailed to its address proves it; any other is asked.
                    let proven = outbox::invite_was_mailed(conn, &token_hash)?;
                    store::use_invite(conn, &token_hash, now)?;
                    store::insert_user(conn, &stored, &hash, now)?;
                    if let Some((map, role)) = offer {
                        store::set_member(conn, map, stored.id, Some(role))?;
                    }
                    match &mail {
                        Some(mail) if !proven => verification::ask(conn, mail, &stored, now),
                        _ => Ok(()),
                    }
                })
                .await
                .map_err(app_error)?;
            self.wake_mail();
            self.throttle.refund(address, FAILURES_PER_ADDRESS);
            let session = self.new_session(user.id).await?;
            Ok((session, invite.map))
        })
    }

    fn map_members(&self, map: MapId) -> BackendFuture<'_, Vec<MapMember>> {
        Box::pin(async move {
            self.db
                .read(move |conn| store::members(conn, map))
                .await
                .map_err(app_error)
        })
    }

    fn add_member(&self, map: MapId, email: Email, role: Role) -> BackendFuture<'_, ()> {
        Box::pin(async move {
            let user = self
                .db
                .writer()
                .write(move |conn| {
                    let (user, _) =
                        store::user_by_email(conn, email.as_str())?.ok_or_else(|| {
                            StoreError::Conflict(
                            "nobody with that email has an account yet; send them an invitation"
                                .into(),
                        )
                        })?;
                    store::set_member(conn, map, user.id, Some(role))?;
                    Ok(user.id)
                })
                .await
                .map_err(app_error)?;
            self.rooms
                .access_changed(AccessChange::Member { map, user });
            Ok(())
        })
    }

    fn set_member_role(
        &self,
        map: MapId,
        user: UserId,
        role: Option<Role>,
    ) -> BackendFuture<'_, ()> {
        Box::pin(
            self.write_and_announce(AccessChange::Member { map, user }, move |conn| {
                store::set_member(conn, map, user, role)
            }),
        )
    }

    fn share_links(&self, map: MapId) -> BackendFuture<'_, Vec<ShareLink>> {
        Box::pin(async move {
            let now = now_millis();
            self.db
                .read(move |conn| store::share_links(conn, map, now))
                .await
                .map_err(app_error)
        })
    }

    fn create_share_link(
        &self,
        map: MapId,
        by: UserId,
        settings: LinkSettings,
    ) -> BackendFuture<'_, NewShareLink> {
        Box::pin(async move {
            let token = new_token().map_err(app_error)?;
            let token_hash = hash_token(&token);
            let password_hash = match &settings.password {
                Some(password) => Some(
                    self.passwords
                        .hash(password.expose(), Priority::Clean)
                        .await
                        .map_err(password_error)?,
                ),
                None => None,
            };
            let link = ShareLink {
                id: LinkId::from_uuid(Uuid::new_v4()),
                label: settings.label.to_string(),
                expires_at: settings.days.map(|d| days_from_now(i64::from(d))),
                has_password: password_hash.is_some(),
                created_at: now_millis(),
                shows: settings.shows,
            };
            let stored = link.clone();
            self.db
                .writer()
                .write(move |conn| {
                    store::insert_share_link(
                        conn,
                        map,
                        &token_hash,
                        &stored,
                        password_hash.as_deref(),
                        by,
                    )
                })
                .await
                .map_err(app_error)?;
            Ok(NewShareLink { link, token })
        })
    }

    fn revoke_share_link(&self, map: MapId, link: LinkId) -> BackendFuture<'_, ()> {
        Box::pin(async move {
            let now = now_millis();
            // Whoever follows the map through this link right now is disconnected.
            self.write_and_announce(AccessChange::Link { link }, move |conn| {
                store::revoke_share_link(conn, map, link, now)
            })
            .await
        })
    }

    fn open_share(&self, token: Token, grant: Option<Token>) -> BackendFuture<'_, OpenedLink> {
        Box::pin(async move {
            let link = self.live_link(&token).await?;
            if link.password_hash.is_some() {
                let granted = match grant {
                    Some(grant) => {
                        let (hash, id, now) = (hash_token(grant.as_str()), link.id, now_millis());
                        self.db
                            .read(move |conn| store::has_share_grant(conn, &hash, id, now))
                            .await
                            .map_err(app_error)?
                    }
                    None => false,
                };
                if !granted {
                    return Err(AppError::Unauthenticated);
                }
            }
            Ok(OpenedLink {
                map: link.map,
                link: link.id,
                expires_at: link.expires_at,
                shows: link.shows,
            })
        })
    }

    fn unlock_share(
        &self,
        token: Token,
        password: Password,
        client: IpAddr,
    ) -> BackendFuture<'_, Token> {
        Box::pin(async move {
            let guess = self.guess("share", token.as_str(), client)?;
            // A link that does not exist is a failed guess too: it stays counted.
            let link = self.live_link(&token).await?;
            if !self
                .judge(&guess, &password, link.password_hash.clone())
                .await?
            {
                return Err(AppError::Invalid {
                    field: "password".into(),
                    message: "that password is not right".into(),
                });
            }
            let grant = new_token().map_err(app_error)?;
            let (hash, id, expires) = (hash_token(&grant), link.id, days_from_now(SESSION_DAYS));
            self.db
                .writer()
                .write(move |conn| store::insert_share_grant(conn, &hash, id, expires))
                .await
                .map_err(app_error)?;
            Token::parse(&grant).ok_or(AppError::Internal)
        })
    }
}
