//! As-is and to-be: what a to-be map changes of the as-is map it was made from. A to-be map
//! starts as a copy that keeps the as-is map's ids, so a card is matched to itself across the
//! two by id, and a changed card is told from a removed one and a new one.

use crate::domain::ids::{CardId, StageId};
use crate::domain::map::{Card, JourneyMap};

/// How a card of either map fares in the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Only in the to-be map.
    Added,
    /// Only in the as-is map.
    Removed,
    /// In both, with these fields different.
    Changed(Fields),
    Same,
}

/// Which of a card's fields differ (its place counts: a card moved to another stage or lane).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fields {
    pub text: bool,
    pub place: bool,
    pub details: bool,
}

impl Fields {
    /// "text, place", for people.
    pub fn describe(self) -> String {
        let parts = [
            (self.text, "text"),
            (self.place, "stage or lane"),
            (self.details, "channel, emotion, evidence or survey"),
        ];
        parts
            .into_iter()
            .filter(|(on, _)| *on)
            .map(|(_, name)| name)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One card in the comparison: the to-be card where there is one, else the as-is card.
#[derive(Clone, Debug, PartialEq)]
pub struct Row<'a> {
    pub card: &'a Card,
    /// The as-is card of the same id, when there is one.
    pub before: Option<&'a Card>,
    pub change: Change,
}

/// Every card of either map, by the stage it is in now (the to-be map's stage, or for a
/// removed card the as-is one's), in the to-be map's order of stages, then lanes, then cards;
/// stages only the as-is map has come last.
pub struct Comparison<'a> {
    pub rows: Vec<Row<'a>>,
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
}

impl<'a> Comparison<'a> {
    pub fn new(as_is: &'a JourneyMap, to_be: &'a JourneyMap) -> Comparison<'a> {
        let mut rows: Vec<Row<'a>> = to_be
            .cards()
            .iter()
            .map(|card| {
                let before = as_is.card(card.id);
                let change = match before {
                    None => Change::Added,
                    Some(b) => differences(b, card),
                };
                Row {
                    card,
                    before,
                    change,
                }
            })
            .collect();
        rows.extend(
            as_is
                .cards()
                .iter()
                .filter(|c| to_be.card(c.id).is_none())
                .map(|card| Row {
                    card,
                    before: Some(card),
                    change: Change::Removed,
                }),
        );
        let count = |f: fn(&Change) -> bool| rows.iter().filter(|r| f(&r.change)).count();
        let (added, removed, changed) = (
            count(|c| *c == Change::Added),
            count(|c| *c == Change::Removed),
            count(|c| matches!(c, Change::Changed(_))),
        );
        let stage_order = |stage: StageId| {
            let to_be_index = to_be.stages().iter().position(|s| s.id == stage);
            let as_is_index = as_is.stages().iter().position(|s| s.id == stage);
            to_be_index.unwrap_or(to_be.stages().len() + as_is_index.unwrap_or(usize::MAX / 2))
        };
        let lane_order = |row: &Row| {
            let lanes = if row.change == Change::Removed {
                as_is.lanes()
            } else {
                to_be.lanes()
            };
            lanes.iter().position(|l| l.id == row.card.lane)
        };
        rows.sort_by_key(|r| {
            (
                stage_order(r.card.stage),
                lane_order(r),
                r.card.position.clone(),
            )
        });
        Comparison {
            rows,
            added,
            removed,
            changed,
        }
    }

    /// The stages the rows fall in, in order, each with its name (from the map that has it).
    pub fn stages(&self, as_is: &'a JourneyMap, to_be: &'a JourneyMap) -> Vec<(StageId, String)> {
        let mut seen: Vec<StageId> = Vec::new();
        for row in &self.rows {
            if !seen.contains(&row.card.stage) {
                seen.push(row.card.stage);
            }
        }
        seen.into_iter()
            .map(|id| {
                let name = to_be
                    .stage(id)
                    .or_else(|| as_is.stage(id))
                    .map_or_else(String::new, |s| s.name.to_string());
                (id, name)
            })
            .collect()
    }

    /// Whether card `id` is one of the to-be map's new cards.
    pub fn is_added(&self, id: CardId) -> bool {
        self.rows
            .iter()
            .any(|r| r.card.id == id && r.change == Change::Added)
    }
}

fn differences(before: &Card, after: &Card) -> Change {
    let fields = Fields {
        text: before.text != after.text,
        place: before.stage != after.stage || before.lane != after.lane,
        details: before.channel != after.channel
            || before.emotion != after.emotion
            || before.evidence != after.evidence
            || before.survey != after.survey,
    };
    if fields == Fields::default() {
        Change::Same
    } else {
        Change::Changed(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::edit::{apply, Edit};
    use crate::domain::fixture::{sample_map, text};
    use crate::domain::map::Channel;
    use crate::domain::position::Position;

    fn card_named(map: &JourneyMap, name: &str) -> Card {
        map.cards()
            .iter()
            .find(|c| c.text.as_str() == name)
            .cloned()
            .unwrap()
    }

    #[test]
    fn cards_are_matched_by_id_and_sorted_by_where_they_are_now() {
        let as_is = sample_map();
        let mut to_be = as_is.clone();
        let checkout = card_named(&to_be, "Checkout");
        let guest = card_named(&to_be, "Guest checkout");
        let edits = [
            Edit::SetCardText {
                id: checkout.id,
                text: text("One-page checkout"),
            },
            Edit::SetCardChannel {
                id: guest.id,
                channel: Some(Channel::Web),
            },
            Edit::RemoveCard {
                id: card_named(&to_be, "Forced to create an account").id,
            },
            Edit::AddCard {
                card: Card {
                    id: CardId::from_uuid(uuid::Uuid::from_u128(9_999)),
                    text: text("Pay with one tap"),
                    position: Position::between(Some(&checkout.position), None).unwrap(),
                    channel: None,
                    emotion: None,
                    evidence: None,
                    survey: None,
                    ..checkout.clone()
                },
            },
        ];
        for edit in &edits {
            apply(&mut to_be, edit).unwrap();
        }
        let comparison = Comparison::new(&as_is, &to_be);
        assert_eq!(
            (comparison.added, comparison.removed, comparison.changed),
            (1, 1, 2)
        );
        let change = |name: &str| {
            comparison
                .rows
                .iter()
                .find(|r| r.card.text.as_str() == name)
                .map(|r| r.change)
        };
        assert_eq!(
            change("One-page checkout"),
            Some(Change::Changed(Fields {
                text: true,
                ..Fields::default()
            }))
        );
        assert_eq!(change("Pay with one tap"), Some(Change::Added));
        assert_eq!(change("Forced to create an account"), Some(Change::Removed));
        assert_eq!(change("Instagram post"), Some(Change::Same));
        // In stage order: the Purchase stage's cards sit together, the removed one among them.
        let purchase = as_is.stages()[2].id;
        let in_purchase: Vec<usize> = comparison
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.card.stage == purchase)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(
            in_purchase.last().unwrap() - in_purchase.first().unwrap() + 1,
            in_purchase.len()
        );
        assert_eq!(comparison.stages(&as_is, &to_be).len(), 5);
        assert_eq!(
            Fields {
                text: true,
                place: true,
                details: false
            }
            .describe(),
            "text, stage or lane"
        );
    }
}
