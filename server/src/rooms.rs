//! Rooms: the single authority for each open map.
//!
//! While a map is loaded, its room is the only code that changes it. The room applies operations
//! in arrival order (numbering them with revisions), queues them for the writer while it still
//! holds the map's lock (so they commit in that order), and answers only once they are committed.
//! The next request can be applied while the previous one is committing, which lets the writer
//! batch the commits of busy maps.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use app::api::maps::{MapSnapshot, Rejection, SyncReply};
use app::domain::edit::Op;
use app::domain::ids::{MapId, Rev};
use app::domain::sync::{Authority, Logged, Outcome};

use crate::clock::now_millis;
use crate::db::{Db, MapRecord, StoreError};

/// Store a fresh snapshot once the log has grown this much past the last one.
const SNAPSHOT_EVERY: u64 = 256;
/// How many recent operations a room keeps in memory to answer catch-up requests.
const RECENT_OPS: usize = 1024;
/// Loaded rooms kept before idle ones are dropped.
const MAX_IDLE_ROOMS: usize = 64;

#[derive(Clone)]
pub struct Rooms {
    db: Db,
    rooms: Arc<Mutex<HashMap<MapId, Arc<Room>>>>,
}

#[derive(Default)]
struct Room {
    /// `None` until loaded, and again after a failed commit so the next use reloads.
    state: tokio::sync::Mutex<Option<RoomState>>,
}

struct RoomState {
    authority: Authority,
    snapshot_rev: Rev,
    recent: VecDeque<Logged>,
}

impl Rooms {
    pub fn new(db: Db) -> Rooms {
        Rooms {
            db,
            rooms: Arc::default(),
        }
    }

    fn room(&self, id: MapId) -> Arc<Room> {
        let mut rooms = self
            .rooms
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if rooms.len() > MAX_IDLE_ROOMS {
            // A room nobody holds is idle; its state is all in the database.
            rooms.retain(|_, room| Arc::strong_count(room) > 1);
        }
        rooms.entry(id).or_default().clone()
    }

    /// The current state of a map.
    pub async fn snapshot(&self, id: MapId) -> Result<MapSnapshot, StoreError> {
        let room = self.room(id);
        let mut guard = room.state.lock().await;
        let state = self.loaded(id, &mut guard).await?;
        Ok(MapSnapshot {
            map: state.authority.map().clone(),
            rev: state.authority.rev(),
        })
    }

    /// Applies `ops` in order and commits them; see `app::api::ctx::Backend::sync_map`.
    pub async fn submit(
        &self,
        id: MapId,
        since: Option<Rev>,
        ops: Vec<Op>,
    ) -> Result<SyncReply, StoreError> {
        let room = self.room(id);
        let mut guard = room.state.lock().await;
        let state = self.loaded(id, &mut guard).await?;
        let now = now_millis();
        let mut applied = Vec::new();
        let mut rejected = Vec::new();
        for op in ops {
            match state.authority.submit(&op) {
                Ok(Outcome::Applied(rev)) => applied.push(Logged { rev, op }),
                Ok(Outcome::Duplicate(_)) => {}
                Err(error) => rejected.push(Rejection { op: op.id, error }),
            }
        }
        let rev = state.authority.rev();
        let pending = if applied.is_empty() {
            None
        } else {
            state.authority.touch(now);
            let map = state.authority.map();
            let snapshot = if rev.0 - state.snapshot_rev.0 >= SNAPSHOT_EVERY {
                state.snapshot_rev = rev;
                Some(serde_json::to_string(map).map_err(StoreError::internal)?)
            } else {
                None
            };
            let record = MapRecord::of(map, rev);
            state.recent.extend(applied.iter().cloned());
            let excess = state.recent.len().saturating_sub(RECENT_OPS);
            state.recent.drain(..excess);
            Some(self.db.enqueue_ops(record, applied, now, snapshot).await)
        };
        let from_memory = since.and_then(|since| recent_since(&state.recent, since, rev));
        drop(guard);

        if let Some(pending) = pending {
            let committed = match pending {
                Ok(pending) => pending.committed().await,
                Err(err) => Err(err),
            };
            if let Err(err) = committed {
                // Memory is now ahead of the database: forget it, the next use reloads.
                *room.state.lock().await = None;
                return Err(err);
            }
        }
        let log = match (since, from_memory) {
            (None, _) => Vec::new(),
            (Some(_), Some(log)) => log,
            // Older than what the room keeps in memory: everything up to `rev` is committed
            // by now (the writer commits in order), so the database has it.
            (Some(since), None) => {
                let mut log = self.db.log_since(id, since).await?;
                log.retain(|l| l.rev <= rev);
                log
            }
        };
        Ok(SyncReply { log, rejected, rev })
    }

    /// Deletes a map; a request waiting for its room afterwards finds it gone.
    pub async fn delete(&self, id: MapId) -> Result<(), StoreError> {
        let room = self.room(id);
        let mut guard = room.state.lock().await;
        self.db.delete_map(id).await?;
        *guard = None;
        drop(guard);
        let mut rooms = self
            .rooms
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        rooms.remove(&id);
        Ok(())
    }

    async fn loaded<'a>(
        &self,
        id: MapId,
        slot: &'a mut Option<RoomState>,
    ) -> Result<&'a mut RoomState, StoreError> {
        if slot.is_none() {
            let stored = self.db.load_map(id).await?;
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
