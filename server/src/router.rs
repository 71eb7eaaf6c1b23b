//! The HTTP surface: Leptos pages and server functions, static files, health check.

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use app::api::ctx::ServerCtx;
use app::api::error::AppError;
use app::ui::app::{shell, App, AssetRoot};
use axum::body::{to_bytes, Body};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use tower_http::trace::TraceLayer;

use crate::assets::Assets;
use crate::auth;
use crate::export;
use crate::feedback;
use crate::hub;
use crate::journey;
use crate::state::AppState;

/// Largest request body of a page or server function (map files and responses have their own).
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// Longest pause while a request body arrives.
const BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest a request may take from its headers to its response (a large upload included).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// The app's routes, worked out once per process. Working them out renders the app with
/// resource loading switched off for the whole process (a global flag in `leptos_server`), so a
/// page that another router in the same process rendered meanwhile could wait for ever
/// (leptos-rs/leptos#4773). The server builds one router, but the tests build many at once.
fn routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn router(state: AppState) -> Router {
    let ctx = ServerCtx {
        backend: Arc::new(state.backend.clone()),
        accounts: Arc::new(state.accounts.clone()),
        feedback: Arc::new(state.feedback.clone()),
        audit: Arc::new(crate::audit::ServerAudit {
            db: state.backend.db.clone(),
        }),
    };
    let assets = Assets::open(Path::new(state.leptos_options.site_root.as_ref()));
    let asset_root = AssetRoot(assets.root().into());
    let provide = move || {
        provide_context(ctx.clone());
        provide_context(asset_root.clone());
    };
    let routes = routes();
    let options = state.leptos_options.clone();
    let pages = Router::new()
        .leptos_routes_with_context(&state, routes, provide.clone(), move || {
            shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(provide, shell))
        .layer(middleware::from_fn(server_fn_status))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES));
    let files = export::routes()
        .layer(DefaultBodyLimit::max(export::MAX_IMPORT_BYTES))
        .layer(RequestBodyLimitLayer::new(export::MAX_IMPORT_BYTES));
    let responses = feedback::api::routes()
        .merge(feedback::import::routes())
        .merge(journey::api::routes())
        .merge(journey::import::routes())
        .layer(DefaultBodyLimit::max(feedback::api::MAX_BODY_BYTES))
        .layer(RequestBodyLimitLayer::new(feedback::api::MAX_BODY_BYTES))
        .merge(feedback::form::routes());
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route(hub::PATH, get(hub::upgrade))
        .merge(assets.routes())
        .merge(files)
        .merge(crate::audit::routes())
        .merge(crate::oidc::routes())
        .merge(crate::notify::unsubscribe::routes())
        .merge(responses)
        .merge(pages)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::identify,
        ))
        .layer(middleware::from_fn(auth::slow_down_refusals))
        // Before the session lookup, so that a flood is turned away before it costs a read.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::limit_in_flight,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::same_origin,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::security_headers,
        ))
        // Brotli's quality 6 rather than tower-http's 4: the map editor's page (some 100 KB of
        // markup and its map) comes 8% smaller for about a millisecond more; gzip's 6 is its
        // default.
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(6)))
        // A body that stops arriving, or a request that takes far too long, is given up on.
        .layer(RequestBodyTimeoutLayer::new(BODY_IDLE_TIMEOUT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        // Outermost, so that refusals and timeouts from the layers above are counted too.
        .layer(middleware::from_fn(crate::telemetry::count_requests))
        .with_state(state)
}

/// Every route outside Leptos, with its method. The access test calls each of them.
pub const PLAIN_ROUTES: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", hub::PATH),
    ("GET", crate::assets::PATH),
    ("GET", export::DOWNLOAD),
    ("GET", crate::audit::CSV),
    ("GET", crate::audit::JSON),
    ("POST", export::IMPORT),
    ("POST", feedback::api::RESPONSES),
    ("GET", feedback::api::OPENAPI_PATH),
    ("POST", journey::api::EVENTS),
    ("POST", feedback::import::IMPORT),
    ("POST", journey::import::IMPORT),
    ("POST", feedback::form::SUBMIT),
    ("GET", feedback::form::QR_CODE),
    ("GET", crate::oidc::START),
    ("GET", crate::oidc::CALLBACK),
    ("GET", crate::notify::unsubscribe::PATH),
    ("POST", crate::notify::unsubscribe::PATH),
];

/// Every request's log lines carry its id (also sent back in `x-request-id`), and its path
/// without the secrets some paths carry.
fn request_span(request: &Request) -> tracing::Span {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    let path = loggable_path(request.uri().path());
    tracing::info_span!("request", id, method = %request.method(), path = %path)
}

/// `path` with the token of a share link, embed, invitation or feedback form replaced by `…`,
/// so that logs never hold what opens them.
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    const SECRET_AFTER: [&str; 4] = ["/s/", "/embed/", "/invite/", "/f/"];
    let Some(prefix) = SECRET_AFTER.iter().find(|p| path.starts_with(**p)) else {
        return path.into();
    };
    let rest = &path[prefix.len()..];
    let after = rest.find('/').map_or("", |at| &rest[at..]);
    format!("{prefix}…{after}").into()
}

/// `GET /readyz`: 200 when the database reads and writes, 503 otherwise (and while shutting
/// down, so a load balancer stops sending traffic). A writer that cannot go on ends the process
/// instead (see `db::writer`), for the supervisor to restart.
async fn ready(State(state): State<AppState>) -> Response {
    if *state.rooms.is_closing() {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down").into_response();
    }
    let check = tokio::time::timeout(Duration::from_secs(3), state.backend.db.ready());
    match check.await {
        Ok(Ok(())) => {
            let writer = state.backend.db.writer();
            if let Some(why) = writer.refusing() {
                // Up, and reads work, but edits and answers cannot be saved now.
                let why = format!("the database refuses writes ({why})");
                return (StatusCode::SERVICE_UNAVAILABLE, why).into_response();
            }
            match writer.panics() {
                0 => "ready".into_response(),
                // Still ready: each was rolled back and the writer went on; the count is for
                // whoever watches, as a sign of a bug to report.
                n => format!("ready (the database writer recovered from {n} failed jobs)")
                    .into_response(),
            }
        }
        Ok(Err(err)) => {
            tracing::error!(%err, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database too slow").into_response(),
    }
}

/// Server functions answer every error with status 500; give each the status its `AppError`
/// means (400 for bad input, 404, 413 …) so HTTP clients and logs can tell them apart.
async fn server_fn_status(request: Request, next: Next) -> Response {
    let is_server_fn = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if !is_server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Error bodies are a short JSON value; anything longer is not one of ours.
    let Ok(bytes) = to_bytes(body, 64 * 1024).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = StatusCode::from_u16(error.http_status()).unwrap_or(parts.status);
        if let Some(seconds) = error.retry_after() {
            parts
                .headers
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_in_paths_are_not_logged() {
        let token = "ab".repeat(32);
        assert_eq!(loggable_path(&format!("/s/{token}")), "/s/…");
        assert_eq!(loggable_path(&format!("/f/{token}/qr.svg")), "/f/…/qr.svg");
        assert_eq!(loggable_path(&format!("/invite/{token}")), "/invite/…");
        assert_eq!(loggable_path(&format!("/embed/{token}")), "/embed/…");
        assert_eq!(loggable_path("/maps/1/export/svg"), "/maps/1/export/svg");
        assert_eq!(loggable_path("/setup"), "/setup");
    }
}
