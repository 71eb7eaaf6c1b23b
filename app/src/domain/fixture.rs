//! Test support: deterministic maps and a generator of arbitrary edits against a map.

use proptest::prelude::*;
use uuid::Uuid;

use crate::domain::edit::Edit;
use crate::domain::feedback::{FeedbackSettings, Survey};
use crate::domain::ids::{CardId, CommentId, LaneId, MapId, PersonaId, StageId};
use crate::domain::map::{
    Card, Channel, Comment, Emotion, Evidence, JourneyMap, Lane, LaneKind, Persona, PersonaField,
    Stage, Target,
};
use crate::domain::position::Position;
use crate::domain::template::Template;
use crate::domain::text::{Name, Text};

/// A source of ids that counts up from `start`, so tests are repeatable.
pub fn ids(start: u128) -> impl FnMut() -> Uuid {
    let mut n = start;
    move || {
        n += 1;
        Uuid::from_u128(n)
    }
}

/// The five-stage template with ids 1, 2, 3, …
pub fn sample_map() -> JourneyMap {
    Template::CustomerJourney.build(MapId::from_uuid(Uuid::from_u128(0)), None, 0, &mut ids(0))
}

pub fn name(s: &str) -> Name {
    Name::parse(s).unwrap()
}

pub fn text(s: &str) -> Text {
    Text::parse(s).unwrap()
}

/// A raw choice made by proptest, turned into an edit by `Choice::edit` against a given map.
/// Indexes pick existing items (or, past the end, ids that don't exist), so the generated edits
/// mix valid ones with edits of deleted items, as concurrent editing produces.
#[derive(Clone, Debug)]
pub struct Choice {
    kind: u8,
    a: usize,
    b: usize,
    c: usize,
    fresh: u128,
}

pub fn choice() -> impl Strategy<Value = Choice> {
    (
        0u8..30,
        0usize..16,
        0usize..16,
        0usize..16,
        1_000u128..u128::MAX,
    )
        .prop_map(|(kind, a, b, c, fresh)| Choice {
            kind,
            a,
            b,
            c,
            fresh,
        })
}

fn pick<T: Clone>(items: &[T], i: usize) -> Option<T> {
    items.get(i % (items.len() + 1)).cloned()
}

/// A position near item `i` of a sorted list: between two neighbours, or at either end.
fn near(positions: &[&Position], i: usize) -> Position {
    let at = i % (positions.len() + 1);
    let before = at.checked_sub(1).map(|j| positions[j]);
    let after = positions.get(at).copied();
    Position::between(before, after).unwrap_or_else(Position::first)
}

impl Choice {
    pub fn edit(&self, map: &JourneyMap) -> Edit {
        let fresh = Uuid::from_u128(self.fresh);
        let stage = pick(map.stages(), self.a)
            .map(|s| s.id)
            .unwrap_or(StageId::from_uuid(fresh));
        let lane = pick(map.lanes(), self.b)
            .map(|l| l.id)
            .unwrap_or(LaneId::from_uuid(fresh));
        let card = pick(map.cards(), self.c)
            .map(|c| c.id)
            .unwrap_or(CardId::from_uuid(fresh));
        let persona = pick(map.personas(), self.a)
            .map(|p| p.id)
            .unwrap_or(PersonaId::from_uuid(fresh));
        let stage_pos: Vec<&Position> = map.stages().iter().map(|s| &s.position).collect();
        let lane_pos: Vec<&Position> = map.lanes().iter().map(|l| &l.position).collect();
        let card_pos: Vec<&Position> = map.cards().iter().map(|c| &c.position).collect();
        let comment = pick(map.comments(), self.b)
            .map(|c| c.id)
            .unwrap_or(CommentId::from_uuid(fresh));
        let target = match self.a % 3 {
            0 => Target::Card(card),
            1 => Target::Stage(stage),
            _ => Target::Lane(lane),
        };
        let label = format!("v{}", self.c);
        match self.kind {
            0 => Edit::RenameMap {
                title: name(&label),
            },
            1 => Edit::SetScenario { text: text(&label) },
            2 => Edit::AddStage {
                stage: Stage {
                    id: StageId::from_uuid(fresh),
                    name: name(&label),
                    position: near(&stage_pos, self.b),
                },
            },
            3 => Edit::RenameStage {
                id: stage,
                name: name(&label),
            },
            4 => Edit::MoveStage {
                id: stage,
                position: near(&stage_pos, self.c),
            },
            5 => Edit::RemoveStage { id: stage },
            6 => Edit::AddLane {
                lane: Lane {
                    id: LaneId::from_uuid(fresh),
                    name: name(&label),
                    kind: LaneKind::ALL[self.c % LaneKind::ALL.len()],
                    position: near(&lane_pos, self.a),
                },
            },
            7 => Edit::RenameLane {
                id: lane,
                name: name(&label),
            },
            8 => Edit::SetLaneKind {
                id: lane,
                kind: LaneKind::ALL[self.c % LaneKind::ALL.len()],
            },
            9 => Edit::MoveLane {
                id: lane,
                position: near(&lane_pos, self.c),
            },
            10 => Edit::RemoveLane { id: lane },
            11 | 12 => Edit::AddCard {
                card: Card {
                    id: CardId::from_uuid(fresh),
                    stage,
                    lane,
                    position: near(&card_pos, self.c),
                    text: text(&label),
                    channel: None,
                    emotion: None,
                    evidence: None,
                    survey: None,
                },
            },
            13 => Edit::SetCardText {
                id: card,
                text: text(&label),
            },
            14 => Edit::SetCardChannel {
                id: card,
                channel: pick(&Channel::ALL, self.a),
            },
            15 => Edit::SetCardEmotion {
                id: card,
                emotion: Emotion::new((self.a % 5) as i8 - 2).ok(),
            },
            16 => Edit::SetCardEvidence {
                id: card,
                evidence: pick(&Evidence::ALL, self.a),
            },
            17 | 18 => Edit::MoveCard {
                id: card,
                stage,
                lane,
                position: near(&card_pos, self.a),
            },
            19 => Edit::RemoveCard { id: card },
            20 => Edit::AddPersona {
                persona: Persona {
                    id: PersonaId::from_uuid(fresh),
                    name: name(&label),
                    position: near(&[], 0),
                    role: Text::default(),
                    goals: Text::default(),
                    motivations: Text::default(),
                    frustrations: Text::default(),
                },
            },
            21 => Edit::RenamePersona {
                id: persona,
                name: name(&label),
            },
            22 => Edit::SetPersonaField {
                id: persona,
                field: PersonaField::ALL[self.b % PersonaField::ALL.len()],
                text: text(&label),
            },
            23 => Edit::RemovePersona { id: persona },
            24 | 25 => {
                // Half of the comments reply to an existing thread (which may not fit).
                let thread = (self.kind == 25).then(|| {
                    pick(map.comments(), self.c).map_or(comment, |c| c.thread.unwrap_or(c.id))
                });
                let target = thread
                    .and_then(|t| map.comment(t))
                    .map_or(target, |root| root.target);
                Edit::AddComment {
                    comment: Comment {
                        id: CommentId::from_uuid(fresh),
                        target,
                        thread,
                        author: name("Tester"),
                        text: text(&label),
                        at: self.c as i64,
                        resolved: false,
                    },
                }
            }
            26 => Edit::SetThreadResolved {
                id: comment,
                resolved: self.a.is_multiple_of(2),
            },
            27 => Edit::RemoveComment { id: comment },
            28 => Edit::SetCardSurvey {
                id: card,
                survey: (!self.a.is_multiple_of(3)).then(|| Survey::default_for(&label)),
            },
            _ => Edit::SetFeedbackSettings {
                settings: FeedbackSettings {
                    minimum: 1 + self.a as u32,
                    comment_minimum: 1 + self.b as u32,
                    themes: Vec::new(),
                },
            },
        }
    }
}
