//! Sign-ins under way: what `/auth/oidc/start` must remember until the provider sends the
//! browser back (the PKCE verifier, the nonce, where to go next), kept in bounded memory.
//!
//! Each entry is found by its `state` and taken out the first time it is presented, so a
//! state works once: a replayed callback finds nothing. It is also bound to the browser that
//! started it (the hash of a random cookie only that browser holds), so a callback sent through
//! someone else's browser (login CSRF) finds nothing either, and entries expire after
//! `LIFETIME`. At `CAPACITY`, new sign-ins are refused rather than older ones dropped: dropping
//! would let a flood of starts cancel the sign-ins of people in the middle of one. The start
//! route also limits how many sign-ins one address may begin.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use openidconnect::{Nonce, PkceCodeVerifier};

use crate::lock;
use crate::throttle::Key;

/// How long someone has at the provider to sign in.
pub const LIFETIME: Duration = Duration::from_secs(10 * 60);
/// Most sign-ins under way at once (each a few hundred bytes).
pub const CAPACITY: usize = 10_000;

/// What a start remembers for its callback.
pub struct Entry {
    /// SHA-256 of the browser's binding cookie.
    pub binding: String,
    pub verifier: PkceCodeVerifier,
    pub nonce: Nonce,
    /// Where to go once signed in (already checked to be a path of this site).
    pub next: String,
    /// The start counted against its address, refunded once the sign-in succeeds.
    pub counted: Key,
    pub born: Instant,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("too many sign-ins are under way")]
pub struct Full;

#[derive(Default)]
pub struct Pending {
    entries: Mutex<HashMap<String, Entry>>,
}

impl Pending {
    /// Remembers `entry` under `state`; at capacity, forgets expired entries first, and refuses
    /// if none had.
    pub fn insert(&self, state: String, entry: Entry) -> Result<(), Full> {
        let mut entries = lock(&self.entries);
        if entries.len() >= CAPACITY {
            let now = entry.born;
            entries.retain(|_, e| now.saturating_duration_since(e.born) < LIFETIME);
            if entries.len() >= CAPACITY {
                return Err(Full);
            }
        }
        entries.insert(state, entry);
        Ok(())
    }

    /// The entry under `state`, taken out, if `binding` is its browser's and it has not expired
    /// by `now`. Presented from another browser, it stays for its own.
    pub fn take(&self, state: &str, binding: &str, now: Instant) -> Option<Entry> {
        let mut entries = lock(&self.entries);
        if entries.get(state)?.binding != binding {
            return None;
        }
        let entry = entries.remove(state)?;
        (now.saturating_duration_since(entry.born) < LIFETIME).then_some(entry)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        lock(&self.entries).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(binding: &str, born: Instant) -> Entry {
        Entry {
            binding: binding.into(),
            verifier: PkceCodeVerifier::new("v".repeat(43)),
            nonce: Nonce::new("n".into()),
            next: "/".into(),
            counted: crate::throttle::Throttle::default().key("test", 0),
            born,
        }
    }

    #[test]
    fn a_state_works_once_and_only_for_its_browser() {
        let pending = Pending::default();
        let now = Instant::now();
        pending.insert("s".into(), entry("mine", now)).unwrap();
        assert!(pending.take("s", "theirs", now).is_none());
        assert!(pending.take("s", "mine", now).is_some());
        assert!(pending.take("s", "mine", now).is_none());
        assert!(pending.take("unknown", "mine", now).is_none());
    }

    #[test]
    fn an_old_state_is_refused() {
        let pending = Pending::default();
        let now = Instant::now();
        pending.insert("s".into(), entry("b", now)).unwrap();
        assert!(pending.take("s", "b", now + LIFETIME).is_none());
        assert_eq!(pending.len(), 0);
    }

    #[test]
    fn when_full_new_starts_are_refused_until_old_ones_expire() {
        let pending = Pending::default();
        let now = Instant::now();
        for i in 0..CAPACITY {
            pending.insert(i.to_string(), entry("b", now)).unwrap();
        }
        assert_eq!(pending.insert("late".into(), entry("b", now)), Err(Full));
        // Nobody under way lost their sign-in to the flood.
        assert!(pending.take("0", "b", now).is_some());
        assert!(pending.insert("late".into(), entry("b", now)).is_ok());
        let later = now + LIFETIME;
        assert!(pending.insert("later".into(), entry("b", later)).is_ok());
        assert_eq!(pending.len(), 1);
    }
}
