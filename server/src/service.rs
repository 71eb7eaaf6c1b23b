//! A running Waymark: the database, the router, the listener, and an orderly shutdown.
//!
//! Shutting down stops accepting connections, tells live sessions to reconnect later, lets
//! requests in flight finish, and waits until every queued write is committed.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use app::domain::template::Template;
use leptos::config::LeptosOptions;

use crate::backend::ServerBackend;
use crate::connections;
use crate::db::{Checkpoints, Db, OpenError, StoreError};
use crate::rooms::Rooms;
use crate::router::router;
use crate::state::{AppState, SiteConfig};
use crate::telemetry::{Exporter, ExporterError};

pub struct Service {
    pub state: AppState,
    pub db: Db,
    /// Where to serve Prometheus metrics, if anywhere (see `telemetry`).
    metrics: Option<SocketAddr>,
    /// Days the audit log keeps its rows (see `audit::spawn_pruning`).
    audit_days: u32,
    /// The database's file, whose size the metrics report.
    database: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error("cannot create the starter map: {0}")]
    Seed(StoreError),
    #[error("cannot listen on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
    #[error(transparent)]
    Metrics(#[from] ExporterError),
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot save the last writes: {0}")]
    Flush(StoreError),
}

impl Service {
    /// Opens (and migrates) the database; a new one gets an example map to start from.
    pub async fn open(
        database: &Path,
        site_dir: &Path,
        site: SiteConfig,
    ) -> Result<Service, ServeError> {
        Service::open_with(database, site_dir, site, Checkpoints::Passive).await
    }

    /// `open`, with `checkpoints` saying who checkpoints the database (see `db::Checkpoints`).
    pub async fn open_with(
        database: &Path,
        site_dir: &Path,
        site: SiteConfig,
        checkpoints: Checkpoints,
    ) -> Result<Service, ServeError> {
        let path = database.to_owned();
        // Opening migrates the schema: blocking work, kept off the async executor.
        let (db, fresh) = tokio::task::spawn_blocking(move || Db::open_with(&path, checkpoints))
            .await
            .map_err(std::io::Error::other)??;
        let backend = ServerBackend {
            rooms: Rooms::new(db.clone()),
            db: db.clone(),
        };
        if let Some(dir) = database.parent() {
            crate::audit::record_restore(&db, dir).await;
        }
        if fresh {
            backend
                .create(None, Template::CustomerJourney, None)
                .await
                .map_err(ServeError::Seed)?;
        }
        let leptos_options = LeptosOptions::builder()
            .output_name(Arc::<str>::from("waymark"))
            .site_root(Arc::<str>::from(site_dir.to_string_lossy().as_ref()))
            .site_pkg_dir(Arc::<str>::from("pkg"))
            .build();
        Ok(Service {
            state: AppState::new(leptos_options, backend, site),
            db,
            metrics: None,
            audit_days: crate::config::DEFAULT_AUDIT_DAYS,
            database: database.to_owned(),
        })
    }

    /// Also serves `GET /metrics` on `addr` while running (nothing is recorded otherwise).
    pub fn with_metrics(self, addr: Option<SocketAddr>) -> Service {
        Service {
            metrics: addr,
            ..self
        }
    }

    /// Keeps audit log rows for `days` days (0: for ever).
    pub fn with_audit_days(self, days: u32) -> Service {
        Service {
            audit_days: days,
            ..self
        }
    }

    /// Serves on `addr` until `shutdown` resolves, then shuts down in order. `on_listening`
    /// hears the bound address (useful with port 0).
    pub async fn run(
        self,
        addr: SocketAddr,
        on_listening: impl FnOnce(SocketAddr),
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        // Bound first: a server that says it is listening serves everything it was asked to.
        let metrics = match self.metrics {
            Some(at) => Some(Exporter::bind(at, &self.database).await?),
            None => None,
        };
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| ServeError::Listen(addr, e))?;
        // Dropped however `run` ends, which stops the metrics listener with the service.
        let (stop_metrics, metrics_stopped) = tokio::sync::oneshot::channel::<()>();
        let metrics = match metrics {
            Some(exporter) => {
                let at = exporter.local_addr()?;
                tracing::info!(url = %format!("http://{at}{}", crate::telemetry::PATH), "serving metrics");
                let stopped = async move {
                    let _ = metrics_stopped.await;
                };
                Some(tokio::spawn(exporter.serve(stopped)))
            }
            None => None,
        };
        on_listening(listener.local_addr()?);
        match self.state.accounts.mailer() {
            Some(mailer) => {
                drop(mailer.start());
                let notifier =
                    crate::notify::Notifier::new(self.state.rooms.clone(), mailer.clone());
                drop(notifier.start());
            }
            None => tracing::info!(
                "mail is off (no --smtp-url): no password resets by email, invitations are links to copy"
            ),
        }
        crate::journey::keep_expiring(self.db.clone());
        crate::audit::spawn_pruning(self.db.clone(), self.audit_days);
        if let Some(sso) = self.state.sso.clone() {
            tokio::spawn(async move { sso.warm_up().await });
        }
        let rooms = self.state.rooms.clone();
        let options = connections::Options::new(self.state.site.trusted_proxies.clone());
        let app = router(self.state);
        connections::serve(listener, app, options, async move {
            shutdown.await;
            tracing::info!("shutting down: closing live sessions, finishing requests");
            rooms.shut_down();
        })
        .await?;
        // What waits in memory is written, so the next start need not recount it.
        let journey = crate::journey::flush_all(&self.db).await;
        let journey_left = self.db.journey_pending().size();
        clear_marks(
            &self.db,
            "journey counts",
            journey,
            journey_left,
            crate::db::journey::clear_unflushed,
        )
        .await;
        let feedback = crate::feedback::tallying::write_all(&self.db).await;
        let feedback_left = self.db.feedback_waiting().size();
        clear_marks(
            &self.db,
            "feedback tallies",
            feedback,
            feedback_left,
            crate::db::feedback::clear_unflushed,
        )
        .await;
        self.db.flush().await.map_err(ServeError::Flush)?;
        drop(stop_metrics);
        if let Some(metrics) = metrics {
            match metrics.await {
                Ok(Ok(())) => {}
                Ok(Err(err)) => tracing::warn!(%err, "the metrics listener failed"),
                Err(err) => tracing::warn!(%err, "the metrics listener stopped unexpectedly"),
            }
        }
        tracing::info!("every write is saved; goodbye");
        Ok(())
    }
}

/// Clears the marks that make the next start recount `what`, once `written` says all of it
/// was written and nothing is `left` waiting.
async fn clear_marks(
    db: &Db,
    what: &str,
    written: Result<(), StoreError>,
    left: usize,
    clear: fn(&rusqlite::Connection) -> Result<(), StoreError>,
) {
    if let Err(err) = written {
        tracing::warn!(%err, "could not write the {what}; the next start recounts them");
    } else if left == 0 {
        if let Err(err) = db.writer().write(clear).await {
            tracing::warn!(%err, "could not clear the marks that recount the {what}");
        }
    }
}
