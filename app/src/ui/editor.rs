//! The map editor's state in the browser: the local copy of the map, the live connection's
//! state, presence, and undo/redo.
//!
//! Every change the user makes becomes an `Edit`, applied at once to the local `Replica` and
//! queued for the server. The transport (`ui::map::live`) sends what is queued over the map's
//! WebSocket and feeds the server's messages back through `Editor::receive`. Undo and redo
//! replay inverse edits as new operations, so they are saved, and seen by others, like any
//! other change; they only ever touch the user's own edits.

use std::collections::HashSet;

use futures::channel::mpsc::UnboundedSender;
use leptos::prelude::*;
use uuid::Uuid;

use crate::api::auth::User;
use crate::api::maps::MapSnapshot;
use crate::domain::edit::{inverse, Edit, Op};
use crate::domain::ids::{CardId, LaneId, MapId, OpId, Rev, StageId};
use crate::domain::map::{Evidence, JourneyMap};
use crate::domain::protocol::{Ended, Focus, Peer, ServerMsg, SessionId, MAX_OPS_PER_MESSAGE};
use crate::domain::sync::Replica;

/// The state of the live connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Connection {
    Connecting,
    Live,
    /// Lost; the next attempt is under way or waiting (`reason` says why it was lost).
    Offline {
        reason: String,
    },
    /// The server said not to come back (another protocol version); a reload is needed.
    Closed {
        reason: String,
    },
    /// This browser may no longer follow the map (removed, signed out, link revoked …).
    Ended(Ended),
    /// A read-only copy (a past version): no connection at all.
    ReadOnly,
}

/// What is being dragged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dragged {
    Card(CardId),
    Stage(StageId),
    Lane(LaneId),
}

/// What the editor asks of its transport.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Wake {
    /// New local operations wait to be sent.
    Ops,
    /// The user started or stopped editing something.
    Focus(Option<Focus>),
    /// Try to connect now rather than at the next scheduled attempt.
    Reconnect,
    /// Start a new connection now (to introduce ourselves again).
    Restart,
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

/// What this browser may do with the map.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Access {
    pub can_edit: bool,
    /// Manage members and share links (owners).
    pub can_share: bool,
    /// The share link this visitor came through (no account).
    pub share_token: Option<String>,
    /// The account, for someone signed in; a visitor chooses a name of their own.
    pub account: Option<User>,
    /// The map is only shown, never edited or opened further: a share link or an embed,
    /// rendered on the server and never hydrated. It then has no controls at all, not even
    /// ones that would do nothing.
    pub display_only: bool,
}

impl Access {
    pub fn for_role(role: crate::domain::access::Role, account: User) -> Access {
        use crate::domain::access::Capability;
        Access {
            can_edit: role.may(Capability::Edit),
            can_share: role.may(Capability::Share),
            share_token: None,
            account: Some(account),
            display_only: false,
        }
    }
}

/// A handle to the editor of one map; cheap to copy into event handlers.
#[derive(Clone, Copy)]
pub struct Editor {
    pub id: MapId,
    pub access: StoredValue<Access>,
    /// Whether this browser may change the map now (the server can take that away live).
    pub editable: RwSignal<bool>,
    /// The map as the user sees it: confirmed state plus pending edits.
    pub map: RwSignal<JourneyMap>,
    /// The last revision of the server's log this copy has.
    pub rev: RwSignal<Rev>,
    /// How many local edits the server has not confirmed yet.
    pub unsaved: RwSignal<usize>,
    /// The database could not save some of them; they will be sent again (see `NotSaved`).
    pub not_saved: RwSignal<bool>,
    pub connection: RwSignal<Connection>,
    pub peers: RwSignal<Vec<Peer>>,
    /// How this browser's user is shown to others.
    pub name: RwSignal<String>,
    /// This browser's session, once the server has welcomed it.
    pub me: RwSignal<Option<SessionId>>,
    /// A message about the last thing that could not be done, shown until dismissed.
    pub notice: RwSignal<Option<String>>,
    /// Counts the server's `Refetch` messages (feedback arrived, a target or link changed), for
    /// the scores and the side log to follow.
    pub news: RwSignal<u32>,
    /// Shows only cards of this evidence level (`Some(None)`: cards without a level).
    pub evidence_filter: RwSignal<Option<Option<Evidence>>>,
    pub dragging: RwSignal<Option<Dragged>>,
    pub can_undo: Memo<bool>,
    pub can_redo: Memo<bool>,
    history: RwSignal<History>,
    replica: StoredValue<Replica>,
    /// Operations sent on the current connection (a new connection sends everything again).
    sent: StoredValue<HashSet<OpId>>,
    resend: StoredValue<Resend>,
    wake: StoredValue<Option<UnboundedSender<Wake>>>,
}

/// Sending again what the database could not save: wait, then send every pending edit again,
/// waiting twice as long each time it fails again (up to `MAX_RESEND_MS`).
#[derive(Clone, Copy, Debug, Default)]
struct Resend {
    /// Sending nothing until the wait is over.
    holding: bool,
    /// A wait for the transport to start.
    due_ms: Option<u32>,
    /// The last wait, doubled on the next failure.
    last_ms: u32,
}

const MAX_RESEND_MS: u32 = 30_000;

fn new_op(edit: Edit) -> Op {
    Op {
        id: OpId::from_uuid(Uuid::now_v7()),
        edit,
    }
}

/// A fresh random id for a new stage, lane, card, persona or comment.
pub fn fresh<T: From<Uuid>>() -> T {
    T::from(Uuid::new_v4())
}

impl Editor {
    /// An editor of a live map; `ui::map::live` connects it.
    pub fn new(snapshot: MapSnapshot, access: Access) -> Editor {
        Editor::with_connection(snapshot, Connection::Connecting, access)
    }

    /// A read-only copy, e.g. of a past version.
    pub fn read_only(snapshot: MapSnapshot) -> Editor {
        Editor::with_connection(snapshot, Connection::ReadOnly, Access::default())
    }

    fn with_connection(snapshot: MapSnapshot, connection: Connection, access: Access) -> Editor {
        let history = RwSignal::new(History::default());
        Editor {
            id: snapshot.map.id,
            editable: RwSignal::new(access.can_edit),
            access: StoredValue::new(access),
            map: RwSignal::new(snapshot.map.clone()),
            rev: RwSignal::new(snapshot.rev),
            unsaved: RwSignal::new(0),
            not_saved: RwSignal::new(false),
            connection: RwSignal::new(connection),
            peers: RwSignal::new(Vec::new()),
            name: RwSignal::new("Guest".to_owned()),
            me: RwSignal::new(None),
            notice: RwSignal::new(None),
            news: RwSignal::new(0),
            evidence_filter: RwSignal::new(None),
            dragging: RwSignal::new(None),
            can_undo: Memo::new(move |_| history.with(|h| !h.undo.is_empty())),
            can_redo: Memo::new(move |_| history.with(|h| !h.redo.is_empty())),
            history,
            replica: StoredValue::new(Replica::new(snapshot.map, snapshot.rev)),
            sent: StoredValue::new(HashSet::new()),
            resend: StoredValue::new(Resend::default()),
            wake: StoredValue::new(None),
        }
    }

    /// Whether this browser may change the map (now; `editable` follows changes).
    pub fn can_edit(&self) -> bool {
        self.editable.get_untracked()
    }

    /// Whether the map is drawn with its controls (see `Access::display_only`). Always in the
    /// browser: a display-only map is drawn on the server and never hydrated, so the compiler
    /// leaves every display-only view out of the browser's bundle.
    pub fn shows_controls(&self) -> bool {
        cfg!(feature = "hydrate") || !self.access.with_value(|a| a.display_only)
    }

    pub fn can_share(&self) -> bool {
        self.access.with_value(|a| a.can_share)
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
        if !self.can_edit() {
            return None;
        }
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
        self.wake(Wake::Ops);
        Some(reverts.into_iter().rev().flatten().collect())
    }

    /// Copies the replica's state into the signals the page renders from.
    fn publish(&self) {
        let Some((view, rev, unsaved)) = self
            .replica
            .try_with_value(|r| (r.view().clone(), r.rev(), r.pending().len()))
        else {
            return;
        };
        self.map.try_set(view);
        if self.rev.get_untracked() != rev {
            self.rev.try_set(rev);
        }
        if self.unsaved.get_untracked() != unsaved {
            self.unsaved.try_set(unsaved);
        }
    }

    fn wake(&self, wake: Wake) {
        self.wake.with_value(|sender| {
            if let Some(sender) = sender {
                // A closed channel means the transport has stopped; the edits stay pending.
                let _stopped = sender.unbounded_send(wake);
            }
        });
    }

    /// Tells the transport what the user is editing.
    pub fn set_focus(&self, focus: Option<Focus>) {
        self.wake(Wake::Focus(focus));
    }

    /// Asks the transport to reconnect now.
    pub fn retry(&self) {
        self.wake(Wake::Reconnect);
    }

    /// Changes how this user is shown to others (takes a fresh connection).
    pub fn rename_me(&self, name: String) {
        self.name.set(name);
        self.wake(Wake::Restart);
    }

    // ---- For the transport -------------------------------------------------------------

    /// Connects the transport: it will be woken through `sender`.
    pub fn attach(&self, sender: UnboundedSender<Wake>) {
        self.wake.set_value(Some(sender));
    }

    /// The revision to ask the server to continue from.
    pub fn since(&self) -> Rev {
        self.replica.with_value(|r| r.rev())
    }

    /// A new connection: nothing has been sent on it yet.
    pub fn connection_opened(&self) {
        self.sent.update_value(HashSet::clear);
        self.resend.update_value(|r| {
            r.holding = false;
            r.due_ms = None;
        });
    }

    /// How long to wait before sending again what the database could not save, once after
    /// each `NotSaved` that started a wait.
    pub fn take_resend_wait(&self) -> Option<u32> {
        self.resend.try_update_value(|r| r.due_ms.take()).flatten()
    }

    /// The wait is over: send everything pending again.
    pub fn resend_now(&self) {
        self.resend.update_value(|r| r.holding = false);
    }

    /// The next batch of operations not yet sent on this connection (marked as sent); none
    /// while waiting to send again what was not saved.
    pub fn take_unsent(&self) -> Vec<Op> {
        if self.resend.with_value(|r| r.holding) {
            return Vec::new();
        }
        let batch: Vec<Op> = self.replica.with_value(|r| {
            self.sent.with_value(|sent| {
                r.pending()
                    .filter(|op| !sent.contains(&op.id))
                    .take(MAX_OPS_PER_MESSAGE)
                    .cloned()
                    .collect()
            })
        });
        self.sent
            .update_value(|sent| sent.extend(batch.iter().map(|op| op.id)));
        batch
    }

    /// True while edits are waiting to reach the server.
    pub fn has_unsaved(&self) -> bool {
        self.replica
            .try_with_value(|r| r.pending().len() > 0)
            .unwrap_or(false)
    }

    /// Applies a message from the server. Returns false when this copy no longer fits the
    /// server's log and the transport should reconnect to get a fresh start.
    pub fn receive(&self, msg: ServerMsg) -> bool {
        let mut fits = true;
        match msg {
            ServerMsg::Welcome { session, rev, map } => {
                self.me.set(Some(session));
                if let Some(map) = map {
                    self.replica.update_value(|r| r.reset(*map, rev));
                }
                self.connection.set(Connection::Live);
            }
            ServerMsg::Applied { log } => {
                let ours = self
                    .sent
                    .with_value(|sent| log.iter().any(|l| sent.contains(&l.op.id)));
                self.replica.update_value(|r| {
                    fits = log.iter().all(|logged| r.confirm(logged).is_ok());
                });
                if ours {
                    self.saved_again();
                }
            }
            ServerMsg::NotSaved { retry_ms, .. } => self.not_saved_yet(retry_ms),
            ServerMsg::Rejected { op, error } => {
                self.replica.update_value(|r| r.reject(op));
                self.notice.set(Some(format!(
                    "A change couldn't be saved and was undone: {error}."
                )));
            }
            ServerMsg::Known { op, rev } => {
                self.replica.update_value(|r| r.known(op, rev));
                self.saved_again();
            }
            ServerMsg::Peers { peers } => self.peers.set(peers),
            ServerMsg::Error { message } => {
                self.notice
                    .set(Some(format!("The server said: {message}.")));
            }
            ServerMsg::Closing { reason, retry_ms } => {
                let state = if retry_ms == 0 {
                    Connection::Closed { reason }
                } else {
                    Connection::Offline { reason }
                };
                self.connection.set(state);
            }
            ServerMsg::Refetch => {
                self.news.update(|n| *n += 1);
                return true;
            }
            ServerMsg::Role { can_edit: false } => {
                self.editable.set(false);
                let lost = self.give_up_pending();
                self.notice.set(Some(format!(
                    "Your role on this map changed: you can now view it, but not edit it.{lost}"
                )));
            }
            ServerMsg::Role { can_edit: true } => {
                if !self.can_edit() {
                    self.notice.set(Some(
                        "You can now edit this map. Reload the page to start editing.".into(),
                    ));
                }
                return true;
            }
            ServerMsg::Ended { why } => {
                self.editable.set(false);
                let lost = self.give_up_pending();
                self.connection.set(Connection::Ended(why));
                if !lost.is_empty() {
                    self.notice.set(Some(format!("{}{lost}", why.message())));
                }
            }
            ServerMsg::Pong => return true,
        }
        self.publish();
        fits
    }

    /// The database failed to save some of what was sent: it is all sent again after a wait
    /// (everything sent after it too, as the server refuses that until then).
    fn not_saved_yet(&self, retry_ms: u32) {
        self.sent.update_value(HashSet::clear);
        let failed_again = self.not_saved.get_untracked();
        self.resend.update_value(|r| {
            if r.holding {
                // Another answer to what was sent before the wait began.
                return;
            }
            let wait = if failed_again {
                r.last_ms.saturating_mul(2).min(MAX_RESEND_MS)
            } else {
                0
            };
            r.last_ms = wait.max(retry_ms);
            r.holding = true;
            r.due_ms = Some(r.last_ms);
        });
        self.not_saved.set(true);
    }

    /// Something sent was saved: the database takes writes again.
    fn saved_again(&self) {
        if self.not_saved.get_untracked() && !self.resend.with_value(|r| r.holding) {
            self.not_saved.set(false);
            self.resend.update_value(|r| r.last_ms = 0);
        }
    }

    /// Drops the edits that can no longer be saved; says how many were lost, if any.
    fn give_up_pending(&self) -> String {
        let lost = self.replica.try_update_value(Replica::abandon).unwrap_or(0);
        self.history.update(|h| *h = History::default());
        match lost {
            0 => String::new(),
            1 => " One change could not be saved.".to_owned(),
            n => format!(" {n} changes could not be saved."),
        }
    }

    // ---- For components ----------------------------------------------------------------

    /// Whether a card passes the evidence filter.
    pub fn shows(&self, evidence: Option<Evidence>) -> bool {
        self.evidence_filter
            .with(|filter| filter_shows(*filter, evidence))
    }

    /// Someone else editing `focus`, if anyone is.
    pub fn peer_on(&self, focus: Focus) -> Option<Peer> {
        let me = self.me.get();
        self.peers.with(|peers| {
            peers
                .iter()
                .find(|p| p.focus == Some(focus) && Some(p.session) != me)
                .cloned()
        })
    }
}

/// Whether the evidence filter `filter` (see `Editor::evidence_filter`) shows a card of level
/// `evidence`.
pub fn filter_shows(filter: Option<Option<Evidence>>, evidence: Option<Evidence>) -> bool {
    filter.is_none_or(|wanted| wanted == evidence)
}

/// The editor of the map on this page.
pub fn use_editor() -> Editor {
    expect_context::<Editor>()
}

/// The editor as a handle of one word, for the closures of what a big map repeats (its cards
/// and their fields). `Editor` is a couple of hundred bytes, and every closure that captures it
/// carries a copy, which the view builders then move again with each attribute they add.
#[derive(Clone, Copy)]
pub struct EditorRef(StoredValue<Editor>);

impl EditorRef {
    /// Made once per page, beside the `Editor` it refers to.
    pub fn new(editor: Editor) -> EditorRef {
        EditorRef(StoredValue::new(editor))
    }

    pub fn get(self) -> Editor {
        self.0.get_value()
    }
}

/// The handle of the editor of the map on this page.
pub fn use_editor_ref() -> EditorRef {
    expect_context::<EditorRef>()
}
