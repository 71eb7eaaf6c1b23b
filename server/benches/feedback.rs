//! Feedback benchmark.
//!
//! - **Ingest**: responses per second through the real `waymark` binary, by its API (batches
//!   of 1,000 from four clients on loopback, each acknowledged only after its commit) and by CSV
//!   import (files of up to 100,000 rows, one at a time), each beside the physical floor measured
//!   in the same run: a bare rusqlite loop inserting the same rows, 1,000 per transaction with
//!   the same durability, into a table with no tallies and no indexes; printed as a ratio. Once
//!   with each response on a random day (the worst case for the tallies) and once in time
//!   order (a live feed, a date-sorted export). Then
//!   the binary is killed with SIGKILL in the middle of a stream of batches, and the database is
//!   checked: every acknowledged response must be on disk, and the tallies must match.
//! - **Fair writer**: an editor's edit round trips alone, and while four clients each post a
//!   batch of 100,000 responses (fewer with `--quick`). Target: p99 under 50 ms.
//! - **Summary**: the full summary of a map with 200 touchpoints and 1,000,000 responses, warm,
//!   unfiltered and under every kind of filter (dates, channel, segment, combinations), beside
//!   the naive full scan of the responses. Target: every filter under 10 ms.
//!
//! Run: `cargo bench -p server --bench feedback` (add `-- --quick` for a short run, `ingest`
//! or `summary` for one part, `random` or `time` for one order of the ingest, `--answers=N` for
//! another number of answers to ingest than 200,000).

// A benchmark's job is to print its figures.
#![allow(clippy::print_stdout)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::api::ctx::Feedback;
use app::api::feedback::Filter;
use app::domain::edit::{Edit, Op};
use app::domain::feedback::{day_of, ResponseInput, Source, Summary, Survey, Tally, When};
use app::domain::ids::{CardId, MapId, OpId, UserId};
use app::domain::map::{Card, LaneKind};
use app::domain::position::Position;
use app::domain::template::Template;
use app::domain::text::Name;
use app::domain::text::Text;
use server::backend::ServerBackend;
use server::db::Db;
use server::feedback::{Naming, ServerFeedback};
use server::rooms::Rooms;
use uuid::Uuid;

#[path = "support/mod.rs"]
mod support;

use support::{edit_round_trips, percentile, Http, Waymark};

const BATCH: usize = 1_000;
const CLIENTS: usize = 4;
const TOUCHPOINTS: usize = 200;
const DAY_MS: i64 = 86_400_000;
/// 2026-11-01, so that every response is in the past.
const LATEST: i64 = 20_393 * DAY_MS;

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (mut ingested, summarised) = if quick {
        (40_000, 200_000)
    } else {
        (200_000, 1_000_000)
    };
    // `--answers=N` ingests N instead: a longer stream, as a backfill of years is.
    if let Some(n) = std::env::args().find_map(|a| a.strip_prefix("--answers=")?.parse().ok()) {
        ingested = n;
    }
    // `-- ingest` or `-- summary` runs only that part.
    let only = |part: &str| {
        !std::env::args().any(|a| a == "ingest" || a == "summary")
            || std::env::args().any(|a| a == part)
    };
    if only("ingest") {
        ingest(ingested).await;
    }
    if only("summary") {
        summary(summarised).await;
    }
}

// ---------- Ingest ----------

/// When the responses of a bulk request happened: the order decides how many tally and index
/// pages each slice touches, so both ends are measured.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Order {
    /// Spread over a year at random, row by row: a backfill of a shuffled export, the worst
    /// case for the tallies (every row its own day).
    Random,
    /// A thousand at a time on the same day, a day after the last: a live feed, or an export
    /// sorted by date as survey tools write them.
    InTime,
}

async fn ingest(total: usize) {
    println!("Ingest: {total} responses in batches of {BATCH} from {CLIENTS} clients.");
    // `-- ingest random` or `-- ingest time` runs only that order (for a profiler to watch).
    let only = |name: &str| {
        !std::env::args().any(|a| a == "random" || a == "time")
            || std::env::args().any(|a| a == name)
    };
    for (order, name) in [(Order::Random, "random"), (Order::InTime, "time")] {
        if only(name) {
            settle();
            ingest_in(total, order).await;
        }
    }
}

/// Waits for the kernel to write out what the runs before left in its cache (the shuffled
/// run leaves a gigabyte), so that each run, and the floor measured beside it, starts from an
/// idle disk: measured while that was written out, both were a third slower.
fn settle() {
    if let Err(err) = std::process::Command::new("sync").status() {
        println!("  (could not sync the disk before this run: {err})");
    }
}

async fn ingest_in(total: usize, order: Order) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let Prepared {
        map,
        cards,
        key,
        cookie,
        editor,
    } = prepare_ingest(dir.path()).await;
    let mut waymark = Waymark::start(dir.path()).await;
    // Every batch its own answers (a client resending one body would pile answers onto the
    // same instants, which no feed does), made before the clock starts.
    let batches = total.div_ceil(BATCH);
    let bodies: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..batches)
            .map(|b| batch_json(&cards, b * BATCH, BATCH, order))
            .collect(),
    );
    let path = format!("/api/v1/maps/{map}/responses");

    println!(
        "{}",
        match order {
            Order::Random =>
                "- each response on a random day of the last year (a shuffled backfill):",
            Order::InTime =>
                "- a thousand responses a day, in time order (a live feed, a date-sorted export):",
        }
    );
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (bodies, path, key, next) =
                (bodies.clone(), path.clone(), key.clone(), next.clone());
            let addr = waymark.addr;
            tokio::spawn(async move {
                let mut http = Http::connect(addr).await;
                while let Some(body) = bodies.get(next.fetch_add(1, Ordering::SeqCst)) {
                    let status = http.post(&path, &key, body).await.expect("answer");
                    assert_eq!(status, 201, "the API refused a batch");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("client");
    }
    let acknowledged = started.elapsed();
    // Bulk answers' tallies are written behind them: the clock stops once a summary, which
    // writes what still waits, shows them all.
    tallied(waymark.addr, map, &cards, &cookie, total, order).await;
    let waymark_rate = total as f64 / started.elapsed().as_secs_f64();
    println!(
        "  (every batch acknowledged after {:.2} s, every tally written after {:.2} s)",
        acknowledged.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );

    let csv_rate = csv_import(waymark.addr, map, &cards, &cookie, total, order).await;
    let floor = bare_insert(
        &dir.path().join("floor.sqlite"),
        &cards,
        map,
        total,
        order,
        false,
    );
    let indexed = bare_insert(
        &dir.path().join("indexed.sqlite"),
        &cards,
        map,
        total,
        order,
        true,
    );
    println!(
        "  waymark API     {waymark_rate:>9.0} responses/s  (parse, check, sentiment, insert, 7 tallies, commit)"
    );
    println!(
        "  waymark CSV     {csv_rate:>9.0} rows/s       (upload, parse, check, sentiment, insert, 7 tallies, commit)"
    );
    println!(
        "  floor           {floor:>9.0} rows/s       (bare rusqlite insert, no tallies, no indexes, 1,000 per commit)"
    );
    println!(
        "  floor + index   {indexed:>9.0} rows/s       (the same with an index on map and time kept per insert, as Waymark did before it filled its time order behind the answers)"
    );
    println!(
        "  ratio API/floor {:>9.2}  (target: API ≥ 150,000 responses/s)",
        waymark_rate / floor
    );
    println!(
        "  ratio CSV/floor {:>9.2}  (target: CSV ≥ 200,000 rows/s)",
        csv_rate / floor
    );
    if order == Order::InTime {
        return;
    }
    fair_writer(waymark.addr, map, &cards, &editor, &key, total.min(100_000)).await;

    // Kill -9 while batches are in flight; count what was acknowledged against what is stored.
    // The API and the CSV import each stored `total` before this.
    let acknowledged = Arc::new(AtomicUsize::new(2 * total));
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = bodies
        .iter()
        .take(CLIENTS)
        .map(|body| {
            let (body, path, key) = (body.clone(), path.clone(), key.clone());
            let (acknowledged, stop, addr) = (acknowledged.clone(), stop.clone(), waymark.addr);
            tokio::spawn(async move {
                let mut http = Http::connect(addr).await;
                while !stop.load(Ordering::SeqCst) {
                    match http.post(&path, &key, &body).await {
                        Ok(201) => {
                            acknowledged.fetch_add(BATCH, Ordering::SeqCst);
                        }
                        _ => return,
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    waymark.kill();
    stop.store(true, Ordering::SeqCst);
    for task in tasks {
        task.await.expect("client");
    }
    let acknowledged = acknowledged.load(Ordering::SeqCst);
    let (stored, tallied) = stored_counts(&dir.path().join("waymark.sqlite"));
    println!(
        "  kill -9 mid-stream: {acknowledged} acknowledged, {stored} on disk, {tallied} in the tallies"
    );
    assert!(
        stored >= acknowledged,
        "LOST {} acknowledged responses",
        acknowledged - stored
    );
    assert_eq!(
        stored, tallied,
        "tallies disagree with the stored responses"
    );
    println!("  nothing acknowledged was lost; tallies match the responses\n");
}

/// Live editing while bulk work runs: an editor's round trips on its own, then while
/// `CLIENTS` clients each post one batch of `big` responses (the most one request may hold is
/// 100,000). Bulk work goes in slices behind live writes, so a live edit should wait at most
/// one slice. Target: p99 under 50 ms.
async fn fair_writer(
    addr: std::net::SocketAddr,
    map: MapId,
    cards: &[CardId],
    editor: &str,
    key: &str,
    big: usize,
) {
    const ROUNDS: usize = 50;
    let editor = [editor.to_owned()];
    let quiet = edit_round_trips(addr, map, cards, &editor, ROUNDS).await;
    let path = format!("/api/v1/maps/{map}/responses");
    let posting = Arc::new(AtomicUsize::new(CLIENTS));
    let posts: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let body = batch_json(cards, 9_000_000 + c * big, big, Order::Random);
            let (path, key, posting) = (path.clone(), key.to_owned(), posting.clone());
            tokio::spawn(async move {
                let mut http = Http::connect(addr).await;
                let status = http.post(&path, &key, &body).await.expect("answer");
                posting.fetch_sub(1, Ordering::SeqCst);
                assert_eq!(status, 201, "the API refused a big batch");
            })
        })
        .collect();
    // Round trips for as long as any batch is still being stored.
    let mut loaded = Vec::new();
    let started = Instant::now();
    while posting.load(Ordering::SeqCst) > 0 {
        loaded.extend(edit_round_trips(addr, map, cards, &editor, 10).await);
    }
    let took = started.elapsed();
    for post in posts {
        post.await.expect("client");
    }
    let (quiet, loaded) = (percentiles(quiet), percentiles(loaded.clone()));
    println!(
        "  live edits while {CLIENTS} clients post {big} responses each ({:.1} s, {} edits):",
        took.as_secs_f64(),
        loaded.count
    );
    println!(
        "    quiet   p50 {:>6.1} ms  p99 {:>6.1} ms  max {:>6.1} ms",
        quiet.p50, quiet.p99, quiet.max
    );
    println!(
        "    loaded  p50 {:>6.1} ms  p99 {:>6.1} ms  max {:>6.1} ms  (p99 ×{:.1} the quiet one; target: p99 under 50 ms)",
        loaded.p50,
        loaded.p99,
        loaded.max,
        loaded.p99 / quiet.p99.max(1e-9)
    );
}

struct Percentiles {
    count: usize,
    p50: f64,
    p99: f64,
    max: f64,
}

/// Percentiles of `times`, in milliseconds.
fn percentiles(mut times: Vec<Duration>) -> Percentiles {
    times.sort();
    let at = |q: f64| percentile(&times, q).as_secs_f64() * 1000.0;
    Percentiles {
        count: times.len(),
        p50: at(0.5),
        p99: at(0.99),
        max: at(1.0),
    }
}

/// A map whose touchpoints collect feedback, and an API key for it, in `dir`'s database.
async fn prepare_ingest(dir: &Path) -> Prepared {
    let (db, _) = Db::open(&dir.join("waymark.sqlite")).expect("database");
    let (backend, feedback, map, cards) = map_with_touchpoints(db, 20).await;
    let user = app::api::auth::User {
        id: UserId::from_uuid(Uuid::new_v4()),
        email: "bench@example.com".into(),
        name: "Bench".into(),
        is_admin: true,
    };
    let id = user.id;
    let token = server::secrets::new_token().expect("a token");
    let hash = server::secrets::hash_token(&token);
    backend
        .db
        .writer()
        .write(move |conn| {
            server::db::accounts::insert_user(conn, &user, "x", 0)?;
            // No password: the benchmark's importer never signs in, it holds a session.
            server::db::accounts::insert_session(conn, &hash, user.id, 0, i64::MAX)
        })
        .await
        .expect("user");
    let cookie = format!("{}={token}", app::api::auth::SESSION_COOKIE);
    let key = feedback
        .create_api_key(map, id, Name::parse("Bench").expect("a name"))
        .await
        .expect("key")
        .secret;
    let editor = support::editors(&backend.db, map, 1).await.remove(0);
    backend.db.flush().await.expect("flush");
    Prepared {
        map,
        cards,
        key,
        cookie,
        editor,
    }
}

/// A map ready for ingest: its touchpoints, an API key, the admin's session cookie and an
/// editor's.
struct Prepared {
    map: MapId,
    cards: Vec<CardId>,
    key: String,
    cookie: String,
    editor: String,
}

/// A map from the customer-journey template with `n` more touchpoint cards, each with a survey.
async fn map_with_touchpoints(
    db: Db,
    n: usize,
) -> (ServerBackend, ServerFeedback, MapId, Vec<CardId>) {
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
    let stages: Vec<_> = journey.stages().iter().map(|s| s.id).collect();
    let survey = Survey::default_for("this step");
    let cards: Vec<Card> = Position::sequence(None, n)
        .into_iter()
        .enumerate()
        .map(|(i, position)| Card {
            id: CardId::from_uuid(Uuid::new_v4()),
            stage: stages[i % stages.len()],
            lane,
            position,
            text: Text::parse(&format!("Touchpoint {i}")).expect("text"),
            channel: None,
            emotion: None,
            evidence: None,
            survey: Some(survey.clone()),
        })
        .collect();
    let ids = cards.iter().map(|c| c.id).collect();
    for chunk in cards.chunks(100) {
        let ops = chunk
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
    }
    let feedback = ServerFeedback::new(backend.db.clone(), backend.rooms.clone());
    (backend, feedback, map, ids)
}

/// The `i`th synthetic response: spread over touchpoints, a year of days, three channels and
/// two segments; every fourth one has a comment.
fn response(cards: &[CardId], i: usize, order: Order) -> ResponseInput {
    const COMMENTS: [&str; 4] = [
        "Delivery was late again and nobody told me",
        "Quick and friendly, thank you",
        "The checkout page kept logging me out",
        "Fine",
    ];
    ResponseInput {
        touchpoint: cards[i % cards.len()].to_string(),
        at: Some(When::Millis(match order {
            // A hash of `i`, so that days are independent of touchpoints and channels, and a
            // time of day from another.
            Order::Random => {
                let hash = |m: u64| ((i as u64).wrapping_mul(m) >> 8) as i64;
                LATEST - hash(2_654_435_761) % 365 * DAY_MS - hash(40_503) % DAY_MS
            }
            // Forward in time from two years ago, a day per batch, so that the API's batches
            // and then the CSV files (which go on from where the API stopped) each come after
            // everything before them.
            Order::InTime => {
                LATEST - (730 - (i / BATCH % 730)) as i64 * DAY_MS + (i % BATCH) as i64
            }
        })),
        nps: Some((i * 7 % 11) as i64),
        csat: Some((i % 5 + 1) as i64),
        ces: i.is_multiple_of(3).then_some((i % 7 + 1) as i64),
        comment: i.is_multiple_of(4).then(|| COMMENTS[i / 4 % 4].to_owned()),
        channel: Some(["web", "store", "email"][i % 3].to_owned()),
        segment: i.is_multiple_of(5).then(|| "vip".to_owned()),
        respondent: None,
    }
}

fn batch_json(cards: &[CardId], first: usize, n: usize, order: Order) -> Vec<u8> {
    let batch: Vec<ResponseInput> = (first..first + n)
        .map(|i| response(cards, i, order))
        .collect();
    serde_json::to_vec(&batch).expect("json")
}

/// CSV import through the real binary: files of up to 100,000 rows (the most one file may
/// hold), each posted as a browser's form upload and acknowledged after its commit. Returns
/// rows per second.
async fn csv_import(
    addr: std::net::SocketAddr,
    map: MapId,
    cards: &[CardId],
    cookie: &str,
    total: usize,
    order: Order,
) -> f64 {
    const FILE_ROWS: usize = 100_000;
    let boundary = "waymark-bench-boundary";
    let mapping = serde_json::json!({
        "columns": ["touchpoint", "at", "nps", "csat", "ces", "comment", "channel", "segment"],
        "touchpoint": null,
    });
    let mut bodies = Vec::new();
    for first in (0..total).step_by(FILE_ROWS) {
        let mut csv = String::from("touchpoint,at,nps,csat,ces,comment,channel,segment\n");
        for i in first..(first + FILE_ROWS).min(total) {
            // The rows after the API's, on the same kinds of tally rows.
            let r = response(cards, total + i, order);
            let at = match r.at {
                Some(When::Millis(at)) => at,
                _ => LATEST,
            };
            let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
            csv.push_str(&format!(
                "{},{},{},{},{},{},{},{}\n",
                r.touchpoint,
                app::domain::time::iso(at),
                opt(r.nps),
                opt(r.csat),
                opt(r.ces),
                r.comment.unwrap_or_default(),
                r.channel.unwrap_or_default(),
                r.segment.unwrap_or_default(),
            ));
        }
        let mut body = Vec::new();
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"mapping\"\r\n\r\n{mapping}\r\n\
                 --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\
                 Content-Type: text/csv\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(csv.as_bytes());
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        bodies.push(body);
    }
    let path = format!("/maps/{map}/feedback/import");
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let mut http = Http::connect(addr).await;
    let started = Instant::now();
    for body in &bodies {
        let answer = http
            .request(
                "POST",
                &path,
                &[("Cookie", cookie), ("Content-Type", content_type.as_str())],
                body,
            )
            .await
            .expect("answer");
        assert_eq!(
            answer.status,
            200,
            "the CSV import was refused: {}",
            String::from_utf8_lossy(&answer.body[..answer.body.len().min(400)])
        );
    }
    // The API's answers first, then these.
    tallied(addr, map, cards, cookie, 2 * total, order).await;
    total as f64 / started.elapsed().as_secs_f64()
}

/// Reads the map's summary as the browser does (which writes the tallies still waiting) and
/// checks that it counts the `expected` answers made so far; then the inbox's first page (which
/// gives answers their entries in the time order), and checks that it starts with the newest.
async fn tallied(
    addr: std::net::SocketAddr,
    map: MapId,
    cards: &[CardId],
    cookie: &str,
    expected: usize,
    order: Order,
) {
    use leptos::server_fn::ServerFn;
    let body = serde_json::json!({ "map": map, "filter": Filter::default() }).to_string();
    let answer = Http::connect(addr)
        .await
        .request(
            "POST",
            app::api::feedback::GetMapFeedback::PATH,
            &[
                ("Cookie", cookie),
                ("Content-Type", "application/json"),
                ("Accept", "application/json"),
            ],
            body.as_bytes(),
        )
        .await
        .expect("the summary");
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let summary: serde_json::Value = serde_json::from_slice(&answer.body).expect("JSON");
    assert_eq!(
        summary["map"]["responses"].as_u64(),
        Some(expected as u64),
        "the summary does not count every answer"
    );
    let answer = Http::connect(addr)
        .await
        .request(
            "POST",
            app::api::feedback::FeedbackInbox::PATH,
            &[
                ("Cookie", cookie),
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Accept", "application/json"),
            ],
            format!("map={map}&unhappy_only=false").as_bytes(),
        )
        .await
        .expect("the inbox");
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let page: serde_json::Value = serde_json::from_slice(&answer.body).expect("JSON");
    let newest = (0..expected)
        .filter_map(|i| match response(cards, i, order).at {
            Some(When::Millis(at)) => Some(at),
            _ => None,
        })
        .max();
    // To the second: the CSV files carry no milliseconds.
    assert_eq!(
        page["items"][0]["at"].as_i64().map(|at| at / 1000),
        newest.map(|at| at / 1000),
        "the inbox does not start with the newest answer"
    );
}

/// The physical floor: plain inserts of the same rows, `BATCH` per transaction, with the same
/// durability settings (WAL, `synchronous=FULL`), into a table with the responses' columns and
/// nothing else: no tallies, no indexes, no foreign key. Returns rows per second.
///
/// With `time_index`, the table has an index by map and time, kept per insert (as Waymark
/// kept one for its newest-first reads until migration 028): in a shuffled order each answer
/// then lands on an index page of its own, a cost any store keeping that index so pays.
fn bare_insert(
    path: &Path,
    cards: &[CardId],
    map: MapId,
    total: usize,
    order: Order,
    time_index: bool,
) -> f64 {
    let mut conn = rusqlite::Connection::open(path).expect("open");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn.pragma_update(None, "synchronous", "FULL")
        .expect("sync");
    conn.execute_batch(
        "CREATE TABLE bare (map_id TEXT NOT NULL, card_id TEXT NOT NULL, at INTEGER NOT NULL,
             day INTEGER NOT NULL, nps INTEGER, csat INTEGER, ces INTEGER, comment TEXT,
             sentiment REAL, channel TEXT NOT NULL, segment TEXT NOT NULL, respondent TEXT,
             source TEXT NOT NULL, received_at INTEGER NOT NULL, detractor INTEGER NOT NULL,
             followed_up INTEGER NOT NULL) STRICT",
    )
    .expect("table");
    if time_index {
        conn.execute_batch("CREATE INDEX bare_by_time ON bare (map_id, at)")
            .expect("index");
    }
    // Every batch its own answers, as the API's.
    let all: Vec<ResponseInput> = (0..total).map(|i| response(cards, i, order)).collect();
    let map_id = map.to_string();
    let started = Instant::now();
    for rows in all.chunks(BATCH) {
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .expect("begin");
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO bare (map_id, card_id, at, day, nps, csat, ces, comment,
                         sentiment, channel, segment, respondent, source, received_at, detractor,
                         followed_up)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, ?9, ?10, NULL, 'api', ?11, 0, 0)",
                )
                .expect("prepare");
            for r in rows {
                let at = match r.at {
                    Some(When::Millis(at)) => at,
                    _ => LATEST,
                };
                insert
                    .execute(rusqlite::params![
                        map_id,
                        r.touchpoint,
                        at,
                        day_of(at),
                        r.nps,
                        r.csat,
                        r.ces,
                        r.comment,
                        r.channel.as_deref().unwrap_or(""),
                        r.segment.as_deref().unwrap_or(""),
                        LATEST,
                    ])
                    .expect("insert");
            }
        }
        tx.commit().expect("commit");
    }
    total as f64 / started.elapsed().as_secs_f64()
}

/// Responses stored, and responses counted in the running totals, once the database has been
/// opened as a start does (which recounts tallies a killed server left in memory).
fn stored_counts(path: &Path) -> (usize, usize) {
    drop(Db::open(path).expect("opening after the kill"));
    let conn = rusqlite::Connection::open(path).expect("open after the kill");
    let count = |sql: &str| -> usize {
        let n: i64 = conn.query_row(sql, [], |row| row.get(0)).expect("count");
        usize::try_from(n).unwrap_or(0)
    };
    (
        count("SELECT count(*) FROM feedback_responses"),
        count("SELECT coalesce(sum(responses), 0) FROM feedback_totals"),
    )
}

// ---------- Summary ----------

async fn summary(total: usize) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (db, _) = Db::open(&dir.path().join("summary.sqlite")).expect("database");
    let (backend, feedback, map, cards) = map_with_touchpoints(db, TOUCHPOINTS).await;
    let journey = backend.rooms.snapshot(map).await.expect("snapshot").map;
    println!(
        "Summary: a map with {} touchpoints and {total} responses.",
        cards.len()
    );
    let started = Instant::now();
    for first in (0..total).step_by(50_000) {
        let items = (first..(first + 50_000).min(total))
            .map(|i| Ok(response(&cards, i, Order::Random)))
            .collect();
        feedback
            .ingest(map, items, Source::Api, Naming::Id)
            .await
            .expect("load");
    }
    println!(
        "  loaded through the ingest path in {:.1} s ({:.0} responses/s, batches of 50,000)",
        started.elapsed().as_secs_f64(),
        total as f64 / started.elapsed().as_secs_f64()
    );

    let today = day_of(LATEST);
    let days = |n: i64| Filter {
        from: Some(today - (n - 1)),
        to: Some(today),
        ..Filter::default()
    };
    let with = |filter: Filter, channel: Option<&str>, segment: Option<&str>| Filter {
        channel: channel.map(str::to_owned),
        segment: segment.map(str::to_owned),
        ..filter
    };
    println!(
        "  {:<38} {:>10} {:>10} | {:>12}",
        "", "p50", "p90", "naive scan"
    );
    let mut slowest = Duration::ZERO;
    for (label, filter) in [
        ("all answers", Filter::default()),
        ("last 30 days", days(30)),
        ("last 365 days", days(365)),
        (
            "from a day on (open end)",
            Filter {
                to: None,
                ..days(100)
            },
        ),
        ("channel = web", with(Filter::default(), Some("web"), None)),
        ("segment = vip", with(Filter::default(), None, Some("vip"))),
        (
            "channel = store, segment = vip",
            with(Filter::default(), Some("store"), Some("vip")),
        ),
        (
            "last 30 days, channel = web",
            with(days(30), Some("web"), None),
        ),
        (
            "last 365 days, segment = vip",
            with(days(365), None, Some("vip")),
        ),
        (
            "last 200 days, web and vip",
            with(days(200), Some("web"), Some("vip")),
        ),
    ] {
        // Warm: the first read loads the pages into SQLite's and the OS's caches.
        let check = feedback
            .map_feedback(map, filter.clone())
            .await
            .expect("summary");
        let mut times = Vec::new();
        for _ in 0..15 {
            let started = Instant::now();
            let summary = feedback
                .map_feedback(map, filter.clone())
                .await
                .expect("summary");
            times.push(started.elapsed());
            std::hint::black_box(summary);
        }
        times.sort();
        let scan_path = dir.path().join("summary.sqlite");
        let scan_filter = filter.clone();
        let scan_journey = journey.clone();
        let (naive, scanned) = tokio::task::spawn_blocking(move || {
            naive_scan(&scan_path, map, &scan_filter, &scan_journey)
        })
        .await
        .expect("scan");
        assert_eq!(
            scanned, check.map.responses,
            "the rollups and the full scan disagree"
        );
        slowest = slowest.max(times[times.len() / 2]);
        println!(
            "  {label:<38} {:>10} {:>10} | {:>12}",
            ms(times[times.len() / 2]),
            ms(times[times.len() * 9 / 10]),
            ms(naive)
        );
    }
    println!(
        "  slowest p50 {} (target: every filter under 10 ms warm at 1,000,000 responses)",
        ms(slowest)
    );
}

/// The summary computed the obvious way: read every response of the map, tally in Rust.
/// Returns its time (best of three) and the number of responses it counted.
fn naive_scan(
    path: &Path,
    map: MapId,
    filter: &Filter,
    journey: &app::domain::map::JourneyMap,
) -> (Duration, u64) {
    let conn = rusqlite::Connection::open(path).expect("open");
    let mut best = Duration::MAX;
    let mut counted = 0;
    for _ in 0..3 {
        let started = Instant::now();
        let mut stmt = conn
            .prepare_cached(
                "SELECT card_id, nps, csat, ces, comment IS NOT NULL, coalesce(sentiment, 0)
                 FROM feedback_responses
                 WHERE map_id = ?1 AND (?2 IS NULL OR day >= ?2) AND (?3 IS NULL OR day <= ?3)
                   AND (?4 IS NULL OR channel = ?4) AND (?5 IS NULL OR segment = ?5)",
            )
            .expect("prepare");
        let mut rows = stmt
            .query(rusqlite::params![
                map.to_string(),
                filter.from,
                filter.to,
                filter.channel,
                filter.segment
            ])
            .expect("query");
        let mut tallies: HashMap<String, Tally> = HashMap::new();
        while let Some(row) = rows.next().expect("row") {
            let card: String = row.get(0).expect("card");
            let tally = tallies.entry(card).or_default();
            tally.responses += 1;
            if let Some(s) = row.get::<_, Option<u8>>(1).expect("nps") {
                let s = usize::from(s);
                tally.nps[s] += 1;
            }
            if let Some(s) = row.get::<_, Option<u8>>(2).expect("csat") {
                let s = usize::from(s);
                tally.csat[s - 1] += 1;
            }
            if let Some(s) = row.get::<_, Option<u8>>(3).expect("ces") {
                let s = usize::from(s);
                tally.ces[s - 1] += 1;
            }
            if row.get::<_, bool>(4).expect("comment") {
                tally.comments += 1;
                if row.get::<_, f64>(5).expect("sentiment") <= -0.05 {
                    tally.negative += 1;
                }
            }
        }
        let mut by_stage: HashMap<_, Tally> = HashMap::new();
        let mut whole = Tally::default();
        for (card, tally) in &tallies {
            if let Some(card) = card.parse().ok().and_then(|id| journey.card(id)) {
                by_stage.entry(card.stage).or_default().add(tally);
                whole.add(tally);
                std::hint::black_box(Summary::new(tally, 5));
            }
        }
        for tally in by_stage.values() {
            std::hint::black_box(Summary::new(tally, 5));
        }
        counted = Summary::new(&whole, 5).responses;
        best = best.min(started.elapsed());
    }
    (best, counted)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}
