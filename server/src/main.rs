//! The `waymark` binary: read the configuration, open the database, serve.

use std::sync::Arc;

use anyhow::Context;
use app::domain::template::Template;
use axum::serve::Listener;
use clap::Parser;
use leptos::config::LeptosOptions;
use server::backend::ServerBackend;
use server::config::Config;
use server::db::Db;
use server::rooms::Rooms;
use server::router::{listen, router, AppState};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_new(&config.log).context("invalid WAYMARK_LOG filter")?)
        .init();

    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            config.data_dir.display()
        )
    })?;
    let db_path = config.database_path();
    // Opening migrates the schema: blocking work, kept off the async executor.
    let path = db_path.clone();
    let (db, fresh) = tokio::task::spawn_blocking(move || Db::open(&path))
        .await
        .context("the database task failed")?
        .with_context(|| format!("cannot open the database {}", db_path.display()))?;
    let backend = ServerBackend {
        rooms: Rooms::new(db.clone()),
        db,
    };
    if fresh {
        // A new installation starts with an example map rather than an empty page.
        backend
            .create(Template::CustomerJourney, None)
            .await
            .context("cannot create the starter map")?;
    }

    let leptos_options = LeptosOptions::builder()
        .output_name(Arc::<str>::from("waymark"))
        .site_root(Arc::<str>::from(config.site_dir.to_string_lossy().as_ref()))
        .site_pkg_dir(Arc::<str>::from("pkg"))
        .site_addr(config.addr)
        .build();
    let app = router(AppState::new(leptos_options, backend));
    let listener = listen(config.addr)
        .await
        .with_context(|| format!("cannot listen on {}", config.addr))?;
    let url = format!("http://{}", listener.local_addr()?);
    tracing::info!(%url, database = %db_path.display(), "Waymark is serving");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("server error")?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
