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

#[cfg(feature = "ssr")]
mod server_only {
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::Arc;

    use http::header::{COOKIE, SET_COOKIE};
    use http::request::Parts;
    use http::HeaderValue;
    use leptos::prelude::use_context;

    use crate::api::auth::{
        Caller, ClientAddress, SiteSettings, User, SESSION_COOKIE, SHARE_COOKIE,
    };
    use crate::api::error::AppError;
    use crate::api::feedback::{
        ApiKey, Filter, InboxPage, MapFeedback, NewApiKey, PublicForm, TouchpointFeedback,
    };
    use crate::api::history::{HistoryEntry, Version};
    use crate::api::maps::{MapSnapshot, MapSummary, SyncReply};
    use crate::api::sharing::{Invitation, MapMember, NewInvite, NewShareLink, ShareLink};
    use crate::domain::access::Role;
    use crate::domain::edit::Op;
    use crate::domain::feedback::Period;
    use crate::domain::ids::{CardId, LinkId, MapId, Rev, UserId};
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
        /// Applies `ops` in order as `author`, each at most once, and commits them before
        /// returning. The reply carries the map's log after `since` (when given).
        fn sync_map(
            &self,
            id: MapId,
            since: Option<Rev>,
            ops: Vec<Op>,
            author: String,
        ) -> BackendFuture<'_, SyncReply>;
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
            author: String,
        ) -> BackendFuture<'_, Version>;
        fn list_versions(&self, id: MapId) -> BackendFuture<'_, Vec<Version>>;
    }

    /// What the server functions need for people and access. Secrets (session, invitation and
    /// share tokens) cross this port only as the plain token given to, or presented by, the
    /// browser; storage keeps hashes.
    pub trait Accounts: Send + Sync + 'static {
        fn needs_setup(&self) -> BackendFuture<'_, bool>;
        /// Creates the first admin; refused once any account exists. Returns a session token.
        fn set_up(
            &self,
            email: String,
            name: String,
            password: String,
        ) -> BackendFuture<'_, String>;
        /// Checks a password (throttled per `client` and per account); returns a new session.
        fn log_in(
            &self,
            email: String,
            password: String,
            client: String,
        ) -> BackendFuture<'_, String>;
        fn log_out(&self, session: String) -> BackendFuture<'_, ()>;
        /// Changes the password and ends every session of the user; returns a new session.
        fn change_password(
            &self,
            user: UserId,
            current: String,
            new: String,
        ) -> BackendFuture<'_, String>;
        /// The role `user` acts with on `map` (`None`: no access).
        fn role(&self, user: &User, map: MapId) -> BackendFuture<'_, Option<Role>>;

        fn users(&self) -> BackendFuture<'_, Vec<User>>;
        fn remove_user(&self, user: UserId) -> BackendFuture<'_, ()>;
        fn set_admin(&self, user: UserId, admin: bool) -> BackendFuture<'_, ()>;
        fn create_invite(
            &self,
            by: UserId,
            offer: Option<(MapId, Role)>,
        ) -> BackendFuture<'_, NewInvite>;
        fn invite_info(&self, token: String) -> BackendFuture<'_, Invitation>;
        /// Creates the account an invitation offers; returns its session and the map joined.
        fn accept_invite(
            &self,
            token: String,
            email: String,
            name: String,
            password: String,
            client: String,
        ) -> BackendFuture<'_, (String, Option<MapId>)>;

        fn map_members(&self, map: MapId) -> BackendFuture<'_, Vec<MapMember>>;
        fn add_member(&self, map: MapId, email: String, role: Role) -> BackendFuture<'_, ()>;
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
            label: String,
            days: Option<u32>,
            password: Option<String>,
        ) -> BackendFuture<'_, NewShareLink>;
        fn revoke_share_link(&self, map: MapId, link: LinkId) -> BackendFuture<'_, ()>;
        /// The map a share token opens, if the link is live (and unlocked, with a password).
        fn open_share(
            &self,
            token: String,
            grant: Option<String>,
        ) -> BackendFuture<'_, (MapId, LinkId)>;
        /// Checks a share link's password; returns a grant for this browser to remember.
        fn unlock_share(
            &self,
            token: String,
            password: String,
            client: String,
        ) -> BackendFuture<'_, String>;
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
        fn public_form(&self, token: String) -> BackendFuture<'_, PublicForm>;
        fn api_keys(&self, map: MapId) -> BackendFuture<'_, Vec<ApiKey>>;
        fn create_api_key(
            &self,
            map: MapId,
            by: UserId,
            label: String,
        ) -> BackendFuture<'_, NewApiKey>;
        fn revoke_api_key(&self, map: MapId, key: String) -> BackendFuture<'_, ()>;
    }

    /// The ports as Leptos context.
    #[derive(Clone)]
    pub struct ServerCtx {
        pub backend: Arc<dyn Backend>,
        pub accounts: Arc<dyn Accounts>,
        pub feedback: Arc<dyn Feedback>,
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

    /// The guard every map server function starts with: the caller must be signed in and hold
    /// at least `needed` on `map`. A map the caller may not see at all reads as not found, so
    /// its existence does not leak. Returns the caller's id.
    pub async fn authorize(map: MapId, needed: Role) -> Result<UserId, AppError> {
        let user = require_user()?;
        let held = accounts()?.role(&user, map).await?;
        match held {
            None => Err(AppError::NotFound),
            Some(held) if held < needed => Err(AppError::Forbidden),
            Some(_) => Ok(user.id),
        }
    }

    /// The caller's display name, for the authorship of changes.
    pub fn author_name() -> String {
        caller()
            .user
            .map_or_else(|| "Someone".to_owned(), |u| u.name)
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
    pub fn session_token() -> Option<String> {
        cookie(SESSION_COOKIE)
    }

    /// The share-link grant this browser holds, if any.
    pub fn share_grant() -> Option<String> {
        cookie(SHARE_COOKIE)
    }

    /// A key for the caller's network address, for throttling.
    pub fn client_address() -> String {
        parts()
            .and_then(|p| p.extensions.get::<ClientAddress>().map(|a| a.0.clone()))
            .unwrap_or_else(|| "unknown".to_owned())
    }

    fn set_cookie(name: &str, value: &str, max_age: Option<i64>) {
        let secure = parts()
            .and_then(|p| p.extensions.get::<SiteSettings>().cloned())
            .unwrap_or_default()
            .secure_cookies;
        let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
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
    pub fn start_session(token: &str) {
        set_cookie(SESSION_COOKIE, token, None);
    }

    /// Forgets the session in this browser.
    pub fn end_session() {
        set_cookie(SESSION_COOKIE, "", Some(0));
    }

    /// Remembers an unlocked share link in this browser.
    pub fn remember_share_grant(grant: &str) {
        set_cookie(SHARE_COOKIE, grant, None);
    }
}
