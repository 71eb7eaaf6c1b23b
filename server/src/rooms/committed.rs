//! What a room has committed: the map every read is answered from, and the history snapshots
//! taken of it.
//!
//! The room's `Authority` runs ahead of the database while writes are in flight, and a write
//! can fail. So nothing outside the room reads the authority: page loads, catch-ups, exports
//! and forms read the committed copy, which only ever holds what is on disk. The writer thread
//! brings it forward as each commit lands, applying the committed operations in revision order
//! (the same operations, in the same order, from the same state as the authority, so both
//! agree). Readers share it through an `Arc`: taking it costs no copy and waits for no lock
//! but a brief mutex.
//!
//! History snapshots are taken of the committed copy after a commit, off the async executor,
//! at intervals that grow with the map (so what they cost on disk grows with the number of
//! edits, not with edits × the map's size), and thinned out as they age (see `db::maps`).

use std::sync::Arc;

use app::domain::edit::apply;
use app::domain::ids::{MapId, Rev};
use app::domain::map::JourneyMap;
use app::domain::sync::Logged;

use crate::db::{Db, MapRecord};
use crate::lock;
use crate::rooms::Room;

/// Edits between history snapshots, at the least.
const MIN_SNAPSHOT_INTERVAL: u64 = 256;
/// At most this many bytes of snapshot per edit, on average: a big map is snapshotted less
/// often, so that history grows with the number of edits, not with the map's size.
const SNAPSHOT_BYTES_PER_EDIT: u64 = 512;

/// A map as committed, and its revision.
#[derive(Clone, Debug)]
pub struct Committed {
    pub map: Arc<JourneyMap>,
    pub rev: Rev,
}

/// Where a room's history snapshots stand.
#[derive(Debug, Default)]
pub(super) struct Snapshots {
    /// The revision of the newest stored snapshot.
    pub(super) rev: Rev,
    /// Its size in bytes: the map's size, near enough.
    pub(super) bytes: u64,
    /// A snapshot is being encoded or written now.
    pub(super) taking: bool,
}

/// Edits between snapshots of a map whose snapshot takes `bytes`.
pub fn snapshot_interval(bytes: u64) -> u64 {
    (bytes / SNAPSHOT_BYTES_PER_EDIT).max(MIN_SNAPSHOT_INTERVAL)
}

impl Room {
    /// After a failed write: everything the room holds is suspect, so the next use loads the
    /// map again, for readers too (moves the epoch on, see `Room::epoch`, and drops the copy).
    pub(super) fn forget(&self) {
        self.epoch.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        *lock(&self.committed) = None;
    }

    /// The committed copy, if loaded.
    pub(super) fn committed(&self) -> Option<Committed> {
        lock(&self.committed).clone()
    }

    /// Brings the committed copy forward by `log`, which has just committed up to `record`.
    /// Called on the writer thread, in commit order. Returns false if the copy cannot follow
    /// (it is then dropped, and the room must load the map again).
    pub(super) fn advance<'a>(
        &self,
        log: impl IntoIterator<Item = &'a Logged>,
        record: &MapRecord,
    ) -> bool {
        let mut slot = lock(&self.committed);
        let Some(committed) = slot.as_mut() else {
            // Not loaded (the map was deleted, or is being loaded again): nothing to follow.
            return true;
        };
        if record.rev <= committed.rev {
            // Loaded after this commit: the copy has these operations already.
            return true;
        }
        let map = Arc::make_mut(&mut committed.map);
        for logged in log {
            if logged.rev <= committed.rev {
                continue;
            }
            if logged.rev != committed.rev.next() || apply(map, &logged.op.edit).is_err() {
                tracing::error!(map = %record.id, rev = %logged.rev, "the committed copy cannot follow its log");
                return false;
            }
            committed.rev = logged.rev;
        }
        map.updated_at = record.updated_at;
        true
    }

    /// Claims the next history snapshot if one is due at `rev`; the caller takes it.
    pub(super) fn snapshot_due(&self, rev: Rev) -> bool {
        let mut snapshots = lock(&self.snapshots);
        let due = !snapshots.taking
            && rev.0.saturating_sub(snapshots.rev.0) >= snapshot_interval(snapshots.bytes);
        if due {
            snapshots.taking = true;
        }
        due
    }
}

/// Encodes `committed` off the executor and stores it as a history snapshot of map `id`, then
/// thins out the older ones. A snapshot that cannot be taken is logged and skipped: history
/// stays complete without it (the log has every edit), only slower to rebuild.
pub(super) async fn take_snapshot(db: Db, room: Arc<Room>, id: MapId, committed: Committed) {
    let Committed { map, rev } = committed;
    let encoded = tokio::task::spawn_blocking(move || serde_json::to_string(&*map)).await;
    let stored = match encoded {
        Ok(Ok(json)) => {
            let bytes = json.len() as u64;
            db.store_snapshot(id, rev, json, snapshot_interval(bytes))
                .await
                .map(|()| bytes)
        }
        Ok(Err(err)) => Err(crate::db::StoreError::internal(err)),
        Err(err) => Err(crate::db::StoreError::internal(err)),
    };
    let mut snapshots = lock(&room.snapshots);
    snapshots.taking = false;
    match stored {
        Ok(bytes) => {
            snapshots.rev = rev;
            snapshots.bytes = bytes;
        }
        Err(err) => tracing::warn!(%err, map = %id, %rev, "cannot store a history snapshot"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_maps_are_snapshotted_less_often() {
        assert_eq!(snapshot_interval(0), MIN_SNAPSHOT_INTERVAL);
        assert_eq!(snapshot_interval(50_000), MIN_SNAPSHOT_INTERVAL);
        // A 10 MB map: one snapshot every ~20,000 edits, about 512 bytes per edit.
        assert_eq!(snapshot_interval(10_240_000), 20_000);
    }
}
