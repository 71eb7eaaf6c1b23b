//! Keeping copies of one map in step: the server's `Authority` and each browser's `Replica`.
//!
//! The server is the authority: it applies operations in the order they arrive and numbers them
//! with revisions. A browser applies its own operations at once (optimistically), keeps them as
//! pending until the server's log confirms them, and re-applies the pending ones on top of every
//! operation it learns from the server, so it always shows "server state + my unsent edits" and
//! ends in the server's state once everything is acknowledged.

use std::collections::{HashMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::domain::edit::{apply, EditError, Op};
use crate::domain::ids::{OpId, Rev};
use crate::domain::map::JourneyMap;

/// An operation as the server applied it: its place in the map's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Logged {
    pub rev: Rev,
    pub op: Op,
}

/// What the server made of a submitted operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Applied now, as revision `Rev`.
    Applied(Rev),
    /// Applied earlier, as revision `Rev`; this copy was a resend and changed nothing.
    Duplicate(Rev),
}

/// The server's copy of a map: its state, its revision and every operation id applied to it.
#[derive(Clone, Debug)]
pub struct Authority {
    map: JourneyMap,
    rev: Rev,
    seen: HashMap<OpId, Rev>,
}

impl Authority {
    /// `seen` lists the ids of the operations already in the map's log.
    pub fn new(map: JourneyMap, rev: Rev, seen: impl IntoIterator<Item = (OpId, Rev)>) -> Self {
        Authority {
            map,
            rev,
            seen: seen.into_iter().collect(),
        }
    }

    pub fn map(&self) -> &JourneyMap {
        &self.map
    }

    pub fn rev(&self) -> Rev {
        self.rev
    }

    /// Applies `op` once: a resent operation is recognised by its id and changes nothing.
    pub fn submit(&mut self, op: &Op) -> Result<Outcome, EditError> {
        if let Some(rev) = self.seen.get(&op.id) {
            return Ok(Outcome::Duplicate(*rev));
        }
        apply(&mut self.map, &op.edit)?;
        self.rev = self.rev.next();
        self.seen.insert(op.id, self.rev);
        Ok(Outcome::Applied(self.rev))
    }

    /// Sets the map's last-edited time; the server's clock is the one that counts.
    pub fn touch(&mut self, now: i64) {
        self.map.updated_at = now;
    }
}

/// The server's log and a browser's copy no longer fit together; the browser must reload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    #[error("missed revisions before {0}")]
    Gap(Rev),
    #[error("the server's revision {0} does not apply to this copy")]
    Diverged(Rev),
}

/// A browser's copy of a map: the state the server confirmed plus the local edits in flight.
#[derive(Clone, Debug)]
pub struct Replica {
    confirmed: JourneyMap,
    rev: Rev,
    pending: VecDeque<Op>,
    view: JourneyMap,
}

impl Replica {
    pub fn new(map: JourneyMap, rev: Rev) -> Replica {
        Replica {
            view: map.clone(),
            confirmed: map,
            rev,
            pending: VecDeque::new(),
        }
    }

    /// What the user sees: the confirmed map with the pending edits applied.
    pub fn view(&self) -> &JourneyMap {
        &self.view
    }

    /// The last revision of the server's log this copy has applied.
    pub fn rev(&self) -> Rev {
        self.rev
    }

    /// Local operations not yet confirmed by the server, oldest first.
    pub fn pending(&self) -> impl ExactSizeIterator<Item = &Op> {
        self.pending.iter()
    }

    /// Applies a local operation at once and keeps it until the server confirms it.
    pub fn local(&mut self, op: Op) -> Result<(), EditError> {
        apply(&mut self.view, &op.edit)?;
        self.pending.push_back(op);
        Ok(())
    }

    /// Applies the next operation of the server's log (someone else's, or one of ours).
    /// Operations this copy already has are ignored, so a log may be replayed.
    pub fn confirm(&mut self, logged: &Logged) -> Result<(), SyncError> {
        if logged.rev <= self.rev {
            return Ok(());
        }
        if logged.rev != self.rev.next() {
            return Err(SyncError::Gap(logged.rev));
        }
        apply(&mut self.confirmed, &logged.op.edit).map_err(|_| SyncError::Diverged(logged.rev))?;
        self.rev = logged.rev;
        if self.pending.front().map(|op| op.id) == Some(logged.op.id) {
            // Our oldest edit, applied by the server with nothing in between: the view already
            // shows exactly confirmed + the remaining pending edits.
            self.pending.pop_front();
        } else if self.pending.is_empty() {
            // Nothing of ours to keep on top: apply to the view directly instead of copying.
            if apply(&mut self.view, &logged.op.edit).is_err() {
                self.view = self.confirmed.clone();
            }
        } else {
            self.pending.retain(|op| op.id != logged.op.id);
            self.rebuild();
        }
        Ok(())
    }

    /// The server refused one of our operations: forget it and show the map without it.
    pub fn reject(&mut self, id: OpId) {
        let before = self.pending.len();
        self.pending.retain(|op| op.id != id);
        if self.pending.len() != before {
            self.rebuild();
        }
    }

    /// Starts again from a fresh copy of the server's map, keeping the edits still in flight.
    pub fn reset(&mut self, map: JourneyMap, rev: Rev) {
        self.confirmed = map;
        self.rev = rev;
        self.rebuild();
    }

    /// Recomputes the view as confirmed + pending. A pending edit that no longer applies (its
    /// card was deleted meanwhile, say) is skipped here; the server will refuse it too.
    fn rebuild(&mut self) {
        let mut view = self.confirmed.clone();
        for op in &self.pending {
            let _skipped_if_stale = apply(&mut view, &op.edit);
        }
        self.view = view;
    }
}
