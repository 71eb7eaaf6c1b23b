//! The journey map: stages (columns) by lanes (rows), cards in the cells, and personas.
//!
//! Pure: no I/O, no clock. A map changes only through `domain::edit::apply`, which keeps the
//! invariants listed on `JourneyMap`.

use serde::{Deserialize, Serialize};

use crate::domain::feedback::{FeedbackSettings, Survey};
use crate::domain::ids::{CardId, CommentId, LaneId, MapId, PersonaId, StageId};
use crate::domain::position::Position;
use crate::domain::text::{FieldError, Name, Text};
use crate::domain::time::Millis;

pub const MAX_STAGES: usize = 100;
pub const MAX_LANES: usize = 50;
pub const MAX_CARDS: usize = 20_000;
pub const MAX_PERSONAS: usize = 20;
pub const MAX_COMMENTS: usize = 20_000;

/// A customer journey map.
///
/// Invariants: `stages`, `lanes`, `personas` and `cards` are sorted by (position, id); every
/// card's stage and lane exist; the counts stay within the `MAX_*` limits; ids are unique;
/// there is at least one persona.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JourneyMap {
    pub id: MapId,
    pub title: Name,
    pub scenario: Text,
    pub goals: Text,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub(crate) stages: Vec<Stage>,
    pub(crate) lanes: Vec<Lane>,
    pub(crate) cards: Vec<Card>,
    pub(crate) personas: Vec<Persona>,
    /// Comment threads on cards, stages and lanes, oldest first.
    #[serde(default)]
    pub(crate) comments: Vec<Comment>,
    /// How feedback on the map's touchpoints is summarised.
    #[serde(default)]
    pub feedback: FeedbackSettings,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Stage {
    pub id: StageId,
    pub name: Name,
    pub position: Position,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Lane {
    pub id: LaneId,
    pub name: Name,
    pub kind: LaneKind,
    pub position: Position,
}

/// What a lane holds; decides which extra fields its cards show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LaneKind {
    CustomerActions,
    Touchpoints,
    Channels,
    Thoughts,
    Emotions,
    PainPoints,
    Opportunities,
    MomentsOfTruth,
    Backstage,
    Text,
}

impl LaneKind {
    pub const ALL: [LaneKind; 10] = [
        LaneKind::CustomerActions,
        LaneKind::Touchpoints,
        LaneKind::Channels,
        LaneKind::Thoughts,
        LaneKind::Emotions,
        LaneKind::PainPoints,
        LaneKind::Opportunities,
        LaneKind::MomentsOfTruth,
        LaneKind::Backstage,
        LaneKind::Text,
    ];

    pub fn label(self) -> &'static str {
        match self {
            LaneKind::CustomerActions => "Customer actions",
            LaneKind::Touchpoints => "Touchpoints",
            LaneKind::Channels => "Channels",
            LaneKind::Thoughts => "Thoughts",
            LaneKind::Emotions => "Emotions",
            LaneKind::PainPoints => "Pain points",
            LaneKind::Opportunities => "Opportunities",
            LaneKind::MomentsOfTruth => "Moments of truth",
            LaneKind::Backstage => "Backstage",
            LaneKind::Text => "Free text",
        }
    }

    /// The stable identifier used on the wire and in forms.
    pub fn key(self) -> &'static str {
        match self {
            LaneKind::CustomerActions => "customer_actions",
            LaneKind::Touchpoints => "touchpoints",
            LaneKind::Channels => "channels",
            LaneKind::Thoughts => "thoughts",
            LaneKind::Emotions => "emotions",
            LaneKind::PainPoints => "pain_points",
            LaneKind::Opportunities => "opportunities",
            LaneKind::MomentsOfTruth => "moments_of_truth",
            LaneKind::Backstage => "backstage",
            LaneKind::Text => "text",
        }
    }

    pub fn from_key(key: &str) -> Option<LaneKind> {
        LaneKind::ALL.into_iter().find(|k| k.key() == key)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Card {
    pub id: CardId,
    pub stage: StageId,
    pub lane: LaneId,
    pub position: Position,
    pub text: Text,
    /// Where a touchpoint happens; shown on touchpoint lanes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    /// How the customer feels; drawn as the curve of an emotions lane.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emotion: Option<Emotion>,
    /// How well the card is backed by research.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
    /// What the touchpoint asks customers; it collects no feedback without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survey: Option<Survey>,
}

impl Card {
    /// The start of its text, as lists and logs beside the map name the card.
    pub fn excerpt(&self) -> String {
        self.text.as_str().chars().take(80).collect()
    }
}

/// The channel of a touchpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Web,
    MobileApp,
    Email,
    Social,
    Phone,
    Store,
    Chat,
    Other,
}

impl Channel {
    pub const ALL: [Channel; 8] = [
        Channel::Web,
        Channel::MobileApp,
        Channel::Email,
        Channel::Social,
        Channel::Phone,
        Channel::Store,
        Channel::Chat,
        Channel::Other,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Channel::Web => "Web",
            Channel::MobileApp => "Mobile app",
            Channel::Email => "Email",
            Channel::Social => "Social",
            Channel::Phone => "Phone",
            Channel::Store => "Store",
            Channel::Chat => "Chat",
            Channel::Other => "Other",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::MobileApp => "mobile_app",
            Channel::Email => "email",
            Channel::Social => "social",
            Channel::Phone => "phone",
            Channel::Store => "store",
            Channel::Chat => "chat",
            Channel::Other => "other",
        }
    }

    pub fn from_key(key: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.key() == key)
    }
}

/// An emotion score. Invariant: -2..=2 (very negative .. very positive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i8", into = "i8")]
pub struct Emotion(i8);

impl Emotion {
    pub const MIN: i8 = -2;
    pub const MAX: i8 = 2;

    pub fn new(score: i8) -> Result<Emotion, FieldError> {
        if !(Emotion::MIN..=Emotion::MAX).contains(&score) {
            return Err(FieldError::new("an emotion score is between -2 and +2"));
        }
        Ok(Emotion(score))
    }

    pub fn score(self) -> i8 {
        self.0
    }

    pub fn label(self) -> &'static str {
        match self.0 {
            -2 => "Very negative",
            -1 => "Negative",
            0 => "Neutral",
            1 => "Positive",
            _ => "Very positive",
        }
    }
}

impl TryFrom<i8> for Emotion {
    type Error = FieldError;

    fn try_from(score: i8) -> Result<Emotion, FieldError> {
        Emotion::new(score)
    }
}

impl From<Emotion> for i8 {
    fn from(emotion: Emotion) -> i8 {
        emotion.0
    }
}

/// How well a card is backed by evidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    Assumption,
    PartlyValidated,
    ResearchBacked,
}

impl Evidence {
    pub const ALL: [Evidence; 3] = [
        Evidence::Assumption,
        Evidence::PartlyValidated,
        Evidence::ResearchBacked,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Evidence::Assumption => "Assumption",
            Evidence::PartlyValidated => "Partly validated",
            Evidence::ResearchBacked => "Research-backed",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Evidence::Assumption => "assumption",
            Evidence::PartlyValidated => "partly_validated",
            Evidence::ResearchBacked => "research_backed",
        }
    }

    pub fn from_key(key: &str) -> Option<Evidence> {
        Evidence::ALL.into_iter().find(|e| e.key() == key)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Persona {
    pub id: PersonaId,
    pub name: Name,
    pub position: Position,
    #[serde(default)]
    pub role: Text,
    #[serde(default)]
    pub goals: Text,
    #[serde(default)]
    pub motivations: Text,
    #[serde(default)]
    pub frustrations: Text,
}

/// One of a persona's free-text fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonaField {
    Role,
    Goals,
    Motivations,
    Frustrations,
}

impl PersonaField {
    pub const ALL: [PersonaField; 4] = [
        PersonaField::Role,
        PersonaField::Goals,
        PersonaField::Motivations,
        PersonaField::Frustrations,
    ];

    pub fn label(self) -> &'static str {
        match self {
            PersonaField::Role => "Role",
            PersonaField::Goals => "Goals",
            PersonaField::Motivations => "Motivations",
            PersonaField::Frustrations => "Frustrations",
        }
    }
}

impl Persona {
    pub fn field(&self, field: PersonaField) -> &Text {
        match field {
            PersonaField::Role => &self.role,
            PersonaField::Goals => &self.goals,
            PersonaField::Motivations => &self.motivations,
            PersonaField::Frustrations => &self.frustrations,
        }
    }

    pub(crate) fn field_mut(&mut self, field: PersonaField) -> &mut Text {
        match field {
            PersonaField::Role => &mut self.role,
            PersonaField::Goals => &mut self.goals,
            PersonaField::Motivations => &mut self.motivations,
            PersonaField::Frustrations => &mut self.frustrations,
        }
    }
}

/// What a comment is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Target {
    Card(CardId),
    Stage(StageId),
    Lane(LaneId),
}

/// A comment. A thread is its first comment (`thread: None`) and the replies naming it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Comment {
    pub id: CommentId,
    pub target: Target,
    /// The thread this comment replies to; `None` starts a thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<CommentId>,
    pub author: Name,
    pub text: Text,
    /// When the author wrote it, by their browser's clock.
    pub at: Millis,
    /// Set on a thread's first comment when the thread is resolved.
    #[serde(default)]
    pub resolved: bool,
}

/// Anything kept in sorted (position, id) order.
pub(crate) trait Ordered {
    type Id: Ord + Copy;
    fn id(&self) -> Self::Id;
    fn position(&self) -> &Position;
}

macro_rules! ordered {
    ($ty:ty, $id:ty) => {
        impl Ordered for $ty {
            type Id = $id;
            fn id(&self) -> $id {
                self.id
            }
            fn position(&self) -> &Position {
                &self.position
            }
        }
    };
}
ordered!(Stage, StageId);
ordered!(Lane, LaneId);
ordered!(Card, CardId);
ordered!(Persona, PersonaId);

/// Inserts `item` at its sorted place. The caller has checked its id is new.
pub(crate) fn insert_sorted<T: Ordered>(items: &mut Vec<T>, item: T) {
    let key = (item.position().clone(), item.id());
    let at = items.partition_point(|x| (x.position(), x.id()) < (&key.0, key.1));
    items.insert(at, item);
}

pub(crate) fn index_of<T: Ordered>(items: &[T], id: T::Id) -> Option<usize> {
    items.iter().position(|x| x.id() == id)
}

impl JourneyMap {
    /// An empty map with a single persona; templates and edits fill it in.
    pub fn new(id: MapId, title: Name, persona: Persona, now: Millis) -> JourneyMap {
        JourneyMap {
            id,
            title,
            scenario: Text::default(),
            goals: Text::default(),
            created_at: now,
            updated_at: now,
            stages: Vec::new(),
            lanes: Vec::new(),
            cards: Vec::new(),
            personas: vec![persona],
            comments: Vec::new(),
            feedback: FeedbackSettings::default(),
        }
    }

    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    pub fn lanes(&self) -> &[Lane] {
        &self.lanes
    }

    /// Every card, sorted by (position, id) across the whole map.
    pub fn cards(&self) -> &[Card] {
        &self.cards
    }

    pub fn personas(&self) -> &[Persona] {
        &self.personas
    }

    /// Every comment, oldest first.
    pub fn comments(&self) -> &[Comment] {
        &self.comments
    }

    /// The map without its comment threads, for readers who may not see them.
    pub fn withhold_comments(&mut self) {
        self.comments.clear();
    }

    pub fn comment(&self, id: CommentId) -> Option<&Comment> {
        self.comments.iter().find(|c| c.id == id)
    }

    /// Whether the item a comment is about exists.
    pub fn has_target(&self, target: Target) -> bool {
        match target {
            Target::Card(id) => self.card(id).is_some(),
            Target::Stage(id) => self.stage(id).is_some(),
            Target::Lane(id) => self.lane(id).is_some(),
        }
    }

    pub fn stage(&self, id: StageId) -> Option<&Stage> {
        self.stages.iter().find(|s| s.id == id)
    }

    pub fn lane(&self, id: LaneId) -> Option<&Lane> {
        self.lanes.iter().find(|l| l.id == id)
    }

    pub fn card(&self, id: CardId) -> Option<&Card> {
        self.cards.iter().find(|c| c.id == id)
    }

    pub fn persona(&self, id: PersonaId) -> Option<&Persona> {
        self.personas.iter().find(|p| p.id == id)
    }

    /// The cards of one cell, in order.
    pub fn cards_in(&self, stage: StageId, lane: LaneId) -> impl Iterator<Item = &Card> {
        self.cards
            .iter()
            .filter(move |c| c.stage == stage && c.lane == lane)
    }

    /// Restores the sort order after deserializing data from outside (an older snapshot, an
    /// import), so that the invariants hold whatever order the data arrived in.
    pub fn normalize(&mut self) {
        fn sort<T: Ordered>(items: &mut [T]) {
            items.sort_by(|a, b| (a.position(), a.id()).cmp(&(b.position(), b.id())));
        }
        sort(&mut self.stages);
        sort(&mut self.lanes);
        sort(&mut self.cards);
        sort(&mut self.personas);
        self.comments.sort_by_key(|c| (c.at, c.id));
    }
}
