//! A room's writes: what it has applied and not yet handed to the writer (its backlog), the one
//! writer job that takes the whole backlog, and the announcement of what committed.
//!
//! The room queues one write when its backlog starts, and that write takes the whole backlog
//! when the writer reaches it: so however many submissions arrive while it waits in the queue, a
//! busy map costs the writer one job (one savepoint, one update of the map's row) per commit
//! instead of one per submission. Outcomes arrive in commit order; a failed write moves the
//! room's epoch on before anyone hears of it (see `Room::epoch`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::hub::frames::applied_json;
use app::domain::sync::Logged;
use tokio::sync::oneshot;

use crate::db::{append_ops, LogEntry, MapRecord, Reserved, StoreError};
use crate::hub::frames::merge_applied;
use crate::lock;
use crate::rooms::{Room, RoomEvent, Rooms};

/// What a room has applied and not yet handed to the writer. The room queues one write when
/// the backlog starts, and that write takes the whole backlog when the writer reaches it: so
/// however many submissions arrive while it waits in the queue, a busy map costs the writer one
/// job (one savepoint, one update of the map's row) per commit instead of one per submission.
#[derive(Default)]
pub(super) struct Backlog {
    pub(super) submissions: Vec<Unwritten>,
    /// The map's listing columns as of the last of them.
    pub(super) record: Option<MapRecord>,
}

/// One submission's applied operations, on their way to the log.
pub(super) struct Unwritten {
    /// The room's epoch when they were applied.
    pub(super) epoch: u64,
    pub(super) log: Vec<Logged>,
    /// Its `Applied` message, encoded once for everyone on the map.
    pub(super) json: String,
    pub(super) author: String,
    pub(super) author_id: Option<String>,
    pub(super) at: i64,
    /// Told once the operations are committed, or why not.
    pub(super) committed: oneshot::Sender<Result<(), StoreError>>,
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
                author_id: s.author_id.as_deref(),
                at: s.at,
            })
        });
        append_ops(conn, record, log)
    }

    /// Once committed: puts the operations in the room's outbox (for the announcement that
    /// follows the batch), then tells each submitter.
    fn committed(self, room: &Arc<Room>, rooms_committed: &Mutex<Vec<Arc<Room>>>) {
        if let Some(record) = &self.record {
            // Committed copy first, then announced: a connection that joins in between reads
            // the new revision and also hears the event, and ignores what it already has.
            let log = self.submissions.iter().flat_map(|s| &s.log);
            if !room.advance(log, record) {
                // It cannot follow, nor can the authority, which agrees with it: load again.
                room.forget();
            }
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
    pub(super) fn announce_committed(&self) {
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

impl Rooms {
    /// Queues a write that takes `room`'s backlog when the writer reaches it.
    pub(super) fn queue_backlog(&self, place: Reserved<'_>, room: &Arc<Room>) {
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
                    write_room.forget();
                    backlog.failed(&err);
                    Err(err)
                }
            }
        };
        let done = move |outcome: Result<Backlog, StoreError>| match outcome {
            Ok(backlog) => backlog.committed(&done_room, &rooms_committed),
            Err(err) => {
                // Whatever failed, the backlog's operations are lost.
                done_room.forget();
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
}
