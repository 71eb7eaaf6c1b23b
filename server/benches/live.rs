//! Live-editing benchmark: edit round-trip latency and throughput with 2, 10 and 50 editors on
//! one map, beside a bare WebSocket echo server on the same loopback as the physical floor.
//!
//! Each editor sends one operation at a time and waits for the server's acknowledgement (the
//! operation coming back in the map's log, which happens only after it is committed to SQLite
//! with `synchronous=FULL`), while also receiving everyone else's operations.
//!
//! Run: `cargo bench -p server --bench live` (add `-- --quick` for a short run, `-- --editors 50`
//! for one row, `-- --waymark-only` to leave out the floors, e.g. under a profiler).

// A benchmark's job is to print its figures.
#![allow(clippy::print_stdout)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::domain::edit::{Edit, Op};
use app::domain::ids::{MapId, OpId, Rev};
use app::domain::protocol::{ClientMsg, PROTOCOL_VERSION};
use app::domain::template::Template;
use app::domain::text::Text;
use futures::{SinkExt, StreamExt};
use leptos::config::LeptosOptions;
use server::hub::LiveLimits;
use server::router::router;
use server::state::SiteConfig;
use tokio::net::TcpListener;
use tokio_tungstenite::accept_async_with_config;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

#[path = "support/mod.rs"]
mod support;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    // `--editors N` runs only that row (handy under a profiler).
    let only: Option<usize> = args
        .iter()
        .position(|a| a == "--editors")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok());
    let waymark_only = args.iter().any(|a| a == "--waymark-only");
    let dir = tempfile::tempdir().expect("temporary directory");
    let (waymark, cookies, map, card_ids) = start_waymark(dir.path()).await;
    let echo = start_echo(false).await;
    let relay = start_echo(true).await;

    println!("Edit round trip on loopback; each editor waits for its own acknowledgement.");
    println!(
        "Waymark acknowledges only after the SQLite commit (synchronous=FULL) and sends every"
    );
    println!("edit to every editor; the per-connection rate limit is lifted for the benchmark.");
    println!("Floors: a bare echo back to the sender, and a bare relay that sends each message to");
    println!("every client (the same deliveries as Waymark's, without the map or the database).\n");
    println!(
        "{:>7} {:>6} | {:>8} {:>8} | {:>8} {:>8} {:>9} | {:>8} {:>8} {:>9} | {:>8} {:>8}",
        "editors",
        "edits",
        "echo p50",
        "echo p99",
        "relay50",
        "relay99",
        "relay/s",
        "wm p50",
        "wm p99",
        "wm/s",
        "wm/relay",
        "wm/echo"
    );
    for (editors, rounds) in [(2usize, 2000usize), (10, 500), (50, 1000)] {
        if only.is_some_and(|only| only != editors) {
            continue;
        }
        let rounds = if quick { rounds / 10 } else { rounds };
        let (echo, relay) = if waymark_only {
            (Figures::NONE, Figures::NONE)
        } else {
            (
                run(editors, rounds, |n| echo_client(echo, n)).await,
                run(editors, rounds, |n| echo_client(relay, n)).await,
            )
        };
        let (card_ids, cookies) = (card_ids.clone(), cookies.clone());
        let wm = run(editors, rounds, move |n| {
            let (cookie, card) = (cookies[n % ACCOUNTS].clone(), card_ids[n % card_ids.len()]);
            async move { waymark_client(waymark, &cookie, map, card).await }
        })
        .await;
        // A floor that was not run (`--waymark-only`) has no ratio.
        let ratio = |base: &Figures| match base.p50.as_secs_f64() {
            0.0 => "-".to_owned(),
            floor => format!("{:.2}x", wm.p50.as_secs_f64() / floor),
        };
        println!(
            "{:>7} {:>6} | {:>8} {:>8} | {:>8} {:>8} {:>9.0} | {:>8} {:>8} {:>9.0} | {:>8} {:>8}",
            editors,
            editors * rounds,
            ms(echo.p50),
            ms(echo.p99),
            ms(relay.p50),
            ms(relay.p99),
            relay.per_second,
            ms(wm.p50),
            ms(wm.p99),
            wm.per_second,
            ratio(&relay),
            ratio(&echo),
        );
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2}ms", d.as_secs_f64() * 1e3)
}

struct Figures {
    p50: Duration,
    p99: Duration,
    per_second: f64,
}

impl Figures {
    /// For a floor that was not run.
    const NONE: Figures = Figures {
        p50: Duration::ZERO,
        p99: Duration::ZERO,
        per_second: 0.0,
    };
}

/// Runs `editors` clients concurrently, each doing `rounds` round trips, and summarises them.
async fn run<F, Fut>(editors: usize, rounds: usize, client: F) -> Figures
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Box<dyn RoundTrip>>,
{
    let mut clients = Vec::new();
    for n in 0..editors {
        clients.push(client(n).await);
    }
    let start = Instant::now();
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|mut c| {
            tokio::spawn(async move {
                let mut samples = Vec::with_capacity(rounds);
                for _ in 0..rounds {
                    let t = Instant::now();
                    c.round_trip().await;
                    samples.push(t.elapsed());
                }
                samples
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("client task"));
    }
    let elapsed = start.elapsed();
    all.sort();
    Figures {
        p50: support::percentile(&all, 0.50),
        p99: support::percentile(&all, 0.99),
        per_second: all.len() as f64 / elapsed.as_secs_f64(),
    }
}

trait RoundTrip: Send {
    fn round_trip(&mut self) -> futures::future::BoxFuture<'_, ()>;
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

struct EchoClient {
    ws: Socket,
    /// Unique to this client, so it can tell its own message among everyone's on the relay.
    payload: String,
}

impl RoundTrip for EchoClient {
    fn round_trip(&mut self) -> futures::future::BoxFuture<'_, ()> {
        Box::pin(async move {
            self.ws
                .send(Message::Text(self.payload.clone().into()))
                .await
                .expect("send");
            while let Some(Ok(frame)) = self.ws.next().await {
                if let Message::Text(text) = frame {
                    if text.as_str() == self.payload {
                        return;
                    }
                }
            }
            panic!("echo connection closed");
        })
    }
}

async fn echo_client(addr: SocketAddr, n: usize) -> Box<dyn RoundTrip> {
    let (ws, _) = connect(format!("ws://{addr}/"), None).await;
    // The same size as an edit message, for a like-for-like floor.
    let op = edit_op(CardIdLike::nil(), n);
    let payload = serde_json::to_string(&ClientMsg::Submit { ops: vec![op] }).expect("json");
    Box::new(EchoClient { ws, payload })
}

struct WaymarkClient {
    ws: Socket,
    card: app::domain::ids::CardId,
    n: usize,
}

impl RoundTrip for WaymarkClient {
    fn round_trip(&mut self) -> futures::future::BoxFuture<'_, ()> {
        Box::pin(async move {
            self.n += 1;
            let op = edit_op(self.card, self.n);
            let needle = op.id.to_string();
            let msg = serde_json::to_string(&ClientMsg::Submit { ops: vec![op] }).expect("json");
            self.ws.send(Message::Text(msg.into())).await.expect("send");
            loop {
                let frame = self.ws.next().await;
                let Some(Ok(frame)) = frame else {
                    panic!("waymark connection closed: {frame:?}");
                };
                let Message::Text(text) = frame else { continue };
                // A load generator shares the cores with the server: spot the acknowledgement
                // without decoding every message.
                if text.contains(&needle) && text.starts_with(r#"{"applied":"#) {
                    return;
                }
                if text.starts_with(r#"{"closing":"#) {
                    panic!("server closed the connection: {text}");
                }
            }
        })
    }
}

async fn waymark_client(
    addr: SocketAddr,
    cookie: &str,
    map: MapId,
    card: app::domain::ids::CardId,
) -> Box<dyn RoundTrip> {
    let (mut ws, _) = connect(format!("ws://{addr}/ws/maps/{map}"), Some(cookie)).await;
    let hello = ClientMsg::Hello {
        protocol: PROTOCOL_VERSION,
        since: Rev(u64::MAX >> 2),
        name: "bench".into(),
    };
    let hello = serde_json::to_string(&hello).expect("json");
    ws.send(Message::Text(hello.into())).await.expect("hello");
    Box::new(WaymarkClient { ws, card, n: 0 })
}

/// Connects with Nagle's algorithm off, as browsers do, with a session `cookie` if given.
async fn connect(
    url: String,
    cookie: Option<&str>,
) -> (
    Socket,
    tokio_tungstenite::tungstenite::handshake::client::Response,
) {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = url.into_client_request().expect("websocket url");
    if let Some(cookie) = cookie {
        request
            .headers_mut()
            .insert("cookie", cookie.parse().expect("cookie header"));
    }
    tokio_tungstenite::connect_async_with_config(request, Some(socket_config()), true)
        .await
        .expect("websocket connect")
}

/// Every socket in the benchmark, the echo server's and all clients', reads as Waymark's do.
fn socket_config() -> tokio_tungstenite::tungstenite::protocol::WebSocketConfig {
    tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .read_buffer_size(server::hub::READ_BUFFER_BYTES)
}

/// Stand-in for a card id in the echo payload.
struct CardIdLike;

impl CardIdLike {
    fn nil() -> app::domain::ids::CardId {
        app::domain::ids::CardId::from_uuid(Uuid::nil())
    }
}

fn edit_op(card: app::domain::ids::CardId, n: usize) -> Op {
    Op {
        // As browsers make them.
        id: OpId::from_uuid(Uuid::now_v7()),
        edit: Edit::SetCardText {
            id: card,
            text: Text::parse(&format!("Edited by the benchmark, revision {n}")).expect("text"),
        },
    }
}

/// Editor accounts made for the benchmark: one per simulated editor, as real people (an account
/// may have only a few tabs on one map).
const ACCOUNTS: usize = 64;

/// A Waymark server on loopback with one map, its card ids, and the session cookies of the
/// editors who edit it.
async fn start_waymark(
    dir: &std::path::Path,
) -> (
    SocketAddr,
    Vec<String>,
    MapId,
    Vec<app::domain::ids::CardId>,
) {
    let backend = support::backend(&dir.join("bench.sqlite"));
    let map = backend
        .create(None, Template::CustomerJourney, None)
        .await
        .expect("map");
    let cookies = support::editors(&backend.db, map, ACCOUNTS).await;
    let cards = backend
        .rooms
        .snapshot(map)
        .await
        .expect("snapshot")
        .map
        .cards()
        .iter()
        .map(|c| c.id)
        .collect();
    let options = LeptosOptions::builder()
        .output_name(Arc::<str>::from("waymark"))
        .site_root(Arc::<str>::from(dir.to_string_lossy().as_ref()))
        .build();
    let mut state = server::state::Shared::new(options, backend, SiteConfig::default());
    // The per-connection rate limit protects a map from one runaway client; the benchmark
    // measures what the engine itself can do.
    state.live_limits = LiveLimits {
        ops_per_second: 1e9,
        burst: 1e9,
        ..LiveLimits::default()
    };
    let app = router(state.into());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let options = server::connections::Options::new(Default::default());
        server::connections::serve(listener, app, options, std::future::pending()).await
    });
    (addr, cookies, map, cards)
}

/// A bare WebSocket echo server. With `relay`, every message goes to every client connected
/// (a chat relay: the least work that still delivers each edit to everyone, as Waymark must);
/// without, only back to its sender. Either way a socket writes whatever is waiting in one go.
async fn start_echo(relay: bool) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    // Large enough for every message of a run: a bare relay has no way to catch up a client that
    // lagged, and a lost message would leave its sender waiting for ever.
    let everyone = tokio::sync::broadcast::channel::<Message>(1 << 16).0;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let everyone = everyone.clone();
            // As Waymark's listener does: no Nagle delay on small frames.
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let Ok(ws) = accept_async_with_config(stream, Some(socket_config())).await else {
                    return;
                };
                let (mut sink, mut stream) = ws.split();
                if !relay {
                    while let Some(Ok(frame)) = stream.next().await {
                        if frame.is_text() && sink.send(frame).await.is_err() {
                            return;
                        }
                    }
                    return;
                }
                let mut heard = everyone.subscribe();
                loop {
                    tokio::select! {
                        frame = stream.next() => match frame {
                            Some(Ok(frame)) if frame.is_text() => {
                                let _ = everyone.send(frame);
                            }
                            Some(Ok(_)) => {}
                            _ => return,
                        },
                        Ok(mut frame) = heard.recv() => loop {
                            if sink.feed(frame).await.is_err() {
                                return;
                            }
                            match heard.try_recv() {
                                Ok(next) => frame = next,
                                Err(_) => break,
                            }
                        },
                    }
                    if sink.flush().await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}
