//! Accepting connections: the loop under the router.
//!
//! It does what `axum::serve` does (HTTP/1.1 with upgrades for the live sockets, an orderly
//! shutdown that lets every connection finish), plus what a server facing the internet needs:
//! a client has a short time to send each request's headers (also when idle between
//! requests), and the number of open connections is capped, in all and per address, so nobody
//! can hold enough of them open to keep others out. A trusted proxy's connections carry many
//! clients, so they count only towards the total.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

use crate::places::Places;
use crate::proxies::TrustedProxies;

/// How connections are accepted.
#[derive(Clone, Debug)]
pub struct Options {
    /// Whose connections carry many clients (not capped per address).
    pub trusted_proxies: TrustedProxies,
    /// How long a client has to send a request's headers.
    pub header_read_timeout: Duration,
    /// Most connections open at once…
    pub max_connections: usize,
    /// …and from one address (a browser opens six or so).
    pub max_per_address: usize,
}

impl Options {
    pub fn new(trusted_proxies: TrustedProxies) -> Options {
        Options {
            trusted_proxies,
            header_read_timeout: Duration::from_secs(20),
            max_connections: 10_000,
            max_per_address: 256,
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then stops accepting and waits for
/// every open connection to finish its requests.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    options: Options,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Connections hold a sender and watch for the receiver to go: that is the shutdown signal.
    let (signal, stop) = watch::channel(());
    // Connections hold a receiver each; the sender closes once they have all finished.
    let (all_done, done) = watch::channel(());
    let open = Places::new(options.max_connections, options.max_per_address);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors, say: pause rather than spin.
                    tracing::warn!(%err, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let from = (!options.trusted_proxies.trusts(peer.ip())).then_some(peer.ip());
        let Some(slot) = open.take(from) else {
            tracing::debug!(%peer, "too many connections; refused");
            continue;
        };
        if let Err(err) = stream.set_nodelay(true) {
            // Live editing exchanges many tiny frames, which Nagle's algorithm would delay.
            tracing::debug!(%err, "cannot set TCP_NODELAY");
        }
        let (signal, done) = (signal.clone(), done.clone());
        let app = app.clone();
        let header_read_timeout = options.header_read_timeout;
        tokio::spawn(async move {
            serve_one(stream, peer, app, header_read_timeout, &signal).await;
            drop((slot, done));
        });
    }
    drop(listener);
    drop((stop, done));
    all_done.closed().await;
    Ok(())
}

async fn serve_one(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    app: Router,
    header_read_timeout: Duration,
    signal: &watch::Sender<()>,
) {
    let service = app.map_request(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        request.map(Body::new)
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let connection = builder
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
        .with_upgrades();
    tokio::pin!(connection);
    let stopping = signal.closed();
    tokio::pin!(stopping);
    let mut asked_to_stop = false;
    loop {
        tokio::select! {
            outcome = connection.as_mut() => {
                if let Err(err) = outcome {
                    tracing::trace!(%err, "connection ended");
                }
                return;
            }
            () = &mut stopping, if !asked_to_stop => {
                asked_to_stop = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}
