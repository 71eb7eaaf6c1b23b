//! The HTTP surface: Leptos pages and server functions, static files, health check.

use std::sync::Arc;

use app::api::ctx::ServerCtx;
use app::ui::app::{shell, App};
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::routing::get;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

use crate::backend::ServerBackend;

/// Largest request body accepted. A sync of the maximum batch of long card texts fits.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub backend: ServerBackend,
}

pub fn router(state: AppState) -> Router {
    let ctx = ServerCtx(Arc::new(state.backend.clone()));
    let provide = move || provide_context(ctx.clone());
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .leptos_routes_with_context(&state, routes, provide.clone(), move || {
            shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(provide, shell))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
