//! The opportunity backlog: every card in an Opportunities lane, on every map, as one list to
//! triage (status, owner, impact, effort, the pain points and touchpoints it answers) and to
//! rank by the evidence only Waymark has: how far below the map its touchpoints score, and how
//! many customers reach them.
//!
//! A card's triage is kept beside its map, not in the map's log (`api::backlog`, recorded in
//! the audit log): as with a map's status and tags (`catalog`), the map editor, whose every byte
//! is budgeted, carries none of it. A card removed from the map drops out of the backlog; undone,
//! it comes back with its triage.

use serde::{Deserialize, Serialize};

use crate::domain::feedback::{Score, Summary};
use crate::domain::ids::{CardId, UserId};
use crate::domain::journey::Funnel;
use crate::domain::map::{JourneyMap, LaneKind};

/// Most cards one opportunity links to.
pub const MAX_LINKS: usize = 50;

/// Where an opportunity stands.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Noted on a map; nobody has decided anything yet.
    #[default]
    Idea,
    Planned,
    InProgress,
    Done,
    /// Decided against.
    Dropped,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Idea,
        Status::Planned,
        Status::InProgress,
        Status::Done,
        Status::Dropped,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Status::Idea => "idea",
            Status::Planned => "planned",
            Status::InProgress => "in_progress",
            Status::Done => "done",
            Status::Dropped => "dropped",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Idea => "Idea",
            Status::Planned => "Planned",
            Status::InProgress => "In progress",
            Status::Done => "Done",
            Status::Dropped => "Dropped",
        }
    }

    pub fn from_key(key: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.key() == key)
    }

    /// Still to be done (the backlog's default view).
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Done | Status::Dropped)
    }
}

/// A rough size, for impact and for effort.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Low,
    Medium,
    High,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Low, Level::Medium, Level::High];

    pub fn key(self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Level::Low => "Low",
            Level::Medium => "Medium",
            Level::High => "High",
        }
    }

    pub fn from_key(key: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.key() == key)
    }
}

/// What the team decided about one opportunity card.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Triage {
    pub status: Status,
    /// A member of the map who answers for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact: Option<Level>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<Level>,
    /// The pain points and touchpoints of its map it answers. None chosen: those of its own
    /// stage, which is where a card in an Opportunities lane usually points.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<CardId>,
}

/// Why a triage cannot be kept.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TriageError {
    #[error("this card is not in an Opportunities lane of the map")]
    NotAnOpportunity,
    #[error("link only to pain points and touchpoints of the same map")]
    BadLink,
    #[error("link to at most {MAX_LINKS} cards")]
    TooManyLinks,
}

impl Triage {
    /// Checks that `card` is an opportunity of `map` and that every link is one of its pain
    /// points or touchpoints; drops repeated links.
    pub fn check(mut self, map: &JourneyMap, card: CardId) -> Result<Triage, TriageError> {
        if !is_opportunity(map, card) {
            return Err(TriageError::NotAnOpportunity);
        }
        let mut seen = std::collections::HashSet::new();
        self.links.retain(|l| seen.insert(*l));
        if self.links.len() > MAX_LINKS {
            return Err(TriageError::TooManyLinks);
        }
        if !self.links.iter().all(|l| linkable(map, *l).is_some()) {
            return Err(TriageError::BadLink);
        }
        Ok(self)
    }
}

/// Whether `card` is in an Opportunities lane of `map`.
pub fn is_opportunity(map: &JourneyMap, card: CardId) -> bool {
    kind_of(map, card) == Some(LaneKind::Opportunities)
}

/// The lane kind of `card`, when it may be linked to an opportunity.
pub fn linkable(map: &JourneyMap, card: CardId) -> Option<LaneKind> {
    kind_of(map, card).filter(|k| matches!(k, LaneKind::PainPoints | LaneKind::Touchpoints))
}

fn kind_of(map: &JourneyMap, card: CardId) -> Option<LaneKind> {
    let card = map.card(card)?;
    map.lane(card.lane).map(|l| l.kind)
}

/// The cards an opportunity answers: its chosen links, or else the pain points and touchpoints
/// of its own stage. In the map's order.
pub fn linked(map: &JourneyMap, card: CardId, triage: &Triage) -> Vec<CardId> {
    let Some(opportunity) = map.card(card) else {
        return Vec::new();
    };
    map.cards()
        .iter()
        .filter(|c| linkable(map, c.id).is_some())
        .filter(|c| match triage.links.is_empty() {
            true => c.stage == opportunity.stage,
            false => triage.links.contains(&c.id),
        })
        .map(|c| c.id)
        .collect()
}

/// What reach counts: customers from the funnel where the map has one, else answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reach {
    Customers,
    Answers,
}

/// What a map measures, as the backlog reads it.
pub struct Measures<'a> {
    /// The whole map's feedback.
    pub map: &'a Summary,
    /// Each touchpoint's.
    pub touchpoints: &'a [(CardId, Summary)],
    /// Touchpoints scoring significantly below the rest of the map.
    pub pain_points: &'a [CardId],
    pub funnel: Option<&'a Funnel>,
}

/// What the evidence says about one card an opportunity answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Link {
    pub card: CardId,
    pub kind: LaneKind,
    /// Its headline score, when it has one to show.
    #[serde(default, deserialize_with = "crate::domain::lenient::optional")]
    pub score: Option<Score>,
    /// The map's score on the same measure.
    #[serde(default, deserialize_with = "crate::domain::lenient::optional")]
    pub map_score: Option<Score>,
    /// How far, at least, it scores below the map (95% confidence), in points of the
    /// measure's whole range (0–100): the map's score less the top of its interval.
    pub shortfall: f64,
    /// Scores significantly below the rest of the map (one of its measured pain points).
    pub significant: bool,
    /// Customers who reached its stage, or its answers (see `Evidence::reach`).
    pub reach: u64,
}

/// The evidence behind one opportunity, and the priority it suggests.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub links: Vec<Link>,
    pub reach: Reach,
    /// Σ shortfall × reach over its links, shortfall as a share: roughly, how many customers'
    /// worth of experience sits below the map's. 0 when nothing measured is below.
    pub priority: u64,
}

/// The evidence behind opportunity `card` of `map` given its `triage`.
pub fn evidence(map: &JourneyMap, card: CardId, triage: &Triage, measures: &Measures) -> Evidence {
    let stage_reach = |stage| {
        measures
            .funnel
            .and_then(|f| f.stages.iter().find(|s| s.stage == stage))
            .map(|s| s.reach)
    };
    let reach = match measures.funnel {
        Some(f) if f.customers > 0 => Reach::Customers,
        _ => Reach::Answers,
    };
    let links: Vec<Link> = linked(map, card, triage)
        .into_iter()
        .filter_map(|id| {
            let kind = linkable(map, id)?;
            let stage = map.card(id)?.stage;
            let summary = measures
                .touchpoints
                .iter()
                .find(|(c, _)| *c == id)
                .map(|(_, s)| s);
            let score = summary.and_then(|s| s.headline()).cloned();
            let map_score = score
                .as_ref()
                .and_then(|s| measures.map.score(s.metric))
                .cloned();
            let shortfall = match (&score, &map_score) {
                (Some(mine), Some(all)) => match (mine.estimate, all.estimate) {
                    (Some(a), Some(b)) => {
                        let metric = mine.metric;
                        (metric.normalise(b.value()) - metric.normalise(a.high())).max(0.0) * 100.0
                    }
                    _ => 0.0,
                },
                _ => 0.0,
            };
            let reach = match reach {
                Reach::Customers => stage_reach(stage).unwrap_or(0),
                Reach::Answers => summary.map_or(0, |s| s.responses),
            };
            Some(Link {
                card: id,
                kind,
                score,
                map_score,
                shortfall,
                significant: measures.pain_points.contains(&id),
                reach,
            })
        })
        .collect();
    let priority = links
        .iter()
        .map(|l| l.shortfall / 100.0 * l.reach as f64)
        .sum::<f64>()
        .round();
    Evidence {
        links,
        reach,
        // Finite and at least 0 by construction; `as` saturates anyway.
        priority: priority as u64,
    }
}

/// Where an opportunity sits on the impact/effort matrix, once both are sized.
pub fn quadrant(triage: &Triage) -> Option<&'static str> {
    let (impact, effort) = (triage.impact?, triage.effort?);
    Some(match (impact >= Level::Medium, effort <= Level::Medium) {
        (true, true) => "Quick win",
        (true, false) => "Big bet",
        (false, true) => "Fill-in",
        (false, false) => "Money pit",
    })
}

/// The backlog's order: highest suggested priority first; among equals, higher impact, then
/// lower effort (sized before unsized).
pub fn rank(a: (&Evidence, &Triage), b: (&Evidence, &Triage)) -> std::cmp::Ordering {
    let impact = |t: &Triage| std::cmp::Reverse(t.impact);
    let effort = |t: &Triage| t.effort.map_or(4, |e| e as u8);
    b.0.priority
        .cmp(&a.0.priority)
        .then_with(|| impact(a.1).cmp(&impact(b.1)))
        .then_with(|| effort(a.1).cmp(&effort(b.1)))
}

#[cfg(test)]
mod tests;
