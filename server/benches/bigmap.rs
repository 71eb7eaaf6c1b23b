//! Big-map benchmark: a map grown to 50, 500, 2,000 and 20,000 cards, served by the real
//! `waymark` binary. For each size it prints the server's render time of the map page and the
//! page's bytes (and the server's CPU time per render, which a shared machine disturbs less
//! than the wall time), the time to interactive in Chromium, the edit round trip (p50/p99) with 10
//! editors, and what 10,000 edits add to the database (history must grow with the number of
//! edits, not with edits × the map's size). The 50-card map is the floor the others are
//! compared with, as ratios.
//!
//! Time to interactive needs the built site (`cargo leptos build --split`; `WAYMARK_SITE_DIR`, default
//! `target/site`) with the server binary built beside it (`WAYMARK_TTI_BIN`, e.g.
//! `$CARGO_TARGET_DIR/debug/waymark`: a bundle hydrates only against a server built the same
//! way), Node.js with the end-to-end packages (`end2end/node_modules`) and Chromium (`CHROMIUM`,
//! default `/usr/bin/chromium`); without them that column says why it is empty.
//!
//! Run: `cargo bench -p server --bench bigmap` (add `-- --quick` for fewer samples,
//! `--sizes=50,2000` for some sizes only, `--renders=N` to render each page N times).

// A benchmark's job is to print its figures.
#![allow(clippy::print_stdout)]

use std::path::Path;
use std::time::{Duration, Instant};

use app::domain::edit::{Edit, Op};
use app::domain::ids::{CardId, MapId, OpId};
use app::domain::map::Card;
use app::domain::position::Position;
use app::domain::template::Template;
use app::domain::text::Text;
use server::backend::ServerBackend;
use uuid::Uuid;

#[path = "support/mod.rs"]
mod support;
use support::{edit_round_trips, editors, percentile, Http, Waymark};

const SIZES: [usize; 4] = [50, 500, 2_000, 20_000];
const EDITORS: usize = 10;
const HISTORY_EDITS: usize = 10_000;

struct Row {
    cards: usize,
    render: Duration,
    /// The server's CPU time per render: steadier than the wall time on a shared machine.
    render_cpu: Duration,
    bytes: usize,
    tti: Result<Duration, String>,
    p50: Duration,
    p99: Duration,
    growth: u64,
}

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (mut renders, rounds) = if quick { (5, 20) } else { (15, 60) };
    // `--sizes=50,2000` measures only those; `--renders=N` renders each page N times (for a
    // profiler to watch).
    let mut sizes = SIZES.to_vec();
    for arg in std::env::args() {
        if let Some(list) = arg.strip_prefix("--sizes=") {
            sizes = list.split(',').filter_map(|n| n.parse().ok()).collect();
        }
        if let Some(n) = arg.strip_prefix("--renders=").and_then(|n| n.parse().ok()) {
            renders = n;
        }
    }
    println!(
        "Big maps through the real binary ({EDITORS} editors; {HISTORY_EDITS} edits of history)."
    );
    println!(
        "{:>6} | {:>9} {:>9} {:>9} | {:>9} | {:>8} {:>8} {:>6} | {:>12} {:>9}",
        "cards",
        "render",
        "CPU",
        "page KB",
        "TTI",
        "edit p50",
        "p99",
        "×50",
        "DB +10k ed.",
        "B/edit"
    );
    let mut rows: Vec<Row> = Vec::new();
    for cards in sizes {
        let row = measure(cards, renders, rounds).await;
        let floor = rows.first().map_or(row.p50, |r| r.p50);
        println!(
            "{:>6} | {:>7.1}ms {:>7.1}ms {:>9.0} | {:>9} | {:>6.1}ms {:>6.1}ms {:>6.2} | {:>9.0} KB {:>9.0}",
            row.cards,
            ms(row.render),
            ms(row.render_cpu),
            row.bytes as f64 / 1024.0,
            row.tti
                .as_ref()
                .map_or_else(|why| why.clone(), |d| format!("{:.0}ms", ms(*d))),
            ms(row.p50),
            ms(row.p99),
            row.p50.as_secs_f64() / floor.as_secs_f64().max(1e-9),
            row.growth as f64 / 1024.0,
            row.growth as f64 / HISTORY_EDITS as f64,
        );
        rows.push(row);
    }
    println!(
        "\nTargets: the 2,000-card page renders in under 50 ms; edit p50 at 2,000 cards within"
    );
    println!(
        "1.5× of the 50-card map's; the database's growth per edit about the same at every size."
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn measure(cards: usize, renders: usize, rounds: usize) -> Row {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (map, card_ids, cookies, growth) = prepare(dir.path(), cards).await;
    let site = std::env::var("WAYMARK_SITE_DIR").unwrap_or_else(|_| "target/site".into());
    let site = std::fs::canonicalize(&site).unwrap_or_else(|_| site.clone().into());
    let site = site.to_string_lossy().into_owned();
    let waymark = Waymark::start_with(dir.path(), &[("WAYMARK_SITE_DIR", site.as_str())]).await;

    // Server render: the whole page, as a browser asks for it.
    let path = format!("/maps/{map}");
    let mut http = Http::connect(waymark.addr).await;
    let mut times = Vec::new();
    let mut bytes = 0;
    let cpu_before = waymark.cpu();
    for _ in 0..renders {
        let started = Instant::now();
        let answer = http
            .request("GET", &path, &[("Cookie", cookies[0].as_str())], b"")
            .await
            .expect("the map page");
        times.push(started.elapsed());
        assert_eq!(answer.status, 200, "the map page");
        bytes = answer.body.len();
        if let Ok(dump) = std::env::var("WAYMARK_BIGMAP_DUMP") {
            // For a look at what the page is made of.
            std::fs::write(format!("{dump}-{cards}.html"), &answer.body).expect("dump the page");
        }
    }
    let render_cpu = (waymark.cpu() - cpu_before) / u32::try_from(renders).unwrap_or(1);
    times.sort();
    let render = times[times.len() / 2];

    let mut times = edit_round_trips(waymark.addr, map, &card_ids, &cookies, rounds).await;
    times.sort();
    let (p50, p99) = (percentile(&times, 0.5), percentile(&times, 0.99));
    drop(waymark);
    let tti = match std::env::var("WAYMARK_TTI_BIN") {
        // The browser bundle hydrates only against a server built the same way (debug or
        // release) as it was: `cargo leptos build --split` makes a debug pair.
        Ok(bin) => {
            let env = [
                ("WAYMARK_SITE_DIR", site.as_str()),
                ("WAYMARK_BIN", bin.as_str()),
            ];
            let waymark = Waymark::start_with(dir.path(), &env).await;
            time_to_interactive(waymark.addr, &path, &cookies[0])
        }
        Err(_) => Err("no WAYMARK_TTI_BIN".into()),
    };
    Row {
        cards,
        render,
        render_cpu,
        bytes,
        tti,
        p50,
        p99,
        growth,
    }
}

/// A map of `cards` cards with `HISTORY_EDITS` edits behind it, and its editors' sessions.
/// Returns what the edits added to the database file, in bytes.
async fn prepare(dir: &Path, cards: usize) -> (MapId, Vec<CardId>, Vec<String>, u64) {
    let backend = support::backend(&dir.join("waymark.sqlite"));
    let map = backend
        .create(None, Template::CustomerJourney, None)
        .await
        .expect("map");
    let start = backend.rooms.snapshot(map).await.expect("map").map;
    let (stages, lanes) = (start.stages().to_vec(), start.lanes().to_vec());
    let mut position = start.cards().last().map(|c| c.position.clone());
    let mut adds = Vec::new();
    for n in start.cards().len()..cards {
        let next = Position::between(position.as_ref(), None).expect("a position");
        adds.push(op(Edit::AddCard {
            card: Card {
                id: CardId::from_uuid(Uuid::new_v4()),
                stage: stages[n % stages.len()].id,
                lane: lanes[(n / stages.len()) % lanes.len()].id,
                position: next.clone(),
                text: Text::parse(&format!(
                    "Card {n}: what the customer does, thinks and feels here"
                ))
                .expect("text"),
                channel: None,
                emotion: None,
                evidence: None,
                survey: None,
            },
        }));
        position = Some(next);
    }
    for chunk in adds.chunks(100) {
        submit(&backend, map, chunk.to_vec()).await;
    }
    let card_ids: Vec<CardId> = backend
        .rooms
        .snapshot(map)
        .await
        .expect("map")
        .map
        .cards()
        .iter()
        .map(|c| c.id)
        .collect();
    let before = size_of(&backend).await;
    for round in 0..HISTORY_EDITS / 10 {
        let edits = (0..10)
            .map(|i| {
                let n = round * 10 + i;
                op(Edit::SetCardText {
                    id: card_ids[n % card_ids.len()],
                    text: Text::parse(&format!("Edited {n} times over")).expect("text"),
                })
            })
            .collect();
        submit(&backend, map, edits).await;
    }
    // Snapshots are taken in the background: let them land.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let growth = size_of(&backend).await.saturating_sub(before);
    let cookies = editors(&backend.db, map, EDITORS).await;
    (map, card_ids, cookies, growth)
}

fn op(edit: Edit) -> Op {
    Op {
        id: OpId::from_uuid(Uuid::now_v7()),
        edit,
    }
}

async fn submit(backend: &ServerBackend, map: MapId, ops: Vec<Op>) {
    let author = app::domain::text::Name::parse("Bench").expect("name");
    let submitted = backend
        .rooms
        .submit(map, ops, &author)
        .await
        .expect("submit");
    assert!(submitted.rejected.is_empty(), "{:?}", submitted.rejected);
}

/// The database's size in bytes, the write-ahead log's pages counted where they belong.
async fn size_of(backend: &ServerBackend) -> u64 {
    backend
        .db
        .read(|conn| {
            let size: i64 = conn
                .query_row(
                    "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
                    [],
                    |row| row.get(0),
                )
                .map_err(server::db::StoreError::from)?;
            Ok(size as u64)
        })
        .await
        .expect("database size")
}

/// Each of the editors edits one card at a time, waiting for the acknowledgement, paced under
/// the per-connection rate limit; returns the round trip's p50 and p99.
/// Time until the map page is hydrated (interactive) in headless Chromium, by the end-to-end
/// tests' Playwright (`end2end/bench/tti.mjs`).
fn time_to_interactive(
    addr: std::net::SocketAddr,
    path: &str,
    cookie: &str,
) -> Result<Duration, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../end2end");
    if !root.join("node_modules/playwright-core").exists() {
        return Err("no npm".into());
    }
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let output = std::process::Command::new("node")
        .arg(root.join("bench/tti.mjs"))
        .arg(format!("http://{addr}{path}"))
        .arg(cookie)
        .env("CHROMIUM", chromium)
        .current_dir(&root)
        .output()
        .map_err(|_| "no node".to_owned())?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.trim()
        .parse::<f64>()
        .map(|ms| Duration::from_secs_f64(ms / 1000.0))
        .map_err(|_| "failed".to_owned())
}
