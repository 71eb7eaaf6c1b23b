//! Counting attempts per key, so that guessing and floods get nowhere, in bounded memory.
//!
//! A key names what is counted: a scope and a value, such as the failed sign-ins of one address,
//! or the answers one address sends to one form. Each key holds a level that every attempt raises
//! by one and that drains back to zero over the rule's window. Two rules read it:
//!
//! - `Rule::Limit` refuses an attempt once the level has reached the limit: at most `limit`
//!   attempts per window, then one more as each drains away.
//! - `Rule::Backoff` lets the first `free` attempts through, then makes each further one wait
//!   longer after the last (1 s, 2 s, 4 s … up to `cap`): guessing slows to a crawl while an
//!   attempt made after the wait is always let through, so nobody can be locked out by it.
//!
//! Checking and counting are one step under one lock (`attempt`), before any await in the
//! callers, so a burst of concurrent requests cannot all pass a check before any is counted; an
//! attempt that turns out not to count (a correct password) is given back with `refund` or
//! `forget`. Keys are kept as keyed 64-bit hashes, whatever the length of what they name, in two
//! generations of bounded size: when the current one fills up it becomes the old one and the old
//! one is dropped. A key in use moves back to the current generation, so only keys left alone for
//! a whole generation are forgotten.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::lock;

/// A level below this counts as nothing at all (drains and refunds leave rounding behind).
const CLEAN: f64 = 1e-6;
/// Keys kept per generation; at most twice this many are held (a few MiB).
const GENERATION: usize = 50_000;

/// How attempts against a key are judged.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Rule {
    /// At most `limit` attempts per `window`.
    Limit { limit: u32, window: Duration },
    /// `free` attempts per `window` at any pace, then waits that double from one second up to
    /// `cap` between attempts.
    Backoff {
        free: u32,
        window: Duration,
        cap: Duration,
    },
}

impl Rule {
    fn window(self) -> Duration {
        match self {
            Rule::Limit { window, .. } | Rule::Backoff { window, .. } => window,
        }
    }

    /// How many attempts per second drain away.
    fn drain(self) -> f64 {
        let per_window = match self {
            Rule::Limit { limit, .. } => limit,
            Rule::Backoff { free, .. } => free,
        };
        f64::from(per_window.max(1)) / self.window().as_secs_f64()
    }

    /// How long an attempt must wait, given the key's level now and its last attempt.
    fn wait(self, level: f64, last: Instant, now: Instant) -> Option<Duration> {
        match self {
            Rule::Limit { limit, .. } => {
                let over = level + 1.0 - f64::from(limit);
                (over > 0.0).then(|| Duration::from_secs_f64(over / self.drain()))
            }
            Rule::Backoff { free, cap, .. } => {
                // A partly drained attempt still counts: the count is the level rounded up.
                let beyond = level.ceil() - f64::from(free);
                if beyond < 0.0 {
                    return None;
                }
                // 1 s after the first attempt beyond the free ones, then 2 s, 4 s …
                let exponent = beyond.min(30.0) as i32;
                let delay = Duration::from_secs_f64(2f64.powi(exponent)).min(cap);
                let allowed = last + delay;
                (allowed > now).then(|| allowed - now)
            }
        }
    }
}

/// What is counted: a scope (`"login-address"`) and a value (the address).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key(u64);

/// An address as throttles count it: IPv4 whole, IPv6 by its /64 network, which is what one
/// household or server usually holds.
pub fn network(address: IpAddr) -> [u8; 16] {
    match address {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => {
            let mut octets = v6.octets();
            octets[8..].fill(0);
            octets
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    level: f64,
    at: Instant,
}

impl Entry {
    /// The level drained up to `now` at `rule`'s pace.
    fn level_at(&self, rule: Rule, now: Instant) -> f64 {
        let drained = now.saturating_duration_since(self.at).as_secs_f64() * rule.drain();
        (self.level - drained).max(0.0)
    }
}

#[derive(Default)]
struct Generations {
    current: HashMap<Key, Entry>,
    old: HashMap<Key, Entry>,
}

impl Generations {
    fn peek(&self, key: Key) -> Option<Entry> {
        self.current
            .get(&key)
            .or_else(|| self.old.get(&key))
            .copied()
    }

    fn put(&mut self, key: Key, entry: Entry) {
        self.old.remove(&key);
        if self.current.len() >= GENERATION && !self.current.contains_key(&key) {
            self.old = std::mem::take(&mut self.current);
        }
        self.current.insert(key, entry);
    }

    fn remove(&mut self, key: Key) {
        self.current.remove(&key);
        self.old.remove(&key);
    }
}

/// The longest wait any of `keys` asks for now, if any does.
fn longest_wait(generations: &Generations, keys: &[(Key, Rule)], now: Instant) -> Option<Duration> {
    keys.iter()
        .filter_map(|(key, rule)| {
            let entry = generations.peek(*key)?;
            rule.wait(entry.level_at(*rule, now), entry.at, now)
        })
        .max()
}

/// Raises `key`'s level by one attempt.
fn bump(generations: &mut Generations, key: Key, rule: Rule, now: Instant) {
    let level = generations
        .peek(key)
        .map_or(0.0, |entry| entry.level_at(rule, now));
    generations.put(
        key,
        Entry {
            level: level + 1.0,
            at: now,
        },
    );
}

/// Counts attempts per key. Cheap to clone; clones share their counts.
#[derive(Clone, Default)]
pub struct Throttle {
    keys: Arc<Mutex<Generations>>,
    hasher: RandomState,
}

/// Refused: try again after this long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wait(pub Duration);

impl Wait {
    /// Whole seconds to wait, at least one (for `Retry-After`).
    pub fn seconds(self) -> u64 {
        self.0.as_secs_f64().ceil().max(1.0) as u64
    }
}

impl Throttle {
    /// The key for `value` in `scope`.
    pub fn key(&self, scope: &str, value: impl Hash) -> Key {
        Key(self.hasher.hash_one((scope, value)))
    }

    /// Counts one attempt against every key, if each rule lets it through; otherwise counts
    /// nothing and says how long the most pressing rule wants waited.
    pub fn attempt(&self, keys: &[(Key, Rule)]) -> Result<(), Wait> {
        let now = Instant::now();
        let mut generations = lock(&self.keys);
        if let Some(wait) = longest_wait(&generations, keys, now) {
            return Err(Wait(wait));
        }
        for (key, rule) in keys {
            bump(&mut generations, *key, *rule, now);
        }
        Ok(())
    }

    /// Counts a guess from `address` at `target` (an account, a link), in one step: the
    /// address's rule always applies, the target's only when the address has failed lately,
    /// so that nobody can keep an owner out of their own account. Both count either way.
    /// Returns whether the address was clean.
    pub fn attempt_guess(
        &self,
        (address, address_rule): (Key, Rule),
        (target, target_rule): (Key, Rule),
    ) -> Result<bool, Wait> {
        let now = Instant::now();
        let mut generations = lock(&self.keys);
        // Clean: nothing of the address's counts is left (what it got right was given back).
        let clean = generations
            .peek(address)
            .is_none_or(|entry| entry.level_at(address_rule, now) < CLEAN);
        let mut gates = vec![(address, address_rule)];
        if !clean {
            gates.push((target, target_rule));
        }
        if let Some(wait) = longest_wait(&generations, &gates, now) {
            return Err(Wait(wait));
        }
        bump(&mut generations, address, address_rule, now);
        bump(&mut generations, target, target_rule, now);
        Ok(clean)
    }

    /// Counts one attempt against `key` whatever its rule says.
    pub fn count(&self, key: Key, rule: Rule) {
        bump(&mut lock(&self.keys), key, rule, Instant::now());
    }

    /// Gives back one attempt counted against `key` (it turned out not to count).
    pub fn refund(&self, key: Key, rule: Rule) {
        let now = Instant::now();
        let mut generations = lock(&self.keys);
        if let Some(entry) = generations.peek(key) {
            let level = (entry.level_at(rule, now) - 1.0).max(0.0);
            generations.put(
                key,
                Entry {
                    level,
                    at: entry.at,
                },
            );
        }
    }

    /// Forgets everything counted against `key` (a correct password ends a run of failures).
    pub fn forget(&self, key: Key) {
        lock(&self.keys).remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    /// How many attempts count against `key` now.
    fn level(throttle: &Throttle, key: Key, rule: Rule) -> f64 {
        let now = Instant::now();
        lock(&throttle.keys)
            .peek(key)
            .map_or(0.0, |entry| entry.level_at(rule, now))
    }

    #[test]
    fn a_limit_refuses_past_its_count_and_counts_nothing_refused() {
        let throttle = Throttle::default();
        let rule = Rule::Limit {
            limit: 3,
            window: MINUTE,
        };
        let key = throttle.key("test", "a");
        for _ in 0..3 {
            assert_eq!(throttle.attempt(&[(key, rule)]), Ok(()));
        }
        let wait = throttle.attempt(&[(key, rule)]).unwrap_err();
        // One attempt drains in a third of the window.
        assert!(
            wait.0 <= Duration::from_secs(20) && wait.seconds() >= 19,
            "{wait:?}"
        );
        assert!(level(&throttle, key, rule) <= 3.0);
        let other = throttle.key("test", "b");
        assert_eq!(throttle.attempt(&[(other, rule)]), Ok(()));
        throttle.refund(key, rule);
        assert_eq!(throttle.attempt(&[(key, rule)]), Ok(()));
    }

    #[test]
    fn keys_are_counted_together_or_not_at_all() {
        let throttle = Throttle::default();
        let tight = Rule::Limit {
            limit: 1,
            window: MINUTE,
        };
        let loose = Rule::Limit {
            limit: 10,
            window: MINUTE,
        };
        let (a, b) = (throttle.key("a", 1), throttle.key("b", 1));
        assert!(throttle.attempt(&[(a, tight), (b, loose)]).is_ok());
        assert!(throttle.attempt(&[(a, tight), (b, loose)]).is_err());
        // The refused attempt did not count against `b`.
        assert!((level(&throttle, b, loose) - 1.0).abs() < 0.01);
    }

    #[test]
    fn backoff_waits_longer_after_the_free_attempts_but_never_locks_out() {
        let throttle = Throttle::default();
        let rule = Rule::Backoff {
            free: 2,
            window: MINUTE,
            cap: Duration::from_secs(8),
        };
        let key = throttle.key("account", "ana@example.com");
        assert!(throttle.attempt(&[(key, rule)]).is_ok());
        assert!(throttle.attempt(&[(key, rule)]).is_ok());
        let first = throttle.attempt(&[(key, rule)]).unwrap_err();
        assert!(first.0 <= Duration::from_secs(1), "{first:?}");
        throttle.forget(key);
        assert!(throttle.attempt(&[(key, rule)]).is_ok());
        // Far beyond the free attempts, the wait stops at the cap.
        let start = Instant::now();
        let mut generations = lock(&throttle.keys);
        generations.put(
            key,
            Entry {
                level: 40.0,
                at: start,
            },
        );
        drop(generations);
        let capped = throttle.attempt(&[(key, rule)]).unwrap_err();
        assert!(capped.0 <= Duration::from_secs(8) && capped.0 > Duration::from_secs(7));
    }

    #[test]
    fn a_clean_address_is_never_held_up_by_its_targets_backoff() {
        let throttle = Throttle::default();
        let limit = Rule::Limit {
            limit: 20,
            window: MINUTE,
        };
        let backoff = Rule::Backoff {
            free: 2,
            window: MINUTE,
            cap: Duration::from_secs(60),
        };
        let account = throttle.key("account", "admin@example.com");
        let attacker = throttle.key("address", 1);
        assert_eq!(
            throttle.attempt_guess((attacker, limit), (account, backoff)),
            Ok(true)
        );
        assert_eq!(
            throttle.attempt_guess((attacker, limit), (account, backoff)),
            Ok(false)
        );
        // The attacker, having failed, now waits for the account's backoff…
        assert!(throttle
            .attempt_guess((attacker, limit), (account, backoff))
            .is_err());
        // …while the owner, from an address that has not failed, goes through.
        let owner = throttle.key("address", 2);
        assert_eq!(
            throttle.attempt_guess((owner, limit), (account, backoff)),
            Ok(true)
        );
    }

    #[test]
    fn memory_is_bounded_and_keys_in_use_survive() {
        let throttle = Throttle::default();
        let rule = Rule::Limit {
            limit: 1,
            window: MINUTE,
        };
        let kept = throttle.key("kept", 0);
        assert!(throttle.attempt(&[(kept, rule)]).is_ok());
        for i in 0..(3 * GENERATION) {
            let _ = throttle.attempt(&[(throttle.key("flood", i), rule)]);
            if i % 1000 == 0 {
                // Still refused: touching it keeps it current.
                assert!(throttle.attempt(&[(kept, rule)]).is_err());
                throttle.refund(kept, rule);
                assert!(throttle.attempt(&[(kept, rule)]).is_ok());
            }
        }
        let generations = lock(&throttle.keys);
        assert!(generations.current.len() + generations.old.len() <= 2 * GENERATION);
    }

    #[test]
    fn ipv6_addresses_count_by_network() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(network(a), network(b));
        assert_ne!(network(a), network(c));
        let v4: IpAddr = "192.0.2.1".parse().unwrap();
        assert_ne!(network(v4), network("192.0.2.2".parse().unwrap()));
    }
}
