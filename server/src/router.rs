//! The HTTP surface: Leptos pages and server functions, static files, health check.

use std::sync::Arc;

use app::api::ctx::ServerCtx;
use app::api::error::AppError;
use app::ui::app::{shell, App};
use axum::body::{to_bytes, Body};
use axum::extract::{FromRef, Request};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::serve::{ListenerExt, TapIo};
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::net::SocketAddr;
use tokio::net::{TcpListener, TcpStream};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

use crate::backend::ServerBackend;
use crate::hub::{self, LiveLimits};
use crate::rooms::Rooms;

/// Largest request body accepted. A sync of the maximum batch of long card texts fits.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub backend: ServerBackend,
    pub rooms: Rooms,
    pub live_limits: LiveLimits,
}

impl AppState {
    pub fn new(leptos_options: LeptosOptions, backend: ServerBackend) -> AppState {
        AppState {
            leptos_options,
            rooms: backend.rooms.clone(),
            backend,
            live_limits: LiveLimits::default(),
        }
    }
}

/// A listener whose connections send small messages at once: live editing exchanges many tiny
/// frames, which Nagle's algorithm would otherwise hold back for up to a delayed-ACK period.
pub async fn listen(addr: SocketAddr) -> std::io::Result<TapIo<TcpListener, fn(&mut TcpStream)>> {
    fn no_delay(stream: &mut TcpStream) {
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(%err, "cannot set TCP_NODELAY");
        }
    }
    Ok(TcpListener::bind(addr)
        .await?
        .tap_io(no_delay as fn(&mut TcpStream)))
}

pub fn router(state: AppState) -> Router {
    let ctx = ServerCtx(Arc::new(state.backend.clone()));
    let provide = move || provide_context(ctx.clone());
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/ws/maps/{id}", get(hub::upgrade))
        .leptos_routes_with_context(&state, routes, provide.clone(), move || {
            shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(provide, shell))
        .layer(middleware::from_fn(server_fn_status))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
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
    }
    Response::from_parts(parts, Body::from(bytes))
}
