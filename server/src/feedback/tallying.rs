//! Writing bulk answers' tallies behind them (see `db::feedback::Waiting`): in bounded parts
//! on the writer's bulk lane, a second after they come (or once a stream of them pauses), and
//! before anyone reads them. The answers' entries in the time order (`db::feedback::times`)
//! are added with them (every second, even during a stream), and before anyone reads that
//! order (`index_times`).
//!
//! Cells are taken out of `Waiting` on the writer thread, by the job that writes them, and
//! put back by the same thread should its transaction fail; a slice's cells are added there
//! too, once it has committed and before any later job runs. So any job sees every committed
//! answer either in the tallies or waiting, never in neither: a job that first writes what
//! waits for a map (`write_waiting_then`) then reads, or takes answers out of, exact tallies.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::domain::ids::MapId;
use rusqlite::Connection;

use crate::db::feedback::{self as store, times, Slice, Tallies};
use crate::db::{Db, Pending, StoreError};
use crate::lock;

/// Cells written per job: a few milliseconds of the writer (each is a row of two tables, and
/// shares the coarser tables' rows with its neighbours).
const PART: usize = 1_000;
/// How long tallies wait in memory before they are written (`schedule`).
const DELAY: Duration = Duration::from_secs(1);
/// Responses given their entry in the time order per job: sorted, they share pages, so a
/// part's cost is mostly the pages it touches, a few milliseconds' worth.
const TIMES_PART: i64 = 8_000;
/// Cells allowed to wait in memory (about 250 bytes each); past this, storing more waits for
/// the map's to be written.
const MAX_WAITING: usize = 200_000;
/// While answers keep coming (the last less than `DELAY` ago), the scheduled write waits for
/// the rest of them: up to this long after tallies began to wait (or after the last write of
/// all that waited began), and while fewer than `STREAM_CELLS` wait. A shuffled backfill
/// touches most of a map's cells every second: written once a second, each cell was written
/// many times over (0.4 cell writes an answer, most of the writer's time); written when the
/// stream pauses, once. A reader meanwhile writes what waits first, so it never sees less; it
/// may wait for up to `STREAM_CELLS` to be written (under a second).
const STREAM_AGE: Duration = Duration::from_secs(10);
const STREAM_CELLS: usize = 50_000;

/// Queues `slice` of `map` to be stored by `store` in one job on the bulk lane; once it has
/// committed, its tallies wait with the others. The caller awaits the job, then `stored`.
pub async fn queue_slice(
    db: &Db,
    map: MapId,
    slice: Slice,
    store: impl FnOnce(&Connection, &Slice) -> Result<(), StoreError> + Send + 'static,
) -> Result<Pending<usize>, StoreError> {
    let waiting = db.feedback_waiting().clone();
    db.writer()
        .enqueue_bulk_then(
            move |conn| {
                store(conn, &slice)?;
                Ok(slice)
            },
            move |outcome| {
                let slice = outcome?;
                let stored = slice.len();
                waiting.add(map, slice.into_tallies());
                Ok(stored)
            },
        )
        .await
}

/// After a request's slices have committed: their tallies are written a second later, or now
/// should too many wait.
pub async fn stored(db: &Db) -> Result<(), StoreError> {
    if db.feedback_waiting().size() > MAX_WAITING {
        write_some(db).await?;
    }
    schedule(db);
    Ok(())
}

/// Runs `job` on the bulk lane after writing, in the same transaction, up to `most` of `map`'s
/// waiting cells (all of them with `None`). Cells taken go back to wait should the
/// transaction fail.
async fn after_writing<T, F>(
    db: &Db,
    map: MapId,
    most: Option<usize>,
    job: F,
) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
{
    let (waiting, back) = (db.feedback_waiting().clone(), db.feedback_waiting().clone());
    let taken: Arc<Mutex<Tallies>> = Arc::default();
    let kept = taken.clone();
    db.writer()
        .enqueue_bulk_then(
            move |conn| {
                let mut taken = lock(&taken);
                *taken = waiting.take(map, most);
                store::write_tallies(conn, map, &taken)?;
                job(conn)
            },
            move |outcome| {
                back.settled(map, std::mem::take(&mut *lock(&kept)), outcome.is_err());
                outcome
            },
        )
        .await?
        .committed()
        .await
}

/// Writes every tally of `map` that waits when this is called: in parts, so that live writes
/// go between them. The last part takes whatever waits then, and commits after any write that
/// took cells before it (a scheduled one, whose batch may not have committed yet; had it
/// failed, it put them back first): so every answer stored before this call is in the
/// tallies once it returns.
pub async fn write_waiting(db: &Db, map: MapId) -> Result<(), StoreError> {
    write_all_but_the_last_part(db, map).await?;
    if !db.feedback_waiting().quiet(map) {
        after_writing(db, map, None, |_| Ok(())).await?;
    }
    Ok(())
}

/// `write_waiting`, with `job` run in its last part's transaction: for a job that takes
/// answers out of the tallies, which must be whole then.
pub async fn write_waiting_then<T, F>(db: &Db, map: MapId, job: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
{
    write_all_but_the_last_part(db, map).await?;
    after_writing(db, map, None, job).await
}

async fn write_all_but_the_last_part(db: &Db, map: MapId) -> Result<(), StoreError> {
    let waiting = db.feedback_waiting();
    for _ in 0..waiting.cells(map).div_ceil(PART) {
        if waiting.cells(map) <= PART {
            break;
        }
        after_writing(db, map, Some(PART), |_| Ok(())).await?;
    }
    Ok(())
}

/// Writes every map's waiting tallies, and every answer's entry in the time order: for a
/// server that stops.
pub async fn write_all(db: &Db) -> Result<(), StoreError> {
    for map in db.feedback_waiting().waiting() {
        write_waiting(db, map).await?;
    }
    index_times(db).await
}

/// Writes, in parts, as many cells as wait now (not those that come meanwhile: under a
/// stream of answers, writing until nothing waits would never end, and a last part taking
/// everything, as `write_waiting`'s does, would hold the writer for as long as the stream
/// filled it).
async fn write_some(db: &Db) -> Result<(), StoreError> {
    let waiting = db.feedback_waiting();
    waiting.writing_all();
    for map in waiting.waiting() {
        for _ in 0..waiting.cells(map).div_ceil(PART) {
            after_writing(db, map, Some(PART), |_| Ok(())).await?;
        }
    }
    Ok(())
}

/// The scheduled write: what waits now, then the time order; again later if more came. The
/// tallies are put off while a stream of answers goes on (see `STREAM_AGE`); the time order
/// is not, as waiting makes its entries no cheaper.
async fn write_scheduled(db: &Db) -> Result<(), StoreError> {
    let waiting = db.feedback_waiting();
    if !waiting.streaming(DELAY, STREAM_AGE) || waiting.size() >= STREAM_CELLS {
        write_some(db).await?;
    }
    index_times(db).await?;
    if waiting.size() > 0 {
        schedule(db);
    }
    Ok(())
}

/// Gives every answer stored before this call its entry in the time order, in parts on the
/// bulk lane: for readers of that order (the inbox, comments, a map's responses).
pub async fn index_times(db: &Db) -> Result<(), StoreError> {
    let Some(until) = db.read(times::behind).await? else {
        return Ok(());
    };
    while !db
        .writer()
        .enqueue_bulk(move |conn| times::index(conn, until, TIMES_PART))
        .await?
        .committed()
        .await?
    {}
    Ok(())
}

/// Writes the waiting tallies, and gives answers their entries in the time order, a little
/// later, once for all the answers that come meanwhile.
pub fn schedule(db: &Db) {
    db.write_later(
        |db| &db.feedback_waiting().scheduled,
        DELAY,
        "feedback tallies",
        |db| async move { write_scheduled(&db).await },
    );
}
