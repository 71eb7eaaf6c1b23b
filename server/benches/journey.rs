//! Journey analytics benchmark.
//!
//! - **Ingest**: events per second through the real `waymark` binary's API (batches of 1,000
//!   from four clients on loopback, each acknowledged only after its commit), in time order as
//!   a live feed sends them, beside the physical floor measured in the same run: a bare rusqlite
//!   loop inserting the same events, 1,000 per transaction with the same durability, into a
//!   table with no indexes and no counts; printed as a ratio. Target: 100,000 events/s.
//! - **Funnel**: the map's funnel and time between stages, warm, unfiltered and under a 30-day
//!   range, a channel, and both, beside the naive reading: every customer's raw events recounted.
//!   Targets: under 50 ms, and under 100 ms for a 30-day range.
//!
//! The journey: a 5-stage, 50-touchpoint map; each customer starts on a random day of the last
//! year, takes two steps in a stage, and goes on to the next with probability 0.7 after one to
//! five days. Run: `cargo bench -p server --bench journey` (10,000,000 events of some 1,800,000
//! customers; `-- --quick` for 200,000 events).

// A benchmark's job is to print its figures.
#![allow(clippy::print_stdout)]

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::api::ctx::Feedback;
use app::api::feedback::Filter;
use app::domain::edit::{Edit, Op};
use app::domain::ids::{CardId, MapId, OpId, StageId, UserId};
use app::domain::journey::{contributions, Counts, Funnel};
use app::domain::map::{Card, LaneKind};
use app::domain::position::Position;
use app::domain::template::Template;
use app::domain::text::{Name, Text};
use app::domain::time::day_of;
use server::backend::ServerBackend;
use server::db::Db;
use server::feedback::ServerFeedback;
use server::journey::ServerJourney;
use server::rooms::Rooms;
use uuid::Uuid;

#[path = "support/mod.rs"]
mod support;

use support::{percentile, Http, Waymark};

const BATCH: usize = 1_000;
const CLIENTS: usize = 4;
const TOUCHPOINTS_PER_STAGE: usize = 10;
const DAY_MS: i64 = 86_400_000;
/// 2026-11-01, so that every event is in the past.
const LATEST: i64 = 20_393 * DAY_MS;
const CHANNELS: [&str; 3] = ["web", "app", "store"];
const SEGMENTS: [&str; 4] = ["new", "returning", "pro", "trial"];

/// One synthetic event, small, so ten million fit in memory to be sorted by time.
#[derive(Clone, Copy)]
struct Event {
    at: i64,
    customer: u32,
    card: u16,
}

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let total = if quick { 200_000 } else { 10_000_000 };
    let dir = tempfile::tempdir().expect("temporary directory");
    let (map, stages, cards, key) = prepare(dir.path()).await;
    let events = synthetic(total, &cards);
    let customers = events.iter().map(|e| e.customer).max().unwrap_or(0) + 1;
    println!(
        "Journey: {} events of {customers} customers, a 5-stage map with {} touchpoints.",
        events.len(),
        cards.len()
    );

    let mut waymark = Waymark::start(dir.path()).await;
    let events = Arc::new(events);
    let cards = Arc::new(cards);
    let path = format!("/api/v1/maps/{map}/events");
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (events, cards, path, key, next) = (
                events.clone(),
                cards.clone(),
                path.clone(),
                key.clone(),
                next.clone(),
            );
            let addr = waymark.addr;
            tokio::spawn(async move {
                let mut http = Http::connect(addr).await;
                loop {
                    let start = next.fetch_add(BATCH, Ordering::SeqCst);
                    if start >= events.len() {
                        return;
                    }
                    let end = (start + BATCH).min(events.len());
                    let body = batch_json(&events[start..end], &cards);
                    let status = http.post(&path, &key, &body).await.expect("answer");
                    assert_eq!(status, 201, "the API refused a batch");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("client");
    }
    let rate = events.len() as f64 / started.elapsed().as_secs_f64();
    // Stopped as a service manager stops it: the counts still waiting in memory are written,
    // so the database is opened below without a recount, and the recount checks them.
    let stopping = Instant::now();
    waymark.stop();
    let stopped = stopping.elapsed();
    let floor = bare_insert(
        &dir.path().join("floor.sqlite"),
        &events[..events.len().min(2_000_000)],
        &cards,
    );
    println!("  waymark API     {rate:>9.0} events/s  (parse, check, pseudonymise, merge paths, count, commit)");
    println!("  floor           {floor:>9.0} events/s  (bare rusqlite insert, no indexes, no counts, 1,000 per commit)");
    println!(
        "  ratio API/floor {:>9.2}  (target: API ≥ 100,000 events/s)",
        rate / floor
    );
    let size = std::fs::metadata(dir.path().join("waymark.sqlite"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!("  database        {:>9.0} MB", size as f64 / 1e6);
    let with_stop =
        events.len() as f64 / (started.elapsed() - stopping.elapsed() + stopped).as_secs_f64();
    println!(
        "  stopping took   {:>9.2} s  (writing the counts still waiting in memory; {with_stop:.0} events/s counting it)",
        stopped.as_secs_f64()
    );

    funnel(dir.path(), map, &stages).await;
}

/// The funnel, warm, under each kind of filter, beside a recount of the raw events.
async fn funnel(dir: &Path, map: MapId, stages: &[StageId]) {
    let unwritten: i64 = rusqlite::Connection::open(dir.join("waymark.sqlite"))
        .and_then(|c| c.query_row("SELECT count(*) FROM journey_unflushed", [], |r| r.get(0)))
        .expect("the database");
    assert_eq!(
        unwritten, 0,
        "the server stopped without writing its counts"
    );
    let (db, _) = Db::open(&dir.join("waymark.sqlite")).expect("database");
    let backend = ServerBackend {
        rooms: Rooms::new(db.clone()),
        db,
    };
    let journey = ServerJourney::new(backend.db.clone(), backend.rooms.clone());
    let last = day_of(LATEST);
    let month = Some(last - 29);
    let filters = [
        ("everything", Filter::default()),
        (
            "last 30 days",
            Filter {
                from: month,
                to: Some(last),
                ..Filter::default()
            },
        ),
        (
            "channel",
            Filter {
                channel: Some("web".into()),
                ..Filter::default()
            },
        ),
        (
            "channel, segment, 30 days",
            Filter {
                from: month,
                to: Some(last),
                channel: Some("web".into()),
                segment: Some("pro".into()),
            },
        ),
    ];
    println!("Funnel and time between stages, warm (p50 of 20):");
    let mut everything = None;
    for (name, filter) in filters {
        let mut times = Vec::new();
        let mut result = None;
        for _ in 0..21 {
            let started = Instant::now();
            result = Some(journey.funnel(map, filter.clone()).await.expect("funnel"));
            times.push(started.elapsed());
        }
        times.remove(0);
        times.sort();
        let target = if filter.from.is_some() { 100 } else { 50 };
        println!(
            "  {name:<27} {:>7.2} ms  (target: under {target} ms)",
            ms(percentile(&times, 0.5))
        );
        if filter == Filter::default() {
            everything = result;
        }
    }
    let started = Instant::now();
    let map_now = backend.rooms.committed(map).await.expect("map").map;
    let paths = backend
        .db
        .read(move |conn| server::db::journey::paths(conn, map))
        .await
        .expect("paths");
    let mut counts = Counts::new();
    for (_, path) in &paths {
        for (measure, _) in contributions(path) {
            *counts.entry(measure).or_default() += 1;
        }
    }
    let naive = Funnel::new(&map_now, &counts);
    println!(
        "  naive recount of every path {:>7.0} ms  ({} paths)",
        ms(started.elapsed()),
        paths.len()
    );
    assert_eq!(
        everything.as_ref(),
        Some(&naive),
        "the counts disagree with a recount"
    );
    if let Some(funnel) = everything {
        println!(
            "  the funnel (exact; times within ±{:.1}%):",
            app::domain::journey::GAP_ERROR * 100.0
        );
        for (i, figures) in funnel.stages.iter().enumerate() {
            let next = figures.next.as_ref();
            let rate = next
                .and_then(|n| n.rate)
                .map(|r| format!("{:.1}% [{:.1}–{:.1}]", r.value(), r.low(), r.high()));
            let time = next.and_then(|n| n.time).map(|t| {
                format!(
                    "median {:.1} d, p90 {:.1} d",
                    t.median as f64 / DAY_MS as f64,
                    t.p90 as f64 / DAY_MS as f64
                )
            });
            println!(
                "    stage {} reach {:>8}  on {:<22} {}",
                i + 1,
                figures.reach,
                rate.unwrap_or_default(),
                time.unwrap_or_default()
            );
        }
        let flagged = funnel
            .drop_off
            .and_then(|s| stages.iter().position(|x| *x == s));
        println!(
            "    drop-off flagged: {}",
            flagged
                .map(|i| format!("stage {}", i + 1))
                .unwrap_or("none".into())
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A small, seeded generator, so every run sends the same events.
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// About `total` events, sorted by time. Cards are by stage: `TOUCHPOINTS_PER_STAGE` each.
fn synthetic(total: usize, cards: &[CardId]) -> Vec<Event> {
    let stages = cards.len() / TOUCHPOINTS_PER_STAGE;
    let mut random = Seeded(0x5eed);
    let mut events = Vec::with_capacity(total + 16);
    let mut customer = 0u32;
    while events.len() < total {
        let mut at = LATEST - 365 * DAY_MS + random.below(365 * DAY_MS as u64) as i64;
        for stage in 0..stages {
            for _ in 0..2 {
                let card = stage * TOUCHPOINTS_PER_STAGE
                    + random.below(TOUCHPOINTS_PER_STAGE as u64) as usize;
                events.push(Event {
                    at,
                    customer,
                    card: card as u16,
                });
                at += random.below(3_600_000) as i64;
            }
            if random.below(10) >= 7 {
                break;
            }
            at += DAY_MS + random.below(4 * DAY_MS as u64) as i64;
        }
        customer += 1;
    }
    // Into the past only: a customer who started late in the year stops at its end.
    events.retain(|e| e.at <= LATEST);
    events.sort_by_key(|e| e.at);
    events
}

fn batch_json(events: &[Event], cards: &[CardId]) -> Vec<u8> {
    let items: Vec<serde_json::Value> = events
        .iter()
        .map(|e| {
            serde_json::json!({
                "customer": format!("customer-{}", e.customer),
                "touchpoint": cards[usize::from(e.card)],
                "at": e.at,
                "channel": CHANNELS[e.customer as usize % CHANNELS.len()],
                "segment": SEGMENTS[e.customer as usize % SEGMENTS.len()],
            })
        })
        .collect();
    serde_json::to_vec(&items).expect("json")
}

/// The floor: the same events inserted bare, 1,000 per commit, as durable as Waymark's.
fn bare_insert(path: &Path, events: &[Event], cards: &[CardId]) -> f64 {
    let mut conn = rusqlite::Connection::open(path).expect("open");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn.pragma_update(None, "synchronous", "FULL")
        .expect("sync");
    conn.execute_batch(
        "CREATE TABLE bare (customer TEXT NOT NULL, card_id TEXT NOT NULL, at INTEGER NOT NULL,
             channel TEXT NOT NULL, segment TEXT NOT NULL) STRICT",
    )
    .expect("table");
    let started = Instant::now();
    for chunk in events.chunks(BATCH) {
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .expect("begin");
        {
            let mut insert = tx
                .prepare_cached("INSERT INTO bare VALUES (?1, ?2, ?3, ?4, ?5)")
                .expect("prepare");
            for e in chunk {
                insert
                    .execute(rusqlite::params![
                        format!("customer-{}", e.customer),
                        cards[usize::from(e.card)].to_string(),
                        e.at,
                        CHANNELS[e.customer as usize % CHANNELS.len()],
                        SEGMENTS[e.customer as usize % SEGMENTS.len()],
                    ])
                    .expect("insert");
            }
        }
        tx.commit().expect("commit");
    }
    events.len() as f64 / started.elapsed().as_secs_f64()
}

/// A map from the customer-journey template with `TOUCHPOINTS_PER_STAGE` touchpoints in each
/// stage, and an API key for it, in `dir`'s database. Returns the stages and the touchpoints,
/// stage by stage.
async fn prepare(dir: &Path) -> (MapId, Vec<StageId>, Vec<CardId>, String) {
    let (db, _) = Db::open(&dir.join("waymark.sqlite")).expect("database");
    let backend = ServerBackend {
        rooms: Rooms::new(db.clone()),
        db,
    };
    let map = backend
        .create(None, Template::CustomerJourney, None)
        .await
        .expect("map");
    let journey = backend.rooms.snapshot(map).await.expect("snapshot").map;
    let lane = journey
        .lanes()
        .iter()
        .find(|l| l.kind == LaneKind::Touchpoints)
        .expect("a touchpoint lane")
        .id;
    let stages: Vec<StageId> = journey.stages().iter().map(|s| s.id).collect();
    let n = stages.len() * TOUCHPOINTS_PER_STAGE;
    let cards: Vec<Card> = Position::sequence(None, n)
        .into_iter()
        .enumerate()
        .map(|(i, position)| Card {
            id: CardId::from_uuid(Uuid::new_v4()),
            stage: stages[i / TOUCHPOINTS_PER_STAGE],
            lane,
            position,
            text: Text::parse(&format!("Touchpoint {i}")).expect("text"),
            channel: None,
            emotion: None,
            evidence: None,
            survey: None,
        })
        .collect();
    let ops = cards
        .iter()
        .map(|card| Op {
            id: OpId::from_uuid(Uuid::new_v4()),
            edit: Edit::AddCard { card: card.clone() },
        })
        .collect();
    backend
        .rooms
        .submit(map, ops, &Name::parse("Bench").expect("a name"))
        .await
        .expect("cards");
    let user = app::api::auth::User {
        id: UserId::from_uuid(Uuid::new_v4()),
        email: "bench@example.com".into(),
        name: "Bench".into(),
        is_admin: true,
    };
    let id = user.id;
    backend
        .db
        .writer()
        .write(move |conn| server::db::accounts::insert_user(conn, &user, "x", 0))
        .await
        .expect("user");
    let feedback = ServerFeedback::new(backend.db.clone(), backend.rooms.clone());
    let key = feedback
        .create_api_key(map, id, Name::parse("Bench").expect("a name"))
        .await
        .expect("key")
        .secret;
    backend.db.flush().await.expect("flush");
    (map, stages, cards.iter().map(|c| c.id).collect(), key)
}
