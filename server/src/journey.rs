//! Journey analytics on the server: events in (`ingest`, behind the API in `api`), the funnel
//! out (`funnel`), and a customer forgotten on request (`forget`). What is counted, and how, is
//! `app::domain::journey`; the SQL is `db::journey`.
//!
//! An event's customer reference is replaced by its pseudonym (`pseudonyms`) before anything is
//! stored, and never logged. A batch is checked whole before anything is stored, and stored in
//! one writer job on the bulk lane (so live edits go first), all or nothing, committed before
//! it is acknowledged.

pub mod api;
pub mod import;

use app::api::feedback::{Filter, Forgotten};
use app::domain::feedback::ResponseError;
use app::domain::ids::MapId;
use app::domain::journey::{retention_cutoff, Counts, EventInput, Funnel, Places};

use crate::clock::now_millis;
use crate::db::journey as store;
use crate::db::{Db, StoreError};
use crate::feedback::{IngestError, Rejection};
use crate::rooms::Rooms;

/// Most events in one request: one writer job's worth, a few milliseconds of the writer.
pub const MAX_EVENTS: usize = 1_000;
/// Count rows written per flushing job: a few milliseconds of the writer.
const FLUSH_CHUNK: usize = 2_000;
/// How long changes to counts wait in memory before they are written (`schedule_flush`).
const FLUSH_DELAY: std::time::Duration = std::time::Duration::from_secs(1);
/// Count rows allowed to wait in memory; past this, storing events waits for a flush.
pub(crate) const MAX_PENDING: usize = 400_000;

#[derive(Clone)]
pub struct ServerJourney {
    pub db: Db,
    pub rooms: Rooms,
}

impl ServerJourney {
    pub fn new(db: Db, rooms: Rooms) -> ServerJourney {
        ServerJourney { db, rooms }
    }

    /// Checks `items` against `map` and stores them all, or none; returns how many were new
    /// (an event sent again is stored once). An item that could not even be read arrives as
    /// its error, to be reported by position with the others.
    pub async fn ingest(
        &self,
        map: MapId,
        items: Vec<Result<EventInput, ResponseError>>,
    ) -> Result<usize, IngestError> {
        if items.len() > MAX_EVENTS {
            return Err(IngestError::TooMany);
        }
        let journey = self.rooms.committed(map).await?.map;
        let retention = self
            .db
            .read(move |conn| store::retention(conn, map))
            .await?;
        let channels = self.db.channel_names().await?;
        let db = self.db.clone();
        let checked = tokio::task::spawn_blocking(move || {
            let places = Places::of(&journey).keeping(retention);
            let now = now_millis();
            let mut rejections = Vec::new();
            let mut events = Vec::with_capacity(items.len());
            for (index, item) in items.into_iter().enumerate() {
                let renamed = item.map(|mut input| {
                    channels.rename(&mut input.channel);
                    input
                });
                match renamed.and_then(|input| input.check(&places, now)) {
                    Ok(event) => {
                        let customer = db.pseudonyms().customer(map, &event.customer);
                        events.push((customer, event.step));
                    }
                    Err(err) => rejections.push(Rejection::at(index, err)),
                }
            }
            if rejections.is_empty() {
                Ok(events)
            } else {
                Err(IngestError::Rejected(rejections))
            }
        })
        .await
        .map_err(StoreError::internal)??;
        let (stored, changes) = self
            .db
            .writer()
            .enqueue_bulk(move |conn| store::store_events(conn, map, checked))
            .await?
            .committed()
            .await?;
        // Committed: the changes count from now on (see `db::journey::Pending`).
        self.db.journey_pending().add(map, changes);
        if self.db.journey_pending().size() > MAX_PENDING {
            flush(&self.db, map).await?;
        }
        schedule_flush(&self.db);
        self.rooms.figures_changed(map);
        Ok(stored)
    }

    /// What customers did on `map`, under `filter`, in the map's current stage order.
    pub async fn funnel(&self, map: MapId, filter: Filter) -> Result<Funnel, StoreError> {
        let journey = self.rooms.committed(map).await?.map;
        let counts = read_counts(&self.db, map, filter).await?;
        Ok(Funnel::new(&journey, &counts))
    }

    /// Keeps `map`'s events `days` days from now on (`None`: forever), deleting at once those
    /// already older; returns how many customers' events were deleted.
    pub async fn set_retention(&self, map: MapId, days: Option<u32>) -> Result<u64, StoreError> {
        self.db
            .writer()
            .write(move |conn| store::set_retention(conn, map, days))
            .await?;
        let Some(days) = days else { return Ok(0) };
        Ok(expire(&self.db, map, days).await? as u64)
    }

    /// Deletes everything `map` holds about the customer known to the team as `reference`:
    /// their events (taken out of every count) and their answers to surveys (those sent with
    /// it as `respondent`). Returns how many events and answers went.
    pub async fn forget(&self, map: MapId, reference: &str) -> Result<Forgotten, StoreError> {
        let reference = reference.trim().to_owned();
        let customer = self.db.pseudonyms().customer(map, &reference);
        let answers = {
            let reference = reference.clone();
            self.db
                .read(move |conn| crate::db::feedback::respondent_ids(conn, map, &reference))
                .await?
        };
        // Their answers are taken out of whole tallies: the map's waiting ones are written first,
        // the last of them in the same job.
        let (forgotten, changes) =
            crate::feedback::tallying::write_waiting_then(&self.db, map, move |conn| {
                let (events, changes) = store::forget(conn, map, customer)?;
                let answers =
                    crate::db::feedback::remove_respondent(conn, map, &reference, &answers)?;
                let forgotten = Forgotten {
                    events: events as u64,
                    answers: answers as u64,
                };
                Ok((forgotten, changes))
            })
            .await?;
        self.db.journey_pending().add(map, changes);
        // Written before answering: once told, the owner sees the customer gone everywhere.
        flush(&self.db, map).await?;
        self.rooms.figures_changed(map);
        Ok(forgotten)
    }
}

/// Deletes `map`'s events older than its retention period (see `Path::expire`): readers find
/// the paths that hold some, and jobs on the bulk lane change those, a few thousand at a time.
/// Returns how many customers' paths lost events.
pub async fn expire(db: &Db, map: MapId, days: u32) -> Result<usize, StoreError> {
    let cutoff = retention_cutoff(days, now_millis());
    let (mut after, mut changed) = (None, 0);
    loop {
        let (last, due) = db
            .read(move |conn| store::expiring(conn, map, cutoff, after))
            .await?;
        for part in due.chunks(EXPIRE_CHUNK) {
            let part = part.to_vec();
            changed += db
                .writer()
                .enqueue_bulk(move |conn| store::expire_customers(conn, map, cutoff, &part))
                .await?
                .committed()
                .await?;
        }
        match last {
            Some(last) => after = Some(last),
            None => return Ok(changed),
        }
    }
}

/// Paths changed per writer job when deleting expired events: a few milliseconds of the
/// writer.
const EXPIRE_CHUNK: usize = 2_000;

/// How often every map's expired events are deleted.
const EXPIRY_ROUND: std::time::Duration = std::time::Duration::from_secs(3600);

/// Deletes expired events of every map now and then every `EXPIRY_ROUND`, for as long as the
/// server runs.
pub fn keep_expiring(db: Db) {
    tokio::spawn(async move {
        loop {
            let maps = db.read(store::retentions).await;
            for (map, days) in maps.into_iter().flatten() {
                if let Err(err) = expire(&db, map, days).await {
                    tracing::warn!(%map, %err, "could not delete expired journey events; trying again later");
                }
            }
            tokio::time::sleep(EXPIRY_ROUND).await;
        }
    });
}

/// `map`'s counts under `filter`, with every committed change written first.
pub async fn read_counts(db: &Db, map: MapId, filter: Filter) -> Result<Counts, StoreError> {
    flush(db, map).await?;
    db.read(move |conn| store::counts(conn, map, &filter)).await
}

/// Writes `map`'s waiting changes to its counts, in chunks on the bulk lane, so live edits go
/// first. A chunk that fails goes back to wait (its changes add up the same later).
pub async fn flush(db: &Db, map: MapId) -> Result<(), StoreError> {
    let pending = db.journey_pending();
    let _turn = pending.turn.lock().await;
    // Changes that come while these are written are taken in the next round.
    while let Some(changes) = pending.take(map) {
        let mut parts = changes.into_parts(FLUSH_CHUNK).into_iter();
        while let Some(part) = parts.next() {
            let kept = part.clone();
            let written = async {
                db.writer()
                    .enqueue_bulk(move |conn| store::write_counts(conn, map, &part))
                    .await?
                    .committed()
                    .await
            };
            if let Err(err) = written.await {
                pending.add(map, kept);
                parts.for_each(|rest| pending.add(map, rest));
                return Err(err);
            }
        }
    }
    Ok(())
}

/// Writes every map's waiting changes.
pub async fn flush_all(db: &Db) -> Result<(), StoreError> {
    for map in db.journey_pending().waiting() {
        flush(db, map).await?;
    }
    Ok(())
}

/// Writes the waiting changes a little later, once for all the batches that come meanwhile.
fn schedule_flush(db: &Db) {
    db.write_later(
        |db| &db.journey_pending().scheduled,
        FLUSH_DELAY,
        "journey counts",
        |db| async move { flush_all(&db).await },
    );
}
