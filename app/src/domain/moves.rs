//! Reordering: the edits that move a stage, lane or card to a place in its list.
//!
//! Places are indexes into the list *without* the item being moved, which is what both a drop
//! ("before the item I dropped on") and a keyboard move ("one further") naturally produce.

use crate::domain::edit::Edit;
use crate::domain::ids::{CardId, LaneId, StageId};
use crate::domain::map::JourneyMap;
use crate::domain::position::Position;

/// Moves stage `id` to index `to` among the other stages; `None` if it is already there or
/// does not exist.
pub fn move_stage(map: &JourneyMap, id: StageId, to: usize) -> Option<Edit> {
    let from = map.stages().iter().position(|s| s.id == id)?;
    let others: Vec<&Position> = map
        .stages()
        .iter()
        .filter(|s| s.id != id)
        .map(|s| &s.position)
        .collect();
    let to = to.min(others.len());
    (to != from).then_some(())?;
    Some(Edit::MoveStage {
        id,
        position: Position::at_index(&others, to)?,
    })
}

/// Moves lane `id` to index `to` among the other lanes.
pub fn move_lane(map: &JourneyMap, id: LaneId, to: usize) -> Option<Edit> {
    let from = map.lanes().iter().position(|l| l.id == id)?;
    let others: Vec<&Position> = map
        .lanes()
        .iter()
        .filter(|l| l.id != id)
        .map(|l| &l.position)
        .collect();
    let to = to.min(others.len());
    (to != from).then_some(())?;
    Some(Edit::MoveLane {
        id,
        position: Position::at_index(&others, to)?,
    })
}

/// Moves card `id` into the cell (`stage`, `lane`), before card `before` or, with `None`, last.
pub fn move_card(
    map: &JourneyMap,
    id: CardId,
    stage: StageId,
    lane: LaneId,
    before: Option<CardId>,
) -> Option<Edit> {
    let card = map.card(id)?;
    let others: Vec<_> = map.cards_in(stage, lane).filter(|c| c.id != id).collect();
    let to = match before {
        Some(before) => others.iter().position(|c| c.id == before)?,
        None => others.len(),
    };
    let same_place = card.stage == stage
        && card.lane == lane
        && map.cards_in(stage, lane).position(|c| c.id == id) == Some(to);
    (!same_place).then_some(())?;
    let positions: Vec<&Position> = others.iter().map(|c| &c.position).collect();
    Some(Edit::MoveCard {
        id,
        stage,
        lane,
        position: Position::at_index(&positions, to)?,
    })
}

/// Moves card `id` up (`-1`) or down (`+1`) within its cell.
pub fn nudge_card(map: &JourneyMap, id: CardId, delta: isize) -> Option<Edit> {
    let card = map.card(id)?;
    let cell: Vec<CardId> = map.cards_in(card.stage, card.lane).map(|c| c.id).collect();
    let from = cell.iter().position(|c| *c == id)?;
    let to = from.checked_add_signed(delta)?;
    if to >= cell.len() {
        return None;
    }
    // Index `to` among the others is "after the card now at `to`" when moving down.
    let others: Vec<CardId> = cell.into_iter().filter(|c| *c != id).collect();
    let before = others.get(to).copied();
    move_card(map, id, card.stage, card.lane, before)
}

/// Moves card `id` to the end of the same lane in the neighbouring stage (`-1` left, `+1` right).
pub fn card_to_neighbour_stage(map: &JourneyMap, id: CardId, delta: isize) -> Option<Edit> {
    let card = map.card(id)?;
    let from = map.stages().iter().position(|s| s.id == card.stage)?;
    let stage = map.stages().get(from.checked_add_signed(delta)?)?.id;
    move_card(map, id, stage, card.lane, None)
}

/// Moves card `id` to the end of the same stage in the neighbouring lane (`-1` up, `+1` down).
pub fn card_to_neighbour_lane(map: &JourneyMap, id: CardId, delta: isize) -> Option<Edit> {
    let card = map.card(id)?;
    let from = map.lanes().iter().position(|l| l.id == card.lane)?;
    let lane = map.lanes().get(from.checked_add_signed(delta)?)?.id;
    move_card(map, id, card.stage, lane, None)
}

/// A position after the last of `positions` (for appending a new stage, lane, card or persona).
pub fn after_last<'a>(positions: impl Iterator<Item = &'a Position>) -> Position {
    let last = positions.max();
    Position::between(last, None).unwrap_or_else(Position::first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::edit::apply;
    use crate::domain::fixture::sample_map;

    fn names(map: &JourneyMap) -> Vec<String> {
        map.stages().iter().map(|s| s.name.to_string()).collect()
    }

    #[track_caller]
    fn check_stage_move(from: usize, to: usize, expected: [&str; 5]) {
        let mut map = sample_map();
        let id = map.stages()[from].id;
        let edit = move_stage(&map, id, to).unwrap();
        apply(&mut map, &edit).unwrap();
        assert_eq!(names(&map), expected);
    }

    #[test]
    fn stages_move_left_right_and_to_the_ends() {
        check_stage_move(
            1,
            2,
            [
                "Awareness",
                "Purchase",
                "Consideration",
                "Retention",
                "Advocacy",
            ],
        );
        check_stage_move(
            1,
            0,
            [
                "Consideration",
                "Awareness",
                "Purchase",
                "Retention",
                "Advocacy",
            ],
        );
        check_stage_move(
            0,
            4,
            [
                "Consideration",
                "Purchase",
                "Retention",
                "Advocacy",
                "Awareness",
            ],
        );
        check_stage_move(
            4,
            0,
            [
                "Advocacy",
                "Awareness",
                "Consideration",
                "Purchase",
                "Retention",
            ],
        );
    }

    #[test]
    fn moving_to_the_same_place_is_no_edit() {
        let map = sample_map();
        assert_eq!(move_stage(&map, map.stages()[2].id, 2), None);
        let first = map.cards()[0].id;
        assert_eq!(nudge_card(&map, first, -1), None);
    }

    #[test]
    fn cards_nudge_within_a_cell_and_hop_between_cells() {
        let mut map = sample_map();
        let touchpoints = map.lanes()[1].id;
        let consideration = map.stages()[1].id;
        let cell = |map: &JourneyMap| -> Vec<String> {
            map.cards_in(consideration, touchpoints)
                .map(|c| c.text.to_string())
                .collect()
        };
        assert_eq!(cell(&map), ["Product page", "Size guide"]);
        let product_page = map.cards_in(consideration, touchpoints).next().unwrap().id;
        let edit = nudge_card(&map, product_page, 1).unwrap();
        apply(&mut map, &edit).unwrap();
        assert_eq!(cell(&map), ["Size guide", "Product page"]);
        let edit = card_to_neighbour_stage(&map, product_page, 1).unwrap();
        apply(&mut map, &edit).unwrap();
        assert_eq!(cell(&map), ["Size guide"]);
        let purchase = map.stages()[2].id;
        let moved: Vec<String> = map
            .cards_in(purchase, touchpoints)
            .map(|c| c.text.to_string())
            .collect();
        assert_eq!(moved, ["Checkout", "Product page"]);
        assert!(card_to_neighbour_lane(&map, product_page, -1).is_some());
        assert!(card_to_neighbour_stage(&map, map.cards()[0].id, -1).is_none());
    }
}
