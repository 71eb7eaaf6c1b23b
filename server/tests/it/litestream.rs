//! Off-site copies with Litestream: `litestream replicate -exec` runs the real `waymark` binary
//! (`--checkpoints off`, so that Litestream alone checkpoints) and copies its database to a file
//! replica while two editors edit a map over the live socket and answers arrive through the API.
//! Meanwhile the replica is restored into scratch files, to measure how far behind it runs
//! (printed, never asserted). Then the machine is lost: both processes are killed at once, so
//! Litestream gets no last sync; the data directory is deleted, the database is restored with
//! `litestream restore`, and Waymark serves it again. Everything acknowledged before the
//! replica's last sync must be there, the map's log without gaps, the tallies matching the
//! answers.
//!
//! Litestream v0.3.13 (the npm package `@flydotio/litestream-linux-x64`) is found through
//! `WAYMARK_LITESTREAM`, which `.ci/test` sets after installing it.

use std::collections::HashSet;
use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::domain::edit::{Edit, Op};
use app::domain::ids::{CardId, MapId, OpId, Rev};
use app::domain::protocol::{ClientMsg, ServerMsg, PROTOCOL_VERSION};
use app::domain::text::Text;
use futures::{SinkExt, StreamExt};
use rusqlite::{Connection, OpenFlags};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::binary::{backend, editors, map_socket, percentile, Http, MapSocket, Waymark};

/// How long editors and answers keep coming while Litestream replicates.
const LOAD: Duration = Duration::from_secs(8);
/// Answers per API request.
const BATCH: usize = 20;

/// Something Waymark acknowledged: when it was sent and when its acknowledgement came.
#[derive(Clone, Debug)]
struct Acked {
    item: Item,
    sent: Instant,
    acked: Instant,
}

#[derive(Clone, Debug)]
enum Item {
    /// An edit, by its operation's id.
    Edit(OpId),
    /// An answer, by its comment (each one's own).
    Answer(String),
}

type Log = Arc<Mutex<Vec<Acked>>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_restored_from_the_replica_has_everything_acknowledged_before_its_last_sync() {
    let litestream = litestream_binary();
    let dir = tempfile::tempdir().unwrap();
    let (data, replica, scratch) = (
        dir.path().join("data"),
        dir.path().join("replica"),
        dir.path().join("scratch"),
    );
    std::fs::create_dir_all(&data).unwrap();
    std::fs::create_dir_all(&scratch).unwrap();
    let database = data.join("waymark.sqlite");
    let (map, cards, key, cookies) = {
        let backend = backend(&database);
        let setup = crate::feedback::setup(backend).await;
        let key = crate::feedback::api_key(&setup).await;
        let cookies = editors(&setup.backend.db, setup.map, 2).await;
        setup.backend.db.flush().await.unwrap();
        let cards: Vec<CardId> = setup.touchpoints.iter().map(|(id, _)| *id).collect();
        (setup.map, cards, key, cookies)
    };
    // Litestream copies the database, not the data directory: the pseudonym key is kept apart,
    // once, as the README says.
    let key_copy = dir.path().join("pseudonym.key");
    std::fs::copy(data.join("pseudonym.key"), &key_copy).unwrap();

    // The sample config's file replica, with intervals short enough for a test: the log is read
    // and copied every 100 ms, and Litestream checkpoints every 100 pages, so that the copy goes
    // through many checkpoints and restarts of the log.
    let config = dir.path().join("litestream.yml");
    std::fs::write(
        &config,
        format!(
            "dbs:\n  - path: {}\n    monitor-interval: 100ms\n    min-checkpoint-page-count: 100\n    \
             checkpoint-interval: 1s\n    replicas:\n      - type: file\n        path: {}\n        \
             sync-interval: 100ms\n",
            database.display(),
            replica.display()
        ),
    )
    .unwrap();
    let addr = free_port();
    let log_file = dir.path().join("litestream.log");
    let mut replicating = Replicating::start(&litestream, &config, addr, &data, &log_file).await;

    // Two editors and a stream of answers, each noting what was acknowledged and when.
    let acked: Log = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut load = Vec::new();
    let checker = cookies[0].clone();
    for (n, cookie) in cookies.into_iter().enumerate() {
        let (acked, stop, card) = (acked.clone(), stop.clone(), cards[n]);
        load.push(tokio::spawn(edit(addr, map, card, cookie, acked, stop)));
    }
    load.push(tokio::spawn(answer(
        addr,
        map,
        cards.clone(),
        key,
        acked.clone(),
        stop.clone(),
    )));

    // Meanwhile: the newest acknowledged thing, and how long until a restore of the replica
    // has it. Each probe that finds its marker is a sync the replica is known to have made.
    let started = Instant::now();
    let mut lags = Vec::new();
    let mut restores = Vec::new();
    let mut torn = Vec::new();
    let mut last_sync: Option<Acked> = None;
    let mut probes = 0;
    // Under a heavy load the first sync may come late: without one the test would prove nothing,
    // so it waits for one a while longer.
    let probing = |last_sync: &Option<Acked>| {
        started.elapsed() < LOAD || (last_sync.is_none() && started.elapsed() < 3 * LOAD)
    };
    while probing(&last_sync) {
        let Some(marker) = newest(&acked) else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        while probing(&last_sync) {
            probes += 1;
            let copy = scratch.join(format!("probe-{probes}.sqlite"));
            let from = format!("file://{}", replica.display());
            let restoring = Instant::now();
            let (bin, item) = (litestream.clone(), marker.item.clone());
            let probed = tokio::task::spawn_blocking(move || {
                try_restore(&bin, &["-o", path(&copy), &from])
                    .ok()
                    .map(|()| holds(&copy, &item))
            });
            // A restore that races a sync of the replica may fail, and one made just after
            // Litestream began a generation may be torn (see the README); the next is tried.
            let found = match probed.await.unwrap() {
                Some(Ok(found)) => found,
                Some(Err(why)) => {
                    torn.push((started.elapsed(), why));
                    false
                }
                None => false,
            };
            restores.push(restoring.elapsed());
            if found {
                lags.push(marker.acked.elapsed());
                last_sync = Some(marker);
                break;
            }
        }
    }
    // The machine is lost, load still running: no last sync, no orderly shutdown.
    replicating.lose();
    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let last_sync = last_sync.unwrap_or_else(|| {
        panic!(
            "no restore of the replica ever held an acknowledged write ({probes} probes); \
             Litestream said:\n{}",
            std::fs::read_to_string(&log_file).unwrap_or_default()
        )
    });

    // A new machine: the data directory is gone; the database comes back from the replica.
    std::fs::remove_dir_all(&data).unwrap();
    restore(&litestream, &["-config", path(&config), path(&database)]);
    std::fs::copy(&key_copy, data.join("pseudonym.key")).unwrap();
    if let Err(why) = server::db::check_restorable(&database) {
        panic!("the database restored from the replica is not intact: {why}");
    }
    let mut server = Waymark::start(&data).await;
    // The editors' sessions were written before replication began, so they came back too.
    let served = welcome_rev(server.addr, map, &checker).await;
    server.stop();

    // Everything acknowledged before the last sync was seen is there, and everything
    // acknowledged before the newest thing that is there (commits reach the log in order, so
    // the replica holds a prefix of them).
    let restored =
        Connection::open_with_flags(&database, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let stored = Stored::read(&restored);
    let present: Vec<&Acked> = acked.iter().filter(|a| stored.holds(&a.item)).collect();
    let newest_present = present.iter().map(|a| a.sent).max();
    let cut = newest_present.map_or(last_sync.sent, |sent| sent.max(last_sync.sent));
    let missing: Vec<&Acked> = acked
        .iter()
        .filter(|a| a.acked < cut && !stored.holds(&a.item))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of the {} things acknowledged before the last sync are missing, e.g. {:?}",
        missing.len(),
        acked.iter().filter(|a| a.acked < cut).count(),
        missing[..missing.len().min(3)].to_vec()
    );
    let revs = log_revs(&restored, map);
    assert!(
        revs.windows(2).all(|pair| pair[1] == pair[0] + 1),
        "the restored log has gaps"
    );
    assert_eq!(
        Some(served),
        revs.last().map(|rev| Rev(*rev as u64)),
        "Waymark serves the restored log's last revision"
    );
    tallies_match_answers(&restored, map);

    lags.sort();
    restores.sort();
    let (edits, answers) = counts(&acked);
    eprintln!(
        "litestream: replication lag (from an acknowledgement until a restore of the replica \
         has it, that restore included) p50 {:?}, max {:?} over {} writes; a restore took \
         {:?} (p50 of {probes}); {edits} edits and {answers} answers acknowledged, {} of them \
         in the restored database",
        percentile(&lags, 0.5),
        lags.last().unwrap(),
        lags.len(),
        percentile(&restores, 0.5),
        present.len(),
    );
    for (at, why) in &torn {
        eprintln!("litestream: a restore of the replica {at:?} into replication was torn: {why}");
    }
}

/// Litestream replicating with Waymark as its child, both in a process group of their own (so
/// that they can be lost together).
struct Replicating {
    child: Child,
}

impl Replicating {
    /// The deployment of the README: `litestream replicate -config FILE -exec "waymark serve
    /// --checkpoints off"`, the rest of Waymark's settings in its environment.
    async fn start(
        litestream: &Path,
        config: &Path,
        addr: SocketAddr,
        data: &Path,
        log: &Path,
    ) -> Replicating {
        use std::os::unix::process::CommandExt;
        let log = File::create(log).unwrap();
        let waymark = format!("{} serve --checkpoints off", env!("CARGO_BIN_EXE_waymark"));
        let child = Command::new(litestream)
            .args(["replicate", "-config", path(config), "-exec", &waymark])
            .env("WAYMARK_ADDR", addr.to_string())
            .env("WAYMARK_DATA_DIR", data)
            .env("WAYMARK_SITE_DIR", data)
            .env("WAYMARK_LOG", "error")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("start litestream");
        let deadline = Instant::now() + Duration::from_secs(30);
        while Http::get_status(addr, "/healthz").await != Some(200) {
            assert!(
                Instant::now() < deadline,
                "waymark did not start under litestream"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Replicating { child }
    }

    /// SIGKILL to Litestream and Waymark at once.
    fn lose(&mut self) {
        let group = format!("-{}", self.child.id());
        let status = Command::new("kill")
            .args(["-KILL", "--", &group])
            .status()
            .unwrap();
        assert!(status.success(), "could not kill the process group");
        self.child.wait().unwrap();
    }
}

impl Drop for Replicating {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.lose();
        }
    }
}

fn litestream_binary() -> PathBuf {
    let bin = std::env::var_os("WAYMARK_LITESTREAM").map(PathBuf::from);
    let bin = bin.unwrap_or_else(|| {
        panic!(
            "WAYMARK_LITESTREAM must name the litestream binary (v0.3.13); .ci/test installs it \
             and sets it (README: Working on Waymark)"
        )
    });
    assert!(
        bin.is_file(),
        "WAYMARK_LITESTREAM={} is not a file",
        bin.display()
    );
    bin
}

/// Runs `litestream restore` with `args`; it must succeed.
fn restore(litestream: &Path, args: &[&str]) {
    if let Err(why) = try_restore(litestream, args) {
        panic!("litestream restore {args:?} failed: {why}");
    }
}

/// Runs `litestream restore` with `args`; an error holds what it said.
fn try_restore(litestream: &Path, args: &[&str]) -> Result<(), String> {
    let out = Command::new(litestream)
        .arg("restore")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run litestream restore");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temporary path")
}

fn free_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
}

/// An editor setting `card`'s text again and again, each edit waiting for its acknowledgement,
/// until told to stop or the server is gone.
async fn edit(
    addr: SocketAddr,
    map: MapId,
    card: CardId,
    cookie: String,
    acked: Log,
    stop: Arc<AtomicBool>,
) {
    let mut ws = map_socket(addr, map, &cookie).await.unwrap();
    let hello = ClientMsg::Hello {
        protocol: PROTOCOL_VERSION,
        since: Rev(u64::MAX / 2),
        name: "Editor".into(),
    };
    send(&mut ws, &hello).await.unwrap();
    next_until(&mut ws, |m| matches!(m, ServerMsg::Welcome { .. }))
        .await
        .unwrap();
    for n in 0.. {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let op = Op {
            id: OpId::from_uuid(uuid::Uuid::now_v7()),
            edit: Edit::SetCardText {
                id: card,
                text: Text::parse(&format!("Edit {n}")).unwrap(),
            },
        };
        let (id, sent) = (op.id, Instant::now());
        let heard = match send(&mut ws, &ClientMsg::Submit { ops: vec![op] }).await {
            Some(()) => next_until(
                &mut ws,
                |m| matches!(m, ServerMsg::Applied { log } if log.iter().any(|l| l.op.id == id)),
            )
            .await,
            None => None,
        };
        // Lost with the machine: whatever was not acknowledged yet never was.
        if heard.is_none() {
            return;
        }
        acked.lock().unwrap().push(Acked {
            item: Item::Edit(id),
            sent,
            acked: Instant::now(),
        });
    }
}

/// Answers through the API, `BATCH` a request, each with a comment of its own.
async fn answer(
    addr: SocketAddr,
    map: MapId,
    cards: Vec<CardId>,
    key: String,
    acked: Log,
    stop: Arc<AtomicBool>,
) {
    let mut http = Http::connect(addr).await;
    let path = format!("/api/v1/maps/{map}/responses");
    for request in 0.. {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let comments: Vec<String> = (0..BATCH)
            .map(|i| format!("answer {request}-{i}"))
            .collect();
        let body: Vec<_> = comments
            .iter()
            .enumerate()
            .map(|(i, comment)| {
                json!({ "touchpoint": cards[i % cards.len()], "nps": i % 11, "comment": comment })
            })
            .collect();
        let sent = Instant::now();
        let status = http
            .post(&path, &key, json!(body).to_string().as_bytes())
            .await;
        match status {
            Ok(201) => {}
            // Lost with the machine.
            Err(_) => return,
            Ok(other) => panic!("the API answered {other}"),
        }
        let now = Instant::now();
        acked
            .lock()
            .unwrap()
            .extend(comments.into_iter().map(|c| Acked {
                item: Item::Answer(c),
                sent,
                acked: now,
            }));
    }
}

async fn send(ws: &mut MapSocket, msg: &ClientMsg) -> Option<()> {
    let text = serde_json::to_string(msg).unwrap();
    ws.send(Message::Text(text.into())).await.ok()
}

/// The first message that `done` accepts; `None` once the socket is closed or silent.
async fn next_until(ws: &mut MapSocket, done: impl Fn(&ServerMsg) -> bool) -> Option<ServerMsg> {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .ok()??
            .ok()?;
        if let Message::Text(text) = frame {
            let msg: ServerMsg = serde_json::from_str(&text).unwrap();
            if done(&msg) {
                return Some(msg);
            }
        }
    }
}

/// The revision Waymark welcomes an editor of `map` with.
async fn welcome_rev(addr: SocketAddr, map: MapId, cookie: &str) -> Rev {
    let mut ws = map_socket(addr, map, cookie).await.unwrap();
    let hello = ClientMsg::Hello {
        protocol: PROTOCOL_VERSION,
        since: Rev(u64::MAX / 2),
        name: "Checker".into(),
    };
    send(&mut ws, &hello).await.unwrap();
    match next_until(&mut ws, |m| matches!(m, ServerMsg::Welcome { .. })).await {
        Some(ServerMsg::Welcome { rev, .. }) => rev,
        other => panic!("no welcome: {other:?}"),
    }
}

fn newest(acked: &Log) -> Option<Acked> {
    acked
        .lock()
        .unwrap()
        .iter()
        .max_by_key(|a| a.acked)
        .cloned()
}

/// Whether the database restored at `file` holds `item`; an error when it is not an intact
/// database. The file is removed.
fn holds(file: &Path, item: &Item) -> Result<bool, String> {
    let held = server::db::check_restorable(file).and_then(|_| {
        let conn = Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| e.to_string())?;
        let (sql, key) = match item {
            Item::Edit(id) => (
                "SELECT EXISTS (SELECT 1 FROM ops WHERE op_id = ?1)",
                id.to_string(),
            ),
            Item::Answer(comment) => (
                "SELECT EXISTS (SELECT 1 FROM feedback_responses WHERE comment = ?1)",
                comment.clone(),
            ),
        };
        conn.query_row(sql, [key], |row| row.get(0))
            .map_err(|e| e.to_string())
    });
    std::fs::remove_file(file).unwrap();
    held
}

/// The operation ids and answer comments of a database, read once (answers have no index by
/// comment).
struct Stored {
    ops: HashSet<String>,
    comments: HashSet<String>,
}

impl Stored {
    fn read(conn: &Connection) -> Stored {
        let column = |sql: &str| -> HashSet<String> {
            conn.prepare(sql)
                .unwrap()
                .query_map([], |row| row.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        Stored {
            ops: column("SELECT op_id FROM ops"),
            comments: column("SELECT comment FROM feedback_responses WHERE comment IS NOT NULL"),
        }
    }

    fn holds(&self, item: &Item) -> bool {
        match item {
            Item::Edit(id) => self.ops.contains(&id.to_string()),
            Item::Answer(comment) => self.comments.contains(comment),
        }
    }
}

fn log_revs(conn: &Connection, map: MapId) -> Vec<i64> {
    conn.prepare("SELECT rev FROM ops WHERE map_id = ?1 ORDER BY rev")
        .unwrap()
        .query_map([map.to_string()], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Each touchpoint's tally (answers, and answers per NPS score) equals a count of its answers.
fn tallies_match_answers(conn: &Connection, map: MapId) {
    let scores: Vec<String> = (0..=10).map(|k| format!("nps{k}")).collect();
    let counted: Vec<String> = (0..=10).map(|k| format!("sum(r.nps = {k})")).collect();
    let sql = format!(
        "SELECT t.card_id, t.responses, {}, count(r.id), {} FROM feedback_totals t
         LEFT JOIN feedback_responses r ON r.map_id = t.map_id AND r.card_id = t.card_id
         WHERE t.map_id = ?1 GROUP BY t.card_id",
        scores.join(", "),
        counted.join(", ")
    );
    let rows: Vec<(String, Vec<i64>, Vec<i64>)> = conn
        .prepare(&sql)
        .unwrap()
        .query_map([map.to_string()], |row| {
            let tally = (1..=12).map(|i| row.get(i)).collect::<Result<_, _>>()?;
            let count = (13..=24)
                .map(|i| row.get::<_, Option<i64>>(i).map(|v| v.unwrap_or(0)))
                .collect::<Result<_, _>>()?;
            Ok((row.get(0)?, tally, count))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(!rows.is_empty(), "no tallies restored");
    for (card, tally, count) in rows {
        assert_eq!(
            tally, count,
            "touchpoint {card}'s tally differs from its answers"
        );
    }
}

fn counts(acked: &[Acked]) -> (usize, usize) {
    let edits = acked
        .iter()
        .filter(|a| matches!(a.item, Item::Edit(_)))
        .count();
    (edits, acked.len() - edits)
}
