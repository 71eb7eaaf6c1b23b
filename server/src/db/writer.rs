//! The single writer: a thread that owns the writing connection and commits queued jobs in
//! batches. Batching (group commit) lets many small writes share one fsync; each job runs in its
//! own savepoint, so one failing job does not undo the others in its batch.

use std::thread;

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};

use crate::db::StoreError;

/// How many jobs may wait for the writer before senders wait too (back-pressure).
const QUEUE_DEPTH: usize = 4096;
/// Most jobs committed in one transaction.
const MAX_BATCH: usize = 512;

/// Called once the batch holding a job has committed (or failed to).
type Done = Box<dyn FnOnce(Result<(), &StoreError>) + Send>;

/// A queued write: run inside a batch, or abandoned when the batch cannot begin.
trait Job: Send {
    fn run(self: Box<Self>, conn: &Connection) -> Done;
    fn abort(self: Box<Self>, err: &StoreError);
}

struct Task<T, F> {
    f: F,
    reply: oneshot::Sender<Result<T, StoreError>>,
    /// Runs on the writer thread after a successful commit, before the reply: hooks therefore
    /// run in commit order, which is what lets rooms broadcast operations in revision order.
    on_commit: Option<Box<dyn FnOnce() + Send>>,
}

impl<T, F> Job for Task<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
{
    fn run(self: Box<Self>, conn: &Connection) -> Done {
        let result = in_savepoint(conn, self.f);
        let (reply, on_commit) = (self.reply, self.on_commit);
        Box::new(move |commit: Result<(), &StoreError>| {
            let outcome = match commit {
                Ok(()) => result,
                Err(err) => Err(StoreError::internal(err)),
            };
            if let (Ok(_), Some(hook)) = (&outcome, on_commit) {
                hook();
            }
            // The caller may have gone away (a closed request); the write stands regardless.
            let _ignored = reply.send(outcome);
        })
    }

    fn abort(self: Box<Self>, err: &StoreError) {
        let _ignored = self.reply.send(Err(StoreError::internal(err)));
    }
}

/// A handle to the writer thread. Cheap to clone.
#[derive(Clone)]
pub struct Writer {
    queue: mpsc::Sender<Box<dyn Job>>,
}

/// A write that has been queued; await it to learn whether it committed.
pub struct Pending<T>(oneshot::Receiver<Result<T, StoreError>>);

impl<T> Pending<T> {
    pub async fn committed(self) -> Result<T, StoreError> {
        self.0
            .await
            .map_err(|_| StoreError::internal("the writer stopped before committing"))?
    }
}

impl Writer {
    pub(super) fn start(conn: Connection) -> std::io::Result<Writer> {
        let (queue, jobs) = mpsc::channel(QUEUE_DEPTH);
        thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(conn, jobs))?;
        Ok(Writer { queue })
    }

    /// Queues `f` to run in the next batch. Jobs commit in the order they are queued, so a
    /// caller that queues while holding a lock fixes the order of its writes.
    pub async fn enqueue<T, F>(&self, f: F) -> Result<Pending<T>, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.queue_task(f, None).await
    }

    /// Like `enqueue`, and runs `on_commit` once `f`'s changes are committed.
    pub async fn enqueue_then<T, F>(
        &self,
        f: F,
        on_commit: impl FnOnce() + Send + 'static,
    ) -> Result<Pending<T>, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.queue_task(f, Some(Box::new(on_commit))).await
    }

    async fn queue_task<T, F>(
        &self,
        f: F,
        on_commit: Option<Box<dyn FnOnce() + Send>>,
    ) -> Result<Pending<T>, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, receiver) = oneshot::channel();
        let job: Box<dyn Job> = Box::new(Task {
            f,
            reply,
            on_commit,
        });
        self.queue
            .send(job)
            .await
            .map_err(|_| StoreError::internal("the writer has stopped"))?;
        Ok(Pending(receiver))
    }

    /// Queues `f` and waits until it is committed.
    pub async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.enqueue(f).await?.committed().await
    }
}

fn in_savepoint<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    conn.execute_batch("SAVEPOINT job")?;
    match f(conn) {
        Ok(value) => {
            conn.execute_batch("RELEASE job")?;
            Ok(value)
        }
        Err(err) => {
            conn.execute_batch("ROLLBACK TO job; RELEASE job")?;
            Err(err)
        }
    }
}

fn run(mut conn: Connection, mut jobs: mpsc::Receiver<Box<dyn Job>>) {
    let mut batch: Vec<Box<dyn Job>> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = jobs.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit_batch(&mut conn, &mut batch);
    }
    tracing::debug!("sqlite writer stopped: every handle is gone");
}

fn commit_batch(conn: &mut Connection, batch: &mut Vec<Box<dyn Job>>) {
    let txn = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(txn) => txn,
        Err(err) => {
            let err = StoreError::from(err);
            tracing::error!(%err, "cannot begin a write transaction");
            for job in batch.drain(..) {
                job.abort(&err);
            }
            return;
        }
    };
    let done: Vec<Done> = batch.drain(..).map(|job| job.run(&txn)).collect();
    let result = txn.commit().map_err(StoreError::from);
    if let Err(err) = &result {
        tracing::error!(%err, "commit failed");
    }
    for d in done {
        d(result.as_ref().map(|_| ()));
    }
}
