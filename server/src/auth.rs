//! Authentication and the protections around every request: secrets and passwords, throttling
//! of guessing, who is calling (from the session cookie), same-origin checks against cross-site
//! request forgery, and security headers.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::api::auth::{Caller, ClientAddress, SiteSettings, SESSION_COOKIE};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::clock::now_millis;
use crate::db::{accounts as store, Db, StoreError};
use crate::state::AppState;

/// A fresh secret: 32 random bytes as hex. Goes to the browser; only its hash is stored.
pub fn new_token() -> Result<String, StoreError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::internal(format!("no randomness: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// What is stored for a secret token. Tokens are long and random, so a plain SHA-256 suffices.
pub fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An argon2id hash of `password`. Deliberately slow, so it runs off the async executor.
pub async fn hash_password(password: String) -> Result<String, StoreError> {
    tokio::task::spawn_blocking(move || {
        let mut random = [0u8; 16];
        getrandom::fill(&mut random)
            .map_err(|e| StoreError::internal(format!("no randomness: {e}")))?;
        let salt = SaltString::encode_b64(&random).map_err(StoreError::internal)?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(StoreError::internal)
    })
    .await
    .map_err(StoreError::internal)?
}

/// Whether `password` matches `hash`. With no hash (unknown account) it still does the work,
/// so response times do not reveal which emails have accounts.
pub async fn verify_password(password: String, hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let decoy = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$ZqQFyf3/V9Q5oTk5mSKVvVsZ9uX6b7y2X4Rz3ROh9RU";
        let stored = hash.as_deref().unwrap_or(decoy);
        let matches = PasswordHash::new(stored)
            .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok());
        matches && hash.is_some()
    })
    .await
    .unwrap_or(false)
}

/// Counts recent failures per key (an address, an account) and refuses further attempts once
/// a key has failed too often within the window: brute-force guessing gets nowhere. It also
/// counts plain requests where every request counts (`count`), as a rate limit.
#[derive(Clone, Default)]
pub struct Throttle {
    failures: Arc<Mutex<HashMap<String, Vec<Instant>>>>,
}

/// How long failures count against a key.
const WINDOW: Duration = Duration::from_secs(15 * 60);

impl Throttle {
    /// `Err(seconds)` when `key` has failed `limit` times within the window.
    pub fn check(&self, key: &str, limit: usize) -> Result<(), u64> {
        let mut failures = crate::lock(&self.failures);
        let now = Instant::now();
        let Some(times) = failures.get_mut(key) else {
            return Ok(());
        };
        times.retain(|t| now.duration_since(*t) < WINDOW);
        if times.len() < limit {
            return Ok(());
        }
        let oldest = times.first().copied().unwrap_or(now);
        Err(WINDOW
            .saturating_sub(now.duration_since(oldest))
            .as_secs()
            .max(1))
    }

    pub fn fail(&self, key: &str) {
        self.count(key);
    }

    /// Records an attempt that counts against `key`, whatever its outcome.
    pub fn count(&self, key: &str) {
        let mut failures = crate::lock(&self.failures);
        // Keep memory bounded under a flood of distinct keys.
        if failures.len() > 100_000 {
            let now = Instant::now();
            failures.retain(|_, times| times.iter().any(|t| now.duration_since(*t) < WINDOW));
        }
        failures
            .entry(key.to_owned())
            .or_default()
            .push(Instant::now());
    }

    pub fn forget(&self, key: &str) {
        crate::lock(&self.failures).remove(key);
    }
}

/// A cookie's value in request headers, if present.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// Looks up who is calling from the session cookie.
pub async fn caller(db: &Db, token: Option<String>) -> Result<Caller, StoreError> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Ok(Caller::default());
    };
    let hash = hash_token(&token);
    let now = now_millis();
    let user = db
        .read(move |conn| store::session_user(conn, &hash, now))
        .await?;
    Ok(Caller { user })
}

/// Middleware: puts the `Caller`, the client's address and the site settings into the request
/// for server functions and handlers.
pub async fn identify(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let caller = match caller(&state.backend.db, cookie(request.headers(), SESSION_COOKIE)).await {
        Ok(caller) => caller,
        Err(err) => {
            tracing::error!(%err, "cannot look up a session");
            Caller::default()
        }
    };
    let address = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |info| info.0.ip().to_string());
    let extensions = request.extensions_mut();
    extensions.insert(caller);
    extensions.insert(ClientAddress(address));
    extensions.insert(SiteSettings {
        secure_cookies: state.site.secure_cookies,
    });
    next.run(request).await
}

/// Middleware: refuses state-changing requests (and WebSocket upgrades) sent by another site's
/// page. Browsers name the page's origin in `Origin` (and say `Sec-Fetch-Site`); a mismatch is
/// a forged request. Together with `SameSite=Lax` cookies this stops cross-site request forgery.
pub async fn same_origin(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let changes_state = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let upgrade = request.headers().contains_key(header::UPGRADE);
    // The feedback API authenticates with a key in a header, never a cookie, so a forged
    // cross-site request carries no authority; integrations may call it from any origin.
    let keyed_api = request.uri().path().starts_with("/api/v1/");
    if (changes_state || upgrade)
        && !keyed_api
        && !from_same_origin(&request, state.site.public_origin.as_deref())
    {
        return (StatusCode::FORBIDDEN, "cross-site request refused").into_response();
    }
    next.run(request).await
}

fn from_same_origin(request: &Request, public_origin: Option<&str>) -> bool {
    let headers = request.headers();
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        if let Some(expected) = public_origin {
            return origin == expected;
        }
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        return host.is_some_and(|host| {
            origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"))
                == Some(host)
        });
    }
    // No Origin: a browser still says where the request comes from; other clients (scripts
    // with API keys) say nothing and carry no cookies of a victim.
    match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some("same-origin" | "none") | None => true,
        Some(_) => false,
    }
}

/// Middleware: security headers on every response. Pages add their own script policy with the
/// nonce of their hydration script (see `app::api::ctx::page_policy`); this one adds what holds
/// everywhere, including who may frame the page: nobody, except the embed view for the origins
/// the admin listed.
pub async fn security_headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let embed = request.uri().path().starts_with("/embed/");
    let shared = embed || request.uri().path().starts_with("/s/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Share and embed URLs carry their secret: never send them on as a referrer.
    let referrer = if shared { "no-referrer" } else { "same-origin" };
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static(referrer));
    let ancestors = if embed && !state.site.embed_origins.is_empty() {
        state.site.embed_origins.join(" ")
    } else {
        "'none'".to_owned()
    };
    if let Ok(policy) = HeaderValue::from_str(&format!("frame-ancestors {ancestors}")) {
        headers.append(header::CONTENT_SECURITY_POLICY, policy);
    }
    if !embed {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_ne!(hash_token(&a), a);
    }

    #[tokio::test]
    async fn passwords_verify_only_against_their_hash() {
        let hash = hash_password("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery".into(), Some(hash.clone())).await);
        assert!(!verify_password("wrong horse battery".into(), Some(hash)).await);
        assert!(!verify_password("anything".into(), None).await);
    }

    #[test]
    fn the_throttle_stops_a_key_after_its_limit() {
        let throttle = Throttle::default();
        for _ in 0..3 {
            assert!(throttle.check("k", 3).is_ok());
            throttle.fail("k");
        }
        assert!(throttle.check("k", 3).is_err());
        assert!(throttle.check("other", 3).is_ok());
        throttle.forget("k");
        assert!(throttle.check("k", 3).is_ok());
    }
}
