//! Secrets: random tokens, stored only as hashes, and passwords, stored as argon2id hashes.
//!
//! Password work is bounded. Each argon2 run takes 19 MiB and tens of milliseconds of a core,
//! so they run on a few threads of their own (one for every two cores), each allocating that
//! memory once and reusing it: allocating it afresh on the blocking pool's ever-changing threads
//! left hundreds of megabytes behind in the allocator. Callers queue for a turn in three
//! classes: those whose browser signed in to the account before go first, then those with a
//! clean record (no recent failures from their address), then the rest, who never hold every
//! turn. The queues are short, and a caller who finds theirs full is told the server is busy
//! (429) at once rather than holding memory while it waits. So a flood of guesses costs the
//! server a fixed amount of memory and CPU, and cannot keep a returning owner out.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

use crate::db::StoreError;
use crate::lock;

/// A fresh secret: 32 random bytes as hex. Goes to the browser; only its hash is stored.
pub fn new_token() -> Result<String, StoreError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::internal(format!("no randomness: {e}")))?;
    Ok(hex(&bytes))
}

/// What is stored for a secret token. Tokens are long and random, so a plain SHA-256 suffices.
pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Who is asking for password work, which decides their place in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Priority {
    /// Their browser signed in to this account before (it holds the account's device cookie).
    Trusted,
    /// Nothing has failed from their address recently.
    Clean,
    /// Their address has failed recently: served after every clean caller.
    Suspect,
}

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// Every turn is taken and the queue is full; try again in a moment.
    #[error("the server is busy; try again in a moment")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Callers that may wait per class, per core. A clean caller waits for at most this many
/// others: a few hashes' time.
const TRUSTED_WAITING_PER_SLOT: usize = 8;
const CLEAN_WAITING_PER_SLOT: usize = 8;
const SUSPECT_WAITING_PER_SLOT: usize = 2;
/// Password work suspects may have per second, in all, and how much of it at once: enough for
/// people who mistyped, too little for a flood to take a whole core.
const SUSPECT_RUNS_PER_SECOND: f64 = 4.0;
const SUSPECT_BURST: f64 = 8.0;

#[derive(Default)]
struct Queue {
    free: usize,
    /// Turns suspects hold now; they never hold all of them (see `suspect_turns`).
    suspects_running: usize,
    suspect_turns: usize,
    trusted: VecDeque<oneshot::Sender<()>>,
    clean: VecDeque<oneshot::Sender<()>>,
    suspect: VecDeque<oneshot::Sender<()>>,
    /// Suspects' allowance of runs (a token bucket), and when it was last topped up.
    suspect_allowance: f64,
    topped_up: Option<std::time::Instant>,
}

impl Queue {
    /// Takes one run of the suspects' allowance, if there is one left.
    fn suspect_allowed(&mut self) -> bool {
        let now = std::time::Instant::now();
        let since = self.topped_up.map_or(SUSPECT_BURST, |at| {
            now.duration_since(at).as_secs_f64() * SUSPECT_RUNS_PER_SECOND
        });
        self.suspect_allowance = (self.suspect_allowance + since).min(SUSPECT_BURST);
        self.topped_up = Some(now);
        if self.suspect_allowance < 1.0 {
            return false;
        }
        self.suspect_allowance -= 1.0;
        true
    }

    fn suspect_may_run(&self) -> bool {
        self.suspects_running < self.suspect_turns
    }

    /// Gives a turn to `class` if one is free.
    fn take_free(&mut self, class: Priority) -> bool {
        let allowed = class != Priority::Suspect || self.suspect_may_run();
        if self.free == 0 || !allowed {
            return false;
        }
        self.free -= 1;
        if class == Priority::Suspect {
            self.suspects_running += 1;
        }
        true
    }

    /// Hands a turn that `class` finished to the next caller still waiting (trusted ones first,
    /// then clean ones, then suspects while they hold fewer than their share), or frees it.
    fn pass_on(&mut self, class: Priority) {
        if class == Priority::Suspect {
            self.suspects_running -= 1;
        }
        while let Some(next) = self.trusted.pop_front().or_else(|| self.clean.pop_front()) {
            if next.send(()).is_ok() {
                return;
            }
        }
        while self.suspect_may_run() {
            let Some(next) = self.suspect.pop_front() else {
                break;
            };
            if next.send(()).is_ok() {
                self.suspects_running += 1;
                return;
            }
        }
        self.free += 1;
    }
}

/// Work for an argon2 thread, given that thread's memory.
type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// Hashes and checks passwords, a bounded number at a time. Cheap to clone.
#[derive(Clone)]
pub struct Passwords {
    slots: usize,
    queue: Arc<Mutex<Queue>>,
    /// Argon2 runs so far.
    runs: Arc<AtomicU64>,
    /// The argon2 threads take their jobs from here; they end when the last clone is dropped.
    jobs: mpsc::Sender<Job>,
}

/// Starts `slots` argon2 threads.
fn workers(slots: usize) -> mpsc::Sender<Job> {
    let (jobs, inbox) = mpsc::channel::<Job>();
    let inbox = Arc::new(Mutex::new(inbox));
    for n in 0..slots {
        let inbox = inbox.clone();
        let started = std::thread::Builder::new()
            .name(format!("argon2-{n}"))
            .spawn(move || {
                let mut memory = Vec::new();
                loop {
                    let job = lock(&inbox).recv();
                    match job {
                        Ok(job) => job(&mut memory),
                        Err(_) => return,
                    }
                }
            });
        if let Err(err) = started {
            // Fewer threads only means fewer hashes at once; the turns still bound the work.
            tracing::error!(%err, "cannot start an argon2 thread");
        }
    }
    jobs
}

/// The `m_cost` blocks of memory argon2 needs for `params`, reusing `memory`.
fn blocks<'m>(memory: &'m mut Vec<Block>, params: &Params) -> &'m mut [Block] {
    let needed = params.block_count();
    if memory.len() != needed {
        *memory = vec![Block::default(); needed];
    }
    memory
}

fn hash_with(password: &[u8], memory: &mut Vec<Block>) -> Result<String, StoreError> {
    let mut random = [0u8; 16];
    getrandom::fill(&mut random)
        .map_err(|e| StoreError::internal(format!("no randomness: {e}")))?;
    let salt = SaltString::encode_b64(&random).map_err(StoreError::internal)?;
    let params = Params::default();
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let output = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
        argon2
            .hash_password_into_with_memory(password, &random, out, blocks(memory, &params))
            .map_err(|_| argon2::password_hash::Error::Crypto)
    })
    .map_err(StoreError::internal)?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(StoreError::internal)?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(hash.to_string())
}

/// Whether `password` gives `stored` (a PHC string); false for anything malformed.
fn verify_with(password: &[u8], stored: &str, memory: &mut Vec<Block>) -> bool {
    let mut check = || -> Option<bool> {
        let parsed = PasswordHash::new(stored).ok()?;
        let params = Params::try_from(&parsed).ok()?;
        let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
        let version = match parsed.version {
            Some(v) => Version::try_from(v).ok()?,
            None => Version::default(),
        };
        let expected = parsed.hash?;
        let mut salt = [0u8; 64];
        let salt = parsed.salt?.decode_b64(&mut salt).ok()?;
        let argon2 = Argon2::new(algorithm, version, params.clone());
        let output = Output::init_with(expected.len(), |out| {
            argon2
                .hash_password_into_with_memory(password, salt, out, blocks(memory, &params))
                .map_err(|_| argon2::password_hash::Error::Crypto)
        })
        .ok()?;
        // `Output`'s equality takes the same time whatever the bytes.
        Some(output == expected)
    };
    check().unwrap_or(false)
}

/// A turn at the password work; the next caller's when dropped.
struct Turn(Arc<Mutex<Queue>>, Priority);

impl Drop for Turn {
    fn drop(&mut self) {
        lock(&self.0).pass_on(self.1);
    }
}

/// A place in the queue. Dropped before its turn came (the request went away), it leaves the
/// queue; dropped with a turn granted but not taken, it passes the turn on.
struct Waiting {
    granted: oneshot::Receiver<()>,
    queue: Arc<Mutex<Queue>>,
    class: Priority,
    taken: bool,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if self.taken {
            return;
        }
        self.granted.close();
        if self.granted.try_recv().is_ok() {
            lock(&self.queue).pass_on(self.class);
        }
    }
}

impl Passwords {
    /// Room for `slots` hashes at once.
    pub fn new(slots: usize) -> Passwords {
        let slots = slots.max(1);
        Passwords {
            slots,
            queue: Arc::new(Mutex::new(Queue {
                free: slots,
                // One turn is always left to clean callers, unless there is only one.
                suspect_turns: (slots - 1).max(1),
                ..Queue::default()
            })),
            runs: Arc::default(),
            jobs: workers(slots),
        }
    }

    /// Runs `work` on an argon2 thread, holding `turn` until it is done.
    async fn run<T: Send + 'static>(
        &self,
        turn: Turn,
        work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, PasswordError> {
        self.runs.fetch_add(1, Ordering::Relaxed);
        let (send, result) = oneshot::channel();
        let job: Job = Box::new(move |memory| {
            let _turn = turn;
            let _gone = send.send(work(memory));
        });
        self.jobs
            .send(job)
            .map_err(|_| StoreError::internal("the argon2 threads have stopped"))?;
        result
            .await
            .map_err(|_| PasswordError::Store(StoreError::internal("an argon2 thread failed")))
    }

    /// How many hashes and checks have run.
    pub fn runs(&self) -> u64 {
        self.runs.load(Ordering::Relaxed)
    }

    /// One hash at a time for every two cores of this machine (at least one): half the machine
    /// is always left for everything else, however many guesses arrive.
    pub fn for_this_machine() -> Passwords {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Passwords::new(cores.div_ceil(2))
    }

    async fn turn(&self, priority: Priority) -> Result<Turn, PasswordError> {
        let granted = {
            let mut queue = lock(&self.queue);
            if priority == Priority::Suspect && !queue.suspect_allowed() {
                return Err(PasswordError::Busy);
            }
            if queue.take_free(priority) {
                return Ok(Turn(self.queue.clone(), priority));
            }
            let (send, granted) = oneshot::channel();
            let (waiting, room) = match priority {
                Priority::Trusted => (&mut queue.trusted, TRUSTED_WAITING_PER_SLOT * self.slots),
                Priority::Clean => (&mut queue.clean, CLEAN_WAITING_PER_SLOT * self.slots),
                Priority::Suspect => (&mut queue.suspect, SUSPECT_WAITING_PER_SLOT * self.slots),
            };
            // Senders whose requests went away still hold places; drop them first.
            waiting.retain(|s| !s.is_closed());
            if waiting.len() >= room {
                return Err(PasswordError::Busy);
            }
            waiting.push_back(send);
            granted
        };
        let mut waiting = Waiting {
            granted,
            queue: self.queue.clone(),
            class: priority,
            taken: false,
        };
        let outcome = (&mut waiting.granted).await;
        waiting.taken = true;
        match outcome {
            Ok(()) => Ok(Turn(self.queue.clone(), priority)),
            // The queue went away: nothing will ever be granted.
            Err(_) => Err(PasswordError::Busy),
        }
    }

    /// An argon2id hash of `password`.
    pub async fn hash(&self, password: &str, priority: Priority) -> Result<String, PasswordError> {
        let turn = self.turn(priority).await?;
        let password = password.to_owned();
        Ok(self
            .run(turn, move |memory| hash_with(password.as_bytes(), memory))
            .await??)
    }

    /// Whether `password` matches `hash`. With no hash (an unknown account) it does the same
    /// work against a decoy, so response times do not reveal which emails have accounts.
    pub async fn verify(
        &self,
        password: &str,
        hash: Option<String>,
        priority: Priority,
    ) -> Result<bool, PasswordError> {
        let turn = self.turn(priority).await?;
        let password = password.to_owned();
        self.run(turn, move |memory| {
            let decoy = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$ZqQFyf3/V9Q5oTk5mSKVvVsZ9uX6b7y2X4Rz3ROh9RU";
            let matches = verify_with(password.as_bytes(), hash.as_deref().unwrap_or(decoy), memory);
            matches && hash.is_some()
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_ne!(hash_token(&a), a);
    }

    #[tokio::test]
    async fn passwords_verify_only_against_their_hash() {
        let passwords = Passwords::new(2);
        let hash = passwords
            .hash("correct horse battery", Priority::Clean)
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$"));
        let check = |password: &'static str, hash: Option<String>| {
            let passwords = passwords.clone();
            async move {
                passwords
                    .verify(password, hash, Priority::Clean)
                    .await
                    .unwrap()
            }
        };
        assert!(check("correct horse battery", Some(hash.clone())).await);
        assert!(!check("wrong horse battery", Some(hash)).await);
        assert!(!check("anything", None).await);
    }

    #[tokio::test]
    async fn clean_callers_go_first_and_full_queues_say_busy() {
        let passwords = Passwords::new(1);
        let (order_send, mut order) = tokio::sync::mpsc::unbounded_channel();
        // Hold the only turn, as a hash in progress would.
        let held = passwords.turn(Priority::Clean).await.unwrap();
        let mut suspects = Vec::new();
        for _ in 0..SUSPECT_WAITING_PER_SLOT {
            let passwords = passwords.clone();
            let order_send = order_send.clone();
            suspects.push(tokio::spawn(async move {
                let turn = passwords.turn(Priority::Suspect).await;
                order_send.send("suspect").unwrap();
                turn.map(|_turn| ())
            }));
        }
        tokio::task::yield_now().await;
        while lock(&passwords.queue).suspect.len() < SUSPECT_WAITING_PER_SLOT {
            tokio::task::yield_now().await;
        }
        assert!(matches!(
            passwords.turn(Priority::Suspect).await,
            Err(PasswordError::Busy)
        ));
        // A clean caller queues behind nobody but the turn in progress.
        let clean = {
            let passwords = passwords.clone();
            let order_send = order_send.clone();
            tokio::spawn(async move {
                let _turn = passwords.turn(Priority::Clean).await.unwrap();
                order_send.send("clean").unwrap();
            })
        };
        while lock(&passwords.queue).clean.is_empty() {
            tokio::task::yield_now().await;
        }
        drop(held);
        clean.await.unwrap();
        for suspect in suspects {
            suspect.await.unwrap().unwrap();
        }
        assert_eq!(order.recv().await, Some("clean"));
        assert_eq!(order.recv().await, Some("suspect"));
        assert_eq!(lock(&passwords.queue).free, 1);
    }

    #[tokio::test]
    async fn hashes_made_the_usual_way_still_verify() {
        use argon2::password_hash::PasswordHasher;
        let salt = SaltString::encode_b64(b"sixteen byte sal").unwrap();
        let stored = Argon2::default()
            .hash_password(b"an older password", &salt)
            .unwrap()
            .to_string();
        let passwords = Passwords::new(1);
        let check = |password: &'static str| {
            passwords.verify(password, Some(stored.clone()), Priority::Clean)
        };
        assert!(check("an older password").await.unwrap());
        assert!(!check("another password").await.unwrap());
        assert!(!passwords
            .verify("x", Some("not a hash".into()), Priority::Clean)
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn suspects_never_hold_every_turn() {
        let passwords = Passwords::new(2);
        let first = passwords.turn(Priority::Suspect).await.unwrap();
        // The second turn is free, but kept for clean callers.
        let second = {
            let passwords = passwords.clone();
            tokio::spawn(async move { passwords.turn(Priority::Suspect).await.map(|_| ()) })
        };
        while lock(&passwords.queue).suspect.is_empty() {
            tokio::task::yield_now().await;
        }
        assert_eq!(lock(&passwords.queue).free, 1);
        let clean = passwords.turn(Priority::Clean).await.unwrap();
        drop(first);
        second.await.unwrap().unwrap();
        drop(clean);
        let queue = lock(&passwords.queue);
        assert_eq!((queue.free, queue.suspects_running), (2, 0));
    }

    #[tokio::test]
    async fn a_caller_that_goes_away_gives_up_its_place() {
        let passwords = Passwords::new(1);
        let held = passwords.turn(Priority::Clean).await.unwrap();
        let waiter = {
            let passwords = passwords.clone();
            tokio::spawn(async move { passwords.turn(Priority::Clean).await.map(|_| ()) })
        };
        while lock(&passwords.queue).clean.is_empty() {
            tokio::task::yield_now().await;
        }
        waiter.abort();
        let _ = waiter.await;
        drop(held);
        // The turn was not lost to the caller that left.
        assert_eq!(lock(&passwords.queue).free, 1);
        assert!(passwords.turn(Priority::Suspect).await.is_ok());
    }
}
