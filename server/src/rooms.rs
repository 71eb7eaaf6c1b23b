//! Rooms: the single authority for each open map, and the people on it.
//!
//! While a map is loaded, its room is the only code that changes it. The room applies operations
//! in arrival order (numbering them with revisions), queues them for the writer while it still
//! holds the map's lock (so they commit in that order), and answers only once they are committed.
//! The writer runs each batch's commit hooks in commit order; they collect the operations, and
//! once the batch is done the room announces them to everyone connected, in one message per
//! batch (under load one commit carries many people's edits, and one message instead of many
//! saves every connection work). So every connection sees the log in revision order, without
//! gaps.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use app::api::maps::{Known, MapSnapshot, Rejection};
use app::domain::edit::Op;
use app::domain::ids::{LinkId, MapId, Rev};
use app::domain::map::JourneyMap;
use app::domain::protocol::{applied_json, merge_applied, Focus, Peer, SessionId, PALETTE};
use app::domain::sync::{Authority, Logged, Outcome};
use axum::extract::ws::Utf8Bytes;
use tokio::sync::broadcast;

use crate::clock::now_millis;
use crate::db::{Db, MapRecord, StoreError};
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
    /// `None` until loaded, and again after a failed commit so the next use reloads.
    state: tokio::sync::Mutex<Option<RoomState>>,
    events: broadcast::Sender<RoomEvent>,
    /// The last revision known to be committed.
    durable: AtomicU64,
    /// Committed operations (and each submission's `Applied` message) waiting to be announced.
    outbox: Mutex<Vec<(Vec<Logged>, String)>>,
    peers: Mutex<BTreeMap<SessionId, Peer>>,
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
    authority: Authority,
    snapshot_rev: Rev,
    recent: VecDeque<Logged>,
}

/// A connection's membership of a room; leaving is `Rooms::leave`.
pub struct Membership {
    pub session: SessionId,
    pub events: broadcast::Receiver<RoomEvent>,
    pub catch_up: CatchUp,
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
                    events: broadcast::channel(EVENT_BUFFER).0,
                    durable: AtomicU64::new(0),
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
        let snapshot = if rev.0 - state.snapshot_rev.0 >= SNAPSHOT_EVERY {
            state.snapshot_rev = rev;
            Some(serde_json::to_string(map).map_err(StoreError::internal)?)
        } else {
            None
        };
        let record = MapRecord::of(map, rev);
        state.recent.extend(submitted.applied.iter().cloned());
        let excess = state.recent.len().saturating_sub(RECENT_OPS);
        state.recent.drain(..excess);
        let publish = {
            let (room, committed) = (room.clone(), self.committed.clone());
            let json = applied_json(&submitted.applied).map_err(StoreError::internal)?;
            let log = submitted.applied.clone();
            move || {
                // Durable first, then announced (after the batch): a connection that joins in
                // between reads the new revision and also hears the event, and ignores what it
                // already has.
                room.durable.store(rev.0, Ordering::SeqCst);
                let mut outbox = lock(&room.outbox);
                if outbox.is_empty() {
                    lock(&committed).push(room.clone());
                }
                outbox.push((log, json));
            }
        };
        let queued = self
            .db
            .enqueue_ops(
                record,
                submitted.applied.clone(),
                author.to_owned(),
                snapshot,
                publish,
            )
            .await;
        drop(guard);

        let committed = match queued {
            Ok(pending) => pending.committed().await,
            Err(err) => Err(err),
        };
        if let Err(err) = committed {
            // Memory is now ahead of the database: forget it, the next use reloads.
            *room.state.lock().await = None;
            return Err(err);
        }
        Ok(submitted)
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
        let rev = state.authority.rev();
        let catch_up = self.catch_up_locked(id, &room, state, since).await;
        drop(guard);
        let catch_up = match catch_up {
            Ok(catch_up) => catch_up,
            Err(err) => {
                self.leave(id, session);
                return Err(err.into());
            }
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
        if slot.is_none() {
            let stored = self.db.load_map(id).await?;
            room.durable.store(stored.rev.0, Ordering::SeqCst);
            *slot = Some(RoomState {
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
