//! How maps hang together: a sub-journey details one stage, or one card, of a parent map
//! ("Onboarding" under "Retention"), and a to-be map is the redesign of the as-is map it was made from. Kept
//! beside the maps (`api::hierarchy`), like their status and tags; read on the landscape, the
//! comparison page and presentations.

use serde::{Deserialize, Serialize};

use crate::domain::ids::{CardId, MapId, StageId};
use crate::domain::map::{Card, JourneyMap};

/// Deepest chain of sub-journeys a breadcrumb walks, and deepest a link may make.
pub const MAX_DEPTH: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// The map redesigns its parent, the as-is map it was made from.
    ToBe,
    /// The map details a stage of its parent.
    SubJourney,
}

impl LinkKind {
    pub fn key(self) -> &'static str {
        match self {
            LinkKind::ToBe => "to_be",
            LinkKind::SubJourney => "sub_journey",
        }
    }

    pub fn from_key(key: &str) -> Option<LinkKind> {
        [LinkKind::ToBe, LinkKind::SubJourney]
            .into_iter()
            .find(|k| k.key() == key)
    }
}

/// One link from a map to its parent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapLink {
    pub map: MapId,
    pub kind: LinkKind,
    pub parent: MapId,
    /// The parent's stage a sub-journey details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<StageId>,
    /// The parent's card it details, if one: `stage` is then the card's stage when linked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<CardId>,
}

impl MapLink {
    /// Where on its parent the link sits, given the parent as it is now (`None`: not at hand):
    /// the card it details, while the parent has it, and that card's stage now; otherwise the
    /// stage it was linked on.
    pub fn place<'a>(&self, parent: Option<&'a JourneyMap>) -> (Option<StageId>, Option<&'a Card>) {
        let card = self.card.and_then(|c| parent?.card(c));
        (card.map(|c| c.stage).or(self.stage), card)
    }
}

/// Why a link cannot be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("a map cannot be its own sub-journey")]
    Itself,
    #[error("that map is already above this one: the link would make a loop")]
    Loop,
    #[error("sub-journeys go at most {MAX_DEPTH} levels deep")]
    TooDeep,
}

/// The sub-journey parent of `map`, if any, among `links`.
fn parent_of(links: &[MapLink], map: MapId) -> Option<&MapLink> {
    links
        .iter()
        .find(|l| l.map == map && l.kind == LinkKind::SubJourney)
}

/// The chain of parents above `map`, nearest last: the breadcrumb to it. Stops at a loop (which
/// `check_sub_journey` keeps out) or `MAX_DEPTH`.
pub fn ancestors(links: &[MapLink], map: MapId) -> Vec<&MapLink> {
    let mut chain: Vec<&MapLink> = Vec::new();
    let mut at = map;
    while let Some(link) = parent_of(links, at) {
        if link.parent == map || chain.iter().any(|l| l.parent == link.parent) {
            break;
        }
        chain.push(link);
        if chain.len() == MAX_DEPTH {
            break;
        }
        at = link.parent;
    }
    chain.reverse();
    chain
}

/// The sub-journeys directly under `map`.
pub fn children(links: &[MapLink], map: MapId) -> Vec<&MapLink> {
    links
        .iter()
        .filter(|l| l.parent == map && l.kind == LinkKind::SubJourney)
        .collect()
}

/// Checks that `map` may become a sub-journey of `parent`, given the other `links`.
pub fn check_sub_journey(links: &[MapLink], map: MapId, parent: MapId) -> Result<(), LinkError> {
    if map == parent {
        return Err(LinkError::Itself);
    }
    // A loop: `map` is already above `parent`.
    let above = ancestors(links, parent);
    if above.iter().any(|l| l.parent == map) {
        return Err(LinkError::Loop);
    }
    // The parent's depth, plus the link, plus anything below `map`.
    if above.len() + 1 + depth_below(links, map, 0) > MAX_DEPTH {
        return Err(LinkError::TooDeep);
    }
    Ok(())
}

fn depth_below(links: &[MapLink], map: MapId, level: usize) -> usize {
    if level >= MAX_DEPTH {
        return level;
    }
    children(links, map)
        .into_iter()
        .map(|c| 1 + depth_below(links, c.map, level + 1))
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> MapId {
        MapId::from_uuid(uuid::Uuid::from_u128(n))
    }

    fn sub(map: u128, parent: u128) -> MapLink {
        MapLink {
            map: id(map),
            kind: LinkKind::SubJourney,
            parent: id(parent),
            stage: None,
            card: None,
        }
    }

    #[test]
    fn a_link_to_a_card_sits_where_the_card_is_while_the_parent_has_it() {
        let parent = crate::domain::fixture::sample_map();
        let card = &parent.cards()[0];
        let other_stage = parent
            .stages()
            .iter()
            .find(|s| s.id != card.stage)
            .unwrap()
            .id;
        let link = MapLink {
            stage: Some(other_stage),
            card: Some(card.id),
            ..sub(2, 1)
        };
        let (stage, found) = link.place(Some(&parent));
        assert_eq!(
            (stage, found.map(|c| c.id)),
            (Some(card.stage), Some(card.id))
        );
        // The parent not at hand, or without the card: the stage it was linked on.
        assert_eq!(link.place(None), (Some(other_stage), None));
        let gone = MapLink {
            card: Some(CardId::from_uuid(uuid::Uuid::from_u128(99))),
            ..link
        };
        assert_eq!(gone.place(Some(&parent)), (Some(other_stage), None));
    }

    #[test]
    fn breadcrumbs_walk_up_the_sub_journeys() {
        let links = vec![
            sub(2, 1),
            sub(3, 2),
            MapLink {
                kind: LinkKind::ToBe,
                ..sub(4, 3)
            },
        ];
        let crumbs: Vec<MapId> = ancestors(&links, id(3)).iter().map(|l| l.parent).collect();
        assert_eq!(crumbs, [id(1), id(2)]);
        // A to-be map is no sub-journey: it has no breadcrumb.
        assert!(ancestors(&links, id(4)).is_empty());
        assert_eq!(children(&links, id(1)).len(), 1);
    }

    #[test]
    fn links_make_no_loops_and_stay_shallow() {
        let links = vec![sub(2, 1), sub(3, 2)];
        assert_eq!(
            check_sub_journey(&links, id(1), id(1)),
            Err(LinkError::Itself)
        );
        assert_eq!(
            check_sub_journey(&links, id(1), id(3)),
            Err(LinkError::Loop)
        );
        assert_eq!(
            check_sub_journey(&links, id(2), id(3)),
            Err(LinkError::Loop)
        );
        assert_eq!(check_sub_journey(&links, id(4), id(3)), Ok(()));
        // Re-parenting keeps working: 3 moves from under 2 to under 1.
        assert_eq!(check_sub_journey(&links, id(3), id(1)), Ok(()));
        let deep: Vec<MapLink> = (1..=MAX_DEPTH as u128).map(|n| sub(n + 1, n)).collect();
        assert_eq!(
            check_sub_journey(&deep, id(100), id(MAX_DEPTH as u128 + 1)),
            Err(LinkError::TooDeep)
        );
        // A stored loop (from before these checks, say) still ends the breadcrumb.
        let looped = vec![sub(1, 2), sub(2, 1)];
        assert!(ancestors(&looped, id(1)).len() <= 2);
    }
}
