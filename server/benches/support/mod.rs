//! What the benchmarks that drive the real binary share: the `waymark` binary as a child
//! process, and just enough HTTP/1.1 to talk to it with keep-alive connections.

#![allow(dead_code)]

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use app::domain::edit::{Edit, Op};
use app::domain::ids::OpId;
use app::domain::protocol::{ClientMsg, ServerMsg, PROTOCOL_VERSION};
use app::domain::text::Text;
use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;

/// The `waymark` binary serving a data directory, as a child process.
pub struct Waymark {
    pub child: Child,
    pub addr: SocketAddr,
}

impl Waymark {
    pub async fn start(dir: &Path) -> Waymark {
        Waymark::start_with(dir, &[]).await
    }

    /// Serves `dir` with extra environment variables.
    pub async fn start_with(dir: &Path, env: &[(&str, &str)]) -> Waymark {
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port");
        Waymark::start_at(dir, addr, env).await
    }

    /// Serves `dir` at `addr` (again, after a kill: clients reconnect to the same address).
    pub async fn start_at(dir: &Path, addr: SocketAddr, env: &[(&str, &str)]) -> Waymark {
        // `WAYMARK_BIN` in `env` runs another build of the binary.
        let bin = env
            .iter()
            .find(|(name, _)| *name == "WAYMARK_BIN")
            .map_or(env!("CARGO_BIN_EXE_waymark"), |(_, bin)| *bin);
        let mut command = Command::new(bin);
        command
            .arg("serve")
            .env("WAYMARK_ADDR", addr.to_string())
            .env("WAYMARK_DATA_DIR", dir)
            .env("WAYMARK_SITE_DIR", dir)
            .env("WAYMARK_LOG", "error")
            .stdout(Stdio::null());
        for (name, value) in env {
            command.env(name, value);
        }
        let child = command.spawn().expect("start waymark");
        let deadline = Instant::now() + Duration::from_secs(30);
        while Http::get_status(addr, "/healthz").await != Some(200) {
            assert!(Instant::now() < deadline, "waymark did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Waymark { child, addr }
    }

    /// Runs `waymark create-admin` on `dir` (before serving it).
    pub fn create_admin(dir: &Path, email: &str, password: &str) {
        let status = Command::new(env!("CARGO_BIN_EXE_waymark"))
            .args(["create-admin", "--email", email, "--name", "Admin"])
            .env("WAYMARK_DATA_DIR", dir)
            .env("WAYMARK_ADMIN_PASSWORD", password)
            .env("WAYMARK_LOG", "error")
            .status()
            .expect("run create-admin");
        assert!(status.success(), "create-admin failed");
    }

    /// The server's resident memory now and at its peak, in bytes (Linux).
    pub fn memory(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|kb| kb.parse::<u64>().ok())
                .map_or(0, |kb| kb * 1024)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// CPU time the server has used so far (user and system).
    pub fn cpu(&self) -> Duration {
        cpu_of(self.child.id())
    }

    /// How many threads the server runs now.
    pub fn threads(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("Threads:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    }

    /// SIGTERM, and waits for the server to finish what it holds and exit.
    pub fn stop(&mut self) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(status.success(), "could not signal the server");
        self.child.wait().expect("reap");
    }

    /// SIGKILL: no shutdown, no flushing.
    pub fn kill(&mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("reap");
    }
}

impl Drop for Waymark {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU time process `pid` has used so far (user and system), from `/proc`.
pub fn cpu_of(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|i| fields.get(*i).and_then(|v| v.parse::<u64>().ok()))
        .sum();
    // Linux counts in clock ticks of 1/100 s.
    Duration::from_millis(ticks * 10)
}

/// One answer: its status, its head (lower-cased) and its body.
pub struct Answer {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers(name).next()
    }

    /// Every value of a header that may come more than once (`set-cookie`).
    pub fn headers<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + 'a {
        let prefix = format!("{name}:");
        self.head
            .lines()
            .filter_map(move |l| l.strip_prefix(prefix.as_str()).map(str::trim))
    }

    /// The value of cookie `name` the answer sets, if it sets one.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let prefix = format!("{name}=");
        self.headers("set-cookie")
            .filter_map(|c| c.split(';').next())
            .find(|c| c.starts_with(&prefix) && c.len() > prefix.len())
            .map(str::to_owned)
    }
}

/// Just enough HTTP/1.1 for the benchmarks: keep-alive requests, answers with a length or in
/// chunks.
pub struct Http {
    pub stream: TcpStream,
    buffer: Vec<u8>,
}

impl Http {
    pub async fn connect(addr: SocketAddr) -> Http {
        Http::connect_from(addr, None).await.expect("connect")
    }

    /// Connects from the loopback address `from` (any of 127.0.0.0/8), so that the server sees
    /// a client of its own.
    pub async fn connect_from(addr: SocketAddr, from: Option<IpAddr>) -> std::io::Result<Http> {
        let socket = TcpSocket::new_v4()?;
        if let Some(from) = from {
            socket.bind(SocketAddr::new(from, 0))?;
        }
        let stream = socket.connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Http {
            stream,
            buffer: Vec::new(),
        })
    }

    pub async fn get_status(addr: SocketAddr, path: &str) -> Option<u16> {
        let mut http = Http::connect_from(addr, None).await.ok()?;
        let answer = http.request("GET", path, &[], b"").await.ok()?;
        Some(answer.status)
    }

    /// A JSON post with an API key; returns the status.
    pub async fn post(&mut self, path: &str, key: &str, body: &[u8]) -> std::io::Result<u16> {
        let authorization = format!("Bearer {key}");
        let headers = [
            ("Authorization", authorization.as_str()),
            ("Content-Type", "application/json"),
        ];
        Ok(self.request("POST", path, &headers, body).await?.status)
    }

    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<Answer> {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: bench\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        self.stream.write_all(head.as_bytes()).await?;
        self.stream.write_all(body).await?;
        self.answer().await
    }

    /// Reads one answer.
    async fn answer(&mut self) -> std::io::Result<Answer> {
        let broken = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
        let end = loop {
            if let Some(end) = self.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
            self.fill().await?;
        };
        let head = String::from_utf8_lossy(&self.buffer[..end]).to_lowercase();
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| broken("no status"))?;
        self.buffer.drain(..end);
        let chunked = head.contains("transfer-encoding: chunked");
        let body = if chunked {
            self.chunks().await?
        } else {
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            self.take(length).await?
        };
        Ok(Answer { status, head, body })
    }

    async fn take(&mut self, length: usize) -> std::io::Result<Vec<u8>> {
        while self.buffer.len() < length {
            self.fill().await?;
        }
        Ok(self.buffer.drain(..length).collect())
    }

    async fn line(&mut self) -> std::io::Result<String> {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.buffer[..end]).into_owned();
                self.buffer.drain(..end + 2);
                return Ok(line);
            }
            self.fill().await?;
        }
    }

    async fn chunks(&mut self) -> std::io::Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let size = self.line().await?;
            let size = usize::from_str_radix(size.split(';').next().unwrap_or("0").trim(), 16)
                .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "chunk size"))?;
            let chunk = self.take(size + 2).await?;
            if size == 0 {
                return Ok(body);
            }
            body.extend_from_slice(&chunk[..size]);
        }
    }

    async fn fill(&mut self) -> std::io::Result<()> {
        let mut chunk = [0u8; 8192];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.buffer.extend_from_slice(&chunk[..n]);
        Ok(())
    }
}

/// The `p` quantile (0 to 1) of `sorted` samples, nearest rank; zero when there are none.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

/// Makes `n` editor accounts of map `map`, each with a session (no password: they never sign
/// in); returns their session cookies.
pub async fn editors(db: &server::db::Db, map: app::domain::ids::MapId, n: usize) -> Vec<String> {
    let mut cookies = Vec::new();
    for i in 0..n {
        let user = app::api::auth::User {
            id: app::domain::ids::UserId::from_uuid(uuid::Uuid::new_v4()),
            email: format!("editor{i}@example.com"),
            name: format!("Editor {i}"),
            is_admin: false,
        };
        let token = server::secrets::new_token().expect("a token");
        let hash = server::secrets::hash_token(&token);
        db.writer()
            .write(move |conn| {
                use server::db::accounts::{insert_session, insert_user, set_member};
                insert_user(conn, &user, "-", 0)?;
                set_member(conn, map, user.id, Some(app::domain::access::Role::Editor))?;
                insert_session(conn, &hash, user.id, 0, i64::MAX)
            })
            .await
            .expect("an editor");
        cookies.push(format!("{}={token}", app::api::auth::SESSION_COOKIE));
    }
    cookies
}

/// The rooms and database of a data directory's file, opened in this process (to set a map up
/// before the binary serves it, or to serve it in-process).
pub fn backend(file: &Path) -> server::backend::ServerBackend {
    let (db, _) = server::db::Db::open(file).expect("database");
    server::backend::ServerBackend {
        rooms: server::rooms::Rooms::new(db.clone()),
        db,
    }
}

/// A live-editing socket on a map, as a browser with session `cookie` opens it.
pub type MapSocket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

/// Opens map `map`'s live-editing socket with session `cookie` (nothing said on it yet).
pub async fn map_socket(
    addr: SocketAddr,
    map: app::domain::ids::MapId,
    cookie: &str,
) -> Result<MapSocket, tokio_tungstenite::tungstenite::Error> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{addr}/ws/maps/{map}").into_client_request()?;
    let cookie = cookie
        .parse()
        .map_err(|err| tokio_tungstenite::tungstenite::Error::HttpFormat(http::Error::from(err)))?;
    request.headers_mut().insert("cookie", cookie);
    Ok(tokio_tungstenite::connect_async(request).await?.0)
}

/// Edit round trips on map `map`: one editor per cookie, each setting the text of its own card
/// of `cards` `rounds` times, 40 ms apart, and timing each from sending it to hearing it
/// applied. Returns every round trip, unsorted.
pub async fn edit_round_trips(
    addr: SocketAddr,
    map: app::domain::ids::MapId,
    cards: &[app::domain::ids::CardId],
    cookies: &[String],
    rounds: usize,
) -> Vec<Duration> {
    let editors = cookies.iter().enumerate().map(|(n, cookie)| {
        let (cookie, card) = (cookie.clone(), cards[n * 7 % cards.len()]);
        async move {
            let mut ws = map_socket(addr, map, &cookie).await.expect("connect");
            let hello = ClientMsg::Hello {
                protocol: PROTOCOL_VERSION,
                since: app::domain::ids::Rev(u64::MAX / 2),
                name: "Bench".into(),
            };
            send_msg(&mut ws, &hello).await;
            // A far-future revision gets the whole map: the welcome is the map.
            wait_for(&mut ws, |m| matches!(m, ServerMsg::Welcome { .. })).await;
            let mut times = Vec::new();
            for n in 0..rounds {
                let edit = Op {
                    id: OpId::from_uuid(uuid::Uuid::now_v7()),
                    edit: Edit::SetCardText {
                        id: card,
                        text: Text::parse(&format!("Round {n}")).expect("text"),
                    },
                };
                let id = edit.id;
                let started = Instant::now();
                send_msg(&mut ws, &ClientMsg::Submit { ops: vec![edit] }).await;
                wait_for(&mut ws, |m| {
                    matches!(m, ServerMsg::Applied { log } if log.iter().any(|l| l.op.id == id))
                })
                .await;
                times.push(started.elapsed());
                tokio::time::sleep(Duration::from_millis(40)).await;
            }
            times
        }
    });
    futures::future::join_all(editors)
        .await
        .into_iter()
        .flatten()
        .collect()
}

async fn send_msg(ws: &mut MapSocket, msg: &ClientMsg) {
    let text = serde_json::to_string(msg).expect("json");
    ws.send(Message::Text(text.into())).await.expect("send");
}

async fn wait_for(ws: &mut MapSocket, done: impl Fn(&ServerMsg) -> bool) {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .expect("an answer within 30 s")
            .expect("open")
            .expect("a frame");
        if let Message::Text(text) = frame {
            let msg: ServerMsg = serde_json::from_str(&text).expect("a server message");
            if done(&msg) {
                return;
            }
        }
    }
}
