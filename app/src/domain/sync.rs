//! Keeping copies of one map in step: the server's `Authority` and each browser's `Replica`.
//!
//! The server is the authority: it applies operations in the order they arrive and numbers them
//! with revisions. A browser applies its own operations at once (optimistically), keeps them as
//! pending until the server's log confirms them, and re-applies the pending ones on top of every
//! operation it learns from the server, so it always shows "server state + my unsent edits" and
//! ends in the server's state once everything is acknowledged.

use std::collections::{HashMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::domain::edit::{apply, Edit, EditError, Op};
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
        if op.edit == Edit::Withheld {
            return Err(EditError::ServerOnly);
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
        if self.pending.front() == Some(&logged.op) {
            // Our oldest edit, applied by the server as sent with nothing in between: the view
            // already shows exactly confirmed + the remaining pending edits.
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

    /// The server says our operation `id` was applied earlier, as revision `rev` (we resent it
    /// after losing the acknowledgement). Once this copy has that revision, the operation is
    /// part of the confirmed state and stops being pending.
    pub fn known(&mut self, id: OpId, rev: Rev) {
        if rev <= self.rev {
            self.reject(id);
        }
    }

    /// The server refused one of our operations: forget it and show the map without it.
    pub fn reject(&mut self, id: OpId) {
        let before = self.pending.len();
        self.pending.retain(|op| op.id != id);
        if self.pending.len() != before {
            self.rebuild();
        }
    }

    /// Gives up every edit in flight (they can no longer be saved); returns how many there were.
    pub fn abandon(&mut self) -> usize {
        let abandoned = self.pending.len();
        if abandoned > 0 {
            self.pending.clear();
            self.rebuild();
        }
        abandoned
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

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use proptest::prelude::*;
    use uuid::Uuid;

    use super::*;
    use crate::domain::edit::Op;
    use crate::domain::fixture::{choice, sample_map, Choice};

    /// What the server sends one client.
    #[derive(Clone, Debug)]
    enum Down {
        Applied(Logged),
        Rejected(OpId),
        Known(OpId, Rev),
        /// A fresh copy, as `Welcome` carries one for a client too far behind.
        Reset(JourneyMap, Rev),
    }

    struct Client {
        replica: Replica,
        connected: bool,
        /// Sent by the client, not yet received by the server.
        up: VecDeque<Op>,
        /// Sent by the server, not yet received by the client.
        down: VecDeque<Down>,
    }

    #[derive(Clone, Debug)]
    enum Step {
        Edit(usize, Choice),
        ServerReceives(usize),
        ClientReceives(usize),
        Disconnect(usize),
        Reconnect(usize, bool),
    }

    fn step(clients: usize) -> impl Strategy<Value = Step> {
        prop_oneof![
            3 => (0..clients, choice()).prop_map(|(c, ch)| Step::Edit(c, ch)),
            3 => (0..clients).prop_map(Step::ServerReceives),
            3 => (0..clients).prop_map(Step::ClientReceives),
            1 => (0..clients).prop_map(Step::Disconnect),
            1 => (0..clients, any::<bool>()).prop_map(|(c, snapshot)| Step::Reconnect(c, snapshot)),
        ]
    }

    struct World {
        server: Authority,
        log: Vec<Logged>,
        clients: Vec<Client>,
        next_op: u128,
    }

    impl World {
        fn new(clients: usize) -> World {
            let map = sample_map();
            World {
                server: Authority::new(map.clone(), Rev(0), []),
                log: Vec::new(),
                clients: (0..clients)
                    .map(|_| Client {
                        replica: Replica::new(map.clone(), Rev(0)),
                        connected: true,
                        up: VecDeque::new(),
                        down: VecDeque::new(),
                    })
                    .collect(),
                next_op: 1 << 64,
            }
        }

        fn run(&mut self, step: &Step) {
            match step {
                Step::Edit(c, choice) => {
                    let client = &mut self.clients[*c];
                    self.next_op += 1;
                    let op = Op {
                        id: OpId::from_uuid(Uuid::from_u128(self.next_op)),
                        edit: choice.edit(client.replica.view()),
                    };
                    if client.replica.local(op.clone()).is_ok() && client.connected {
                        client.up.push_back(op);
                    }
                }
                Step::ServerReceives(c) => {
                    let Some(op) = self.clients[*c].up.pop_front() else {
                        return;
                    };
                    match self.server.submit(&op) {
                        Ok(Outcome::Applied(rev)) => {
                            let logged = Logged { rev, op };
                            self.log.push(logged.clone());
                            for client in self.clients.iter_mut().filter(|c| c.connected) {
                                client.down.push_back(Down::Applied(logged.clone()));
                            }
                        }
                        Ok(Outcome::Duplicate(rev)) => {
                            self.clients[*c].down.push_back(Down::Known(op.id, rev));
                        }
                        Err(_) => self.clients[*c].down.push_back(Down::Rejected(op.id)),
                    }
                }
                Step::ClientReceives(c) => {
                    let client = &mut self.clients[*c];
                    match client.down.pop_front() {
                        Some(Down::Applied(logged)) => {
                            client
                                .replica
                                .confirm(&logged)
                                .expect("the log arrives in order");
                        }
                        Some(Down::Rejected(op)) => client.replica.reject(op),
                        Some(Down::Known(op, rev)) => client.replica.known(op, rev),
                        Some(Down::Reset(map, rev)) => client.replica.reset(map, rev),
                        None => {}
                    }
                }
                Step::Disconnect(c) => {
                    let client = &mut self.clients[*c];
                    client.connected = false;
                    client.up.clear();
                    client.down.clear();
                }
                Step::Reconnect(c, snapshot) => {
                    let client = &mut self.clients[*c];
                    if client.connected {
                        return;
                    }
                    client.connected = true;
                    if *snapshot {
                        let map = self.server.map().clone();
                        client.down.push_back(Down::Reset(map, self.server.rev()));
                    } else {
                        let since = client.replica.rev();
                        client.down.extend(
                            self.log
                                .iter()
                                .filter(|l| l.rev > since)
                                .cloned()
                                .map(Down::Applied),
                        );
                    }
                    // Everything not yet acknowledged is sent again; the server keeps it once.
                    client.up.extend(client.replica.pending().cloned());
                }
            }
        }

        fn settle(&mut self) {
            for c in 0..self.clients.len() {
                self.run(&Step::Reconnect(c, false));
            }
            while self
                .clients
                .iter()
                .any(|c| !c.up.is_empty() || !c.down.is_empty())
            {
                for c in 0..self.clients.len() {
                    self.run(&Step::ServerReceives(c));
                    self.run(&Step::ClientReceives(c));
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        /// Random edits from three clients, delivered in random interleavings with random
        /// disconnects, always converge on the server's state, with nothing acknowledged lost.
        #[test]
        fn clients_converge_on_the_server(steps in prop::collection::vec(step(3), 1..150)) {
            let mut world = World::new(3);
            for step in &steps {
                world.run(step);
            }
            world.settle();
            let revs: Vec<Rev> = world.log.iter().map(|l| l.rev).collect();
            prop_assert_eq!(revs, (1..=world.log.len() as u64).map(Rev).collect::<Vec<_>>());
            let mut replayed = sample_map();
            for logged in &world.log {
                prop_assert!(crate::domain::edit::apply(&mut replayed, &logged.op.edit).is_ok());
            }
            prop_assert_eq!(&replayed, world.server.map());
            for client in &world.clients {
                prop_assert_eq!(client.replica.pending().len(), 0);
                prop_assert_eq!(client.replica.rev(), world.server.rev());
                prop_assert_eq!(client.replica.view(), world.server.map());
            }
        }
    }

    #[test]
    fn a_remote_edit_lands_under_local_pending_edits() {
        let map = sample_map();
        let card = map.cards()[0].id;
        let mut replica = Replica::new(map.clone(), Rev(0));
        let mine = Op {
            id: OpId::from_uuid(Uuid::from_u128(1)),
            edit: crate::domain::edit::Edit::SetCardEvidence {
                id: card,
                evidence: None,
            },
        };
        replica.local(mine.clone()).unwrap();
        let theirs = Logged {
            rev: Rev(1),
            op: Op {
                id: OpId::from_uuid(Uuid::from_u128(2)),
                edit: crate::domain::edit::Edit::RemoveCard { id: card },
            },
        };
        replica.confirm(&theirs).unwrap();
        assert!(
            replica.view().card(card).is_none(),
            "the remote removal shows"
        );
        assert_eq!(
            replica.pending().len(),
            1,
            "ours waits for the server's verdict"
        );
        replica.reject(mine.id);
        assert_eq!(replica.pending().len(), 0);
        assert_eq!(
            replica.confirm(&Logged {
                rev: Rev(3),
                op: theirs.op.clone()
            }),
            Err(SyncError::Gap(Rev(3)))
        );
    }

    #[test]
    fn our_comment_shows_as_the_server_signed_it() {
        use crate::domain::fixture::{name, text};
        use crate::domain::map::{Comment, Target};
        let map = sample_map();
        let mut replica = Replica::new(map.clone(), Rev(0));
        let comment = Comment {
            id: crate::domain::ids::CommentId::from_uuid(Uuid::from_u128(9)),
            target: Target::Card(map.cards()[0].id),
            thread: None,
            author: name("Whoever I say"),
            text: text("Hello"),
            at: 1,
            resolved: false,
        };
        let mine = Op {
            id: OpId::from_uuid(Uuid::from_u128(1)),
            edit: crate::domain::edit::Edit::AddComment { comment },
        };
        replica.local(mine.clone()).unwrap();
        let signed = Logged {
            rev: Rev(1),
            op: Op {
                id: mine.id,
                edit: mine.edit.clone().signed(&name("Ana"), 1_000),
            },
        };
        replica.confirm(&signed).unwrap();
        assert_eq!(replica.pending().len(), 0);
        let shown = &replica.view().comments()[0];
        assert_eq!((shown.author.as_str(), shown.at), ("Ana", 1_000));
    }
}
