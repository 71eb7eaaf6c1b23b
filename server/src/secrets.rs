//! Secrets: random tokens, stored only as hashes, and passwords, stored as argon2id hashes.
//!
//! Password work is bounded. Each argon2 run takes 19 MiB and tens of milliseconds of a core,
//! so at most one runs per core (on the blocking pool), and callers queue for a turn in two
//! classes: callers with a clean record (no recent failures from their address) go first, the
//! rest after them. Both queues are short, and a caller who finds theirs full is told the server
//! is busy (429) at once rather than holding memory while it waits. So a flood of guesses costs
//! the server a fixed amount of memory and, once its senders have failed, cannot delay the sign-in
//! of someone who has not.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
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

/// Callers that may wait per class, per core.
const CLEAN_WAITING_PER_SLOT: usize = 32;
const SUSPECT_WAITING_PER_SLOT: usize = 2;

#[derive(Default)]
struct Queue {
    free: usize,
    clean: VecDeque<oneshot::Sender<()>>,
    suspect: VecDeque<oneshot::Sender<()>>,
}

impl Queue {
    /// Hands a finished turn to the next caller still waiting, or frees it.
    fn pass_on(&mut self) {
        while let Some(next) = self.clean.pop_front().or_else(|| self.suspect.pop_front()) {
            if next.send(()).is_ok() {
                return;
            }
        }
        self.free += 1;
    }
}

/// Hashes and checks passwords, a bounded number at a time. Cheap to clone.
#[derive(Clone)]
pub struct Passwords {
    slots: usize,
    queue: Arc<Mutex<Queue>>,
    /// Argon2 runs so far.
    runs: Arc<AtomicU64>,
}

/// A turn at the password work; the next caller's when dropped.
struct Turn(Arc<Mutex<Queue>>);

impl Drop for Turn {
    fn drop(&mut self) {
        lock(&self.0).pass_on();
    }
}

/// A place in the queue. Dropped before its turn came (the request went away), it leaves the
/// queue; dropped with a turn granted but not taken, it passes the turn on.
struct Waiting {
    granted: oneshot::Receiver<()>,
    queue: Arc<Mutex<Queue>>,
    taken: bool,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if self.taken {
            return;
        }
        self.granted.close();
        if self.granted.try_recv().is_ok() {
            lock(&self.queue).pass_on();
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
                ..Queue::default()
            })),
            runs: Arc::default(),
        }
    }

    /// How many hashes and checks have run.
    pub fn runs(&self) -> u64 {
        self.runs.load(Ordering::Relaxed)
    }

    /// One hash at a time per core of this machine.
    pub fn for_this_machine() -> Passwords {
        Passwords::new(std::thread::available_parallelism().map_or(2, usize::from))
    }

    async fn turn(&self, priority: Priority) -> Result<Turn, PasswordError> {
        let granted = {
            let mut queue = lock(&self.queue);
            if queue.free > 0 {
                queue.free -= 1;
                return Ok(Turn(self.queue.clone()));
            }
            let (send, granted) = oneshot::channel();
            let (waiting, room) = match priority {
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
            taken: false,
        };
        let outcome = (&mut waiting.granted).await;
        waiting.taken = true;
        match outcome {
            Ok(()) => Ok(Turn(self.queue.clone())),
            // The queue went away: nothing will ever be granted.
            Err(_) => Err(PasswordError::Busy),
        }
    }

    /// An argon2id hash of `password`.
    pub async fn hash(&self, password: &str, priority: Priority) -> Result<String, PasswordError> {
        let turn = self.turn(priority).await?;
        self.runs.fetch_add(1, Ordering::Relaxed);
        let password = password.to_owned();
        let hashed = tokio::task::spawn_blocking(move || {
            let _turn = turn;
            let mut random = [0u8; 16];
            getrandom::fill(&mut random)
                .map_err(|e| StoreError::internal(format!("no randomness: {e}")))?;
            let salt = SaltString::encode_b64(&random).map_err(StoreError::internal)?;
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(StoreError::internal)
        })
        .await
        .map_err(StoreError::internal)??;
        Ok(hashed)
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
        self.runs.fetch_add(1, Ordering::Relaxed);
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            let decoy = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$ZqQFyf3/V9Q5oTk5mSKVvVsZ9uX6b7y2X4Rz3ROh9RU";
            let stored = hash.as_deref().unwrap_or(decoy);
            let matches = PasswordHash::new(stored).is_ok_and(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            });
            matches && hash.is_some()
        })
        .await
        .map_err(|e| PasswordError::Store(StoreError::internal(e)))
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
