//! Checkpoints off the writer's thread.
//!
//! In WAL mode SQLite copies the log back into the database file once the log has grown past
//! `wal_autocheckpoint` pages, inside the commit that crossed it: on the writer thread, so every
//! live write queued behind that commit waits while megabytes are written and synced. Instead
//! a thread of its own runs passive checkpoints (they take no lock a writer needs) a few times a
//! second, and the writer's own checkpoint stays as a backstop, far out, should this thread ever
//! fall behind.
//!
//! Under Litestream this thread is turned off (`Checkpoints::Off`): Litestream copies the WAL's
//! frames to its replicas and then checkpoints itself, holding a read transaction in between
//! so that nobody else can restart the log under it. A checkpoint of ours that lands in the
//! moment it lets go can let the writer restart the log before Litestream has read the end of
//! it; Litestream then sees a log it cannot follow and starts a new generation, a full snapshot
//! of the database to every replica (its "Tips & Caveats": disable application checkpoints
//! under write load). Ten checkpoints a second would find that moment often.

use std::path::Path;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use rusqlite::Connection;

use crate::db::OpenError;

/// Who copies the write-ahead log back into the database file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Checkpoints {
    /// Waymark's own thread, a few times a second (without Litestream).
    #[default]
    Passive,
    /// Someone else: Litestream, which replicates the log before it checkpoints. Only the
    /// writer's far-off backstop stays, so a WAL left without Litestream stops growing at
    /// about 250 MB rather than filling the disk.
    Off,
}

/// How often the log is copied back.
const INTERVAL: Duration = Duration::from_millis(100);

/// The checkpointing thread; it stops when this is dropped (with the last handle on the
/// database).
pub(super) struct Checkpointer {
    _stop: mpsc::Sender<()>,
}

pub(super) fn start(path: &Path) -> Result<Checkpointer, OpenError> {
    let conn = Connection::open(path)?;
    let (stop, stopped) = mpsc::channel::<()>();
    thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
                // A passive checkpoint copies what no reader still needs and never waits; what
                // it leaves, the next one takes.
                let ran = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                if let Err(err) = ran {
                    tracing::debug!(%err, "a checkpoint did not run");
                }
            }
        })?;
    Ok(Checkpointer { _stop: stop })
}
