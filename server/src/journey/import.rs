//! CSV import of journey events: `POST /maps/{id}/journey/import`, the same form as the
//! feedback import's (the file, the column mapping chosen in the preview, optionally
//! `dry_run`), read and answered by `csv_import`: every row checked before anything is stored,
//! one bad row stores nothing, and the answer lists every bad row by line.
//!
//! A file holds up to `MAX_FILE_EVENTS`, a hundred API batches, so it is stored in slices of
//! at most `MAX_EVENTS` on the bulk lane, each customer's events in one slice: live edits wait
//! behind one slice at most. Storing cannot fail for a row (all were checked), only for the
//! database (a full disk, say), and then nothing stays, as with feedback's files: the slices
//! form a batch whose committed steps are taken out again (at the next start, should the
//! server stop or the undoing fail too), so importing the file again stores it once. Events
//! already stored are skipped, as the API skips them.

use std::collections::VecDeque;

use app::api::audit::Action;
use app::domain::access::Capability;
use app::domain::event_table::{EventField, Names};
use app::domain::feedback::ResponseError;
use app::domain::ids::MapId;
use app::domain::journey::{EventInput, Places, Step};
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use axum::Router;

use crate::audit::{self, Address};
use crate::clock::now_millis;
use crate::csv_import::{self, Checked};
use crate::db::journey as store;
use crate::db::StoreError;
use crate::http::{HttpError, MapCaller};
use crate::journey::{flush, ServerJourney, MAX_EVENTS, MAX_PENDING};
use crate::state::AppState;

pub const IMPORT: &str = "/maps/{id}/journey/import";
/// Most events in one file: as many rows as a feedback file's.
pub const MAX_FILE_EVENTS: usize = 100_000;
/// Slices queued on the writer before the oldest is waited for: enough to keep the bulk lane
/// busy, few enough that each committed slice's changes reach `Pending` soon after its commit
/// (until then the counts lag behind the stored paths).
const SLICES_AHEAD: usize = 4;

pub fn routes() -> Router<AppState> {
    Router::new().route(IMPORT, post(import))
}

/// `POST /maps/{id}/journey/import`. Who may is settled before the upload is read: the same
/// people as may import survey answers.
async fn import(
    State(journey): State<ServerJourney>,
    caller: MapCaller,
    Address(ip): Address,
    form: Multipart,
) -> Result<Response, HttpError> {
    caller.require(Capability::CollectFeedback)?;
    let upload = csv_import::upload::<EventField>(form).await?;
    let map = caller.map;
    let check = checker(&journey, map).await?;
    let events = match csv_import::check(upload, MAX_FILE_EVENTS, check).await? {
        Checked::Store(events) => events,
        Checked::Answer(answer) => return Ok(answer),
    };
    if let Some(why) = journey.db.writer().refusing() {
        tracing::warn!(%why, "a journey import was refused: the database is not saving");
        return Err(HttpError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the database cannot save now; nothing was imported, try again later",
        ));
    }
    let total = events.len();
    let slices = tokio::task::spawn_blocking(move || slices(events, MAX_EVENTS))
        .await
        .map_err(HttpError::internal)?;
    let stored = store_all(&journey, map, slices).await;
    if let Err(err) = flush(&journey.db, map).await {
        // The changes wait for the next flush (or a reader's); the events are stored.
        tracing::warn!(%err, "could not write journey counts after an import yet");
    }
    journey.rooms.figures_changed(map);
    match stored {
        Ok(stored) => {
            crate::telemetry::events_stored("csv", stored);
            let event = audit::by(&caller.user, Action::EventsImported, ip).on_map(map);
            let _ = audit::record(&journey.db, event.detail(format!("{stored} events"))).await;
            Ok(csv_import::imported(stored))
        }
        Err(failed) => {
            let (err, message) = match failed {
                Failed::Undone(err) => (err, UNDONE),
                Failed::UndoneAtStart(err) => (err, UNDONE_AT_START),
            };
            tracing::error!(%err, total, "a journey import failed; nothing of it stays");
            // As for a database refusing writes: the Import tab shows the message.
            Err(HttpError::new(StatusCode::SERVICE_UNAVAILABLE, message))
        }
    }
}

/// The answers to a file that failed part-way: nothing of it stays, now or (should the
/// database still fail) from the next start.
const UNDONE: &str = "saving failed part-way and was undone: nothing was imported. Try again later";
const UNDONE_AT_START: &str = "saving failed part-way: nothing was imported, but the events \
     saved so far show until the server next starts, which takes them out. Try again later";

/// Why an import stored nothing.
enum Failed {
    /// A slice failed; the ones committed before it were taken out again.
    Undone(StoreError),
    /// Taking them out failed too (the database still failing): the batch stays unfinished,
    /// and the next start takes them out (`db::journey::undo_unfinished`).
    UndoneAtStart(StoreError),
}

/// Checks one row's event against `map` as it is now: touchpoints and stages by id or title,
/// the time against the map's retention, and the customer replaced by their pseudonym at once.
async fn checker(
    journey: &ServerJourney,
    map: MapId,
) -> Result<
    impl Fn(Result<EventInput, ResponseError>) -> Result<(i64, Step), ResponseError>
        + Send
        + Sync
        + 'static,
    StoreError,
> {
    let places = journey.rooms.committed(map).await?.map;
    let retention = journey
        .db
        .read(move |conn| store::retention(conn, map))
        .await?;
    let (names, places) = (Names::of(&places), Places::of(&places).keeping(retention));
    let channels = journey.db.channel_names().await?;
    let (db, now) = (journey.db.clone(), now_millis());
    Ok(move |item: Result<EventInput, ResponseError>| {
        let mut input = names.resolve(item?);
        channels.rename(&mut input.channel);
        let event = input.check(&places, now)?;
        Ok((db.pseudonyms().customer(map, &event.customer), event.step))
    })
}

/// `events` cut into slices of at most `max`, each customer's events in one slice (so that
/// their path is read and written once) unless they alone are more.
fn slices(mut events: Vec<(i64, Step)>, max: usize) -> Vec<Vec<(i64, Step)>> {
    events.sort_by_key(|(customer, _)| *customer);
    let mut slices: Vec<Vec<(i64, Step)>> = Vec::new();
    let mut events = events.into_iter().peekable();
    while let Some(first) = events.next() {
        let customer = first.0;
        let mut run = vec![first];
        while let Some(next) = events.next_if(|(c, _)| *c == customer) {
            run.push(next);
        }
        match slices.last_mut() {
            Some(last) if last.len() + run.len() <= max => last.append(&mut run),
            _ if run.len() <= max => slices.push(run),
            _ => slices.extend(run.chunks(max.max(1)).map(<[_]>::to_vec)),
        }
    }
    slices
}

/// Stores the slices all or nothing, and returns how many events were new. One slice is one
/// transaction. Several are a batch (`db::journey::begin_batch`): each slice notes the steps
/// it adds, a failure takes the committed slices out again, and only a finished batch stays
/// (a crash before that leaves it to the next start to undo).
async fn store_all(
    journey: &ServerJourney,
    map: MapId,
    slices: Vec<Vec<(i64, Step)>>,
) -> Result<usize, Failed> {
    if slices.len() <= 1 {
        return store_slices(journey, map, None, slices)
            .await
            .map_err(Failed::Undone);
    }
    let writer = journey.db.writer();
    let now = now_millis();
    let batch = async {
        writer
            .enqueue_bulk(move |conn| store::begin_batch(conn, map, now))
            .await?
            .committed()
            .await
    };
    let batch = batch.await.map_err(Failed::Undone)?;
    let stored = async {
        let stored = store_slices(journey, map, Some(batch), slices).await?;
        writer
            .enqueue_bulk(move |conn| store::finish_batch(conn, batch))
            .await?
            .committed()
            .await?;
        Ok(stored)
    };
    match stored.await {
        Ok(stored) => {
            // Finished, so the events stay whatever happens to the clearing: it is completed
            // at the next start if it fails now.
            let cleared = journey
                .db
                .in_chunks(move |conn| store::clear_finished(conn, batch), |()| {})
                .await;
            if let Err(err) = cleared {
                tracing::warn!(%err, batch, "could not clear a finished journey import's notes yet");
            }
            Ok(stored)
        }
        Err(err) => {
            let pending = journey.db.journey_pending();
            let undone = journey
                .db
                .in_chunks(
                    move |conn| store::undo_some(conn, batch),
                    |changes| pending.add(map, changes),
                )
                .await;
            match undone {
                Ok(()) => Err(Failed::Undone(err)),
                Err(undo) => {
                    tracing::error!(%undo, batch, "undoing a failed journey import failed; it is undone at the next start");
                    Err(Failed::UndoneAtStart(err))
                }
            }
        }
    }
}

/// Stores the slices in order on the bulk lane, each in one job (of `batch`, if any), and
/// hands each committed slice's changes to the counts; stops queueing at the first that fails.
/// Returns how many events were new, or the first failure (the slices committed before it
/// stay, for the caller to take out again).
async fn store_slices(
    journey: &ServerJourney,
    map: MapId,
    batch: Option<i64>,
    slices: Vec<Vec<(i64, Step)>>,
) -> Result<usize, StoreError> {
    let writer = journey.db.writer();
    let mut ahead = VecDeque::new();
    let mut outcome = Outcome::default();
    for slice in slices {
        if ahead.len() >= SLICES_AHEAD {
            if let Some(oldest) = ahead.pop_front() {
                outcome.settle(journey, map, oldest).await;
            }
        }
        if outcome.failed.is_some() {
            break;
        }
        match writer
            .enqueue_bulk(move |conn| match batch {
                Some(batch) => store::store_slice(conn, map, batch, slice),
                None => store::store_events(conn, map, slice),
            })
            .await
        {
            Ok(queued) => ahead.push_back(queued),
            Err(err) => {
                outcome.failed = Some(err);
                break;
            }
        }
    }
    // Queued slices may still commit: their changes must count (and be undone).
    for queued in ahead {
        outcome.settle(journey, map, queued).await;
    }
    match outcome.failed {
        None => Ok(outcome.stored),
        Some(err) => Err(err),
    }
}

#[derive(Default)]
struct Outcome {
    stored: usize,
    failed: Option<StoreError>,
}

impl Outcome {
    /// Waits for one slice; once committed, its changes count (see `db::journey::Pending`).
    async fn settle(
        &mut self,
        journey: &ServerJourney,
        map: MapId,
        queued: crate::db::Pending<(usize, store::Changes)>,
    ) {
        match queued.committed().await {
            Ok((stored, changes)) => {
                self.stored += stored;
                let pending = journey.db.journey_pending();
                pending.add(map, changes);
                if pending.size() > MAX_PENDING {
                    if let Err(err) = flush(&journey.db, map).await {
                        tracing::warn!(%err, "could not write journey counts during an import yet");
                    }
                }
            }
            Err(err) => {
                self.failed.get_or_insert(err);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::ids::StageId;

    fn event(customer: i64, at: i64) -> (i64, Step) {
        let step = Step {
            at,
            stage: StageId::from_uuid(uuid::Uuid::from_u128(1)),
            card: None,
            channel: String::new(),
            segment: String::new(),
            outcome: String::new(),
        };
        (customer, step)
    }

    #[test]
    fn slices_keep_each_customer_whole_and_stay_within_the_limit() {
        // Customers 1 to 3 with 2, 3 and 1 events, in file order (mixed), then one with 7.
        let mut events: Vec<_> = [3, 1, 2, 2, 1, 2]
            .iter()
            .enumerate()
            .map(|(at, c)| event(*c, at as i64))
            .collect();
        events.extend((0..7).map(|at| event(4, at)));
        let cut = slices(events, 4);
        let shape: Vec<Vec<i64>> = cut
            .iter()
            .map(|s| s.iter().map(|(c, _)| *c).collect())
            .collect();
        assert_eq!(
            shape,
            [
                vec![1, 1],
                vec![2, 2, 2, 3],
                vec![4, 4, 4, 4],
                vec![4, 4, 4]
            ]
        );
        assert!(
            cut[1][..3].windows(2).all(|w| w[0].1.at < w[1].1.at),
            "a customer's events keep their order"
        );
        assert!(slices(Vec::new(), 4).is_empty());
    }
}
