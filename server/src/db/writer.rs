//! The single writer: a thread that owns the writing connection and commits queued jobs in
//! batches. Batching (group commit) lets many small writes share one fsync; each job runs in its
//! own savepoint, so one failing job does not undo the others in its batch.
//!
//! Jobs come in two lanes. Live jobs (edits, sign-ins, a customer's answer: small, and someone
//! is waiting) all go into the next transaction. Bulk jobs (the slices of an import or an API
//! batch, each bounded by its caller) go in only while the transaction's bulk work stays within
//! `BULK_SLICE` (judged by its slowest job so far), at least one per transaction, and while
//! live jobs wait only in every other transaction: so a live write never waits behind more than
//! the slice of bulk work already running, and bulk work still moves while live writes keep
//! coming.
//!
//! A job that panics is rolled back like one that fails, and the writer carries on; the count
//! of such panics is kept for `/readyz`. Anything else that panics on the writer thread ends the
//! process, so that a supervisor starts it again rather than leaving a server that cannot write.

use std::any::Any;
use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::{mpsc, oneshot, watch, OwnedSemaphorePermit, Semaphore};

use crate::db::StoreError;
use crate::lock;

/// How many live jobs may wait for the writer before senders wait too (back-pressure).
const QUEUE_DEPTH: usize = 4096;
/// How many bulk jobs may wait; each holds its rows in memory until it runs.
const BULK_DEPTH: usize = 64;
/// Most live jobs committed in one transaction.
const MAX_BATCH: usize = 512;
/// Bulk work one transaction takes on (beyond its first bulk job) before it commits.
const BULK_SLICE: Duration = Duration::from_millis(12);
/// The process's exit status when the writer thread cannot go on.
const WRITER_DIED: i32 = 70;

/// Called once the batch holding a job has committed (or failed to).
type Done = Box<dyn FnOnce(Result<(), &StoreError>) + Send>;

/// A queued write: run inside a batch, or abandoned when the batch cannot begin.
trait Job: Send {
    fn run(self: Box<Self>, conn: &Connection, health: &Health) -> Done;
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
    fn run(self: Box<Self>, conn: &Connection, health: &Health) -> Done {
        let result = in_savepoint(conn, self.f, health);
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

/// A job on its way to the writer, in its lane. A bulk job holds its place among the
/// `BULK_DEPTH` until it has run.
enum Queued {
    Live(Box<dyn Job>),
    Bulk(Box<dyn Job>, OwnedSemaphorePermit),
}

/// Runs on the writer thread after each batch, once its jobs have been told their outcome;
/// returns `false` when it is no longer wanted.
type Listener = Box<dyn FnMut() -> bool + Send>;

/// What the writer has survived, for `/readyz`.
#[derive(Default)]
struct Health {
    /// Jobs (or their `done`, or a listener) that panicked and were rolled back.
    panics: AtomicU64,
    /// Batches begun, and (watched) the number of the last one whose jobs have all been told.
    begun: AtomicU64,
    finished: watch::Sender<u64>,
    /// Why the last write failed, until one that changes something commits again (the
    /// database busy past its timeout, or full): the server is up but cannot save.
    refusing: Mutex<Option<String>>,
    /// A job of the running batch changed something.
    wrote: AtomicBool,
}

impl Health {
    /// Runs `f`, turning a panic into an error (counted and logged) instead of the thread's end.
    fn guard<T>(&self, what: &str, f: impl FnOnce() -> T) -> Result<T, StoreError> {
        catch_unwind(AssertUnwindSafe(f)).map_err(|panic| {
            self.panics.fetch_add(1, Ordering::Relaxed);
            let message = panic_message(&*panic);
            tracing::error!(%message, "{what} panicked on the writer thread; rolled back");
            StoreError::internal(format!("the write failed unexpectedly ({message})"))
        })
    }
}

impl Health {
    fn refused(&self, err: &StoreError) {
        if let StoreError::Internal(why) = err {
            *lock(&self.refusing) = Some(why.clone());
        }
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
        (Some(text), _) => (*text).to_owned(),
        (_, Some(text)) => text.clone(),
        _ => "no message".to_owned(),
    }
}

/// A handle to the writer thread. Cheap to clone.
#[derive(Clone)]
pub struct Writer {
    queue: mpsc::Sender<Queued>,
    bulk_slots: Arc<Semaphore>,
    listeners: Arc<Mutex<Vec<Listener>>>,
    health: Arc<Health>,
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
        let health: Arc<Health> = Arc::default();
        let (after_batch, survived) = (listeners.clone(), health.clone());
        thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(conn, jobs, &after_batch, &survived))?;
        Ok(Writer {
            queue,
            bulk_slots: Arc::new(Semaphore::new(BULK_DEPTH)),
            listeners,
            health,
        })
    }

    /// Returns once the batch running now (if any) is over and its jobs have been told: then
    /// what it committed can be read. A room that reloads after a failed write waits for this,
    /// because jobs of the same batch that ran before the failure commit only at its end.
    pub async fn settled(&self) {
        let running = self.health.begun.load(Ordering::SeqCst);
        let mut finished = self.health.finished.subscribe();
        // An error means the writer has stopped: nothing is running then either.
        let _stopped = finished.wait_for(|&done| done >= running).await;
    }

    /// Why writes fail now, if they do: set by a write that failed, cleared by the next one
    /// that changes something and commits.
    pub fn refusing(&self) -> Option<String> {
        lock(&self.health.refusing).clone()
    }

    /// How many jobs have panicked (and been rolled back) since the server started.
    pub fn panics(&self) -> u64 {
        self.health.panics.load(Ordering::Relaxed)
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
        Ok(self.reserve().await?.enqueue(f))
    }

    /// Queues `f` in the bulk lane: it runs when live writes leave room (see the module's
    /// comment). `f` must be bounded (about a thousand rows): it is the unit live writes may
    /// wait behind. Bulk jobs commit in the order they are queued.
    pub async fn enqueue_bulk<T, F>(&self, f: F) -> Result<Pending<T>, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.enqueue_bulk_then(f, |outcome| outcome).await
    }

    /// Like `enqueue_bulk`, but hands `f`'s outcome to `then`, on the writer thread, once its
    /// batch has committed or failed, before any later job runs; the caller gets what `then`
    /// returns. `then` must be quick: the rest of the batch waits for it.
    pub async fn enqueue_bulk_then<T, U, F, D>(
        &self,
        f: F,
        then: D,
    ) -> Result<Pending<U>, StoreError>
    where
        T: Send + 'static,
        U: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        D: FnOnce(Result<T, StoreError>) -> Result<U, StoreError> + Send + 'static,
    {
        let slot = self
            .bulk_slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StoreError::internal("the writer has stopped"))?;
        let mut place = self.reserve().await?;
        place.bulk = Some(slot);
        Ok(place.enqueue_answering(f, then))
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

    /// A place in the live lane, waited for now, so that a job can be queued later without
    /// waiting (and so without the chance that the caller goes away half-way).
    pub async fn reserve(&self) -> Result<Reserved<'_>, StoreError> {
        let permit = self
            .queue
            .reserve()
            .await
            .map_err(|_| StoreError::internal("the writer has stopped"))?;
        Ok(Reserved { permit, bulk: None })
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
pub struct Reserved<'a> {
    permit: mpsc::Permit<'a, Queued>,
    /// Set for a bulk job: its place among the bulk jobs.
    bulk: Option<OwnedSemaphorePermit>,
}

impl Reserved<'_> {
    /// `Writer::enqueue_then`, without the wait.
    pub fn enqueue_then<T, F, D>(self, f: F, done: D)
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        D: FnOnce(Result<T, StoreError>) + Send + 'static,
    {
        let job: Box<dyn Job> = Box::new(Task {
            f,
            done,
            result: std::marker::PhantomData,
        });
        self.permit.send(match self.bulk {
            Some(slot) => Queued::Bulk(job, slot),
            None => Queued::Live(job),
        });
    }

    fn enqueue<T, F>(self, f: F) -> Pending<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.enqueue_answering(f, |outcome| outcome)
    }

    /// Queues `f`; the caller is answered with what `then` makes of its outcome, on the
    /// writer thread, once its batch has committed or failed.
    fn enqueue_answering<T, U, F, D>(self, f: F, then: D) -> Pending<U>
    where
        T: Send + 'static,
        U: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        D: FnOnce(Result<T, StoreError>) -> Result<U, StoreError> + Send + 'static,
    {
        let (reply, receiver) = oneshot::channel();
        self.enqueue_then(f, move |outcome| {
            // The caller may have gone away (a closed request); the write stands regardless.
            let _ignored = reply.send(then(outcome));
        });
        Pending(receiver)
    }
}

fn in_savepoint<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    health: &Health,
) -> Result<T, StoreError> {
    // Cached: parsing these anew for every job was a measurable part of a busy writer's time.
    let run = |sql: &str| {
        conn.prepare_cached(sql)
            .and_then(|mut stmt| stmt.execute([]))
    };
    if conn.is_autocommit() {
        // SQLite rolled the batch's transaction back itself (it may, on SQLITE_FULL or
        // SQLITE_NOMEM): a job run now would commit on its own, outside the batch.
        return Err(StoreError::internal(
            "the batch's transaction was rolled back",
        ));
    }
    run("SAVEPOINT job")?;
    let changes = conn.total_changes();
    let result = match health.guard("a write", || f(conn)) {
        Ok(Ok(value)) => {
            run("RELEASE job")?;
            if conn.total_changes() != changes {
                health.wrote.store(true, Ordering::Relaxed);
            }
            return Ok(value);
        }
        Ok(Err(err)) => {
            health.refused(&err);
            err
        }
        // A bug in one job, counted as such: not a sign the database refuses writes.
        Err(panicked) => panicked,
    };
    if !conn.is_autocommit() {
        run("ROLLBACK TO job")?;
        run("RELEASE job")?;
    }
    Err(result)
}

/// The jobs waiting on the writer thread, by lane.
struct Waiting {
    live: Vec<Box<dyn Job>>,
    /// Each with its place among the bulk jobs, given back once it has run.
    bulk: VecDeque<(Box<dyn Job>, OwnedSemaphorePermit)>,
    /// The last transaction, though live jobs were waiting, took no bulk job: this one may.
    bulk_turn: bool,
}

impl Waiting {
    fn add(&mut self, queued: Queued) {
        match queued {
            Queued::Live(job) => self.live.push(job),
            Queued::Bulk(job, slot) => self.bulk.push_back((job, slot)),
        }
    }
}

fn run(
    mut conn: Connection,
    mut jobs: mpsc::Receiver<Queued>,
    listeners: &Mutex<Vec<Listener>>,
    health: &Health,
) {
    let mut waiting = Waiting {
        live: Vec::with_capacity(MAX_BATCH),
        bulk: VecDeque::new(),
        bulk_turn: false,
    };
    loop {
        if waiting.bulk.is_empty() {
            match jobs.blocking_recv() {
                Some(queued) => waiting.add(queued),
                None => break,
            }
        }
        while waiting.live.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(queued) => waiting.add(queued),
                Err(_) => break,
            }
        }
        // What is waiting now, this batch's jobs included: the depth a new edit queues behind.
        crate::telemetry::writer_queued(waiting.live.len() + waiting.bulk.len() + jobs.len());
        let number = health.begun.fetch_add(1, Ordering::SeqCst) + 1;
        let batch = catch_unwind(AssertUnwindSafe(|| {
            commit_batch(&mut conn, &mut waiting, health);
            lock(listeners).retain_mut(|listener| {
                health
                    .guard("an after-batch listener", &mut *listener)
                    .unwrap_or(true)
            });
        }));
        if let Err(panic) = batch {
            // The connection's state is unknown and jobs may never hear back: a fresh process
            // (started by the supervisor) is the safe way on.
            let message = panic_message(&*panic);
            tracing::error!(%message, "the database writer failed; exiting so that a supervisor restarts Waymark");
            std::process::exit(WRITER_DIED);
        }
        health.finished.send_replace(number);
        // And once it is done, so that an idle writer reads as an empty queue.
        crate::telemetry::writer_queued(waiting.live.len() + waiting.bulk.len() + jobs.len());
    }
    tracing::debug!("sqlite writer stopped: every handle is gone");
}

fn commit_batch(conn: &mut Connection, waiting: &mut Waiting, health: &Health) {
    let txn = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(txn) => txn,
        Err(err) => {
            let err = StoreError::from(err);
            tracing::error!(%err, "cannot begin a write transaction");
            health.refused(&err);
            let bulk = waiting.bulk.drain(..).map(|(job, _slot)| job);
            for job in waiting.live.drain(..).chain(bulk) {
                let _told = health.guard("telling a job its outcome", || job.abort(&err));
            }
            return;
        }
    };
    // With live jobs waiting, bulk work goes in only every other transaction: a live job then
    // waits for the transaction running when it came (one slice and its commit, at most) and
    // not for another behind it, while bulk work still moves under a steady stream of edits.
    let take_bulk = waiting.live.is_empty() || waiting.bulk_turn;
    waiting.bulk_turn = !take_bulk;
    let mut done: Vec<Done> = waiting
        .live
        .drain(..)
        .map(|job| job.run(&txn, health))
        .collect();
    if take_bulk {
        // Another bulk job goes in only if, taking as long as the longest so far, it would
        // still end within `BULK_SLICE`: small slices share a commit (its fsync, and the pages
        // they both touch), and a slow one is never joined by a second.
        let started = Instant::now();
        let mut longest = Duration::ZERO;
        while let Some((job, _slot)) = waiting.bulk.pop_front() {
            let began = Instant::now();
            done.push(job.run(&txn, health));
            longest = longest.max(began.elapsed());
            if started.elapsed() + longest > BULK_SLICE {
                break;
            }
        }
    }
    crate::telemetry::writer_batch(done.len());
    let result = txn.commit().map_err(StoreError::from);
    let wrote = health.wrote.swap(false, Ordering::Relaxed);
    match &result {
        Err(err) => {
            tracing::error!(%err, "commit failed");
            // After SQLite rolled the batch back itself, the commit's error ("no transaction")
            // says less than the job's that caused it.
            let mut refusing = lock(&health.refusing);
            if refusing.is_none() {
                if let StoreError::Internal(why) = err {
                    *refusing = Some(why.clone());
                }
            }
        }
        Ok(()) if wrote => *lock(&health.refusing) = None,
        Ok(()) => {}
    }
    for d in done {
        let _told = health.guard("telling a job its outcome", || {
            d(result.as_ref().map(|_| ()))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Holds the writer in a job of its own until the returned sender says go, so that the jobs
    /// queued meanwhile wait together.
    async fn hold(writer: &Writer) -> (std::sync::mpsc::Sender<()>, Pending<()>) {
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
        (release, first)
    }

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
        let (release, first) = hold(&writer).await;
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

    #[tokio::test]
    async fn a_job_that_panics_is_rolled_back_and_the_writer_goes_on() {
        let writer = Writer::start(Connection::open_in_memory().unwrap()).unwrap();
        writer
            .write(|conn| Ok(conn.execute_batch("CREATE TABLE t (x INTEGER)")?))
            .await
            .unwrap();
        let kept = writer.enqueue(|conn| Ok(conn.execute("INSERT INTO t VALUES (1)", [])?));
        let kept = kept.await.unwrap();
        let panicked = writer
            .enqueue(|conn| -> Result<(), StoreError> {
                conn.execute("INSERT INTO t VALUES (2)", [])?;
                panic!("a bug in a job");
            })
            .await
            .unwrap();
        let err = panicked.committed().await.unwrap_err();
        assert!(err.to_string().contains("a bug in a job"), "{err}");
        kept.committed().await.unwrap();
        assert_eq!(writer.panics(), 1);

        let rows: Vec<i64> = writer
            .write(|conn| {
                let mut stmt = conn.prepare("SELECT x FROM t ORDER BY x")?;
                let rows = stmt.query_map([], |row| row.get(0))?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
            .unwrap();
        assert_eq!(rows, [1], "the panicking job's insert was rolled back");
    }

    #[tokio::test]
    async fn live_jobs_go_ahead_of_queued_bulk_work() {
        let writer = Writer::start(Connection::open_in_memory().unwrap()).unwrap();
        let order: Arc<Mutex<Vec<String>>> = Arc::default();
        // Hold the writer so that everything below is waiting when it looks.
        let (release, first) = hold(&writer).await;
        let mut bulk = Vec::new();
        for n in 0..20 {
            let order = order.clone();
            bulk.push(
                writer
                    .enqueue_bulk(move |_| {
                        // Each slice of bulk work takes longer than a transaction's share.
                        std::thread::sleep(BULK_SLICE);
                        lock(&order).push(format!("bulk {n}"));
                        Ok(())
                    })
                    .await
                    .unwrap(),
            );
        }
        let live_order = order.clone();
        let live = writer
            .enqueue(move |_| {
                lock(&live_order).push("live".into());
                Ok(())
            })
            .await
            .unwrap();
        release.send(()).unwrap();
        first.committed().await.unwrap();
        live.committed().await.unwrap();
        for pending in bulk {
            pending.committed().await.unwrap();
        }
        let order = lock(&order).clone();
        let live_at = order.iter().position(|o| o == "live").unwrap();
        assert!(
            live_at <= 1,
            "the live job waited behind bulk work: {order:?}"
        );
        let bulk_order: Vec<_> = order.iter().filter(|o| *o != "live").cloned().collect();
        let expected: Vec<_> = (0..20).map(|n| format!("bulk {n}")).collect();
        assert_eq!(bulk_order, expected, "bulk jobs commit in order");
    }

    #[tokio::test]
    async fn a_live_job_that_comes_during_bulk_work_commits_before_the_next_slice() {
        let writer = Writer::start(Connection::open_in_memory().unwrap()).unwrap();
        let order: Arc<Mutex<Vec<String>>> = Arc::default();
        let (release, first) = hold(&writer).await;
        // The first slice says when it runs, then waits for the live job to be queued.
        let (running, is_running) = oneshot::channel();
        let (go, gone) = std::sync::mpsc::channel::<()>();
        let log = order.clone();
        let slice = writer
            .enqueue_bulk(move |_| {
                let _ = running.send(());
                let _ = gone.recv();
                // Past the transaction's share of bulk work, so the next slice is not taken too.
                std::thread::sleep(BULK_SLICE);
                lock(&log).push("bulk 0".to_owned());
                Ok(())
            })
            .await
            .unwrap();
        let log = order.clone();
        let next = writer
            .enqueue_bulk(move |_| {
                lock(&log).push("bulk 1".to_owned());
                Ok(())
            })
            .await
            .unwrap();
        release.send(()).unwrap();
        first.committed().await.unwrap();
        is_running.await.unwrap();
        let (ran, committed) = (order.clone(), order.clone());
        let (told, heard) = oneshot::channel();
        writer
            .enqueue_then(
                move |_| {
                    lock(&ran).push("live".to_owned());
                    Ok(())
                },
                move |result: Result<(), StoreError>| {
                    lock(&committed).push("live committed".to_owned());
                    let _ = told.send(result);
                },
            )
            .await
            .unwrap();
        go.send(()).unwrap();
        slice.committed().await.unwrap();
        next.committed().await.unwrap();
        heard.await.unwrap().unwrap();
        // Not in the next slice's transaction: committed before that slice ran.
        assert_eq!(
            *lock(&order),
            ["bulk 0", "live", "live committed", "bulk 1"],
            "the live job waited for more than the slice already running"
        );
    }

    /// Bulk jobs that are quick share a transaction (and its fsync); one that takes more than
    /// half of `BULK_SLICE` is never joined by another, so a live write waits for one slow
    /// slice at most.
    #[tokio::test]
    async fn quick_bulk_jobs_share_a_commit_and_slow_ones_do_not() {
        for (took, most, least) in [
            (Duration::ZERO, 2, 1),
            (BULK_SLICE / 2 + Duration::from_millis(1), 8, 8),
        ] {
            let writer = Writer::start(Connection::open_in_memory().unwrap()).unwrap();
            let batches = Arc::new(AtomicU64::new(0));
            let counted = batches.clone();
            writer.after_each_batch(move || {
                counted.fetch_add(1, Ordering::SeqCst);
                true
            });
            let (release, first) = hold(&writer).await;
            let mut bulk = Vec::new();
            for _ in 0..8 {
                bulk.push(
                    writer
                        .enqueue_bulk(move |_| {
                            std::thread::sleep(took);
                            Ok(())
                        })
                        .await
                        .unwrap(),
                );
            }
            release.send(()).unwrap();
            first.committed().await.unwrap();
            for pending in bulk {
                pending.committed().await.unwrap();
            }
            // Jobs hear of their commit before the batch's listeners run.
            writer.settled().await;
            // Less the batch that held the writer.
            let batches = batches.load(Ordering::SeqCst) - 1;
            assert!(
                (least..=most).contains(&batches),
                "8 bulk jobs of {took:?} each took {batches} transactions"
            );
        }
    }
}
