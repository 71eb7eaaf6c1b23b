//! The map editor's state in the browser: the local copy of the map, saving, undo and redo.
//!
//! Every change the user makes becomes an `Edit`, applied at once to the local `Replica` and
//! queued for the server. One sync request is in flight at a time; it sends the pending
//! operations and brings back the server's log, which confirms them (or refuses some). Undo and
//! redo replay inverse edits as new operations, so they are saved like any other change.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use crate::api::error::AppError;
use crate::api::maps::{load_map, sync_map, MapSnapshot, SyncReply, MAX_OPS_PER_SYNC};
use crate::domain::edit::{inverse, Edit, Op};
use crate::domain::ids::{CardId, LaneId, MapId, OpId, StageId};
use crate::domain::map::{Evidence, JourneyMap};
use crate::domain::sync::Replica;

/// Where the user's changes are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SaveStatus {
    Saved,
    Saving,
    /// The last attempt failed; another follows after the delay, or on "Retry".
    Retrying {
        message: String,
        delay_secs: u32,
    },
    /// Saving cannot continue (the map was deleted, say).
    Failed {
        message: String,
    },
}

/// What is being dragged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dragged {
    Card(CardId),
    Stage(StageId),
    Lane(LaneId),
}

/// Undo and redo stacks. Each step is the list of edits that, performed, takes the map back
/// (undo) or forward again (redo); performing one step yields the step for the other stack.
#[derive(Clone, Debug, Default)]
struct History {
    undo: Vec<Vec<Edit>>,
    redo: Vec<Vec<Edit>>,
}

/// Longest undo history kept.
const MAX_HISTORY: usize = 200;
/// Longest wait between save attempts while the server is unreachable.
const MAX_RETRY_SECS: u32 = 30;

/// A handle to the editor of one map; cheap to copy into event handlers.
#[derive(Clone, Copy)]
pub struct Editor {
    id: MapId,
    /// The map as the user sees it: confirmed state plus pending edits.
    pub map: RwSignal<JourneyMap>,
    pub status: RwSignal<SaveStatus>,
    /// A message about the last thing that could not be done, shown until dismissed.
    pub notice: RwSignal<Option<String>>,
    /// Shows only cards of this evidence level (`Some(None)`: cards without a level).
    pub evidence_filter: RwSignal<Option<Option<Evidence>>>,
    pub dragging: RwSignal<Option<Dragged>>,
    pub can_undo: Memo<bool>,
    pub can_redo: Memo<bool>,
    history: RwSignal<History>,
    replica: StoredValue<Replica>,
    in_flight: StoredValue<bool>,
    failures: StoredValue<u32>,
}

fn new_op(edit: Edit) -> Op {
    Op {
        id: OpId::from_uuid(Uuid::new_v4()),
        edit,
    }
}

/// A fresh random id for a new stage, lane, card or persona.
pub fn fresh<T: From<Uuid>>() -> T {
    T::from(Uuid::new_v4())
}

impl Editor {
    pub fn new(snapshot: MapSnapshot) -> Editor {
        let history = RwSignal::new(History::default());
        Editor {
            id: snapshot.map.id,
            map: RwSignal::new(snapshot.map.clone()),
            status: RwSignal::new(SaveStatus::Saved),
            notice: RwSignal::new(None),
            evidence_filter: RwSignal::new(None),
            dragging: RwSignal::new(None),
            can_undo: Memo::new(move |_| history.with(|h| !h.undo.is_empty())),
            can_redo: Memo::new(move |_| history.with(|h| !h.redo.is_empty())),
            history,
            replica: StoredValue::new(Replica::new(snapshot.map, snapshot.rev)),
            in_flight: StoredValue::new(false),
            failures: StoredValue::new(0),
        }
    }

    /// Makes one change, undoable as one step.
    pub fn edit(&self, edit: Edit) {
        self.edits(vec![edit]);
    }

    /// Makes several changes, undoable together as one step.
    pub fn edits(&self, edits: Vec<Edit>) {
        if let Some(undo) = self.perform(edits) {
            self.history.update(|h| {
                h.undo.push(undo);
                if h.undo.len() > MAX_HISTORY {
                    h.undo.remove(0);
                }
                h.redo.clear();
            });
        }
    }

    pub fn undo(&self) {
        let Some(step) = self.history.try_update(|h| h.undo.pop()).flatten() else {
            return;
        };
        if let Some(redo) = self.perform(step) {
            self.history.update(|h| h.redo.push(redo));
        }
    }

    pub fn redo(&self) {
        let Some(step) = self.history.try_update(|h| h.redo.pop()).flatten() else {
            return;
        };
        if let Some(undo) = self.perform(step) {
            self.history.update(|h| h.undo.push(undo));
        }
    }

    /// Applies `edits` locally and queues them; returns the edits that revert them, or `None`
    /// when none applied (the reason is shown as a notice).
    fn perform(&self, edits: Vec<Edit>) -> Option<Vec<Edit>> {
        let mut reverts: Vec<Vec<Edit>> = Vec::new();
        let mut error = None;
        self.replica.update_value(|replica| {
            for edit in edits {
                let revert = inverse(replica.view(), &edit);
                match revert.and_then(|revert| replica.local(new_op(edit)).map(|()| revert)) {
                    Ok(revert) => reverts.push(revert),
                    Err(err) => error = Some(err.to_string()),
                }
            }
        });
        if let Some(message) = error {
            self.notice
                .set(Some(format!("That change couldn't be made: {message}.")));
        }
        if reverts.is_empty() {
            return None;
        }
        self.publish();
        self.schedule_sync();
        Some(reverts.into_iter().rev().flatten().collect())
    }

    /// Copies the replica's view into the signal the page renders from.
    fn publish(&self) {
        if let Some(view) = self.replica.try_with_value(|r| r.view().clone()) {
            self.map.try_set(view);
        }
    }

    /// True while edits are waiting to reach the server.
    pub fn has_unsaved(&self) -> bool {
        self.replica
            .try_with_value(|r| r.pending().len() > 0)
            .unwrap_or(false)
    }

    /// Starts a sync unless one is running (the running one starts the next when it ends).
    pub fn schedule_sync(&self) {
        if self.in_flight.try_get_value().unwrap_or(true) {
            return;
        }
        let batch: Vec<Op> = self
            .replica
            .with_value(|r| r.pending().take(MAX_OPS_PER_SYNC).cloned().collect());
        if batch.is_empty() {
            self.status.try_set(SaveStatus::Saved);
            return;
        }
        let since = self.replica.with_value(|r| r.rev());
        self.in_flight.set_value(true);
        self.status.try_set(SaveStatus::Saving);
        let editor = *self;
        spawn_local(async move {
            let result = sync_map(editor.id, since, batch).await;
            editor.in_flight.try_set_value(false);
            match result {
                Ok(reply) => editor.on_reply(reply).await,
                Err(err) => editor.on_failure(err),
            }
        });
    }

    /// Retries now rather than waiting for the next attempt.
    pub fn retry(&self) {
        self.failures.try_set_value(0);
        self.schedule_sync();
    }

    async fn on_reply(&self, reply: SyncReply) {
        self.failures.try_set_value(0);
        let mut diverged = false;
        let mut refused = Vec::new();
        self.replica.try_update_value(|replica| {
            for logged in &reply.log {
                if replica.confirm(logged).is_err() {
                    diverged = true;
                    break;
                }
            }
            for rejection in &reply.rejected {
                replica.reject(rejection.op);
                refused.push(rejection.error.to_string());
            }
            diverged |= reply.rev < replica.rev();
        });
        if let Some(reason) = refused.first() {
            self.notice.try_set(Some(format!(
                "A change couldn't be saved and was undone: {reason}."
            )));
        }
        if diverged {
            // Our copy and the server's log no longer fit; start again from the server's map,
            // keeping the edits not yet sent.
            match load_map(self.id).await {
                Ok(snapshot) => {
                    self.replica
                        .try_update_value(|r| r.reset(snapshot.map, snapshot.rev));
                }
                Err(err) => return self.on_failure(err),
            }
        }
        self.publish();
        self.schedule_sync();
    }

    fn on_failure(&self, err: AppError) {
        if !err.is_transient() {
            self.status.try_set(SaveStatus::Failed {
                message: err.to_string(),
            });
            return;
        }
        let failures = self.failures.try_update_value(|f| {
            *f += 1;
            *f
        });
        let delay_secs = 2u32
            .saturating_pow(failures.unwrap_or(1).saturating_sub(1))
            .min(MAX_RETRY_SECS);
        self.status.try_set(SaveStatus::Retrying {
            message: err.to_string(),
            delay_secs,
        });
        let editor = *self;
        set_timeout(
            move || editor.schedule_sync(),
            Duration::from_secs(u64::from(delay_secs)),
        );
    }

    /// Whether a card passes the evidence filter.
    pub fn shows(&self, evidence: Option<Evidence>) -> bool {
        self.evidence_filter
            .with(|filter| filter.is_none_or(|wanted| wanted == evidence))
    }
}

/// The editor of the map on this page.
pub fn use_editor() -> Editor {
    expect_context::<Editor>()
}
