//! Shared set-up: a backend over a temporary database that can be "restarted".

use std::path::Path;
use std::sync::Arc;

use app::domain::edit::{Edit, Op};
use app::domain::ids::{MapId, OpId, Rev};
use app::domain::protocol::{ClientMsg, ServerMsg, PROTOCOL_VERSION};
use app::domain::template::Template;
use axum::Router;
use futures::{SinkExt, StreamExt};
use leptos::config::LeptosOptions;
use server::backend::ServerBackend;
use server::db::Db;
use server::rooms::Rooms;
use server::router::router;
use server::state::{AppState, SiteConfig};
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

    /// The app as a signed-in admin would use it: every request carries an admin's session.
    pub async fn router(&self, backend: ServerBackend) -> Router {
        let cookie = admin_cookie(&backend).await;
        self.bare_router(backend)
            .layer(axum::middleware::map_request(
                move |mut request: axum::extract::Request| {
                    let cookie = cookie.clone();
                    async move {
                        if !request.headers().contains_key(axum::http::header::COOKIE) {
                            if let Ok(value) = axum::http::HeaderValue::from_str(&cookie) {
                                request
                                    .headers_mut()
                                    .insert(axum::http::header::COOKIE, value);
                            }
                        }
                        request
                    }
                },
            ))
    }

    /// The app as anyone on the network sees it.
    pub fn bare_router(&self, backend: ServerBackend) -> Router {
        router(self.state(backend, SiteConfig::default()))
    }

    /// The state the router works with, for tests that reach into it.
    pub fn state(&self, backend: ServerBackend, site: SiteConfig) -> AppState {
        self.shared(backend, site).into()
    }

    /// The parts of that state, for tests that change one before serving.
    pub fn shared(&self, backend: ServerBackend, site: SiteConfig) -> server::state::Shared {
        let leptos_options = LeptosOptions::builder()
            .output_name(Arc::<str>::from("waymark"))
            .site_root(Arc::<str>::from(self.path().to_string_lossy().as_ref()))
            .build();
        server::state::Shared::new(leptos_options, backend, site)
    }
}

/// A password hash of "a long password", made once per test run (argon2 is slow on purpose).
pub async fn password_hash() -> String {
    static HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    HASH.get_or_init(|| async {
        server::secrets::Passwords::new(1)
            .hash("a long password", server::secrets::Priority::Clean)
            .await
            .unwrap()
    })
    .await
    .clone()
}

/// A new account whose password is "a long password", with `role` on `map` if given, and a
/// session cookie (`name=value`) signed in as it.
pub async fn person(
    backend: &ServerBackend,
    admin: bool,
    role: Option<(MapId, app::domain::access::Role)>,
) -> (app::api::auth::User, String) {
    let user = app::api::auth::User {
        id: app::domain::ids::UserId::from_uuid(Uuid::new_v4()),
        email: format!("{}@example.com", Uuid::new_v4()),
        name: if admin { "Admin" } else { "Person" }.into(),
        is_admin: admin,
    };
    let hash = password_hash().await;
    let token = server::secrets::new_token().unwrap();
    let token_hash = server::secrets::hash_token(&token);
    let stored = user.clone();
    backend
        .db
        .writer()
        .write(move |conn| {
            server::db::accounts::insert_user(conn, &stored, &hash, 0)?;
            if let Some((map, role)) = role {
                server::db::accounts::set_member(conn, map, stored.id, Some(role))?;
            }
            let expires = server::clock::now_millis() + 24 * 3_600_000;
            server::db::accounts::insert_session(conn, &token_hash, stored.id, 0, expires)
        })
        .await
        .unwrap();
    (user, format!("{}={token}", app::api::auth::SESSION_COOKIE))
}

/// A share link to `map` showing `shows`, made by a new owner of the map.
pub async fn share_link(
    backend: &ServerBackend,
    map: MapId,
    shows: app::api::sharing::Disclosure,
) -> app::api::sharing::NewShareLink {
    use app::api::ctx::Accounts;
    let (owner, _) = person(
        backend,
        false,
        Some((map, app::domain::access::Role::Owner)),
    )
    .await;
    let settings = app::api::sharing::LinkSettings {
        label: author("Link"),
        days: None,
        password: None,
        shows,
    };
    accounts(backend)
        .create_share_link(map, owner.id, settings)
        .await
        .unwrap()
}

/// A session cookie (`name=value`) for a new admin account.
pub async fn admin_cookie(backend: &ServerBackend) -> String {
    person(backend, true, None).await.1
}

pub async fn new_map(backend: &ServerBackend, template: Template) -> MapId {
    backend
        .create(None, template, None)
        .await
        .expect("create map")
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
    /// The app as a signed-in admin would use it, on a real loopback port.
    pub async fn serve(&self, backend: ServerBackend) -> Running {
        let app = self.router(backend).await;
        serve_app(app, server::connections::Options::new(Default::default())).await
    }
}

/// `app` on a free loopback port, through the server's own connection loop.
pub async fn serve_app(app: Router, options: server::connections::Options) -> Running {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let forever = std::future::pending();
        let _ = server::connections::serve(listener, app, options, forever).await;
    });
    Running { addr, task }
}

/// The accounts service over `backend`, sharing its rooms as the router's does.
pub fn accounts(backend: &ServerBackend) -> server::accounts::ServerAccounts {
    server::accounts::ServerAccounts::new(backend.db.clone(), backend.rooms.clone())
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
        Client::connect_to(server.addr, map, since, name, None).await
    }

    pub async fn connect_to(
        addr: std::net::SocketAddr,
        map: MapId,
        since: Rev,
        name: &str,
        cookie: Option<&str>,
    ) -> (Client, ServerMsg) {
        let mut client = Client::open(addr, &format!("/ws/maps/{map}"), cookie)
            .await
            .expect("websocket handshake");
        client.hello(since, name).await;
        let welcome = client.next_not_peers().await;
        (client, welcome)
    }

    /// Opens a socket at `path` (with its query) without saying hello; `Err` holds the
    /// status of a refused upgrade.
    pub async fn open(
        addr: std::net::SocketAddr,
        path: &str,
        cookie: Option<&str>,
    ) -> Result<Client, u16> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        use tokio_tungstenite::tungstenite::Error;
        let mut request = format!("ws://{addr}{path}").into_client_request().unwrap();
        if let Some(cookie) = cookie {
            request
                .headers_mut()
                .insert("cookie", cookie.parse().unwrap());
        }
        match connect_async(request).await {
            Ok((ws, _)) => Ok(Client { ws }),
            Err(Error::Http(response)) => Err(response.status().as_u16()),
            Err(other) => panic!("websocket handshake: {other}"),
        }
    }

    pub async fn hello(&mut self, since: Rev, name: &str) {
        self.send(&ClientMsg::Hello {
            protocol: PROTOCOL_VERSION,
            since,
            name: name.into(),
        })
        .await;
    }

    /// Whether the server closes the socket (after what it had to say) within `within`.
    pub async fn closes_within(&mut self, within: Duration) -> bool {
        tokio::time::timeout(within, async {
            while let Some(Ok(frame)) = self.ws.next().await {
                if matches!(frame, Message::Close(_)) {
                    return;
                }
            }
        })
        .await
        .is_ok()
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

/// A name for the author of test edits.
pub fn author(name: &str) -> app::domain::text::Name {
    app::domain::text::Name::parse(name).unwrap()
}

/// An HTTP answer read off a real socket.
pub struct HttpReply {
    pub status: u16,
    /// Header lines, names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpReply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one HTTP/1.1 request over a new loopback connection and reads the whole answer: a
/// client as plain as they come, so nothing in between changes what the server sees.
pub async fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> HttpReply {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    let mut raw = Vec::new();
    // A connection the server refuses may be reset under the writer or the reader: then there
    // is no answer (status 0).
    if stream.write_all(request.as_bytes()).await.is_ok() {
        let read = tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut raw));
        let _reset = read.await.expect("an answer within 30 s");
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    HttpReply {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// Lets the database file grow by at most `pages` more pages (`None`: as much as it likes), as
/// a full disk would: past them, SQLite answers SQLITE_FULL.
pub async fn room_on_disk(db: &server::db::Db, pages: Option<i64>) {
    db.writer()
        .write(move |conn| {
            let now: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
            let most = pages.map_or(1_073_741_823, |pages| now + pages);
            conn.query_row(&format!("PRAGMA max_page_count = {most}"), [], |_| Ok(()))?;
            Ok(())
        })
        .await
        .unwrap();
}

/// Holds the writer in a job of its own (which runs `first`) until the returned sender says go;
/// the job's outcome is the second half.
pub async fn hold_writer(
    backend: &server::backend::ServerBackend,
    first: impl FnOnce(&rusqlite::Connection) -> Result<(), server::db::StoreError> + Send + 'static,
) -> (std::sync::mpsc::Sender<()>, server::db::Pending<()>) {
    let (started, has_started) = tokio::sync::oneshot::channel();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let hold = backend.db.writer().enqueue(move |conn| {
        first(conn)?;
        let _ = started.send(());
        let _ = released.recv();
        Ok(())
    });
    let hold = hold.await.unwrap();
    has_started.await.unwrap();
    (release, hold)
}

/// The registered path of the server function `name`.
pub fn path_of(name: &str) -> String {
    leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path)
        .find(|path| {
            path.trim_start_matches("/api/")
                .trim_end_matches(|c: char| c.is_ascii_digit())
                == name
        })
        .unwrap_or_else(|| panic!("no server function {name}"))
        .to_owned()
}
