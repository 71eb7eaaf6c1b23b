//! Chaos: editors over real sockets make random edits of every kind (cards, stages, lanes,
//! personas, comments, surveys, settings), undo and redo on one shared card, drop their
//! connections and resend, while the real `waymark` binary is killed with SIGKILL and started
//! again. Then: every acknowledged operation is in the log exactly once, revisions have no
//! gaps, and every editor's replica (kept with the domain's own `Replica`) equals the map.
//!
//! Seeded: a failure prints its seed. `WAYMARK_CHAOS_SEED=<seed>` repeats a run,
//! `WAYMARK_CHAOS_STEPS=<n>` makes it longer (the suite runs a short one; a long one is
//! `WAYMARK_CHAOS_STEPS=20000 cargo test -p server --test it chaos -- --nocapture`).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use app::domain::edit::{inverse, Edit, Op};
use app::domain::fixture::choice;
use app::domain::ids::{MapId, OpId, Rev};
use app::domain::map::JourneyMap;
use app::domain::protocol::{ClientMsg, ServerMsg, PROTOCOL_VERSION};
use app::domain::sync::Replica;
use app::domain::template::Template;
use app::domain::text::Text;
use futures::{SinkExt, StreamExt};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use tokio_tungstenite::tungstenite::Message;

use crate::binary::{editors, map_socket, MapSocket, Waymark};
use crate::support::op;

const EDITORS: usize = 4;
const SHORT_RUN: usize = 400;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editors_converge_through_kills_drops_and_resends() {
    let seed: u64 = std::env::var("WAYMARK_CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
            now.map_or(1, |d| d.as_nanos() as u64)
        });
    let steps: usize = std::env::var("WAYMARK_CHAOS_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SHORT_RUN);
    eprintln!("chaos: seed {seed}, {steps} steps (WAYMARK_CHAOS_SEED={seed} repeats it)");
    let outcome = tokio::time::timeout(
        Duration::from_secs(120 + steps as u64 / 10),
        run(seed, steps),
    );
    match outcome.await {
        Ok(Ok(())) => {}
        Ok(Err(why)) => panic!("chaos seed {seed}: {why}"),
        Err(_) => panic!("chaos seed {seed}: did not settle in time"),
    }
}

async fn run(seed: u64, steps: usize) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let (map, cookies, start) = prepare(dir.path()).await;
    let mut server = Waymark::start(dir.path()).await;
    let addr = server.addr;
    let mut rng = SplitMix(seed);
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    );
    let shared_card = start.map.cards()[0].id;
    let mut editors: Vec<Editor> = cookies
        .into_iter()
        .map(|cookie| Editor::new(cookie, start.clone()))
        .collect();
    let mut acknowledged: Vec<OpId> = Vec::new();
    let mut kills = 0;

    for _ in 0..steps {
        let who = rng.below(EDITORS);
        match rng.below(100) {
            0..=1 => {
                server.kill();
                kills += 1;
                server = Waymark::start_at(dir.path(), addr, &[]).await;
            }
            2..=5 => editors[who].ws = None,
            6..=15 if who < 2 => {
                // Two people at once on the same card: edit, undo, redo.
                let editor = &mut editors[who];
                match rng.below(3) {
                    0 => {
                        let text =
                            Text::parse(&format!("by {who}: {}", rng.below(1 << 16))).unwrap();
                        let edit = Edit::SetCardText {
                            id: shared_card,
                            text,
                        };
                        editor.perform(vec![edit], true);
                    }
                    1 => editor.undo(),
                    _ => editor.redo(),
                }
            }
            _ => {
                let edit = choice()
                    .new_tree(&mut runner)
                    .unwrap()
                    .current()
                    .edit(editors[who].replica.view());
                editors[who].perform(vec![edit], true);
            }
        }
        for editor in &mut editors {
            editor.step(addr, map, &mut acknowledged).await?;
        }
        tokio::time::sleep(Duration::from_millis(4)).await;
    }

    // Settle: everyone connected until nothing is pending and all have the same revision.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        for editor in &mut editors {
            editor.step(addr, map, &mut acknowledged).await?;
        }
        let revs: HashSet<Rev> = editors.iter().map(|e| e.replica.rev()).collect();
        let pending: usize = editors.iter().map(|e| e.replica.pending().len()).sum();
        if pending == 0 && revs.len() == 1 && editors.iter().all(|e| e.ws.is_some()) {
            // Everyone may have heard everything only after a moment of quiet.
            tokio::time::sleep(Duration::from_millis(200)).await;
            for editor in &mut editors {
                editor.step(addr, map, &mut acknowledged).await?;
            }
            let revs: HashSet<Rev> = editors.iter().map(|e| e.replica.rev()).collect();
            if revs.len() == 1 {
                break;
            }
        }
        if Instant::now() > deadline {
            return Err(format!(
                "no convergence: revisions {revs:?}, {pending} pending"
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill();

    // The log: gap-free, each acknowledged operation once.
    let conn = rusqlite::Connection::open(dir.path().join("waymark.sqlite")).unwrap();
    let logged: Vec<(i64, String)> = conn
        .prepare("SELECT rev, op_id FROM ops WHERE map_id = ?1 ORDER BY rev")
        .unwrap()
        .query_map([map.to_string()], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (i, (rev, _)) in logged.iter().enumerate() {
        if *rev != start.rev.0 as i64 + 1 + i as i64 {
            return Err(format!("a gap in the log at revision {rev}"));
        }
    }
    let ids: Vec<&str> = logged.iter().map(|(_, id)| id.as_str()).collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    if unique.len() != ids.len() {
        return Err("an operation is in the log twice".into());
    }
    for op in &acknowledged {
        if !unique.contains(op.to_string().as_str()) {
            return Err(format!("acknowledged operation {op} is not in the log"));
        }
    }

    // Every replica equals the map as the server rebuilds it from the database.
    let (db, _) = server::db::Db::open(&dir.path().join("waymark.sqlite")).unwrap();
    let stored = db.load_map(map).await.unwrap();
    if stored.rev != editors[0].replica.rev() {
        return Err(format!(
            "the server has revision {}, the editors {}",
            stored.rev,
            editors[0].replica.rev()
        ));
    }
    for (n, editor) in editors.iter().enumerate() {
        if !same(editor.replica.view(), &stored.map) {
            let (seen, server) = (editor.replica.view(), &stored.map);
            return Err(format!(
                "editor {n}'s map differs from the server's: {}",
                difference(seen, server)
            ));
        }
    }
    eprintln!(
        "chaos: {} operations logged ({} acknowledged to their sender), {kills} kills",
        logged.len(),
        acknowledged.iter().collect::<HashSet<_>>().len()
    );
    Ok(())
}

/// The map and its editors' sessions, made before the binary starts.
async fn prepare(dir: &Path) -> (MapId, Vec<String>, app::api::maps::MapSnapshot) {
    let (db, _) = server::db::Db::open(&dir.join("waymark.sqlite")).unwrap();
    let backend = server::backend::ServerBackend {
        rooms: server::rooms::Rooms::new(db.clone()),
        db,
    };
    let map = crate::support::new_map(&backend, Template::CustomerJourney).await;
    let cookies = editors(&backend.db, map, EDITORS).await;
    let start = backend.rooms.snapshot(map).await.unwrap();
    (map, cookies, start)
}

/// Equal but for the time of the last edit, which the server stamps.
fn same(seen: &JourneyMap, server: &JourneyMap) -> bool {
    let mut seen = seen.clone();
    seen.updated_at = server.updated_at;
    &seen == server
}

/// Where two maps differ, briefly.
fn difference(seen: &JourneyMap, server: &JourneyMap) -> String {
    let parts: [(&str, String, String); 6] = [
        (
            "title",
            format!("{:?}", seen.title),
            format!("{:?}", server.title),
        ),
        (
            "stages",
            format!("{:?}", seen.stages()),
            format!("{:?}", server.stages()),
        ),
        (
            "lanes",
            format!("{:?}", seen.lanes()),
            format!("{:?}", server.lanes()),
        ),
        (
            "cards",
            format!("{:?}", seen.cards()),
            format!("{:?}", server.cards()),
        ),
        (
            "personas",
            format!("{:?}", seen.personas()),
            format!("{:?}", server.personas()),
        ),
        (
            "comments",
            format!("{:?}", seen.comments()),
            format!("{:?}", server.comments()),
        ),
    ];
    parts
        .into_iter()
        .find(|(_, a, b)| a != b)
        .map_or("settings".into(), |(what, a, b)| {
            format!("{what}: {a} ≠ {b}")
        })
}

/// One person's browser, as the real editor behaves: a replica, undo and redo stacks, a
/// connection that may be gone, and everything pending sent again on each new one.
struct Editor {
    cookie: String,
    ws: Option<MapSocket>,
    replica: Replica,
    undo: Vec<Vec<Edit>>,
    redo: Vec<Vec<Edit>>,
    /// Not sending until then (told `NotSaved`).
    hold_until: Option<Instant>,
    /// Operations sent on this connection.
    sent: HashSet<OpId>,
}

impl Editor {
    fn new(cookie: String, start: app::api::maps::MapSnapshot) -> Editor {
        Editor {
            cookie,
            ws: None,
            replica: Replica::new(start.map, start.rev),
            undo: Vec::new(),
            redo: Vec::new(),
            hold_until: None,
            sent: HashSet::new(),
        }
    }

    /// Applies `edits` locally (as the editor does, with the reverting edits kept for undo).
    fn perform(&mut self, edits: Vec<Edit>, undoable: bool) -> Option<Vec<Edit>> {
        let mut reverts = Vec::new();
        for edit in edits {
            let Ok(revert) = inverse(self.replica.view(), &edit) else {
                continue;
            };
            if self.replica.local(op(edit)).is_ok() {
                reverts.push(revert);
            }
        }
        if reverts.is_empty() {
            return None;
        }
        let step: Vec<Edit> = reverts.into_iter().rev().flatten().collect();
        if undoable {
            self.undo.push(step.clone());
            self.redo.clear();
        }
        Some(step)
    }

    fn undo(&mut self) {
        if let Some(step) = self.undo.pop() {
            if let Some(redo) = self.perform(step, false) {
                self.redo.push(redo);
            }
        }
    }

    fn redo(&mut self) {
        if let Some(step) = self.redo.pop() {
            if let Some(undo) = self.perform(step, false) {
                self.undo.push(undo);
            }
        }
    }

    /// Connects if need be, sends what is pending and unsent, and reads what has arrived.
    async fn step(
        &mut self,
        addr: SocketAddr,
        map: MapId,
        acknowledged: &mut Vec<OpId>,
    ) -> Result<(), String> {
        if self.ws.is_none() {
            self.connect(addr, map).await?;
        }
        if self.hold_until.is_some_and(|t| Instant::now() < t) {
            return self.read(acknowledged).await;
        }
        self.hold_until = None;
        let unsent: Vec<Op> = self
            .replica
            .pending()
            .filter(|op| !self.sent.contains(&op.id))
            .take(100)
            .cloned()
            .collect();
        if !unsent.is_empty() {
            self.sent.extend(unsent.iter().map(|op| op.id));
            self.send(&ClientMsg::Submit { ops: unsent }).await;
        }
        self.read(acknowledged).await
    }

    async fn connect(&mut self, addr: SocketAddr, map: MapId) -> Result<(), String> {
        // The server may be down (killed, starting): try again at the next step.
        let connecting = map_socket(addr, map, &self.cookie);
        let Ok(Ok(ws)) = tokio::time::timeout(Duration::from_secs(2), connecting).await else {
            return Ok(());
        };
        self.ws = Some(ws);
        self.sent.clear();
        let hello = ClientMsg::Hello {
            protocol: PROTOCOL_VERSION,
            since: self.replica.rev(),
            name: "Chaos".into(),
        };
        self.send(&hello).await;
        // Until welcomed, nothing is sent.
        let deadline = Instant::now() + Duration::from_secs(5);
        while let Some(ws) = &mut self.ws {
            let Ok(frame) = tokio::time::timeout_at(deadline.into(), ws.next()).await else {
                self.ws = None;
                break;
            };
            match decode(frame) {
                Some(ServerMsg::Welcome { rev, map, .. }) => {
                    if let Some(map) = map {
                        self.replica.reset(*map, rev);
                    }
                    return Ok(());
                }
                Some(ServerMsg::Peers { .. }) => {}
                Some(other) => return Err(format!("expected a welcome, got {other:?}")),
                None => self.ws = None,
            }
        }
        Ok(())
    }

    async fn send(&mut self, msg: &ClientMsg) {
        let Some(ws) = &mut self.ws else { return };
        let text = serde_json::to_string(msg).unwrap();
        if ws.send(Message::Text(text.into())).await.is_err() {
            self.ws = None;
        }
    }

    /// Handles every message that arrives within a moment.
    async fn read(&mut self, acknowledged: &mut Vec<OpId>) -> Result<(), String> {
        while let Some(ws) = &mut self.ws {
            let Ok(frame) = tokio::time::timeout(Duration::from_millis(2), ws.next()).await else {
                return Ok(());
            };
            let Some(msg) = decode(frame) else {
                self.ws = None;
                return Ok(());
            };
            self.receive(msg, acknowledged)?;
        }
        Ok(())
    }

    fn receive(&mut self, msg: ServerMsg, acknowledged: &mut Vec<OpId>) -> Result<(), String> {
        match msg {
            ServerMsg::Applied { log } => {
                for logged in &log {
                    if self.replica.pending().any(|op| op.id == logged.op.id) {
                        acknowledged.push(logged.op.id);
                    }
                    self.replica
                        .confirm(logged)
                        .map_err(|err| format!("the log did not fit the replica: {err:?}"))?;
                }
            }
            ServerMsg::Known { op, rev } => {
                acknowledged.push(op);
                self.replica.known(op, rev);
            }
            ServerMsg::Rejected { op, .. } => self.replica.reject(op),
            ServerMsg::NotSaved { retry_ms, .. } => {
                self.sent.clear();
                self.hold_until = Some(Instant::now() + Duration::from_millis(u64::from(retry_ms)));
            }
            // Over a limit, or closing: start afresh, which sends everything pending again.
            ServerMsg::Error { .. } | ServerMsg::Closing { .. } => self.ws = None,
            ServerMsg::Ended { why } => return Err(format!("the session ended: {why:?}")),
            ServerMsg::Welcome { .. } => return Err("a second welcome".into()),
            ServerMsg::Peers { .. }
            | ServerMsg::Role { .. }
            | ServerMsg::Refetch
            | ServerMsg::Pong => {}
        }
        Ok(())
    }
}

/// A server message, or `None` when the connection is gone.
fn decode(
    frame: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
) -> Option<ServerMsg> {
    match frame {
        Some(Ok(Message::Text(text))) => serde_json::from_str(&text).ok(),
        Some(Ok(Message::Close(_)) | Err(_)) | None => None,
        // Pings and pongs: nothing for the editor.
        Some(Ok(_)) => Some(ServerMsg::Pong),
    }
}

/// The run's choices: small, seeded and repeatable (splitmix64).
struct SplitMix(u64);

impl SplitMix {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}
