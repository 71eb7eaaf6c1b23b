//! Shared set-up: a backend over a temporary database that can be "restarted".

use std::path::Path;
use std::sync::Arc;

use app::domain::edit::{Edit, Op};
use app::domain::ids::{MapId, OpId, Rev};
use app::domain::protocol::{ClientMsg, ServerMsg, PROTOCOL_VERSION};
use app::domain::template::Template;
use axum::serve::Listener;
use axum::Router;
use futures::{SinkExt, StreamExt};
use leptos::config::LeptosOptions;
use server::backend::ServerBackend;
use server::db::Db;
use server::rooms::Rooms;
use server::router::{router, AppState};
use std::time::Duration;
use tempfile::TempDir;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{connect_async, MaybeTlsStream, WebSocketStream};
use uuid::Uuid;

/// A data directory that outlives the backends opened on it, like a server's disk.
pub struct Disk {
    pub dir: TempDir,
}

impl Disk {
    pub fn new() -> Disk {
        Disk {
            dir: tempfile::tempdir().expect("temporary directory"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Opens the database as a starting server would.
    pub fn open(&self) -> ServerBackend {
        let (db, _fresh) = Db::open(&self.path().join("waymark.sqlite")).expect("open database");
        ServerBackend {
            rooms: Rooms::new(db.clone()),
            db,
        }
    }

    pub fn router(&self, backend: ServerBackend) -> Router {
        let leptos_options = LeptosOptions::builder()
            .output_name(Arc::<str>::from("waymark"))
            .site_root(Arc::<str>::from(self.path().to_string_lossy().as_ref()))
            .build();
        router(AppState::new(leptos_options, backend))
    }
}

pub async fn new_map(backend: &ServerBackend, template: Template) -> MapId {
    backend.create(template, None).await.expect("create map")
}

pub fn op(edit: Edit) -> Op {
    Op {
        id: OpId::from_uuid(Uuid::new_v4()),
        edit,
    }
}

/// A server on a free loopback port, serving until dropped.
pub struct Running {
    pub addr: std::net::SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Disk {
    pub async fn serve(&self, backend: ServerBackend) -> Running {
        let listener = server::router::listen(([127, 0, 0, 1], 0).into())
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let app = self.router(backend);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Running { addr, task }
    }
}

/// A live-editing client over a real WebSocket.
pub struct Client {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Client {
    pub async fn connect(
        server: &Running,
        map: MapId,
        since: Rev,
        name: &str,
    ) -> (Client, ServerMsg) {
        Client::connect_to(server.addr, map, since, name).await
    }

    pub async fn connect_to(
        addr: std::net::SocketAddr,
        map: MapId,
        since: Rev,
        name: &str,
    ) -> (Client, ServerMsg) {
        let url = format!("ws://{addr}/ws/maps/{map}");
        let (ws, _) = connect_async(url).await.expect("websocket handshake");
        let mut client = Client { ws };
        client
            .send(&ClientMsg::Hello {
                protocol: PROTOCOL_VERSION,
                since,
                name: name.into(),
            })
            .await;
        let welcome = client.next_not_peers().await;
        (client, welcome)
    }

    pub async fn send(&mut self, msg: &ClientMsg) {
        self.send_raw(serde_json::to_string(msg).unwrap()).await;
    }

    pub async fn send_raw(&mut self, text: String) {
        self.ws.send(Message::Text(text.into())).await.unwrap();
    }

    pub async fn next(&mut self) -> ServerMsg {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(10), self.ws.next())
                .await
                .expect("a message within 10 s")
                .expect("the socket stays open")
                .expect("a readable frame");
            if let Message::Text(text) = frame {
                return serde_json::from_str(&text).expect("a server message");
            }
        }
    }

    /// The next message that is not a presence update.
    pub async fn next_not_peers(&mut self) -> ServerMsg {
        loop {
            match self.next().await {
                ServerMsg::Peers { .. } => continue,
                other => return other,
            }
        }
    }

    /// Revisions received until `rev` arrives.
    pub async fn revs_until(&mut self, rev: Rev) -> Vec<Rev> {
        let mut revs = Vec::new();
        while revs.last() != Some(&rev) {
            match self.next_not_peers().await {
                ServerMsg::Applied { log } => revs.extend(log.iter().map(|l| l.rev)),
                other => panic!("expected operations, got {other:?}"),
            }
        }
        revs
    }
}
