//! The server side of the server functions: the ports they call (`Backend` for maps,
//! `Accounts` for people and access, `Feedback` for customer feedback), who is calling, and the session cookie. The `server`
//! crate implements the ports and provides them as Leptos context per request.
//! Everything here but `respond_not_found` exists only in the server build.

#[cfg(feature = "ssr")]
pub use server_only::*;

/// Marks the response being rendered as "404 Not Found". Does nothing in the browser.
pub fn respond_not_found() {
    #[cfg(feature = "ssr")]
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
}

/// The path of the page being rendered, on the server; `None` in the browser.
pub fn request_path() -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        leptos::prelude::use_context::<http::request::Parts>().map(|p| p.uri.path().to_owned())
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

/// Sends the page's Content-Security-Policy, allowing scripts only from this site plus the
/// hydration script carrying this response's nonce. Does nothing in the browser.
pub fn page_policy() {
    #[cfg(feature = "ssr")]
    {
        let nonce = leptos::nonce::use_nonce()
            .map(|n| n.to_string())
            .unwrap_or_default();
        let policy = format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
             style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self'; \
             connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'"
        );
        if let (Some(response), Ok(value)) = (
            leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
            http::HeaderValue::from_str(&policy),
        ) {
            response.append_header(http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
}

/// The text of the page's `<title>`. Leptos writes the title into the server-rendered page as
/// it is, without escaping it, so on the server it is escaped here; in the browser it is set
/// as `document.title`, which takes plain text.
pub fn page_title(title: String) -> String {
    #[cfg(feature = "ssr")]
    {
        let mut escaped = String::with_capacity(title.len());
        for c in title.chars() {
            match c {
                '&' => escaped.push_str("&amp;"),
                '<' => escaped.push_str("&lt;"),
                '>' => escaped.push_str("&gt;"),
                other => escaped.push(other),
            }
        }
        escaped
    }
    #[cfg(not(feature = "ssr"))]
    {
        title
    }
}

#[cfg(feature = "ssr")]
mod server_only {
    use std::future::Future;
    use std::net::{IpAddr, Ipv4Addr};
    use std::pin::Pin;
    use std::sync::Arc;

    use http::header::{COOKIE, SET_COOKIE};
    use http::request::Parts;
    use http::HeaderValue;
    use leptos::prelude::use_context;

    use crate::api::audit::{Action, AuditPage, AuditQuery};
    use crate::api::auth::{
        Caller, ClientAddress, NewAccount, SignIn, SignedIn, SiteSettings, User, DEVICE_COOKIE,
        SESSION_COOKIE, SHARE_COOKIE,
    };
    use crate::api::error::AppError;
    use crate::api::feedback::{
        ApiKey, Filter, Forgotten, InboxPage, MapFeedback, NewApiKey, PublicForm,
        TouchpointFeedback,
    };
    use crate::api::history::{HistoryEntry, Version};
    use crate::api::maps::{MapSnapshot, MapSummary};
    use crate::api::recovery::EmailStatus;
    use crate::api::sharing::{
        Invitation, InviteTerms, LinkSettings, MapMember, NewInvite, NewShareLink, OpenedLink,
        ShareLink,
    };
    use crate::domain::access::{Capability, Role};
    use crate::domain::account::{Email, FormToken, Password, Token};
    use crate::domain::edit::Op;
    use crate::domain::feedback::Period;
    use crate::domain::ids::{ApiKeyId, CardId, LinkId, MapId, Rev, UserId};
    use crate::domain::template::Template;
    use crate::domain::text::Name;

    pub type BackendFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, AppError>> + Send + 'a>>;

    /// What the server functions need to work on maps. Implementations log internal failures
    /// once and return `AppError::Internal` for them. Callers check access first.
    pub trait Backend: Send + Sync + 'static {
        /// The maps `user` may see (all of them for an admin), most recently edited first.
        fn list_maps(&self, user: &User) -> BackendFuture<'_, Vec<MapSummary>>;
        /// Creates a map owned by `owner`.
        fn create_map(
            &self,
            owner: UserId,
            template: Template,
            title: Option<Name>,
        ) -> BackendFuture<'_, MapId>;
        fn duplicate_map(&self, owner: UserId, id: MapId, title: Name) -> BackendFuture<'_, MapId>;
        fn delete_map(&self, id: MapId) -> BackendFuture<'_, ()>;
        fn load_map(&self, id: MapId) -> BackendFuture<'_, MapSnapshot>;
        /// Applies `op` as `author` and commits it before returning.
        fn apply(&self, id: MapId, op: Op, author: Name) -> BackendFuture<'_, ()>;
        /// A map's personas' names and its stages (for the landscape).
        fn outline_of(&self, id: MapId) -> BackendFuture<'_, crate::api::landscape::Outline>;
        /// Every link between maps (`domain::hierarchy`).
        fn links(&self) -> BackendFuture<'_, Vec<crate::domain::hierarchy::MapLink>>;
        /// Makes `link` (checked by the caller) its map's link of its kind.
        fn set_link(&self, link: crate::domain::hierarchy::MapLink) -> BackendFuture<'_, ()>;
        /// The persona library and which map personas follow it (`domain::library`).
        fn persona_library(
            &self,
        ) -> BackendFuture<
            '_,
            (
                Vec<crate::domain::library::LibraryPersona>,
                Vec<crate::domain::library::PersonaLink>,
            ),
        >;
        /// Adds or replaces a library persona (checked by the caller).
        fn save_library_persona(
            &self,
            persona: crate::domain::library::LibraryPersona,
        ) -> BackendFuture<'_, ()>;
        /// Deletes a library persona; maps keep their copies, no longer linked.
        fn delete_library_persona(
            &self,
            id: crate::domain::ids::LibraryId,
        ) -> BackendFuture<'_, ()>;
        /// Makes a map's persona follow a library persona.
        fn link_persona(&self, link: crate::domain::library::PersonaLink) -> BackendFuture<'_, ()>;
        /// A map's persona stops following the library.
        fn unlink_persona(
            &self,
            map: MapId,
            persona: crate::domain::ids::PersonaId,
        ) -> BackendFuture<'_, ()>;
        /// The library's metric definitions (`domain::definitions`).
        fn metric_library(
            &self,
        ) -> BackendFuture<'_, Vec<crate::domain::definitions::MetricDefinition>>;
        /// Each metric definition with a map that took a target from it, in one read.
        fn metric_uses(&self) -> BackendFuture<'_, Vec<(crate::domain::ids::LibraryId, MapId)>>;
        /// Adds or replaces a metric definition and brings the targets taken from it into
        /// step; returns the maps whose targets changed.
        /// Each map's side log records its change by `by` as `what`.
        fn save_metric(
            &self,
            metric: crate::domain::definitions::MetricDefinition,
            by: UserId,
            what: String,
        ) -> BackendFuture<'_, Vec<MapId>>;
        /// Deletes a metric definition; the targets taken from it stay, as the maps' own.
        fn delete_metric(
            &self,
            id: crate::domain::ids::LibraryId,
            by: UserId,
            what: String,
        ) -> BackendFuture<'_, ()>;
        /// The library's channels (`domain::definitions`).
        fn channel_library(
            &self,
        ) -> BackendFuture<'_, Vec<crate::domain::definitions::LibraryChannel>>;
        /// Adds or replaces a channel; refused when a label would mean two channels.
        fn save_channel(
            &self,
            channel: crate::domain::definitions::LibraryChannel,
        ) -> BackendFuture<'_, ()>;
        fn delete_channel(&self, id: crate::domain::ids::LibraryId) -> BackendFuture<'_, ()>;
        /// A map's targets (`domain::targets`).
        fn targets_of(&self, id: MapId) -> BackendFuture<'_, Vec<crate::domain::targets::Target>>;
        /// Writes a value kept beside map `map` (checked by the caller) and records the change
        /// in its side log by `by` as `what`; the map's open editors are told to fetch again.
        fn change_beside(
            &self,
            map: MapId,
            after: crate::domain::beside::Beside,
            by: UserId,
            what: String,
        ) -> BackendFuture<'_, ()>;
        /// Up to `limit` entries of a map's side log, newest first, each with whether undoing it
        /// would be taken now.
        fn side_log(
            &self,
            map: MapId,
            limit: u32,
        ) -> BackendFuture<'_, Vec<(crate::domain::beside::SideEntry, bool)>>;
        /// Entry `entry` of a map's side log; `NotFound` when the map has none by that id.
        fn side_entry(
            &self,
            map: MapId,
            entry: i64,
        ) -> BackendFuture<'_, crate::domain::beside::SideEntry>;
        /// Undoes entry `entry` of a map's side log, as `by`; refused, saying why, when the value
        /// changed since.
        fn undo_beside(&self, map: MapId, entry: i64, by: UserId) -> BackendFuture<'_, ()>;
        /// The triage kept for each of a map's opportunity cards (`domain::backlog`).
        fn triage_of(
            &self,
            id: MapId,
        ) -> BackendFuture<'_, Vec<(CardId, crate::domain::backlog::Triage)>>;
        /// Sets the days between reviews of a map (`None`: no reviews).
        fn set_review_interval(&self, id: MapId, days: Option<u16>) -> BackendFuture<'_, ()>;
        /// Records that `by` reviewed the map now.
        fn mark_reviewed(&self, id: MapId, by: User) -> BackendFuture<'_, ()>;
        /// Up to `limit` changes before `before` (or the newest), newest first.
        fn history(
            &self,
            id: MapId,
            before: Option<Rev>,
            limit: usize,
        ) -> BackendFuture<'_, Vec<HistoryEntry>>;
        /// The map right after revision `rev`; `NotFound` past the current revision.
        fn map_at(&self, id: MapId, rev: Rev) -> BackendFuture<'_, MapSnapshot>;
        fn name_version(
            &self,
            id: MapId,
            rev: Rev,
            name: Name,
            author: Name,
        ) -> BackendFuture<'_, Version>;
        fn list_versions(&self, id: MapId) -> BackendFuture<'_, Vec<Version>>;
    }

    /// What the server functions need for people and access. Secrets (session, invitation and
    /// share tokens) cross this port only as the token given to, or presented by, the browser;
    /// storage keeps hashes. Guessing is throttled per `client` address and per account or link,
    /// and changes that affect someone's access reach their open live connections.
    pub trait Accounts: Send + Sync + 'static {
        fn needs_setup(&self) -> BackendFuture<'_, bool>;
        /// Creates the first admin; refused once any account exists. Returns a session token.
        fn set_up(&self, account: NewAccount) -> BackendFuture<'_, Token>;
        /// Checks a password; returns a new session.
        fn log_in(&self, attempt: SignIn) -> BackendFuture<'_, SignedIn>;
        fn log_out(&self, session: Token) -> BackendFuture<'_, ()>;
        /// Changes the password and ends every session of the user; returns a new session.
        fn change_password(
            &self,
            user: UserId,
            current: Password,
            new: Password,
            client: IpAddr,
        ) -> BackendFuture<'_, Token>;
        /// The role `user` acts with on `map` (`None`: no access).
        fn role(&self, user: &User, map: MapId) -> BackendFuture<'_, Option<Role>>;
        /// Mails a password-reset link to `email` if it has an account. Answers the same
        /// either way, before looking; refused while mail is off.
        fn request_password_reset(&self, email: Email, client: IpAddr) -> BackendFuture<'_, ()>;
        /// Whether a password-reset link can still be used.
        fn reset_link_live(&self, token: Token) -> BackendFuture<'_, bool>;
        /// Sets the password through a reset link (used up with it) and ends every session of
        /// the account. Returns the account's email.
        fn reset_password(
            &self,
            token: Token,
            password: Password,
            client: IpAddr,
        ) -> BackendFuture<'_, String>;
        /// Whether `user`'s email is verified, and whether mail is on.
        fn email_status(&self, user: UserId) -> BackendFuture<'_, EmailStatus>;
        /// The stages of `map` that have an owner, with that owner (still a member).
        fn stage_owners(
            &self,
            map: MapId,
        ) -> BackendFuture<'_, Vec<(crate::domain::ids::StageId, UserId)>>;
        /// Makes `user` (a member) the owner of `stage`, or with `None` removes its owner.
        fn set_stage_owner(
            &self,
            map: MapId,
            stage: crate::domain::ids::StageId,
            user: Option<UserId>,
        ) -> BackendFuture<'_, ()>;
        /// `user`'s notification switches.
        fn notification_settings(
            &self,
            user: UserId,
        ) -> BackendFuture<'_, crate::api::notifications::Settings>;
        /// Switches on exactly the kinds in `on` for `user`.
        fn set_notifications(
            &self,
            user: UserId,
            on: Vec<crate::api::notifications::Kind>,
        ) -> BackendFuture<'_, ()>;
        /// Mails `user` a new link to verify its email (throttled; nothing if verified).
        fn resend_verification(&self, user: User) -> BackendFuture<'_, ()>;
        /// Uses an email verification link; returns the email it verified.
        fn verify_email(&self, token: Token) -> BackendFuture<'_, String>;

        fn users(&self) -> BackendFuture<'_, Vec<User>>;
        fn remove_user(&self, user: UserId) -> BackendFuture<'_, ()>;
        fn set_admin(&self, user: UserId, admin: bool) -> BackendFuture<'_, ()>;
        fn create_invite(&self, by: UserId, terms: InviteTerms) -> BackendFuture<'_, NewInvite>;
        fn invite_info(&self, token: Token) -> BackendFuture<'_, Invitation>;
        /// Creates the account an invitation offers; returns its session and the map joined.
        fn accept_invite(
            &self,
            token: Token,
            account: NewAccount,
            client: IpAddr,
        ) -> BackendFuture<'_, (Token, Option<MapId>)>;

        fn map_members(&self, map: MapId) -> BackendFuture<'_, Vec<MapMember>>;
        fn add_member(&self, map: MapId, email: Email, role: Role) -> BackendFuture<'_, ()>;
        fn set_member_role(
            &self,
            map: MapId,
            user: UserId,
            role: Option<Role>,
        ) -> BackendFuture<'_, ()>;
        fn share_links(&self, map: MapId) -> BackendFuture<'_, Vec<ShareLink>>;
        fn create_share_link(
            &self,
            map: MapId,
            by: UserId,
            settings: LinkSettings,
        ) -> BackendFuture<'_, NewShareLink>;
        fn revoke_share_link(&self, map: MapId, link: LinkId) -> BackendFuture<'_, ()>;
        /// The link a share token names, if it is live (and unlocked, with a password).
        fn open_share(&self, token: Token, grant: Option<Token>) -> BackendFuture<'_, OpenedLink>;
        /// Checks a share link's password; returns a grant for this browser to remember.
        fn unlock_share(
            &self,
            token: Token,
            password: Password,
            client: IpAddr,
        ) -> BackendFuture<'_, Token>;
    }

    /// What the server functions need for customer feedback. Callers check access first,
    /// except for `public_form`, which anyone holding the token may see.
    pub trait Feedback: Send + Sync + 'static {
        fn map_feedback(&self, map: MapId, filter: Filter) -> BackendFuture<'_, MapFeedback>;
        fn touchpoint(
            &self,
            map: MapId,
            card: CardId,
            filter: Filter,
            period: Period,
        ) -> BackendFuture<'_, TouchpointFeedback>;
        fn inbox(
            &self,
            map: MapId,
            unhappy_only: bool,
            before: Option<i64>,
            limit: usize,
        ) -> BackendFuture<'_, InboxPage>;
        fn set_followed_up(&self, map: MapId, response: i64, done: bool) -> BackendFuture<'_, ()>;
        fn form_token(&self, map: MapId, card: CardId, renew: bool) -> BackendFuture<'_, String>;
        fn public_form(&self, token: FormToken) -> BackendFuture<'_, PublicForm>;
        fn api_keys(&self, map: MapId) -> BackendFuture<'_, Vec<ApiKey>>;
        fn create_api_key(
            &self,
            map: MapId,
            by: UserId,
            label: Name,
        ) -> BackendFuture<'_, NewApiKey>;
        fn revoke_api_key(&self, map: MapId, key: ApiKeyId) -> BackendFuture<'_, ()>;
        fn event_retention(&self, map: MapId) -> BackendFuture<'_, Option<u32>>;
        fn set_event_retention(&self, map: MapId, days: Option<u32>) -> BackendFuture<'_, u64>;
        fn forget_customer(&self, map: MapId, reference: String) -> BackendFuture<'_, Forgotten>;
        /// What customers did on `map` under `filter`: the funnel and each touchpoint's figures.
        fn journey(
            &self,
            map: MapId,
            filter: Filter,
        ) -> BackendFuture<'_, crate::api::journey::JourneyFigures>;
    }

    /// One action for the audit log, as the code that did it describes it. Never a secret:
    /// no password, token or key's secret goes into any of its fields.
    #[derive(Clone, Debug)]
    pub struct AuditEvent {
        pub action: Action,
        pub actor: Option<UserId>,
        /// The email at the time (or "API key …", "anonymous"), readable after the account goes.
        pub actor_label: String,
        pub map: Option<MapId>,
        pub target: Option<String>,
        pub detail: Option<String>,
        pub ip: Option<IpAddr>,
    }

    impl AuditEvent {
        /// `action` by the signed-in caller of this request (or "anonymous"), from its address.
        pub fn by_caller(action: Action) -> AuditEvent {
            let user = caller().user;
            AuditEvent {
                action,
                actor: user.as_ref().map(|u| u.id),
                actor_label: user.map_or_else(|| "anonymous".to_owned(), |u| u.email),
                map: None,
                target: None,
                detail: None,
                ip: Some(client_address()),
            }
        }

        /// `action` by whoever `email` names, before they are signed in (a sign-in, a new
        /// account): never the session this request may still carry.
        pub fn by_email(action: Action, email: &Email) -> AuditEvent {
            AuditEvent {
                actor: None,
                actor_label: email.to_string(),
                ..AuditEvent::by_caller(action)
            }
        }

        pub fn on_map(mut self, map: MapId) -> AuditEvent {
            self.map = Some(map);
            self
        }

        pub fn target(mut self, target: impl Into<String>) -> AuditEvent {
            self.target = Some(target.into());
            self
        }

        pub fn detail(mut self, detail: impl Into<String>) -> AuditEvent {
            self.detail = Some(detail.into());
            self
        }
    }

    /// The audit log's port.
    pub trait Audit: Send + Sync {
        /// Writes one row; an action already done is not undone should this fail.
        fn record(&self, event: AuditEvent) -> BackendFuture<'_, ()>;
        /// One page of rows matching `query`, newest first.
        fn log(&self, query: AuditQuery, rows: u32) -> BackendFuture<'_, AuditPage>;
    }

    /// The ports as Leptos context.
    #[derive(Clone)]
    pub struct ServerCtx {
        pub backend: Arc<dyn Backend>,
        pub accounts: Arc<dyn Accounts>,
        pub feedback: Arc<dyn Feedback>,
        pub audit: Arc<dyn Audit>,
    }

    fn ctx() -> Result<ServerCtx, AppError> {
        use_context::<ServerCtx>().ok_or_else(|| {
            tracing::error!("server function called without a ServerCtx in context");
            AppError::Internal
        })
    }

    /// The map port for this request.
    pub fn backend() -> Result<Arc<dyn Backend>, AppError> {
        ctx().map(|ctx| ctx.backend)
    }

    /// The accounts port for this request.
    pub fn accounts() -> Result<Arc<dyn Accounts>, AppError> {
        ctx().map(|ctx| ctx.accounts)
    }

    /// The feedback port for this request.
    pub fn feedback() -> Result<Arc<dyn Feedback>, AppError> {
        ctx().map(|ctx| ctx.feedback)
    }

    /// The audit log's port for this request.
    pub fn audit() -> Result<Arc<dyn Audit>, AppError> {
        ctx().map(|ctx| ctx.audit)
    }

    /// Records `event` once its action has succeeded. A failure to record is logged (by the
    /// port) but does not turn the done action into an error for the person who did it.
    pub async fn record(event: AuditEvent) {
        if let Ok(port) = audit() {
            let _ = port.record(event).await;
        }
    }

    fn parts() -> Option<Parts> {
        use_context::<Parts>()
    }

    /// Who is calling; nobody when the middleware found no valid session.
    pub fn caller() -> Caller {
        parts()
            .and_then(|p| p.extensions.get::<Caller>().cloned())
            .unwrap_or_default()
    }

    /// The signed-in user, or `Unauthenticated`.
    pub fn require_user() -> Result<User, AppError> {
        caller().user.ok_or(AppError::Unauthenticated)
    }

    /// The signed-in admin, or `Unauthenticated` / `Forbidden`.
    pub fn require_admin() -> Result<User, AppError> {
        let user = require_user()?;
        if !user.is_admin {
            return Err(AppError::Forbidden);
        }
        Ok(user)
    }

    /// The guard every map server function starts with: the caller must be signed in and hold a
    /// role on `map` that may do `needed` (see `Role::may`). A map the caller may not see at all
    /// reads as not found, so its existence does not leak. Returns the caller and their role.
    pub async fn authorize(map: MapId, needed: Capability) -> Result<(User, Role), AppError> {
        let user = require_user()?;
        let held = accounts()?.role(&user, map).await?;
        match held {
            None => Err(AppError::NotFound),
            Some(held) if !held.may(needed) => Err(AppError::Forbidden),
            Some(held) => Ok((user, held)),
        }
    }

    /// The caller's display name, for the authorship of changes.
    pub fn author_name() -> Name {
        caller()
            .user
            .and_then(|u| Name::parse(&u.name).ok())
            .unwrap_or_else(Name::someone)
    }

    fn cookie(name: &str) -> Option<String> {
        let parts = parts()?;
        parts
            .headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.to_owned())
    }

    /// The session token this request presented, if any.
    pub fn session_token() -> Option<Token> {
        cookie(SESSION_COOKIE).and_then(|raw| Token::parse(&raw))
    }

    /// The device cookie this browser holds, if any.
    pub fn device_token() -> Option<Token> {
        cookie(DEVICE_COOKIE).and_then(|raw| Token::parse(&raw))
    }

    /// Remembers this browser as one that signed in (for a year, only for server functions).
    pub fn remember_device(device: &Token) {
        set_cookie_at(
            DEVICE_COOKIE,
            device.as_str(),
            Some(365 * 24 * 3600),
            "/api",
        );
    }

    /// The share-link grant this browser holds, if any.
    pub fn share_grant() -> Option<Token> {
        cookie(SHARE_COOKIE).and_then(|raw| Token::parse(&raw))
    }

    /// The caller's network address, for throttling. The middleware always provides it; a
    /// request without one (a test calling a function directly) counts as one unknown address.
    pub fn client_address() -> IpAddr {
        parts()
            .and_then(|p| p.extensions.get::<ClientAddress>().map(|a| a.0))
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }

    fn set_cookie(name: &str, value: &str, max_age: Option<i64>) {
        set_cookie_at(name, value, max_age, "/");
    }

    /// The site's settings, as the middleware put them in the request (defaults without it).
    pub fn site_settings() -> SiteSettings {
        parts()
            .and_then(|p| p.extensions.get::<SiteSettings>().cloned())
            .unwrap_or_default()
    }

    fn set_cookie_at(name: &str, value: &str, max_age: Option<i64>, path: &str) {
        let secure = site_settings().secure_cookies;
        let mut cookie = format!("{name}={value}; Path={path}; HttpOnly; SameSite=Lax");
        if secure {
            cookie.push_str("; Secure");
        }
        if let Some(age) = max_age {
            cookie.push_str(&format!("; Max-Age={age}"));
        }
        if let (Some(response), Ok(value)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            HeaderValue::from_str(&cookie),
        ) {
            response.append_header(SET_COOKIE, value);
        }
    }

    /// Hands this browser a new session (always a new token: no session fixation).
    pub fn start_session(token: &Token) {
        set_cookie(SESSION_COOKIE, token.as_str(), None);
    }

    /// Forgets the session in this browser.
    pub fn end_session() {
        set_cookie(SESSION_COOKIE, "", Some(0));
    }

    /// Remembers an unlocked share link in this browser.
    pub fn remember_share_grant(grant: &Token) {
        set_cookie(SHARE_COOKIE, grant.as_str(), None);
    }
}
