//! Accepting connections: the loop under the router.
//!
//! It does what `axum::serve` does (HTTP/1.1 with upgrades for the live sockets, an orderly
//! shutdown that lets every connection finish), plus what a server facing the internet needs:
//! a client has `HEADER_READ_TIMEOUT` to send each request's headers (also when idle between
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

/// How long a client has to send a request's headers.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(20);
/// Most connections open at once.
pub const MAX_CONNECTIONS: usize = 10_000;
/// Most connections open at once from one address (a browser opens six or so).
pub const MAX_CONNECTIONS_PER_ADDRESS: usize = 256;

/// Serves `app` on `listener` until `shutdown` resolves, then stops accepting and waits for
/// every open connection to finish its requests.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    trusted: TrustedProxies,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Connections hold a sender and watch for the receiver to go: that is the shutdown signal.
    let (signal, stop) = watch::channel(());
    // Connections hold a receiver each; the sender closes once they have all finished.
    let (all_done, done) = watch::channel(());
    let open = Places::new(MAX_CONNECTIONS, MAX_CONNECTIONS_PER_ADDRESS);
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
        let from = (!trusted.trusts(peer.ip())).then_some(peer.ip());
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
        tokio::spawn(async move {
            serve_one(stream, peer, app, &signal).await;
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
    signal: &watch::Sender<()>,
) {
    let service = app.map_request(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        request.map(Body::new)
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
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
