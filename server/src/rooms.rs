//! Rooms: the single authority for each open map, and the people on it.
//!
//! `backlog` holds a room's writes, `presence` its people; this file is the rooms' public face.
//!
//! While a map is loaded, its room is the only code that changes it. The room applies operations
//! in arrival order (numbering them with revisions) and adds them to its backlog for the writer
//! while it still holds the map's lock, so they commit in that order; it answers only once they
//! are committed. One queued write takes the whole backlog when the writer reaches it (under load
//! that is many people's edits). The writer tells the writes their outcome in commit order; they
//! collect the operations, and once the batch is done the room announces them to everyone
//! connected, in one message per batch (one message instead of many saves every connection
//! work). So every connection sees the log in revision order, without gaps.

mod backlog;
mod committed;
mod presence;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use app::api::maps::{Known, MapSnapshot, Rejection};
use app::domain::edit::Op;
use app::domain::ids::{LinkId, MapId, Rev, UserId};
use app::domain::map::JourneyMap;
use app::domain::protocol::{Focus, SessionId};
use app::domain::sync::{Authority, Logged, Outcome};
use app::domain::text::Name;
use axum::extract::ws::Utf8Bytes;
use tokio::sync::{broadcast, oneshot};

use crate::clock::now_millis;
use crate::db::{links, Db, MapRecord, StoreError};
use crate::hub::frames::applied_json;
use crate::lock;
use backlog::Backlog;
use backlog::Unwritten;
pub use committed::{snapshot_interval, Committed};
pub use presence::{Full, Seat, MAX_EDITORS, MAX_READERS};

/// How many recent operations a room keeps in memory to answer catch-up requests.
const RECENT_OPS: usize = 1024;
/// A client further behind than this gets the whole map instead of the log.
pub const MAX_CATCH_UP: u64 = 2000;
/// Loaded rooms kept before idle ones are dropped.
const MAX_IDLE_ROOMS: usize = 64;
/// Room events buffered per connection before a slow one is told it lagged.
const EVENT_BUFFER: usize = 1024;
/// Access changes buffered per connection; one that falls further behind checks its access
/// again anyway.
const ACCESS_BUFFER: usize = 256;

/// Something every connection on a map hears about.
#[derive(Clone, Debug)]
pub enum RoomEvent {
    /// Operations committed, in revision order, with their `ServerMsg::Applied` already encoded
    /// (it goes to every connection; encoding it once saves work per connection).
    Applied {
        log: Arc<Vec<Logged>>,
        json: Utf8Bytes,
    },
    /// The people on the map changed: their `ServerMsg::Peers`, encoded once for everyone.
    Peers(Utf8Bytes),
    /// Feedback, events or a value kept beside the map changed (`ServerMsg::Refetch`).
    Refetch,
}

/// Something committed that may change who may follow or edit a map. Live connections hear of
/// every change and check their own standing again when it may concern them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessChange {
    /// Someone's role on a map changed, or they were removed from it.
    Member { map: MapId, user: UserId },
    /// An account was deleted, lost or gained the admin flag, signed out or changed password.
    Account { user: UserId },
    /// A share link was revoked.
    Link { link: LinkId },
    /// A map was deleted.
    Map { map: MapId },
    /// Accounts were deleted along with share links they made: everyone checks again.
    Everyone,
}

/// What became of a batch of submitted operations.
#[derive(Clone, Debug, Default)]
pub struct Submitted {
    pub applied: Vec<Logged>,
    pub rejected: Vec<Rejection>,
    /// Operations applied before (resends).
    pub known: Vec<Known>,
    /// The map's revision after the batch.
    pub rev: Rev,
}

/// How a connection catches up from the revision it has.
#[derive(Clone, Debug)]
pub enum CatchUp {
    /// The operations it is missing (possibly none).
    Log(Vec<Logged>),
    /// It is too far behind (or ahead): the whole map.
    Map(Arc<JourneyMap>, Rev),
}

#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Full(#[from] Full),
}

#[derive(Clone)]
pub struct Rooms {
    db: Db,
    rooms: Arc<Mutex<HashMap<MapId, Arc<Room>>>>,
    /// Rooms with committed operations not yet announced; the writer empties it after each batch.
    committed: Arc<Mutex<Vec<Arc<Room>>>>,
    next_session: Arc<AtomicU64>,
    /// Becomes true when the server is shutting down; live sessions then say goodbye.
    closing: tokio::sync::watch::Sender<bool>,
    access: broadcast::Sender<AccessChange>,
}

struct Room {
    /// `None` until loaded; reloaded when a write has failed since (see `epoch`).
    state: tokio::sync::Mutex<Option<RoomState>>,
    /// Goes up whenever one of the room's writes fails. The operations in that write are lost,
    /// so a state loaded before then is ahead of the database, and so is every operation applied
    /// to it: those are refused rather than written on top of the hole, and the next use of the
    /// room loads the map afresh. (The writer notices a failure before it runs the room's next
    /// write, so nothing slips through.)
    epoch: AtomicU64,
    events: broadcast::Sender<RoomEvent>,
    /// The map as committed, which every read is answered from (see `committed`); `None` until
    /// loaded.
    committed: Mutex<Option<Committed>>,
    snapshots: Mutex<committed::Snapshots>,
    /// Applied operations waiting for the writer.
    backlog: Mutex<Backlog>,
    /// Committed operations (and each submission's `Applied` message) waiting to be announced.
    outbox: Mutex<Vec<(Vec<Logged>, String)>>,
    presence: Mutex<presence::Presence>,
}

struct RoomState {
    /// The room's epoch when the map was loaded.
    epoch: u64,
    authority: Authority,
    recent: VecDeque<Logged>,
}

/// A connection's membership of a room; leaving is `Rooms::leave`.
pub struct Membership {
    pub session: SessionId,
    pub events: broadcast::Receiver<RoomEvent>,
    pub catch_up: CatchUp,
    /// The revision the connection is at once it has its catch-up.
    pub rev: Rev,
    /// Keeps the room loaded (and its presence list) while the connection lasts.
    _room: Arc<Room>,
}

impl Rooms {
    pub fn new(db: Db) -> Rooms {
        let committed: Arc<Mutex<Vec<Arc<Room>>>> = Arc::default();
        let announce = Arc::downgrade(&committed);
        db.writer().after_each_batch(move || {
            let Some(committed) = announce.upgrade() else {
                return false;
            };
            let rooms = std::mem::take(&mut *lock(&committed));
            for room in rooms {
                room.announce_committed();
            }
            true
        });
        Rooms {
            db,
            rooms: Arc::default(),
            committed,
            next_session: Arc::new(AtomicU64::new(1)),
            closing: tokio::sync::watch::channel(false).0,
            access: broadcast::channel(ACCESS_BUFFER).0,
        }
    }

    /// Hears every access change from now on. Subscribe before checking someone's standing, so
    /// that a change committed after the check is heard.
    pub fn watch_access(&self) -> broadcast::Receiver<AccessChange> {
        self.access.subscribe()
    }

    /// Tells every live connection that `change` has been committed.
    pub fn access_changed(&self, change: AccessChange) {
        let _nobody_listening = self.access.send(change);
    }

    /// Tells every live session the server is going away.
    pub fn shut_down(&self) {
        self.closing.send_replace(true);
    }

    /// Whether the server is shutting down.
    pub fn is_closing(&self) -> tokio::sync::watch::Ref<'_, bool> {
        self.closing.borrow()
    }

    /// Resolves once the server is shutting down.
    pub fn closing(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut closing = self.closing.subscribe();
        async move {
            // An error means the rooms are gone, which is a shutdown too.
            let _ = closing.wait_for(|closing| *closing).await;
        }
    }

    fn room(&self, id: MapId) -> Arc<Room> {
        let mut rooms = lock(&self.rooms);
        if rooms.len() > MAX_IDLE_ROOMS {
            // A room nobody holds is idle; its state is all in the database.
            rooms.retain(|_, room| Arc::strong_count(room) > 1);
        }
        rooms
            .entry(id)
            .or_insert_with(|| {
                Arc::new(Room {
                    state: tokio::sync::Mutex::new(None),
                    epoch: AtomicU64::new(0),
                    events: broadcast::channel(EVENT_BUFFER).0,
                    committed: Mutex::default(),
                    snapshots: Mutex::default(),
                    backlog: Mutex::default(),
                    outbox: Mutex::default(),
                    presence: Mutex::default(),
                })
            })
            .clone()
    }

    /// A map as committed, shared: no copy, and no wait for the room unless it must be loaded.
    pub async fn committed(&self, id: MapId) -> Result<Committed, StoreError> {
        let room = self.room(id);
        if let Some(committed) = room.committed() {
            return Ok(committed);
        }
        let mut guard = room.state.lock().await;
        self.loaded(id, &room, &mut guard).await?;
        drop(guard);
        room.committed()
            .ok_or_else(|| StoreError::internal("the map was unloaded while being read"))
    }

    /// How many submissions to map `id` the room has applied that wait for the database (for
    /// diagnostics and for tests that need writes in flight).
    pub fn waiting_for_the_database(&self, id: MapId) -> usize {
        let room = self.room(id);
        let waiting = lock(&room.backlog).submissions.len();
        waiting
    }

    /// A copy of a map as committed (made outside the room's lock).
    pub async fn snapshot(&self, id: MapId) -> Result<MapSnapshot, StoreError> {
        let Committed { map, rev } = self.committed(id).await?;
        Ok(MapSnapshot {
            map: Arc::unwrap_or_clone(map),
            rev,
        })
    }

    /// Applies `ops` in order as `author`, commits them, and tells everyone on the map.
    pub async fn submit(
        &self,
        id: MapId,
        ops: Vec<Op>,
        author: &Name,
    ) -> Result<Submitted, StoreError> {
        self.submit_as(id, ops, author, None).await
    }

    /// `submit`, for the signed-in `account` (logged beside the name, so that who started a
    /// comment thread is known for its notifications: `server::notify`).
    pub async fn submit_as(
        &self,
        id: MapId,
        ops: Vec<Op>,
        author: &Name,
        account: Option<UserId>,
    ) -> Result<Submitted, StoreError> {
        // From here: waiting for a place in the queue and for the map is part of an edit's wait.
        let submitted_at = crate::telemetry::edit_submitted();
        let room = self.room(id);
        // A place in the writer's queue first: from the moment the room applies the operations
        // until their write is queued nothing may wait, or a caller that goes away half-way (a
        // closed request) would leave memory ahead of the database, or a backlog nothing writes.
        let place = self.db.writer().reserve().await?;
        let mut guard = room.state.lock().await;
        let state = self.loaded(id, &room, &mut guard).await?;
        let mut submitted = Submitted::default();
        for op in ops {
            match state.authority.submit(&op) {
                Ok(Outcome::Applied(rev)) => submitted.applied.push(Logged { rev, op }),
                Ok(Outcome::Duplicate(rev)) => submitted.known.push(Known { op: op.id, rev }),
                Err(error) => submitted.rejected.push(Rejection { op: op.id, error }),
            }
        }
        submitted.rev = state.authority.rev();
        if submitted.applied.is_empty() {
            return Ok(submitted);
        }
        let rev = submitted.rev;
        state.authority.touch(now_millis());
        let map = state.authority.map();
        // Should encoding ever fail, memory is ahead of the database: the next use reloads.
        let ahead = |err: serde_json::Error| {
            room.forget();
            StoreError::internal(err)
        };
        let record = MapRecord::of(map, rev);
        state.recent.extend(submitted.applied.iter().cloned());
        let excess = state.recent.len().saturating_sub(RECENT_OPS);
        state.recent.drain(..excess);
        let (committed, on_commit) = oneshot::channel();
        let unwritten = Unwritten {
            epoch: state.epoch,
            log: submitted.applied.clone(),
            json: applied_json(&submitted.applied).map_err(ahead)?,
            author: author.to_string(),
            author_id: account.map(|a| a.to_string()),
            at: record.updated_at,
            committed,
        };
        let starts_backlog = {
            let mut backlog = lock(&room.backlog);
            backlog.submissions.push(unwritten);
            backlog.record = Some(record);
            backlog.submissions.len() == 1
        };
        if starts_backlog {
            // Still under the map's lock, so its writes are queued in revision order.
            self.queue_backlog(place, &room);
        }
        drop(guard);

        let committed = on_commit
            .await
            .unwrap_or_else(|_| Err(StoreError::internal("the operations were not committed")));
        // On failure the room's epoch has moved on, so the next use reloads the map.
        committed?;
        crate::telemetry::edit_committed(submitted_at);
        self.snapshot_if_due(id, &room);
        Ok(submitted)
    }

    /// Takes a history snapshot of the committed map in the background, when one is due.
    fn snapshot_if_due(&self, id: MapId, room: &Arc<Room>) {
        let Some(committed) = room.committed() else {
            return;
        };
        if room.snapshot_due(committed.rev) {
            let (db, room) = (self.db.clone(), room.clone());
            tokio::spawn(committed::take_snapshot(db, room, id, committed));
        }
    }

    /// The operations after `since`, up to what is committed now; or the whole map when `since`
    /// is too far behind (or ahead, after the server lost its newest writes).
    pub async fn catch_up(&self, id: MapId, since: Rev) -> Result<CatchUp, StoreError> {
        let room = self.room(id);
        let mut guard = room.state.lock().await;
        let state = self.loaded(id, &room, &mut guard).await?;
        self.catch_up_locked(id, &room, state, since).await
    }

    async fn catch_up_locked(
        &self,
        id: MapId,
        room: &Room,
        state: &RoomState,
        since: Rev,
    ) -> Result<CatchUp, StoreError> {
        let Some(committed) = room.committed() else {
            return Err(StoreError::internal(
                "the map was unloaded while being read",
            ));
        };
        let durable = committed.rev;
        // Ahead of what is committed: only after the database was restored (a browser only
        // ever learns committed operations).
        if since > durable || durable.0.saturating_sub(since.0) > MAX_CATCH_UP {
            return Ok(CatchUp::Map(committed.map, durable));
        }
        if let Some(log) = recent_since(&state.recent, since, durable) {
            return Ok(CatchUp::Log(log));
        }
        let mut log = self.db.log_since(id, since).await?;
        log.retain(|l| l.rev <= durable);
        Ok(CatchUp::Log(log))
    }

    /// Joins a map as `name` in `seat`: subscribes to its events, then works out the catch-up
    /// from `since`, in that order so that nothing committed in between is missed.
    pub async fn join(
        &self,
        id: MapId,
        name: String,
        seat: Seat,
        since: Rev,
    ) -> Result<Membership, JoinError> {
        let room = self.room(id);
        let mut guard = room.state.lock().await;
        let state = self.loaded(id, &room, &mut guard).await?;
        let session = SessionId(self.next_session.fetch_add(1, Ordering::Relaxed));
        lock(&room.presence).admit(session, name, seat)?;
        let events = room.events.subscribe();
        let catch_up = self.catch_up_locked(id, &room, state, since).await;
        drop(guard);
        let catch_up = match catch_up {
            Ok(catch_up) => catch_up,
            Err(err) => {
                self.leave(id, session);
                return Err(err.into());
            }
        };
        // Not the room's own revision: that runs ahead of what is committed while writes are
        // in flight, and the connection must still be sent those operations once they are.
        let rev = match &catch_up {
            CatchUp::Log(log) => log.last().map_or(since, |l| l.rev),
            CatchUp::Map(_, rev) => *rev,
        };
        presence::announce(&room);
        Ok(Membership {
            session,
            events,
            catch_up,
            rev,
            _room: room,
        })
    }

    /// Sets what a connection is editing, and tells everyone.
    pub fn set_focus(&self, id: MapId, session: SessionId, focus: Option<Focus>) {
        let room = self.room(id);
        let changed = lock(&room.presence).set_focus(session, focus);
        if changed {
            presence::announce(&room);
        }
    }

    /// A connection may now edit, or may no longer.
    pub fn set_can_edit(&self, id: MapId, session: SessionId, can_edit: bool) {
        let room = self.room(id);
        let changed = lock(&room.presence).set_can_edit(session, can_edit);
        if changed {
            presence::announce(&room);
        }
    }

    /// Tells everyone on the map that customer feedback arrived, or that a value kept beside
    /// the map changed, so that they fetch their scores and targets again.
    pub fn refetch(&self, map: MapId) {
        let room = self.room(map);
        let _nobody_listening = room.events.send(RoomEvent::Refetch);
    }

    /// `refetch` for news that changes the map's headline figures (answers, events): the maps
    /// that show them beside their own (`db::links::shown_on`) are told too, once found.
    pub fn figures_changed(&self, map: MapId) {
        self.refetch(map);
        let rooms = self.clone();
        tokio::spawn(async move {
            match rooms.db.read(move |conn| links::shown_on(conn, map)).await {
                Ok(maps) => maps.into_iter().for_each(|other| rooms.refetch(other)),
                Err(err) => {
                    tracing::warn!(%map, %err, "could not tell the maps that show this one's figures")
                }
            }
        });
    }

    pub fn leave(&self, id: MapId, session: SessionId) {
        let room = self.room(id);
        let left = lock(&room.presence).leave(session);
        if left {
            presence::announce(&room);
        }
    }

    /// Deletes a map; a request waiting for its room afterwards finds it gone.
    pub async fn delete(&self, id: MapId) -> Result<(), StoreError> {
        let room = self.room(id);
        let mut guard = room.state.lock().await;
        self.db.delete_map(id).await?;
        *guard = None;
        *lock(&room.committed) = None;
        drop(guard);
        lock(&self.rooms).remove(&id);
        self.access_changed(AccessChange::Map { map: id });
        Ok(())
    }

    async fn loaded<'a>(
        &self,
        id: MapId,
        room: &Room,
        slot: &'a mut Option<RoomState>,
    ) -> Result<&'a mut RoomState, StoreError> {
        // Read before loading: a write that fails meanwhile only makes the next use load again.
        let epoch = room.epoch.load(Ordering::SeqCst);
        if slot.as_ref().is_some_and(|state| state.epoch != epoch) {
            *slot = None;
            // A write failed. Others in the same batch may have run before it and not yet
            // committed: wait until they have, so that the map loaded has them.
            self.db.writer().settled().await;
        }
        if slot.is_none() {
            let stored = self.db.load_map(id).await?;
            *lock(&room.committed) = Some(Committed {
                map: Arc::new(stored.map.clone()),
                rev: stored.rev,
            });
            {
                let mut snapshots = lock(&room.snapshots);
                snapshots.rev = stored.snapshot_rev;
                snapshots.bytes = stored.snapshot_bytes;
            }
            *slot = Some(RoomState {
                epoch,
                authority: Authority::new(stored.map, stored.rev, stored.op_ids),
                recent: VecDeque::new(),
            });
        }
        slot.as_mut()
            .ok_or_else(|| StoreError::internal("room state vanished while locked"))
    }
}

/// The operations after `since` up to `until`, if the in-memory window reaches back that far.
fn recent_since(recent: &VecDeque<Logged>, since: Rev, until: Rev) -> Option<Vec<Logged>> {
    if since >= until {
        return Some(Vec::new());
    }
    let oldest = recent.front()?.rev;
    if since.next() < oldest {
        return None;
    }
    Some(
        recent
            .iter()
            .filter(|l| l.rev > since && l.rev <= until)
            .cloned()
            .collect(),
    )
}
