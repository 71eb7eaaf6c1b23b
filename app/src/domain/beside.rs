//! What is kept beside a map rather than in its log: its status and tags, its targets, each
//! opportunity's triage and its place as a sub-journey. They stay out of the log so the map
//! editor's bundle carries none of them (see ARCHITECTURE.md).
//!
//! Each change replaces one such value whole, so the side log keeps the value before and the
//! value after, and undoing a change puts the value before back. It does so only while the value
//! after is still there: an undo never silently throws away a change made since. Undoing is
//! itself a change, so it can be undone in turn (a redo).

use serde::{Deserialize, Serialize};

use crate::domain::backlog::Triage;
use crate::domain::catalog::Catalog;
use crate::domain::hierarchy::MapLink;
use crate::domain::ids::{CardId, UserId};
use crate::domain::targets::Target;
use crate::domain::time::Millis;

/// One value kept beside a map.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Beside {
    Catalog(Catalog),
    Targets(Vec<Target>),
    /// One opportunity card's triage; none: never triaged.
    Triage(CardId, Option<Triage>),
    /// The map's place as a sub-journey; none: a map of its own.
    Parent(Option<MapLink>),
}

/// Which value beside a map: what a change replaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Slot {
    Catalog,
    Targets,
    Triage(CardId),
    Parent,
}

impl Beside {
    /// What a change of it is called in the map's history: "Target: …".
    pub fn label(&self) -> &'static str {
        match self {
            Beside::Catalog(_) => "Status and tags",
            Beside::Targets(_) => "Target",
            Beside::Triage(..) => "Opportunity",
            Beside::Parent(_) => "Linked",
        }
    }

    pub fn slot(&self) -> Slot {
        match self {
            Beside::Catalog(_) => Slot::Catalog,
            Beside::Targets(_) => Slot::Targets,
            Beside::Triage(card, _) => Slot::Triage(*card),
            Beside::Parent(_) => Slot::Parent,
        }
    }
}

/// One entry of a map's side log, newest first when listed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SideEntry {
    pub id: i64,
    pub at: Millis,
    pub by: Option<UserId>,
    /// What happened, as people read it: "Target: Whole map: CSAT 80%".
    pub what: String,
    /// The value before and after; none for an entry that only records an event (a review, or
    /// a change made before the side log kept values).
    pub change: Option<(Beside, Beside)>,
    /// Put back by a later entry.
    pub undone: bool,
}

const UNDONE: &str = "Undone: ";
const REDONE: &str = "Redone: ";

/// Why an entry cannot be undone.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UndoError {
    #[error("this entry only records what happened; there is nothing to put back")]
    RecordOnly,
    #[error("this change was already undone")]
    AlreadyUndone,
    #[error("this was changed again since; undo the newer change first")]
    ChangedSince,
}

impl SideEntry {
    /// The value undoing this entry writes, given the value its slot holds `now`.
    pub fn undo(&self, now: &Beside) -> Result<Beside, UndoError> {
        let (before, after) = self.change.as_ref().ok_or(UndoError::RecordOnly)?;
        if self.undone {
            return Err(UndoError::AlreadyUndone);
        }
        if after != now {
            return Err(UndoError::ChangedSince);
        }
        Ok(before.clone())
    }

    /// The slot this entry changed, if it changed one.
    pub fn slot(&self) -> Option<Slot> {
        self.change.as_ref().map(|(_, after)| after.slot())
    }

    /// The line an undo of this entry adds: "Undone: Target: …", and for an undo undone,
    /// "Redone: Target: …".
    pub fn undo_what(&self) -> String {
        if let Some(done) = self.what.strip_prefix(UNDONE) {
            format!("{REDONE}{done}")
        } else {
            let done = self.what.strip_prefix(REDONE).unwrap_or(&self.what);
            format!("{UNDONE}{done}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::Status;

    fn catalog(status: Status) -> Beside {
        Beside::Catalog(Catalog {
            status,
            tags: Vec::new(),
        })
    }

    fn entry(before: Beside, after: Beside) -> SideEntry {
        SideEntry {
            id: 1,
            at: 0,
            by: None,
            what: "Status and tags: Validated".into(),
            change: Some((before, after)),
            undone: false,
        }
    }

    #[test]
    fn an_undo_puts_the_value_before_back_only_while_the_value_after_is_there() {
        let change = entry(catalog(Status::Draft), catalog(Status::Validated));
        assert_eq!(
            change.undo(&catalog(Status::Validated)),
            Ok(catalog(Status::Draft))
        );
        assert_eq!(
            change.undo(&catalog(Status::Archived)),
            Err(UndoError::ChangedSince)
        );
        let undone = SideEntry {
            undone: true,
            ..change.clone()
        };
        assert_eq!(
            undone.undo(&catalog(Status::Validated)),
            Err(UndoError::AlreadyUndone)
        );
        let review = SideEntry {
            change: None,
            ..change
        };
        assert_eq!(
            review.undo(&catalog(Status::Validated)),
            Err(UndoError::RecordOnly)
        );
        assert_eq!(review.slot(), None);
        assert_eq!(review.undo_what(), "Undone: Status and tags: Validated");
        let undo = SideEntry {
            what: review.undo_what(),
            ..review
        };
        assert_eq!(undo.undo_what(), "Redone: Status and tags: Validated");
        let redo = SideEntry {
            what: undo.undo_what(),
            ..undo
        };
        assert_eq!(redo.undo_what(), "Undone: Status and tags: Validated");
    }

    #[test]
    fn a_card_s_triage_is_its_own_slot_and_values_survive_json() {
        let card = CardId::from_uuid(uuid::Uuid::from_u128(7));
        let triage = Beside::Triage(card, Some(Triage::default()));
        assert_eq!(triage.slot(), Slot::Triage(card));
        assert_eq!(Beside::Triage(card, None).slot(), Slot::Triage(card));
        let other = CardId::from_uuid(uuid::Uuid::from_u128(8));
        assert_ne!(Beside::Triage(other, None).slot(), triage.slot());
        let json = serde_json::to_string(&triage).unwrap();
        assert_eq!(serde_json::from_str::<Beside>(&json).unwrap(), triage);
        let none = Beside::Parent(None);
        let json = serde_json::to_string(&none).unwrap();
        assert_eq!(serde_json::from_str::<Beside>(&json).unwrap(), none);
    }
}
