//! Operations on a journey map: the one place a map changes.
//!
//! An `Op` is an `Edit` plus an `OpId`. Edits are small and carry every value they need
//! (new items bring their own id and position), so applying one is deterministic: the browser
//! applies an edit optimistically with the same `apply` the server runs authoritatively, and
//! both end in the same map. The serde form of `Edit` is stored in the operation log and sent
//! over the wire, so changing it needs a migration of both. It is externally tagged
//! (`{"add_card":{"card":{…}}}`) for the reason `protocol` gives; migration 010 moved the log
//! from the internally tagged form (`{"type":"add_card","card":{…}}`).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::feedback::{FeedbackSettings, Survey};
use crate::domain::ids::{CardId, CommentId, LaneId, OpId, PersonaId, StageId};
use crate::domain::map::{
    index_of, insert_sorted, Card, Channel, Comment, Emotion, Evidence, JourneyMap, Lane, LaneKind,
    Persona, PersonaField, Stage, Target, MAX_CARDS, MAX_COMMENTS, MAX_LANES, MAX_PERSONAS,
    MAX_STAGES,
};
use crate::domain::position::Position;
use crate::domain::text::{FieldError, Name, Text};

/// An edit with the id that makes it idempotent: the server applies each id at most once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Op {
    pub id: OpId,
    pub edit: Edit,
}

/// One change to a map.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Edit {
    RenameMap {
        title: Name,
    },
    SetScenario {
        text: Text,
    },
    SetGoals {
        text: Text,
    },
    SetFeedbackSettings {
        settings: FeedbackSettings,
    },

    AddStage {
        stage: Stage,
    },
    RenameStage {
        id: StageId,
        name: Name,
    },
    MoveStage {
        id: StageId,
        position: Position,
    },
    /// Removes the stage and every card in it.
    RemoveStage {
        id: StageId,
    },

    AddLane {
        lane: Lane,
    },
    RenameLane {
        id: LaneId,
        name: Name,
    },
    SetLaneKind {
        id: LaneId,
        kind: LaneKind,
    },
    MoveLane {
        id: LaneId,
        position: Position,
    },
    /// Removes the lane and every card in it.
    RemoveLane {
        id: LaneId,
    },

    AddCard {
        card: Card,
    },
    SetCardText {
        id: CardId,
        text: Text,
    },
    SetCardChannel {
        id: CardId,
        channel: Option<Channel>,
    },
    SetCardEmotion {
        id: CardId,
        emotion: Option<Emotion>,
    },
    SetCardEvidence {
        id: CardId,
        evidence: Option<Evidence>,
    },
    /// Starts, changes or stops a touchpoint's feedback survey.
    SetCardSurvey {
        id: CardId,
        survey: Option<Survey>,
    },
    MoveCard {
        id: CardId,
        stage: StageId,
        lane: LaneId,
        position: Position,
    },
    RemoveCard {
        id: CardId,
    },

    AddPersona {
        persona: Persona,
    },
    RenamePersona {
        id: PersonaId,
        name: Name,
    },
    SetPersonaField {
        id: PersonaId,
        field: PersonaField,
        text: Text,
    },
    RemovePersona {
        id: PersonaId,
    },

    /// Starts a thread, or replies to one.
    AddComment {
        comment: Comment,
    },
    SetThreadResolved {
        id: CommentId,
        resolved: bool,
    },
    /// Removes a comment; removing a thread's first comment removes the thread.
    RemoveComment {
        id: CommentId,
    },

    /// Something this reader may not see changed here: a comment, sent to a share link that
    /// does not show comments. It keeps the revisions gap-free and changes nothing. Only the
    /// server makes it; one submitted is refused.
    Withheld,
}

impl Edit {
    /// Whether this edit is about the team's comment threads.
    pub fn is_about_comments(&self) -> bool {
        matches!(
            self,
            Edit::AddComment { .. } | Edit::SetThreadResolved { .. } | Edit::RemoveComment { .. }
        )
    }

    /// The edit as the server records it for `author` at `at`: a comment's author and time are
    /// the session's, not whatever the browser wrote.
    pub fn signed(mut self, author: &Name, at: i64) -> Edit {
        if let Edit::AddComment { comment } = &mut self {
            comment.author = author.clone();
            comment.at = at;
        }
        self
    }
}

/// The kind of item an edit names, for error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Item {
    Stage,
    Lane,
    Card,
    Persona,
    Comment,
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Item::Stage => "stage",
            Item::Lane => "lane",
            Item::Card => "card",
            Item::Persona => "persona",
            Item::Comment => "comment",
        })
    }
}

/// Why an edit was refused. A refused edit changes nothing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EditError {
    #[error("that {item} no longer exists")]
    Missing { item: Item },
    #[error("that {item} already exists")]
    Exists { item: Item },
    #[error("a map can have at most {max} {item}s")]
    TooMany { item: Item, max: usize },
    #[error("a map needs at least one persona")]
    LastPersona,
    #[error("a reply must answer a thread about the same item")]
    StrayReply,
    #[error("{0}")]
    Invalid(FieldError),
    #[error("that change can only come from the server")]
    ServerOnly,
}

fn missing(item: Item) -> EditError {
    EditError::Missing { item }
}

/// Applies `edit` to `map`, or refuses it and leaves `map` unchanged.
///
/// Every check runs before the first mutation, which is what makes a refusal change nothing.
pub fn apply(map: &mut JourneyMap, edit: &Edit) -> Result<(), EditError> {
    match edit {
        Edit::RenameMap { title } => map.title = title.clone(),
        Edit::SetScenario { text } => map.scenario = text.clone(),
        Edit::SetGoals { text } => map.goals = text.clone(),
        Edit::SetFeedbackSettings { settings } => {
            settings.check().map_err(EditError::Invalid)?;
            map.feedback = settings.clone();
        }

        Edit::AddStage { stage } => {
            add(&mut map.stages, stage.clone(), Item::Stage, MAX_STAGES)?;
        }
        Edit::RenameStage { id, name } => stage_mut(map, *id)?.name = name.clone(),
        Edit::MoveStage { id, position } => {
            reposition(&mut map.stages, *id, position, Item::Stage)?
        }
        Edit::RemoveStage { id } => {
            let at = index_of(&map.stages, *id).ok_or(missing(Item::Stage))?;
            map.stages.remove(at);
            map.cards.retain(|c| c.stage != *id);
            drop_orphan_comments(map);
        }

        Edit::AddLane { lane } => add(&mut map.lanes, lane.clone(), Item::Lane, MAX_LANES)?,
        Edit::RenameLane { id, name } => lane_mut(map, *id)?.name = name.clone(),
        Edit::SetLaneKind { id, kind } => lane_mut(map, *id)?.kind = *kind,
        Edit::MoveLane { id, position } => reposition(&mut map.lanes, *id, position, Item::Lane)?,
        Edit::RemoveLane { id } => {
            let at = index_of(&map.lanes, *id).ok_or(missing(Item::Lane))?;
            map.lanes.remove(at);
            map.cards.retain(|c| c.lane != *id);
            drop_orphan_comments(map);
        }

        Edit::AddCard { card } => {
            check_cell(map, card.stage, card.lane)?;
            add(&mut map.cards, card.clone(), Item::Card, MAX_CARDS)?;
        }
        Edit::SetCardText { id, text } => card_mut(map, *id)?.text = text.clone(),
        Edit::SetCardChannel { id, channel } => card_mut(map, *id)?.channel = *channel,
        Edit::SetCardEmotion { id, emotion } => card_mut(map, *id)?.emotion = *emotion,
        Edit::SetCardEvidence { id, evidence } => card_mut(map, *id)?.evidence = *evidence,
        Edit::SetCardSurvey { id, survey } => card_mut(map, *id)?.survey = survey.clone(),
        Edit::MoveCard {
            id,
            stage,
            lane,
            position,
        } => {
            let at = index_of(&map.cards, *id).ok_or(missing(Item::Card))?;
            check_cell(map, *stage, *lane)?;
            let mut card = map.cards.remove(at);
            card.stage = *stage;
            card.lane = *lane;
            card.position = position.clone();
            insert_sorted(&mut map.cards, card);
        }
        Edit::RemoveCard { id } => {
            let at = index_of(&map.cards, *id).ok_or(missing(Item::Card))?;
            map.cards.remove(at);
            drop_orphan_comments(map);
        }

        Edit::AddPersona { persona } => {
            add(
                &mut map.personas,
                persona.clone(),
                Item::Persona,
                MAX_PERSONAS,
            )?;
        }
        Edit::RenamePersona { id, name } => persona_mut(map, *id)?.name = name.clone(),
        Edit::SetPersonaField { id, field, text } => {
            *persona_mut(map, *id)?.field_mut(*field) = text.clone();
        }
        Edit::RemovePersona { id } => {
            let at = index_of(&map.personas, *id).ok_or(missing(Item::Persona))?;
            if map.personas.len() == 1 {
                return Err(EditError::LastPersona);
            }
            map.personas.remove(at);
        }

        Edit::AddComment { comment } => add_comment(map, comment)?,
        Edit::SetThreadResolved { id, resolved } => {
            let thread = map
                .comments
                .iter_mut()
                .find(|c| c.id == *id && c.thread.is_none())
                .ok_or(missing(Item::Comment))?;
            thread.resolved = *resolved;
        }
        Edit::RemoveComment { id } => {
            map.comment(*id).ok_or(missing(Item::Comment))?;
            map.comments
                .retain(|c| c.id != *id && c.thread != Some(*id));
        }
        Edit::Withheld => {}
    }
    Ok(())
}

fn add_comment(map: &mut JourneyMap, comment: &Comment) -> Result<(), EditError> {
    if map.comment(comment.id).is_some() {
        return Err(EditError::Exists {
            item: Item::Comment,
        });
    }
    if !map.has_target(comment.target) {
        return Err(missing(target_item(comment.target)));
    }
    if let Some(thread) = comment.thread {
        let root = map.comment(thread).ok_or(missing(Item::Comment))?;
        if root.thread.is_some() || root.target != comment.target {
            return Err(EditError::StrayReply);
        }
    }
    if map.comments.len() >= MAX_COMMENTS {
        return Err(EditError::TooMany {
            item: Item::Comment,
            max: MAX_COMMENTS,
        });
    }
    let key = (comment.at, comment.id);
    let at = map.comments.partition_point(|c| (c.at, c.id) < key);
    map.comments.insert(at, comment.clone());
    Ok(())
}

fn target_item(target: Target) -> Item {
    match target {
        Target::Card(_) => Item::Card,
        Target::Stage(_) => Item::Stage,
        Target::Lane(_) => Item::Lane,
    }
}

/// Comments go with the item they are about.
fn drop_orphan_comments(map: &mut JourneyMap) {
    let comments = std::mem::take(&mut map.comments);
    map.comments = comments
        .into_iter()
        .filter(|c| map.has_target(c.target))
        .collect();
}

/// The comments that removing `gone` items takes with them, to put back on undo: each thread's
/// first comment before its replies.
fn restore_comments(map: &JourneyMap, gone: impl Fn(Target) -> bool) -> Vec<Edit> {
    let mut comments: Vec<&Comment> = map.comments.iter().filter(|c| gone(c.target)).collect();
    comments.sort_by_key(|c| c.thread.is_some());
    comments
        .into_iter()
        .map(|c| Edit::AddComment { comment: c.clone() })
        .collect()
}

/// The edits that undo `edit`, computed against `map` as it is *before* `edit` is applied.
///
/// Removing a stage or lane also removed its cards, so its inverse adds them back.
pub fn inverse(map: &JourneyMap, edit: &Edit) -> Result<Vec<Edit>, EditError> {
    let stage = |id: StageId| map.stage(id).ok_or(missing(Item::Stage));
    let lane = |id: LaneId| map.lane(id).ok_or(missing(Item::Lane));
    let card = |id: CardId| map.card(id).ok_or(missing(Item::Card));
    let persona = |id: PersonaId| map.persona(id).ok_or(missing(Item::Persona));
    let restore_cards = |keep: &dyn Fn(&Card) -> bool| {
        map.cards
            .iter()
            .filter(|c| keep(c))
            .map(|c| Edit::AddCard { card: c.clone() })
            .collect::<Vec<_>>()
    };

    let undo = match edit {
        Edit::RenameMap { .. } => Edit::RenameMap {
            title: map.title.clone(),
        },
        Edit::SetScenario { .. } => Edit::SetScenario {
            text: map.scenario.clone(),
        },
        Edit::SetGoals { .. } => Edit::SetGoals {
            text: map.goals.clone(),
        },
        Edit::SetFeedbackSettings { .. } => Edit::SetFeedbackSettings {
            settings: map.feedback.clone(),
        },

        Edit::AddStage { stage } => Edit::RemoveStage { id: stage.id },
        Edit::RenameStage { id, .. } => Edit::RenameStage {
            id: *id,
            name: stage(*id)?.name.clone(),
        },
        Edit::MoveStage { id, .. } => Edit::MoveStage {
            id: *id,
            position: stage(*id)?.position.clone(),
        },
        Edit::RemoveStage { id } => {
            let mut edits = vec![Edit::AddStage {
                stage: stage(*id)?.clone(),
            }];
            edits.extend(restore_cards(&|c| c.stage == *id));
            edits.extend(restore_comments(map, |t| match t {
                Target::Stage(s) => s == *id,
                Target::Card(c) => map.card(c).is_some_and(|c| c.stage == *id),
                Target::Lane(_) => false,
            }));
            return Ok(edits);
        }

        Edit::AddLane { lane } => Edit::RemoveLane { id: lane.id },
        Edit::RenameLane { id, .. } => Edit::RenameLane {
            id: *id,
            name: lane(*id)?.name.clone(),
        },
        Edit::SetLaneKind { id, .. } => Edit::SetLaneKind {
            id: *id,
            kind: lane(*id)?.kind,
        },
        Edit::MoveLane { id, .. } => Edit::MoveLane {
            id: *id,
            position: lane(*id)?.position.clone(),
        },
        Edit::RemoveLane { id } => {
            let mut edits = vec![Edit::AddLane {
                lane: lane(*id)?.clone(),
            }];
            edits.extend(restore_cards(&|c| c.lane == *id));
            edits.extend(restore_comments(map, |t| match t {
                Target::Lane(l) => l == *id,
                Target::Card(c) => map.card(c).is_some_and(|c| c.lane == *id),
                Target::Stage(_) => false,
            }));
            return Ok(edits);
        }

        Edit::AddCard { card } => Edit::RemoveCard { id: card.id },
        Edit::SetCardText { id, .. } => Edit::SetCardText {
            id: *id,
            text: card(*id)?.text.clone(),
        },
        Edit::SetCardChannel { id, .. } => Edit::SetCardChannel {
            id: *id,
            channel: card(*id)?.channel,
        },
        Edit::SetCardEmotion { id, .. } => Edit::SetCardEmotion {
            id: *id,
            emotion: card(*id)?.emotion,
        },
        Edit::SetCardEvidence { id, .. } => Edit::SetCardEvidence {
            id: *id,
            evidence: card(*id)?.evidence,
        },
        Edit::SetCardSurvey { id, .. } => Edit::SetCardSurvey {
            id: *id,
            survey: card(*id)?.survey.clone(),
        },
        Edit::MoveCard { id, .. } => {
            let old = card(*id)?;
            Edit::MoveCard {
                id: *id,
                stage: old.stage,
                lane: old.lane,
                position: old.position.clone(),
            }
        }
        Edit::RemoveCard { id } => {
            let mut edits = vec![Edit::AddCard {
                card: card(*id)?.clone(),
            }];
            edits.extend(restore_comments(map, |t| t == Target::Card(*id)));
            return Ok(edits);
        }

        Edit::AddPersona { persona } => Edit::RemovePersona { id: persona.id },
        Edit::RenamePersona { id, .. } => Edit::RenamePersona {
            id: *id,
            name: persona(*id)?.name.clone(),
        },
        Edit::SetPersonaField { id, field, .. } => Edit::SetPersonaField {
            id: *id,
            field: *field,
            text: persona(*id)?.field(*field).clone(),
        },
        Edit::RemovePersona { id } => Edit::AddPersona {
            persona: persona(*id)?.clone(),
        },

        Edit::AddComment { comment } => Edit::RemoveComment { id: comment.id },
        Edit::SetThreadResolved { id, .. } => Edit::SetThreadResolved {
            id: *id,
            resolved: map.comment(*id).ok_or(missing(Item::Comment))?.resolved,
        },
        Edit::RemoveComment { id } => {
            let comment = map.comment(*id).ok_or(missing(Item::Comment))?;
            let mut edits = vec![Edit::AddComment {
                comment: comment.clone(),
            }];
            edits.extend(
                map.comments
                    .iter()
                    .filter(|c| c.thread == Some(*id))
                    .map(|c| Edit::AddComment { comment: c.clone() }),
            );
            return Ok(edits);
        }
        Edit::Withheld => return Ok(Vec::new()),
    };
    Ok(vec![undo])
}

fn add<T: crate::domain::map::Ordered>(
    items: &mut Vec<T>,
    item: T,
    kind: Item,
    max: usize,
) -> Result<(), EditError> {
    if index_of(items, item.id()).is_some() {
        return Err(EditError::Exists { item: kind });
    }
    if items.len() >= max {
        return Err(EditError::TooMany { item: kind, max });
    }
    insert_sorted(items, item);
    Ok(())
}

fn reposition<T: crate::domain::map::Ordered + PositionMut>(
    items: &mut Vec<T>,
    id: T::Id,
    position: &Position,
    kind: Item,
) -> Result<(), EditError> {
    let at = index_of(items, id).ok_or(missing(kind))?;
    let mut item = items.remove(at);
    item.set_position(position.clone());
    insert_sorted(items, item);
    Ok(())
}

/// Moving an item means giving it a new position; only `reposition` does that.
trait PositionMut {
    fn set_position(&mut self, position: Position);
}

impl PositionMut for Stage {
    fn set_position(&mut self, position: Position) {
        self.position = position;
    }
}

impl PositionMut for Lane {
    fn set_position(&mut self, position: Position) {
        self.position = position;
    }
}

fn check_cell(map: &JourneyMap, stage: StageId, lane: LaneId) -> Result<(), EditError> {
    map.stage(stage).ok_or(missing(Item::Stage))?;
    map.lane(lane).ok_or(missing(Item::Lane))?;
    Ok(())
}

fn stage_mut(map: &mut JourneyMap, id: StageId) -> Result<&mut Stage, EditError> {
    map.stages
        .iter_mut()
        .find(|s| s.id == id)
        .ok_or(missing(Item::Stage))
}

fn lane_mut(map: &mut JourneyMap, id: LaneId) -> Result<&mut Lane, EditError> {
    map.lanes
        .iter_mut()
        .find(|l| l.id == id)
        .ok_or(missing(Item::Lane))
}

fn card_mut(map: &mut JourneyMap, id: CardId) -> Result<&mut Card, EditError> {
    map.cards
        .iter_mut()
        .find(|c| c.id == id)
        .ok_or(missing(Item::Card))
}

fn persona_mut(map: &mut JourneyMap, id: PersonaId) -> Result<&mut Persona, EditError> {
    map.personas
        .iter_mut()
        .find(|p| p.id == id)
        .ok_or(missing(Item::Persona))
}

#[cfg(test)]
mod tests;
