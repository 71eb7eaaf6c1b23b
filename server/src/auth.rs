//! The protections around every request, as middleware: who is calling (the session cookie, and
//! the client's address through trusted proxies), how many requests one address and everyone
//! together may have in flight, same-origin checks against cross-site request forgery, and
//! security headers.

use std::net::{IpAddr, SocketAddr};

use app::api::auth::{Caller, ClientAddress, SiteSettings, SESSION_COOKIE};
use app::domain::account::Token;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::clock::now_millis;
use crate::db::{accounts as store, Db, StoreError};
use crate::http::HttpError;
use crate::secrets::hash_token;
use crate::state::AppState;
use crate::throttle::Wait;

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

/// Looks up who is calling from the session cookie. A cookie that is not a token the server
/// could have made is not looked up at all.
pub async fn caller(db: &Db, token: Option<String>) -> Result<Caller, StoreError> {
    let Some(token) = token.as_deref().and_then(Token::parse) else {
        return Ok(Caller::default());
    };
    let hash = hash_token(token.as_str());
    let now = now_millis();
    let session = db
        .read(move |conn| store::session_user(conn, &hash, now))
        .await?;
    Ok(Caller {
        user: session.map(|(user, _)| user),
    })
}

/// The client's address: the connection's peer, or whom a trusted proxy names.
pub fn client_address(state: &AppState, request: &Request) -> IpAddr {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |info| info.0.ip());
    state.site.trusted_proxies.client(peer, request.headers())
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
    let address = client_address(&state, &request);
    let extensions = request.extensions_mut();
    extensions.insert(caller);
    extensions.insert(ClientAddress(address));
    extensions.insert(SiteSettings {
        secure_cookies: state.site.secure_cookies,
        sso: state.sso.as_ref().map(|sso| sso.shown()),
    });
    next.run(request).await
}

/// Middleware: refuses a request (503, try again shortly) when its address, or everyone
/// together, has too many in flight, so that no one sender can tie up the server.
pub async fn limit_in_flight(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let busy = || {
        let wait = Wait(std::time::Duration::from_secs(1));
        let mut error = HttpError::too_many(wait, "too many requests at once; try again shortly")
            .into_response();
        *error.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        error
    };
    let address = request
        .extensions()
        .get::<ClientAddress>()
        .map_or_else(|| client_address(&state, &request), |a| a.0);
    let Some(_place) = state.in_flight.take(Some(address)) else {
        return busy();
    };
    next.run(request).await
}

/// How long a refusal for sending too much (429) is held back before it is sent.
pub const REFUSAL_DELAY: std::time::Duration = std::time::Duration::from_secs(1);

/// Middleware: holds every "too many requests" answer back for `REFUSAL_DELAY`. A client that
/// sends as fast as it can then sends about one request a second per connection once it is
/// refused, instead of thousands: refusing is cheap, but not free, and the server's time is
/// better spent on the people it is not refusing. (The request keeps its place in flight
/// meanwhile, so one address cannot hold more than its share of them.)
pub async fn slow_down_refusals(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() == StatusCode::TOO_MANY_REQUESTS {
        tokio::time::sleep(REFUSAL_DELAY).await;
    }
    response
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
    // Nor does an unsubscribe link, whose signature is its authority: mail programs post to
    // it from wherever they run (RFC 8058).
    let keyed_api = request.uri().path().starts_with("/api/v1/")
        || crate::notify::unsubscribe::is_unsubscribe(request.uri().path());
    if (changes_state || upgrade)
        && !keyed_api
        && !from_same_origin(&request, state.site.public_origin.as_deref())
    {
        return HttpError::forbidden("cross-site request refused").into_response();
    }
    next.run(request).await
}

fn from_same_origin(request: &Request, public_origin: Option<&str>) -> bool {
    let headers = request.headers();
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        // A page whose policy sends no referrer names its origin `null`; the browser still
        // says whether the request is the site's own.
        if origin == "null" {
            return fetch_site == Some("same-origin");
        }
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
    matches!(fetch_site, Some("same-origin" | "none") | None)
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
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Share, embed, invitation and form URLs carry their secret: no other site ever sees a
    // page's address as its referrer. (Within the site the referrer is kept, so a plain form
    // post from those pages still names its origin.)
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
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
