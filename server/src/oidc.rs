//! Single sign-on with the organisation's OpenID provider (Google Workspace, Microsoft Entra,
//! Keycloak, Authentik…): OpenID Connect's authorization code flow with PKCE, state and nonce.
//!
//! `GET /auth/oidc/start` remembers a sign-in under way (`pending`), bound to this browser by a
//! short-lived cookie, and sends the browser to the provider. `GET /auth/oidc/callback` takes
//! that sign-in out (so a state works once), exchanges the code with the PKCE verifier, has
//! `openidconnect` check the ID token (signature, issuer, audience, expiry, nonce), requires a
//! verified email, and signs in the account it matches (`account`) with the same session
//! cookie as a password sign-in. Every refusal goes back to the sign-in page as a code
//! (`/login?sso_error=…`) that the page words.
//!
//! Only what passed the state check is audited, so what an anonymous visitor can add to the
//! audit log is bounded by the sign-ins the start route lets them begin.

mod account;
mod pending;
mod provider;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::api::audit::Action;
use app::api::auth::{safe_next, SsoSettings, SESSION_COOKIE, SSO_START};
use app::api::ctx::AuditEvent;
use app::domain::account::Email;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use openidconnect::core::CoreAuthenticationFlow;
use openidconnect::url::form_urlencoded;
use openidconnect::{CsrfToken, Nonce, PkceCodeChallenge, Scope};
use serde::Deserialize;

use crate::audit::Address;
use crate::http::HttpError;
use crate::oidc::account::{display_name, match_account, Matched};
use crate::oidc::pending::{Entry, Pending};
use crate::oidc::provider::{Provider, ProviderError};
use crate::secrets::{hash_token, new_token};
use crate::state::AppState;
use crate::throttle::{network, Rule};

pub const START: &str = SSO_START;
pub const CALLBACK: &str = "/auth/oidc/callback";
/// The cookie binding a sign-in under way to the browser that began it.
const BINDING_COOKIE: &str = "waymark_sso";
/// Sign-ins one address may begin and not finish: plenty for an office behind one address (a
/// finished one is not counted), few enough that nobody fills `pending` alone.
const STARTS_PER_ADDRESS: Rule = Rule::Limit {
    limit: 60,
    window: Duration::from_secs(15 * 60),
};
/// Longest audit detail kept from a provider's error text.
const MAX_DETAIL_CHARS: usize = 200;

/// Single sign-on as configured (`--oidc-*`), checked by `config`.
#[derive(Clone, PartialEq, Eq)]
pub struct Settings {
    /// The issuer, whose `/.well-known/openid-configuration` describes the provider.
    pub issuer: String,
    pub client_id: String,
    /// Absent for a public client (PKCE alone).
    pub client_secret: Option<String>,
    /// Where the provider sends the browser back: this site's `CALLBACK`.
    pub redirect_url: String,
    /// Lower-case domains whose verified emails get an account without an invitation.
    pub allowed_domains: Vec<String>,
    /// Password sign-in is off.
    pub only: bool,
    /// The provider's name on the sign-in button.
    pub label: String,
}

impl fmt::Debug for Settings {
    // Never the client secret, wherever the settings are logged.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("redirect_url", &self.redirect_url)
            .field("allowed_domains", &self.allowed_domains)
            .field("only", &self.only)
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

/// Single sign-on at work: the settings, the provider, and the sign-ins under way.
pub struct Sso {
    settings: Settings,
    provider: Provider,
    pending: Pending,
    shown: Arc<SsoSettings>,
}

impl Sso {
    pub fn new(settings: Settings) -> Result<Sso, String> {
        Ok(Sso {
            provider: Provider::new(&settings)?,
            pending: Pending::default(),
            shown: Arc::new(SsoSettings {
                label: settings.label.clone(),
                only: settings.only,
            }),
            settings,
        })
    }

    /// What pages show of it (handed to server functions with each request).
    pub fn shown(&self) -> Arc<SsoSettings> {
        self.shown.clone()
    }

    /// Discovers the provider once, logging the outcome, so a wrong issuer shows at start.
    pub async fn warm_up(&self) {
        match self.provider.client().await {
            Ok(_) => tracing::info!(issuer = %self.settings.issuer, "single sign-on is ready"),
            Err(err) => {
                tracing::warn!(issuer = %self.settings.issuer, %err, "single sign-on is not ready yet; it retries when someone signs in")
            }
        }
    }
}

/// The two routes; without single sign-on configured they answer 404.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(START, get(start))
        .route(CALLBACK, get(callback))
}

#[derive(Deserialize)]
struct StartQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
}

fn not_configured() -> Response {
    HttpError::not_found("single sign-on is not configured").into_response()
}

/// `GET /auth/oidc/start?next=/path`: off to the provider.
async fn start(
    State(state): State<AppState>,
    Address(client): Address,
    Query(query): Query<StartQuery>,
) -> Response {
    let Some(sso) = state.sso.clone() else {
        return not_configured();
    };
    let address = client.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let throttle = &state.accounts.throttle;
    let key = throttle.key("sso-start", network(address));
    if let Err(wait) = throttle.attempt(&[(key, STARTS_PER_ADDRESS)]) {
        return HttpError::too_many(wait, "too many sign-ins from your address; try again later")
            .into_response();
    }
    let client = match sso.provider.client().await {
        Ok(client) => client,
        Err(err) => {
            tracing::warn!(%err, "single sign-on cannot start");
            return to_login("unavailable", None);
        }
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    let Ok(binding) = new_token() else {
        return to_login("error", None);
    };
    let entry = Entry {
        binding: hash_token(&binding),
        verifier,
        nonce,
        next: safe_next(query.next.as_deref()),
        counted: key,
        born: Instant::now(),
    };
    if sso.pending.insert(csrf.secret().clone(), entry).is_err() {
        tracing::warn!("single sign-on refused a start: too many sign-ins under way");
        return to_login("busy", None);
    }
    let lifetime = pending::LIFETIME.as_secs();
    let cookie = cookie(
        &state,
        BINDING_COOKIE,
        &binding,
        "/auth/oidc",
        Some(lifetime),
    );
    ([(SET_COOKIE, cookie)], Redirect::to(url.as_str())).into_response()
}

/// `GET /auth/oidc/callback?state=…&code=…`: back from the provider.
async fn callback(
    State(state): State<AppState>,
    Address(client): Address,
    headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let Some(sso) = state.sso.clone() else {
        return not_configured();
    };
    let binding = crate::auth::cookie(&headers, BINDING_COOKIE);
    let entry = match (&query.state, &binding) {
        (Some(s), Some(b)) => sso.pending.take(s, &hash_token(b), Instant::now()),
        _ => None,
    };
    let Some(entry) = entry else {
        // Replayed, forged, from another browser or too old. Not audited: anyone can send it.
        tracing::info!("single sign-on callback with an unknown, used or expired state");
        return to_login("expired", None);
    };
    let audit = Audit {
        state: &state,
        ip: client,
    };
    if let Some(error) = query.error {
        tracing::info!(%error, "the provider did not sign someone in");
        return to_login("denied", None);
    }
    let Some(code) = query.code else {
        return to_login("refused", None);
    };
    let identity = match sso.provider.client().await {
        Ok(client) => {
            sso.provider
                .identify(&client, code, entry.verifier, &entry.nonce)
                .await
        }
        Err(err) => Err(err),
    };
    let identity = match identity {
        Ok(identity) => identity,
        Err(err @ ProviderError::Unreachable(_)) => {
            tracing::warn!(%err, "single sign-on failed");
            return to_login("unavailable", None);
        }
        Err(err @ ProviderError::Refused(_)) => {
            tracing::warn!(%err, "single sign-on refused the provider's answer");
            audit.refused(None, &err.to_string()).await;
            return to_login("refused", None);
        }
    };
    let Some(email) = identity.email.as_deref().and_then(|e| Email::parse(e).ok()) else {
        audit
            .refused(None, "the provider gave no usable email")
            .await;
        return to_login("refused", None);
    };
    if !identity.verified {
        audit.refused(Some(&email), "email not verified").await;
        return to_login("unverified", Some(&email));
    }
    let name = display_name(identity.name.as_deref(), &email);
    let matched = match_account(&state.accounts, &email, name, &sso.settings.allowed_domains);
    let (user, matched) = match matched.await {
        Ok(Some(found)) => found,
        Ok(None) => {
            audit
                .refused(
                    Some(&email),
                    "no account, no invitation, domain not allowed",
                )
                .await;
            return to_login("no_account", Some(&email));
        }
        Err(err) => {
            tracing::error!(%err, "single sign-on could not find or make the account");
            return to_login("error", None);
        }
    };
    let session = match state.accounts.new_session(user.id).await {
        Ok(session) => session,
        Err(err) => {
            tracing::error!(%err, "single sign-on could not start a session");
            return to_login("error", None);
        }
    };
    state
        .accounts
        .throttle
        .refund(entry.counted, STARTS_PER_ADDRESS);
    audit.signed_in(&user, matched).await;
    let next = match matched {
        Matched::Invited(Some(map)) if entry.next == "/" => format!("/maps/{map}"),
        _ => entry.next,
    };
    let cookies = AppendHeaders([
        (
            SET_COOKIE,
            cookie(&state, SESSION_COOKIE, session.as_str(), "/", None),
        ),
        (
            SET_COOKIE,
            cookie(&state, BINDING_COOKIE, "", "/auth/oidc", Some(0)),
        ),
    ]);
    (cookies, Redirect::to(&next)).into_response()
}

/// Back to the sign-in page, which words `code` (see `ui::pages::auth_pages`).
fn to_login(code: &str, email: Option<&Email>) -> Response {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("sso_error", code);
    if let Some(email) = email {
        query.append_pair("email", email.as_str());
    }
    Redirect::to(&format!("/login?{}", query.finish())).into_response()
}

/// A cookie as the server functions set theirs (`api::ctx`): HttpOnly, SameSite=Lax, and
/// Secure on an HTTPS site. SameSite=Lax, not Strict: the browser comes back from the provider's
/// site, and a Strict cookie would not come with it.
fn cookie(
    state: &AppState,
    name: &str,
    value: &str,
    path: &str,
    max_age: Option<u64>,
) -> HeaderValue {
    let mut cookie = format!("{name}={value}; Path={path}; HttpOnly; SameSite=Lax");
    if state.site.secure_cookies {
        cookie.push_str("; Secure");
    }
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    // Names, tokens and paths are ours, all printable ASCII.
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The audit rows of one callback.
struct Audit<'a> {
    state: &'a AppState,
    ip: Option<IpAddr>,
}

impl Audit<'_> {
    async fn refused(&self, email: Option<&Email>, why: &str) {
        let detail: String = why.chars().take(MAX_DETAIL_CHARS).collect();
        let event = AuditEvent {
            action: Action::SsoRefused,
            actor: None,
            actor_label: email.map_or_else(|| "anonymous".to_owned(), Email::to_string),
            map: None,
            target: None,
            detail: Some(detail),
            ip: self.ip,
        };
        // A failure is logged by `record`; the refusal stands either way.
        let _ = crate::audit::record(&self.state.backend.db, event).await;
    }

    async fn signed_in(&self, user: &app::api::auth::User, matched: Matched) {
        let mut event = crate::audit::by(user, Action::SsoSignIn, self.ip);
        event.detail = Some(matched.describe().to_owned());
        if let Matched::Invited(Some(map)) = matched {
            event.map = Some(map);
        }
        if matched != Matched::Existing {
            let mut created = event.clone();
            created.action = Action::AccountCreated;
            // A failure is logged by `record`; the sign-in stands either way.
            let _ = crate::audit::record(&self.state.backend.db, created).await;
        }
        let _ = crate::audit::record(&self.state.backend.db, event).await;
    }
}
