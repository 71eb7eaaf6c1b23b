//! The single writer: a thread that owns the writing connection and commits queued jobs in
//! batches. Batching (group commit) lets many small writes share one fsync; each job runs in its
//! own savepoint, so one failing job does not undo the others in its batch.

use std::sync::{Arc, Mutex};
use std::thread;

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};

use crate::db::StoreError;
use crate::lock;

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

struct Task<T, F, D> {
    f: F,
    /// Told the outcome on the writer thread once the batch has committed (or failed), before
    /// the next job's: so outcomes arrive in commit order, which is what lets rooms broadcast
    /// operations in revision order.
    done: D,
    result: std::marker::PhantomData<fn() -> T>,
}

impl<T, F, D> Job for Task<T, F, D>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    D: FnOnce(Result<T, StoreError>) + Send + 'static,
{
    fn run(self: Box<Self>, conn: &Connection) -> Done {
        let result = in_savepoint(conn, self.f);
        let done = self.done;
        Box::new(move |commit: Result<(), &StoreError>| {
            done(match commit {
                Ok(()) => result,
                Err(err) => Err(err.clone()),
            })
        })
    }

    fn abort(self: Box<Self>, err: &StoreError) {
        (self.done)(Err(err.clone()));
    }
}

/// Runs on the writer thread after each batch, once its jobs have been told their outcome;
/// returns `false` when it is no longer wanted.
type Listener = Box<dyn FnMut() -> bool + Send>;

/// A handle to the writer thread. Cheap to clone.
#[derive(Clone)]
pub struct Writer {
    queue: mpsc::Sender<Box<dyn Job>>,
    listeners: Arc<Mutex<Vec<Listener>>>,
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
        let listeners: Arc<Mutex<Vec<Listener>>> = Arc::default();
        let after_batch = listeners.clone();
        thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(conn, jobs, &after_batch))?;
        Ok(Writer { queue, listeners })
    }

    /// Calls `listener` after every batch, once its jobs have been told their outcome, until it
    /// returns `false`. A job's `done` can leave work for it, to be done once per batch instead of
    /// once per job (rooms announce a whole batch's operations in one message this way).
    pub fn after_each_batch(&self, listener: impl FnMut() -> bool + Send + 'static) {
        lock(&self.listeners).push(Box::new(listener));
    }

    /// Queues `f` to run in the next batch. Jobs commit in the order they are queued, so a
    /// caller that queues while holding a lock fixes the order of its writes.
    pub async fn enqueue<T, F>(&self, f: F) -> Result<Pending<T>, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, receiver) = oneshot::channel();
        self.enqueue_then(f, move |outcome| {
            // The caller may have gone away (a closed request); the write stands regardless.
            let _ignored = reply.send(outcome);
        })
        .await?;
        Ok(Pending(receiver))
    }

    /// Like `enqueue`, but hands `f`'s outcome to `done`, on the writer thread, once its batch
    /// has committed or failed. `done` must be quick: the rest of the batch waits for it.
    pub async fn enqueue_then<T, F, D>(&self, f: F, done: D) -> Result<(), StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        D: FnOnce(Result<T, StoreError>) + Send + 'static,
    {
        self.reserve().await?.enqueue_then(f, done);
        Ok(())
    }

    /// A place in the queue, waited for now, so that a job can be queued later without waiting
    /// (and so without the chance that the caller goes away half-way).
    pub async fn reserve(&self) -> Result<Reserved<'_>, StoreError> {
        let permit = self
            .queue
            .reserve()
            .await
            .map_err(|_| StoreError::internal("the writer has stopped"))?;
        Ok(Reserved(permit))
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

/// A place in the writer's queue (see `Writer::reserve`).
pub struct Reserved<'a>(mpsc::Permit<'a, Box<dyn Job>>);

impl Reserved<'_> {
    /// `Writer::enqueue_then`, without the wait.
    pub fn enqueue_then<T, F, D>(self, f: F, done: D)
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        D: FnOnce(Result<T, StoreError>) + Send + 'static,
    {
        self.0.send(Box::new(Task {
            f,
            done,
            result: std::marker::PhantomData,
        }));
    }
}

fn in_savepoint<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    // Cached: parsing these anew for every job was a measurable part of a busy writer's time.
    let run = |sql: &str| {
        conn.prepare_cached(sql)
            .and_then(|mut stmt| stmt.execute([]))
    };
    run("SAVEPOINT job")?;
    match f(conn) {
        Ok(value) => {
            run("RELEASE job")?;
            Ok(value)
        }
        Err(err) => {
            run("ROLLBACK TO job")?;
            run("RELEASE job")?;
            Err(err)
        }
    }
}

fn run(
    mut conn: Connection,
    mut jobs: mpsc::Receiver<Box<dyn Job>>,
    listeners: &Mutex<Vec<Listener>>,
) {
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
        lock(listeners).retain_mut(|listener| listener());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn listeners_run_once_per_batch_after_its_jobs_are_done() {
        let writer = Writer::start(Connection::open_in_memory().unwrap()).unwrap();
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let (record, mut calls) = (seen.clone(), 0);
        writer.after_each_batch(move || {
            calls += 1;
            lock(&record).push("batch".into());
            calls < 2
        });

        // Hold the writer in a first batch, so that the next jobs queue up behind it together.
        let (started, has_started) = oneshot::channel();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let first = writer
            .enqueue(move |_| {
                let _ = started.send(());
                let _ = released.recv();
                Ok(())
            })
            .await
            .unwrap();
        has_started.await.unwrap();
        let mut queued = Vec::new();
        for n in 0..3 {
            let record = seen.clone();
            let (reply, committed) = oneshot::channel();
            let done = move |outcome: Result<(), StoreError>| {
                lock(&record).push(format!("done {n}"));
                let _ = reply.send(outcome);
            };
            writer.enqueue_then(|_| Ok(()), done).await.unwrap();
            queued.push(committed);
        }
        release.send(()).unwrap();
        first.committed().await.unwrap();
        for committed in queued {
            committed.await.unwrap().unwrap();
        }
        // The listener asked to stop after its second call.
        writer.write(|_| Ok(())).await.unwrap();

        assert_eq!(
            *lock(&seen),
            ["batch", "done 0", "done 1", "done 2", "batch"]
        );
    }
}
