//! Abuse benchmark: the real `waymark` binary under a flood of junk from anonymous clients,
//! while its owner signs in, an integration sends answers with its key, and an editor edits.
//!
//! 400 attackers, each from an address of its own (loopback has 16 million), send junk in a
//! closed loop to the set-up server function, to sign-in (made-up emails and the admin's own),
//! to the public form and to the feedback API (made-up keys, a megabyte of body). Meanwhile the
//! admin signs in with the right password from their own address, a valid API key posts small
//! batches, and an editor makes edits over the map's socket, each waiting for its
//! acknowledgement. The same three are first measured with nobody attacking: the floor, printed
//! beside each figure as a ratio.
//!
//! Run: `cargo bench -p server --bench abuse` (add `-- --quick` for a shorter run).

// A benchmark's job is to print its figures.
#![allow(clippy::print_stdout)]

#[path = "support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::api::auth::{LogIn, SetUp};
use app::api::feedback::{CreateApiKey, FormToken};
use app::api::maps::{CreateMap, LoadMap};
use app::domain::edit::{Edit, Op};
use app::domain::feedback::Survey;
use app::domain::ids::{MapId, OpId, Rev};
use app::domain::protocol::{ClientMsg, ServerMsg, PROTOCOL_VERSION};
use app::domain::text::Text;
use futures::{SinkExt, StreamExt};
use leptos::server_fn::ServerFn;
use support::{percentile, Http, Waymark};
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

/// How many attackers (`ABUSE_ATTACKERS` changes it, to see how the figures scale).
fn attackers() -> usize {
    std::env::var("ABUSE_ATTACKERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(400)
}
const ADMIN_EMAIL: &str = "admin@example.com";
const ADMIN_PASSWORD: &str = "the admin's long password";
/// The admin's, the integration's and the editor's address.
const OWNER: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    match args.iter().position(|a| a == "--attack") {
        // The attackers run in a process of their own, so that hundreds of busy tasks do not
        // stand in the measured clients' queue (the machine's cores are shared all the same).
        Some(at) => runtime.block_on(attack(&args[at + 1..])),
        None => runtime.block_on(bench(args.iter().any(|a| a == "--quick"))),
    }
}

async fn bench(quick: bool) {
    let seconds = if quick { 8 } else { 30 };
    let dir = tempfile::tempdir().expect("temporary directory");
    Waymark::create_admin(dir.path(), ADMIN_EMAIL, ADMIN_PASSWORD);
    let waymark = Waymark::start(dir.path()).await;
    let site = Site::prepare(&waymark).await;
    let (idle, _) = waymark.memory();

    println!(
        "Abuse: {} anonymous attackers, each from its own address, for {seconds} s",
        attackers()
    );
    let floor = site
        .measure(Duration::from_secs(seconds.min(10)), None)
        .await;
    let only = std::env::args().skip_while(|a| a != "--only").nth(1);
    let attackers = std::process::Command::new(std::env::current_exe().expect("this bench"))
        .args([
            "--attack",
            &site.addr.to_string(),
            &site.map.to_string(),
            &site.form,
        ])
        .args(only.iter().flat_map(|o| ["--only", o.as_str()]))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start the attackers");
    let (server_before, started) = (waymark.cpu(), Instant::now());
    let attacker_pid = attackers.id();
    let attacked = site
        .measure(Duration::from_secs(seconds), Some(&waymark))
        .await;
    let elapsed = started.elapsed().as_secs_f64();
    let server_cpu = (waymark.cpu() - server_before).as_secs_f64() / elapsed;
    let attacker_cpu = support::cpu_of(attacker_pid).as_secs_f64() / elapsed;
    let threads = waymark.threads();
    let (_, peak) = waymark.memory();
    // The attackers stop when their standard input closes… which is now.
    let report = stop_attackers(attackers);
    println!("  {report}");
    println!(
        "  CPU under attack: the server {server_cpu:.2} cores, the attackers {attacker_cpu:.2} \
         cores (of {}); server threads: {threads}",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    println!(
        "  server memory: {} MB before, peak {} MB (target: under 300 MB)",
        idle >> 20,
        peak.max(attacked.peak_rss) >> 20
    );
    attacked.print(
        "admin sign-in",
        &attacked.sign_ins,
        &floor.sign_ins,
        "p99 under 1 s",
    );
    attacked.print("valid API key", &attacked.api, &floor.api, "p99 under 1 s");
    attacked.print(
        "editor's edit",
        &attacked.edits,
        &floor.edits,
        "p99 under 50 ms",
    );
}

/// Signals the attackers' process to stop (SIGTERM) and returns what it reports.
fn stop_attackers(mut attackers: std::process::Child) -> String {
    let pid = attackers.id().to_string();
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status();
    let mut report = String::new();
    if let Some(mut out) = attackers.stdout.take() {
        use std::io::Read;
        let _ = out.read_to_string(&mut report);
    }
    let _ = attackers.wait();
    report.trim_end().replace('\n', "\n  ")
}

/// The attackers' process: floods the server until SIGTERM, then prints what it sent.
async fn attack(args: &[String]) {
    let addr: std::net::SocketAddr = args[0].parse().expect("an address");
    let map: MapId = args[1].parse().expect("a map");
    let form = args[2].clone();
    let counts = Arc::new(Mutex::new(BTreeMap::new()));
    let flood = Flood::start(addr, map, form, counts.clone());
    let mut terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("signal");
    terminate.recv().await;
    let sent = flood.stop().await;
    println!("attacker requests: {sent}, answered:");
    for ((target, status), n) in counts.lock().expect("counts").iter() {
        let status = if *status == 0 {
            "closed".to_owned()
        } else {
            status.to_string()
        };
        println!("  {target:<10} {status}: {n}");
    }
}

/// What the benchmark found on the running server.
struct Site {
    addr: std::net::SocketAddr,
    map: MapId,
    key: String,
    form: String,
    cookie: String,
    /// The admin's browser's device cookie (`name=value`).
    device: String,
}

impl Site {
    async fn prepare(waymark: &Waymark) -> Site {
        let addr = waymark.addr;
        let (cookie, device, _) = sign_in(addr, None).await;
        let cookie = cookie.expect("the admin signs in");
        let device = device.expect("the admin's browser is remembered");
        let mut http = Http::connect(addr).await;
        let created = call(
            &mut http,
            CreateMap::PATH,
            &cookie,
            "template=customer_journey&title=Bench",
        )
        .await;
        let map: MapId = serde_json::from_slice(&created).expect("a new map");
        let key = call(
            &mut http,
            CreateApiKey::PATH,
            &cookie,
            &format!("map={map}&label=Bench"),
        )
        .await;
        let key: app::api::feedback::NewApiKey = serde_json::from_slice(&key).expect("a key");
        // A touchpoint that collects feedback, for the form.
        let id = format!(r#"{{"id":"{map}"}}"#);
        let opened = call(&mut http, LoadMap::PATH, &cookie, &id).await;
        let opened: app::api::maps::OpenMap = serde_json::from_slice(&opened).expect("the map");
        let card = opened.snapshot.map.cards()[0].id;
        let mut socket = Editor::connect(addr, map, &cookie).await;
        let survey = Survey::default_for("bench");
        socket
            .edit(Edit::SetCardSurvey {
                id: card,
                survey: Some(survey),
            })
            .await;
        let form = call(
            &mut http,
            FormToken::PATH,
            &cookie,
            &format!("map={map}&card={card}&renew=false"),
        )
        .await;
        let form: String = serde_json::from_slice(&form).expect("a form token");
        Site {
            addr,
            map,
            key: key.secret,
            form,
            cookie,
            device,
        }
    }

    /// The admin signs in, the key posts and the editor edits, side by side, for `duration`.
    async fn measure(&self, duration: Duration, waymark: Option<&Waymark>) -> Figures {
        let until = Instant::now() + duration;
        let sign_ins = tokio::spawn({
            let (addr, device) = (self.addr, self.device.clone());
            async move {
                let mut times = Vec::new();
                while Instant::now() < until {
                    let (cookie, _, took) = sign_in(addr, Some(&device)).await;
                    times.push(cookie.map(|_| took));
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                times
            }
        });
        let api = tokio::spawn({
            let (addr, map, key) = (self.addr, self.map, self.key.clone());
            async move {
                let mut http = Http::connect(addr).await;
                let path = format!("/api/v1/maps/{map}/responses");
                let mut times = Vec::new();
                while Instant::now() < until {
                    let started = Instant::now();
                    let answer = http.post(&path, &key, b"[]").await;
                    // An empty batch is refused after the key is accepted: 400, never 401/429.
                    times.push(matches!(answer, Ok(400)).then(|| started.elapsed()));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                times
            }
        });
        let mut editor = Editor::connect(self.addr, self.map, &self.cookie).await;
        let mut edits = Vec::new();
        let mut peak_rss = 0;
        let mut n = 0;
        while Instant::now() < until {
            n += 1;
            let text = Text::parse(&format!("Goal {n}")).expect("text");
            let started = Instant::now();
            let acknowledged = editor.edit(Edit::SetGoals { text }).await;
            edits.push(acknowledged.then(|| started.elapsed()));
            if let Some(waymark) = waymark {
                peak_rss = peak_rss.max(waymark.memory().0);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Figures {
            sign_ins: sign_ins.await.expect("sign-ins"),
            api: api.await.expect("api"),
            edits,
            peak_rss,
        }
    }
}

/// Signs in as the admin from the owner's address, with the browser's device cookie when it
/// has one: the session cookie (and a device cookie, when newly given), and how long it took.
async fn sign_in(
    addr: std::net::SocketAddr,
    device: Option<&str>,
) -> (Option<String>, Option<String>, Duration) {
    let started = Instant::now();
    let body = format!(
        "email={}&password={}",
        ADMIN_EMAIL.replace('@', "%40"),
        ADMIN_PASSWORD.replace(' ', "+").replace('\'', "%27")
    );
    let Ok(mut http) = Http::connect_from(addr, Some(OWNER)).await else {
        return (None, None, started.elapsed());
    };
    let mut headers = vec![
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Accept", "application/json"),
    ];
    if let Some(device) = device {
        headers.push(("Cookie", device));
    }
    let answer = http
        .request("POST", LogIn::PATH, &headers, body.as_bytes())
        .await;
    let (session, device) = match answer {
        Ok(answer) => (
            answer.cookie("waymark_session"),
            answer.cookie("waymark_device"),
        ),
        Err(_) => (None, None),
    };
    (session, device, started.elapsed())
}

/// Calls a server function as the admin, with a form or with JSON when `body`
/// is an object; returns its body.
async fn call(http: &mut Http, path: &str, cookie: &str, body: &str) -> Vec<u8> {
    let kind = if body.starts_with('{') {
        "application/json"
    } else {
        "application/x-www-form-urlencoded"
    };
    let headers = [
        ("Content-Type", kind),
        ("Accept", "application/json"),
        ("Cookie", cookie),
    ];
    let answer = http
        .request("POST", path, &headers, body.as_bytes())
        .await
        .expect("an answer");
    assert!(answer.status < 300, "{path}: {}", answer.status);
    answer.body
}

/// An editor on the map's socket.
struct Editor {
    ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl Editor {
    async fn connect(addr: std::net::SocketAddr, map: MapId, cookie: &str) -> Editor {
        let ws = support::map_socket(addr, map, cookie)
            .await
            .expect("socket");
        let mut editor = Editor { ws };
        editor
            .send(&ClientMsg::Hello {
                protocol: PROTOCOL_VERSION,
                since: Rev(0),
                name: "Editor".into(),
            })
            .await;
        loop {
            if let Some(ServerMsg::Welcome { .. }) = editor.next().await {
                return editor;
            }
        }
    }

    async fn send(&mut self, msg: &ClientMsg) {
        let text = serde_json::to_string(msg).expect("json");
        self.ws
            .send(Message::Text(text.into()))
            .await
            .expect("send");
    }

    async fn next(&mut self) -> Option<ServerMsg> {
        match self.ws.next().await {
            Some(Ok(Message::Text(text))) => serde_json::from_str(&text).ok(),
            _ => None,
        }
    }

    /// Makes an edit and waits for it to come back acknowledged (at most 10 s).
    async fn edit(&mut self, edit: Edit) -> bool {
        let id = OpId::from_uuid(Uuid::now_v7());
        self.send(&ClientMsg::Submit {
            ops: vec![Op { id, edit }],
        })
        .await;
        let acknowledged = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                match self.next().await {
                    Some(ServerMsg::Applied { log }) if log.iter().any(|l| l.op.id == id) => {
                        return true
                    }
                    Some(_) => {}
                    None => return false,
                }
            }
        });
        acknowledged.await.unwrap_or(false)
    }
}

/// Latencies of the requests that succeeded (`None`: one that failed).
struct Figures {
    sign_ins: Vec<Option<Duration>>,
    api: Vec<Option<Duration>>,
    edits: Vec<Option<Duration>>,
    peak_rss: u64,
}

fn summary(samples: &[Option<Duration>]) -> (usize, usize, Duration, Duration) {
    let mut ok: Vec<Duration> = samples.iter().flatten().copied().collect();
    ok.sort();
    (
        ok.len(),
        samples.len(),
        percentile(&ok, 0.5),
        percentile(&ok, 0.99),
    )
}

impl Figures {
    fn print(
        &self,
        what: &str,
        attacked: &[Option<Duration>],
        floor: &[Option<Duration>],
        target: &str,
    ) {
        let (ok, all, p50, p99) = summary(attacked);
        let (_, _, floor50, floor99) = summary(floor);
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let ratio = |a: Duration, b: Duration| {
            if b.is_zero() {
                "-".to_owned()
            } else {
                format!("{:.1}×", a.as_secs_f64() / b.as_secs_f64())
            }
        };
        println!(
            "  {what:<14} {ok}/{all} succeeded; p50 {:.1} ms ({} the quiet floor of {:.1} ms), \
             p99 {:.1} ms ({} of {:.1} ms) (target: all succeed, {target})",
            ms(p50),
            ratio(p50, floor50),
            ms(floor50),
            ms(p99),
            ratio(p99, floor99),
            ms(floor99),
        );
    }
}

/// The attackers, running until stopped.
struct Flood {
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<usize>>,
}

type Counts = Arc<Mutex<BTreeMap<(&'static str, u16), usize>>>;

impl Flood {
    fn start(addr: std::net::SocketAddr, map: MapId, form: String, counts: Counts) -> Flood {
        let only = std::env::args()
            .skip_while(|a| a != "--only")
            .nth(1)
            .and_then(|t| {
                ["set-up", "sign-in", "form", "api"]
                    .iter()
                    .position(|k| *k == t)
            });
        let stop = Arc::new(AtomicBool::new(false));
        let junk_body = Arc::new(vec![b'['; 1 << 20]);
        let tasks = (0..attackers())
            .map(|n| {
                let (stop, counts, junk_body) = (stop.clone(), counts.clone(), junk_body.clone());
                let form = form.clone();
                // 127.1.x.y: an address of its own, never the owner's.
                let from = IpAddr::V4(Ipv4Addr::new(127, 1, (n / 250) as u8, (n % 250 + 1) as u8));
                tokio::spawn(async move {
                    let mut sent = 0;
                    let mut http: Option<Http> = None;
                    while !stop.load(Ordering::Relaxed) {
                        if http.is_none() {
                            http = Http::connect_from(addr, Some(from)).await.ok();
                        }
                        let Some(connection) = http.as_mut() else {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        };
                        let pick = only.unwrap_or((n + sent) % 4);
                        let (target, answer) = match pick {
                            0 => ("set-up", junk_set_up(connection, sent).await),
                            1 => ("sign-in", junk_sign_in(connection, sent).await),
                            2 => ("form", junk_answer(connection, &form).await),
                            _ => ("api", junk_key(connection, map, &junk_body).await),
                        };
                        // The server answers a wrong key without reading the body, then closes
                        // the connection: the next request needs a new one anyway.
                        if pick == 3 {
                            http = None;
                        }
                        sent += 1;
                        let status = match answer {
                            Ok(status) => status,
                            Err(_) => {
                                http = None;
                                0
                            }
                        };
                        *counts
                            .lock()
                            .expect("counts")
                            .entry((target, status))
                            .or_default() += 1;
                    }
                    sent
                })
            })
            .collect();
        Flood { stop, tasks }
    }

    async fn stop(self) -> usize {
        self.stop.store(true, Ordering::Relaxed);
        let mut sent = 0;
        for task in self.tasks {
            sent += task.await.unwrap_or(0);
        }
        sent
    }
}

const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

async fn junk_set_up(http: &mut Http, n: usize) -> std::io::Result<u16> {
    let body = format!("email=x{n}%40example.com&name=X&password=aaaaaaaaaaaa{n}");
    Ok(http
        .request("POST", SetUp::PATH, &[FORM], body.as_bytes())
        .await?
        .status)
}

async fn junk_sign_in(http: &mut Http, n: usize) -> std::io::Result<u16> {
    // Every other guess is at the admin's own account.
    let email = if n.is_multiple_of(2) {
        ADMIN_EMAIL.replace('@', "%40")
    } else {
        format!("nobody{n}%40example.com")
    };
    let body = format!("email={email}&password=guess{n}xxxxxxx");
    Ok(http
        .request("POST", LogIn::PATH, &[FORM], body.as_bytes())
        .await?
        .status)
}

async fn junk_answer(http: &mut Http, form: &str) -> std::io::Result<u16> {
    let path = format!("/f/{form}");
    Ok(http
        .request("POST", &path, &[FORM], b"nps=99&comment=spam&website=x")
        .await?
        .status)
}

async fn junk_key(http: &mut Http, map: MapId, body: &[u8]) -> std::io::Result<u16> {
    let path = format!("/api/v1/maps/{map}/responses");
    let key = format!("wmk_{:064x}", rand_u128());
    http.post(&path, &key, body).await
}

fn rand_u128() -> u128 {
    Uuid::new_v4().as_u128()
}
