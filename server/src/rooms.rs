//! Rooms: the single authority for each open map, and the people on it.
//!
//! While a map is loaded, its room is the only code that changes it. The room applies operations
//! in arrival order (numbering them with revisions) and adds them to its backlog for the writer
//! while it still holds the map's lock, so they commit in that order; it answers only once they
//! are committed. One queued write takes the whole backlog when the writer reaches it (under load
//! that is many people's edits). The writer tells the writes their outcome in commit order; they
//! collect the operations, and once the batch is done the room announces them to everyone
//! connected, in one message per batch (one message instead of many saves every connection
//! work). So every connection sees the log in revision order, without gaps.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use app::api::maps::{Known, MapSnapshot, Rejection};
use app::domain::edit::Op;
use app::domain::ids::{LinkId, MapId, Rev};
use app::domain::map::JourneyMap;
use app::domain::protocol::{applied_json, merge_applied, Focus, Peer, SessionId, PALETTE};
use app::domain::sync::{Authority, Logged, Outcome};
use axum::extract::ws::Utf8Bytes;
use tokio::sync::{broadcast, oneshot};

use crate::clock::now_millis;
use crate::db::{append_ops, Db, LogEntry, MapRecord, Reserved, StoreError};
use crate::lock;

/// Store a fresh snapshot once the log has grown this much past the last one.
const SNAPSHOT_EVERY: u64 = 256;
/// How many recent operations a room keeps in memory to answer catch-up requests.
const RECENT_OPS: usize = 1024;
/// A client further behind than this gets the whole map instead of the log.
pub const MAX_CATCH_UP: u64 = 2000;
/// Loaded rooms kept before idle ones are dropped.
const MAX_IDLE_ROOMS: usize = 64;
/// Most people connected to one map at once.
pub const MAX_PEERS_PER_MAP: usize = 100;
/// Room events buffered per connection before a slow one is told it lagged.
const EVENT_BUFFER: usize = 1024;

/// Something every connection on a map hears about.
#[derive(Clone, Debug)]
pub enum RoomEvent {
    /// Operations committed, in revision order, with their `ServerMsg::Applied` already encoded
    /// (it goes to every connection; encoding it once saves work per connection).
    Applied {
        log: Arc<Vec<Logged>>,
        json: Utf8Bytes,
    },
    /// The people on the map changed.
    Peers(Arc<Vec<Peer>>),
    /// A share link was revoked: connections through it must end.
    Revoked(LinkId),
    /// Customer feedback was stored for the map.
    FeedbackChanged,
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
    Map(Box<JourneyMap>, Rev),
}

#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("this map already has {MAX_PEERS_PER_MAP} people on it")]
    Full,
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
    /// The last revision known to be committed.
    durable: AtomicU64,
    /// Applied operations waiting for the writer.
    backlog: Mutex<Backlog>,
    /// Committed operations (and each submission's `Applied` message) waiting to be announced.
    outbox: Mutex<Vec<(Vec<Logged>, String)>>,
    peers: Mutex<BTreeMap<SessionId, Peer>>,
}

/// What a room has applied and not yet handed to the writer. The room queues one write when
/// the backlog starts, and that write takes the whole backlog when the writer reaches it: so
/// however many submissions arrive while it waits in the queue, a busy map costs the writer one
/// job (one savepoint, one update of the map's row) per commit instead of one per submission.
#[derive(Default)]
struct Backlog {
    submissions: Vec<Unwritten>,
    /// The map's listing columns as of the last of them.
    record: Option<MapRecord>,
    /// The map as of a revision among them, when a snapshot is due, and its epoch.
    snapshot: Option<(Rev, String, u64)>,
}

/// One submission's applied operations, on their way to the log.
struct Unwritten {
    /// The room's epoch when they were applied.
    epoch: u64,
    log: Vec<Logged>,
    /// Its `Applied` message, encoded once for everyone on the map.
    json: String,
    author: String,
    at: i64,
    /// Told once the operations are committed, or why not.
    committed: oneshot::Sender<Result<(), StoreError>>,
}

impl Backlog {
    /// Refuses the submissions applied before the room's last failed write (see `Room::epoch`).
    fn refuse_stale(&mut self, epoch: u64) {
        // Epochs only go up, so the stale submissions come first.
        let fresh = self
            .submissions
            .iter()
            .position(|s| s.epoch >= epoch)
            .unwrap_or(self.submissions.len());
        let stale = Backlog {
            submissions: self.submissions.drain(..fresh).collect(),
            ..Backlog::default()
        };
        if self.submissions.is_empty() {
            self.record = None;
        }
        if self.snapshot.as_ref().is_some_and(|(.., at)| *at < epoch) {
            self.snapshot = None;
        }
        stale.failed(&StoreError::internal("an earlier write of this map failed"));
    }

    /// Writes the backlog in the writer's transaction.
    fn append(&self, conn: &rusqlite::Connection) -> Result<(), StoreError> {
        let Some(record) = &self.record else {
            return Ok(());
        };
        let log = self.submissions.iter().flat_map(|s| {
            s.log.iter().map(|logged| LogEntry {
                logged,
                author: &s.author,
                at: s.at,
            })
        });
        let snapshot = self
            .snapshot
            .as_ref()
            .map(|(rev, json, _)| (*rev, json.as_str()));
        append_ops(conn, record, log, snapshot)
    }

    /// Once committed: puts the operations in the room's outbox (for the announcement that
    /// follows the batch), then tells each submitter.
    fn committed(self, room: &Arc<Room>, rooms_committed: &Mutex<Vec<Arc<Room>>>) {
        if let Some(record) = &self.record {
            // Durable first, then announced: a connection that joins in between reads the new
            // revision and also hears the event, and ignores what it already has.
            room.durable.store(record.rev.0, Ordering::SeqCst);
        }
        let mut submitters = Vec::with_capacity(self.submissions.len());
        if !self.submissions.is_empty() {
            let mut outbox = lock(&room.outbox);
            if outbox.is_empty() {
                lock(rooms_committed).push(room.clone());
            }
            for submission in self.submissions {
                outbox.push((submission.log, submission.json));
                submitters.push(submission.committed);
            }
        }
        for submitter in submitters {
            // One that went away needs no answer; its operations stand.
            let _ignored = submitter.send(Ok(()));
        }
    }

    /// Tells each submitter why its operations were not saved.
    fn failed(self, err: &StoreError) {
        for submission in self.submissions {
            let _ignored = submission.committed.send(Err(err.clone()));
        }
    }
}

impl Room {
    /// Tells everyone on the map about the operations in the outbox, in one message.
    fn announce_committed(&self) {
        let outbox = std::mem::take(&mut *lock(&self.outbox));
        if outbox.is_empty() {
            return;
        }
        let (logs, messages): (Vec<_>, Vec<_>) = outbox.into_iter().unzip();
        let log: Vec<Logged> = logs.into_iter().flatten().collect();
        // Joining the encoded messages is cheaper than encoding the log again, which is the
        // fallback should they ever not be in the form `merge_applied` reads.
        let json = merge_applied(messages.iter().map(String::as_str))
            .map_or_else(|| applied_json(&log), Ok);
        let json = match json {
            Ok(json) => json,
            Err(err) => {
                tracing::error!(%err, "cannot encode committed operations");
                return;
            }
        };
        let event = RoomEvent::Applied {
            log: Arc::new(log),
            json: json.into(),
        };
        let _nobody_listening = self.events.send(event);
    }
}

struct RoomState {
    /// The room's epoch when the map was loaded.
    epoch: u64,
    authority: Authority,
    snapshot_rev: Rev,
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
        }
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
                    durable: AtomicU64::new(0),
                    backlog: Mutex::default(),
                    outbox: Mutex::default(),
                    peers: Mutex::default(),
                })
            })
            .clone()
    }

    /// The current state of a map.
    pub async fn snapshot(&self, id: MapId) -> Result<MapSnapshot, StoreError> {
        let room = self.room(id);
        let mut guard = room.state.lock().await;
        let state = self.loaded(id, &room, &mut guard).await?;
        Ok(MapSnapshot {
            map: state.authority.map().clone(),
            rev: state.authority.rev(),
        })
    }

    /// Applies `ops` in order as `author`, commits them, and tells everyone on the map.
    pub async fn submit(
        &self,
        id: MapId,
        ops: Vec<Op>,
        author: &str,
    ) -> Result<Submitted, StoreError> {
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
            room.epoch.fetch_add(1, Ordering::SeqCst);
            StoreError::internal(err)
        };
        let snapshot = if rev.0 - state.snapshot_rev.0 >= SNAPSHOT_EVERY {
            state.snapshot_rev = rev;
            Some(serde_json::to_string(map).map_err(ahead)?)
        } else {
            None
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
            author: author.to_owned(),
            at: record.updated_at,
            committed,
        };
        let starts_backlog = {
            let mut backlog = lock(&room.backlog);
            backlog.submissions.push(unwritten);
            backlog.record = Some(record);
            if let Some(json) = snapshot {
                backlog.snapshot = Some((rev, json, state.epoch));
            }
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
        Ok(submitted)
    }

    /// Queues a write that takes `room`'s backlog when the writer reaches it.
    fn queue_backlog(&self, place: Reserved<'_>, room: &Arc<Room>) {
        let (write_room, done_room) = (room.clone(), room.clone());
        let rooms_committed = self.committed.clone();
        // Whether the write has taken the backlog (a batch that cannot begin leaves it be).
        let taken = Arc::new(AtomicBool::new(false));
        let took = taken.clone();
        let write = move |conn: &rusqlite::Connection| {
            took.store(true, Ordering::SeqCst);
            let mut backlog = std::mem::take(&mut *lock(&write_room.backlog));
            backlog.refuse_stale(write_room.epoch.load(Ordering::SeqCst));
            match backlog.append(conn) {
                Ok(()) => Ok(backlog),
                Err(err) => {
                    // Before the submitters hear of it, so that their next use reloads.
                    write_room.epoch.fetch_add(1, Ordering::SeqCst);
                    backlog.failed(&err);
                    Err(err)
                }
            }
        };
        let done = move |outcome: Result<Backlog, StoreError>| match outcome {
            Ok(backlog) => backlog.committed(&done_room, &rooms_committed),
            Err(err) => {
                // Whatever failed, the backlog's operations are lost.
                done_room.epoch.fetch_add(1, Ordering::SeqCst);
                if !taken.load(Ordering::SeqCst) {
                    std::mem::take(&mut *lock(&done_room.backlog)).failed(&err);
                }
                // Otherwise it was taken, and either its write failed (and said so) or the
                // commit did: then the backlog was dropped with the write's result after this,
                // which its submitters hear as their channel closing.
            }
        };
        place.enqueue_then(write, done);
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
        let durable = Rev(room.durable.load(Ordering::SeqCst));
        let rev = state.authority.rev();
        if since > rev || durable.0.saturating_sub(since.0) > MAX_CATCH_UP {
            let map = Box::new(state.authority.map().clone());
            return Ok(CatchUp::Map(map, rev));
        }
        if let Some(log) = recent_since(&state.recent, since, durable) {
            return Ok(CatchUp::Log(log));
        }
        let mut log = self.db.log_since(id, since).await?;
        log.retain(|l| l.rev <= durable);
        Ok(CatchUp::Log(log))
    }

    /// Joins a map as `name`: subscribes to its events, then works out the catch-up from
    /// `since`, in that order so that nothing committed in between is missed.
    pub async fn join(&self, id: MapId, name: String, since: Rev) -> Result<Membership, JoinError> {
        let room = self.room(id);
        let mut guard = room.state.lock().await;
        let state = self.loaded(id, &room, &mut guard).await?;
        let session = SessionId(self.next_session.fetch_add(1, Ordering::Relaxed));
        {
            let mut peers = lock(&room.peers);
            if peers.len() >= MAX_PEERS_PER_MAP {
                return Err(JoinError::Full);
            }
            let used: Vec<u8> = peers.values().map(|p| p.colour).collect();
            let colour = (0..PALETTE.len() as u8)
                .find(|c| !used.contains(c))
                .unwrap_or((session.0 % PALETTE.len() as u64) as u8);
            peers.insert(
                session,
                Peer {
                    session,
                    name,
                    colour,
                    focus: None,
                },
            );
        }
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
        announce_peers(&room);
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
        let changed = match lock(&room.peers).get_mut(&session) {
            Some(peer) if peer.focus != focus => {
                peer.focus = focus;
                true
            }
            _ => false,
        };
        if changed {
            announce_peers(&room);
        }
    }

    /// Ends every live connection to `map` made through share link `link`.
    pub fn revoke_link(&self, map: MapId, link: LinkId) {
        let room = self.room(map);
        let _nobody_listening = room.events.send(RoomEvent::Revoked(link));
    }

    /// Tells everyone on the map that customer feedback arrived (so their scores refresh).
    pub fn feedback_changed(&self, map: MapId) {
        let room = self.room(map);
        let _nobody_listening = room.events.send(RoomEvent::FeedbackChanged);
    }

    pub fn leave(&self, id: MapId, session: SessionId) {
        let room = self.room(id);
        if lock(&room.peers).remove(&session).is_some() {
            announce_peers(&room);
        }
    }

    /// Deletes a map; a request waiting for its room afterwards finds it gone.
    pub async fn delete(&self, id: MapId) -> Result<(), StoreError> {
        let room = self.room(id);
        let mut guard = room.state.lock().await;
        self.db.delete_map(id).await?;
        *guard = None;
        drop(guard);
        lock(&self.rooms).remove(&id);
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
        }
        if slot.is_none() {
            let stored = self.db.load_map(id).await?;
            room.durable.store(stored.rev.0, Ordering::SeqCst);
            *slot = Some(RoomState {
                epoch,
                authority: Authority::new(stored.map, stored.rev, stored.op_ids),
                snapshot_rev: stored.snapshot_rev,
                recent: VecDeque::new(),
            });
        }
        slot.as_mut()
            .ok_or_else(|| StoreError::internal("room state vanished while locked"))
    }
}

fn announce_peers(room: &Room) {
    let peers: Vec<Peer> = lock(&room.peers).values().cloned().collect();
    let _nobody_listening = room.events.send(RoomEvent::Peers(Arc::new(peers)));
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
