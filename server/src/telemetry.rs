//! Prometheus metrics: `GET /metrics` on an address of its own (`--metrics-addr`), off unless
//! asked for.
//!
//! The rest of the server records through the `metrics` facade's macros, by way of the small
//! functions here (so every name is written once). Until `install` sets a recorder they do
//! nothing but look up the facade's no-op one, so a server without `--metrics-addr` pays next to
//! nothing. The exporter's own HTTP listener is not compiled in: `/metrics` is served by our
//! connection loop on its own listener, so it is never reachable through the public port, where
//! the path is just another page that does not exist.
//!
//! No label carries an id, token, email or raw path: requests are labelled by the route's
//! template (`/maps/{id}`), its method and status, and stored items by where they came from.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use app::domain::feedback::Source;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

use crate::connections;

pub const PATH: &str = "/metrics";

pub const HTTP_REQUESTS: &str = "waymark_http_requests_total";
pub const LIVE_CONNECTIONS: &str = "waymark_live_connections";
pub const EDIT_COMMIT: &str = "waymark_edit_commit_seconds";
pub const WRITER_QUEUED: &str = "waymark_writer_queued_jobs";
pub const WRITER_BATCH: &str = "waymark_writer_batch_jobs";
pub const RESPONSES_STORED: &str = "waymark_feedback_responses_stored_total";
pub const EVENTS_STORED: &str = "waymark_journey_events_stored_total";
pub const DATABASE_SIZE: &str = "waymark_database_size_bytes";

/// A commit is an fsync or two: milliseconds when all is well, seconds when the disk or the
/// writer's queue is in trouble.
const COMMIT_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Jobs per batch: one when quiet, up to the writer's 512 live jobs (plus bulk) under load.
const BATCH_BUCKETS: [f64; 11] = [
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0,
];
/// How often histogram samples are folded in when nobody scrapes (they pile up until then).
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The installed recorder's handle; unset while metrics are off.
static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Whether metrics are recorded: only then is it worth working out labels.
pub fn enabled() -> bool {
    HANDLE.get().is_some()
}

/// Installs the Prometheus recorder for the whole process (once; later calls get the same
/// handle). The facade allows one recorder per process, so this fails only if something else
/// installed one.
pub fn install() -> Result<PrometheusHandle, String> {
    // Two services starting at once (tests) must not both try to install.
    static INSTALLING: Mutex<()> = Mutex::new(());
    let _one_at_a_time = crate::lock(&INSTALLING);
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let buckets = |name: &str, values: &[f64]| (Matcher::Full(name.to_owned()), values.to_vec());
    let mut builder = PrometheusBuilder::new();
    for (matcher, values) in [
        buckets(EDIT_COMMIT, &COMMIT_BUCKETS),
        buckets(WRITER_BATCH, &BATCH_BUCKETS),
    ] {
        builder = builder
            .set_buckets_for_metric(matcher, &values)
            .map_err(|err| err.to_string())?;
    }
    let recorder = builder.build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder)
        .map_err(|_| "another metrics recorder is installed in this process".to_owned())?;
    describe();
    // Present from the first scrape, rather than only once something has happened.
    gauge!(LIVE_CONNECTIONS).set(0.0);
    writer_queued(0);
    let _first = HANDLE.set(handle.clone());
    Ok(handle)
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by method, route template and status"
    );
    describe_gauge!(LIVE_CONNECTIONS, "Live-editing WebSockets open now");
    describe_histogram!(
        EDIT_COMMIT,
        Unit::Seconds,
        "From a live edit's submission to its commit"
    );
    describe_gauge!(
        WRITER_QUEUED,
        "Jobs waiting for the database writer or in its running batch"
    );
    describe_histogram!(WRITER_BATCH, "Jobs committed together in one transaction");
    describe_counter!(
        RESPONSES_STORED,
        "Feedback responses stored, by source (api, form, csv)"
    );
    describe_counter!(EVENTS_STORED, "Journey events stored, by source (api, csv)");
    describe_gauge!(
        DATABASE_SIZE,
        Unit::Bytes,
        "The database file plus its write-ahead log"
    );
}

/// Middleware: counts each request by its route's template (never the path itself, which holds
/// ids and tokens), method and status.
pub async fn count_requests(request: Request, next: Next) -> Response {
    if !enabled() {
        return next.run(request).await;
    }
    // Unmatched paths (static files, pages that do not exist) are one label, or anyone could
    // make a series per path.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = method_label(request.method());
    let response = next.run(request).await;
    let status = response.status().as_str().to_owned();
    counter!(HTTP_REQUESTS, "method" => method, "route" => route, "status" => status).increment(1);
    response
}

/// The standard methods by name; anything else as one label, for the same reason.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Held while a live-editing socket is open; counts it in `waymark_live_connections`. A guard,
/// so that a session that ends any way at all (a panic or a dropped task included) is uncounted.
pub struct LiveConnection(());

impl LiveConnection {
    pub fn open() -> LiveConnection {
        gauge!(LIVE_CONNECTIONS).increment(1.0);
        LiveConnection(())
    }
}

impl Drop for LiveConnection {
    fn drop(&mut self) {
        gauge!(LIVE_CONNECTIONS).decrement(1.0);
    }
}

/// When an edit's submission began, if metrics are on (no clock read otherwise).
pub fn edit_submitted() -> Option<Instant> {
    enabled().then(Instant::now)
}

/// An edit submitted at `since` has committed.
pub fn edit_committed(since: Option<Instant>) {
    if let Some(since) = since {
        histogram!(EDIT_COMMIT).record(since.elapsed().as_secs_f64());
    }
}

/// Jobs waiting for the writer, or in the batch it is running.
pub fn writer_queued(jobs: usize) {
    gauge!(WRITER_QUEUED).set(jobs as f64);
}

/// A batch of `jobs` jobs was committed (or failed) together.
pub fn writer_batch(jobs: usize) {
    histogram!(WRITER_BATCH).record(jobs as f64);
}

/// `count` feedback responses from `source` are stored.
pub fn responses_stored(source: Source, count: usize) {
    counter!(RESPONSES_STORED, "source" => source.key()).increment(count as u64);
}

/// `count` journey events from `source` (`api` or `csv`) were stored, counted as the answer to
/// the sender counts them.
pub fn events_stored(source: &'static str, count: usize) {
    counter!(EVENTS_STORED, "source" => source).increment(count as u64);
}

/// `GET /metrics` on its own listener, bound before the server says it is listening.
pub struct Exporter {
    listener: TcpListener,
    handle: PrometheusHandle,
    database: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum ExporterError {
    #[error("cannot serve metrics on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
    #[error("cannot record metrics: {0}")]
    Install(String),
}

impl Exporter {
    /// Installs the recorder and binds `addr`; `database` is the file whose size is reported.
    pub async fn bind(addr: SocketAddr, database: &Path) -> Result<Exporter, ExporterError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|err| ExporterError::Listen(addr, err))?;
        let handle = install().map_err(ExporterError::Install)?;
        Ok(Exporter {
            listener,
            handle,
            database: database.to_owned(),
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` resolves.
    pub async fn serve(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let Exporter {
            listener,
            handle,
            database,
        } = self;
        let scrape = Scrape {
            handle: handle.clone(),
            database,
        };
        let app = Router::new()
            .route(PATH, get(render))
            .with_state(std::sync::Arc::new(scrape));
        let options = connections::Options::new(Default::default());
        let upkeep = async move {
            let mut every = tokio::time::interval(UPKEEP_EVERY);
            loop {
                every.tick().await;
                handle.run_upkeep();
            }
        };
        tokio::select! {
            served = connections::serve(listener, app, options, shutdown) => served,
            () = upkeep => Ok(()),
        }
    }
}

struct Scrape {
    handle: PrometheusHandle,
    database: PathBuf,
}

async fn render(State(scrape): State<std::sync::Arc<Scrape>>) -> Response {
    // Read at each scrape: a file's size is one `stat`, and it is fresh whenever it is looked at.
    gauge!(DATABASE_SIZE).set(database_bytes(&scrape.database).await as f64);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        scrape.handle.render(),
    )
        .into_response()
}

/// The database's size on disk: the file and its write-ahead log (which holds the newest
/// commits until a checkpoint copies them back). A file that is missing counts as empty.
async fn database_bytes(database: &Path) -> u64 {
    let mut wal = database.as_os_str().to_owned();
    wal.push("-wal");
    let mut bytes = 0;
    for file in [database.to_owned(), PathBuf::from(wal)] {
        if let Ok(meta) = tokio::fs::metadata(&file).await {
            bytes += meta.len();
        }
    }
    bytes
}
