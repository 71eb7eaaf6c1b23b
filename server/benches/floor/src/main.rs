//! Serves the floor page and its built site (precompressed files first), on LEPTOS_SITE_ADDR.

use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use tower_http::services::ServeDir;
use waymark_floor::shell;

#[tokio::main]
async fn main() {
    // leptos_axum's own routers do this; a bare handler must.
    any_spawner::Executor::init_tokio().expect("the executor, once");
    let options = get_configuration(None)
        .expect("the Leptos configuration (LEPTOS_* variables)")
        .leptos_options;
    let site = ServeDir::new(options.site_root.as_ref())
        .precompressed_br()
        .precompressed_gzip();
    let page = {
        let options = options.clone();
        leptos_axum::render_app_to_stream(move || shell(options.clone()))
    };
    let app = Router::new().route("/", get(page)).fallback_service(site);
    let listener = tokio::net::TcpListener::bind(options.site_addr)
        .await
        .expect("the site address");
    axum::serve(listener, app).await.expect("serving");
}
