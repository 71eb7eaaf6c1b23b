use proptest::prelude::*;
use uuid::Uuid;

use super::*;
use crate::domain::fixture::{choice, name, sample_map, text};
use crate::domain::ids::Rev;
use crate::domain::map::{JourneyMap, MAX_STAGES};
use crate::domain::sync::{Authority, Outcome};

fn stage_names(map: &JourneyMap) -> Vec<&str> {
    map.stages().iter().map(|s| s.name.as_str()).collect()
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

#[track_caller]
fn check_refused(edit: Edit, expected: EditError) {
    let mut map = sample_map();
    let before = map.clone();
    assert_eq!(apply(&mut map, &edit), Err(expected));
    assert_eq!(map, before, "a refused edit changes nothing");
}

#[test]
fn adding_a_stage_between_two_neighbours_puts_it_there() {
    let mut map = sample_map();
    let (first, second) = (&map.stages()[0], &map.stages()[1]);
    let position = Position::between(Some(&first.position), Some(&second.position)).unwrap();
    let edit = Edit::AddStage {
        stage: Stage {
            id: StageId::from_uuid(id(9_000)),
            name: name("Research"),
            position,
        },
    };
    apply(&mut map, &edit).unwrap();
    assert_eq!(
        stage_names(&map),
        [
            "Awareness",
            "Research",
            "Consideration",
            "Purchase",
            "Retention",
            "Advocacy"
        ]
    );
}

#[test]
fn moving_a_stage_reorders_without_touching_the_others() {
    let mut map = sample_map();
    let purchase = map.stages()[2].id;
    let position = Position::between(None, Some(&map.stages()[0].position)).unwrap();
    apply(
        &mut map,
        &Edit::MoveStage {
            id: purchase,
            position,
        },
    )
    .unwrap();
    assert_eq!(
        stage_names(&map),
        [
            "Purchase",
            "Awareness",
            "Consideration",
            "Retention",
            "Advocacy"
        ]
    );
}

#[test]
fn equal_positions_are_ordered_by_id() {
    let mut map = sample_map();
    let position = map.stages()[0].position.clone();
    for n in [9_002, 9_001] {
        let edit = Edit::AddStage {
            stage: Stage {
                id: StageId::from_uuid(id(n)),
                name: name(&format!("S{n}")),
                position: position.clone(),
            },
        };
        apply(&mut map, &edit).unwrap();
    }
    // Stage ids of the template are small numbers, so "Awareness" sorts first among equals.
    assert_eq!(stage_names(&map)[..3], ["Awareness", "S9001", "S9002"]);
}

#[test]
fn removing_a_stage_removes_its_cards_and_undo_restores_them() {
    let mut map = sample_map();
    let original = map.clone();
    let purchase = map.stages()[2].id;
    let undo = inverse(&map, &Edit::RemoveStage { id: purchase }).unwrap();
    apply(&mut map, &Edit::RemoveStage { id: purchase }).unwrap();
    assert!(map.cards().iter().all(|c| c.stage != purchase));
    assert_eq!(map.stages().len(), 4);
    for edit in &undo {
        apply(&mut map, edit).unwrap();
    }
    assert_eq!(map, original);
}

#[test]
fn cards_move_between_cells_in_order() {
    let mut map = sample_map();
    let stage = map.stages()[0].id;
    let lane = map.lanes()[0].id;
    let card = map
        .cards_in(map.stages()[1].id, lane)
        .next()
        .unwrap()
        .clone();
    let first = map.cards_in(stage, lane).next().unwrap().position.clone();
    let position = Position::between(None, Some(&first)).unwrap();
    let edit = Edit::MoveCard {
        id: card.id,
        stage,
        lane,
        position,
    };
    apply(&mut map, &edit).unwrap();
    let cell: Vec<&str> = map.cards_in(stage, lane).map(|c| c.text.as_str()).collect();
    assert_eq!(cell[0], card.text.as_str());
    assert_eq!(cell.len(), 2);
}

#[test]
fn card_fields_are_set_and_cleared() {
    let mut map = sample_map();
    let card = map.cards()[0].id;
    let edits = [
        Edit::SetCardText {
            id: card,
            text: text("<img src=x onerror=alert(1)>"),
        },
        Edit::SetCardChannel {
            id: card,
            channel: Some(Channel::Chat),
        },
        Edit::SetCardEmotion {
            id: card,
            emotion: Some(Emotion::new(-2).unwrap()),
        },
        Edit::SetCardEvidence {
            id: card,
            evidence: Some(Evidence::ResearchBacked),
        },
    ];
    for edit in &edits {
        apply(&mut map, edit).unwrap();
    }
    let c = map.card(card).unwrap();
    assert_eq!(c.text.as_str(), "<img src=x onerror=alert(1)>");
    assert_eq!(c.channel, Some(Channel::Chat));
    assert_eq!(c.emotion.map(Emotion::score), Some(-2));
    assert_eq!(c.evidence, Some(Evidence::ResearchBacked));
    apply(
        &mut map,
        &Edit::SetCardChannel {
            id: card,
            channel: None,
        },
    )
    .unwrap();
    assert_eq!(map.card(card).unwrap().channel, None);
}

#[test]
fn edits_of_missing_items_are_refused() {
    let ghost = id(77_777);
    check_refused(
        Edit::RenameStage {
            id: StageId::from_uuid(ghost),
            name: name("x"),
        },
        EditError::Missing { item: Item::Stage },
    );
    check_refused(
        Edit::RemoveCard {
            id: CardId::from_uuid(ghost),
        },
        EditError::Missing { item: Item::Card },
    );
    let map = sample_map();
    check_refused(
        Edit::MoveCard {
            id: map.cards()[0].id,
            stage: map.stages()[0].id,
            lane: LaneId::from_uuid(ghost),
            position: Position::first(),
        },
        EditError::Missing { item: Item::Lane },
    );
}

#[test]
fn duplicate_ids_and_the_last_persona_are_refused() {
    let map = sample_map();
    check_refused(
        Edit::AddStage {
            stage: map.stages()[0].clone(),
        },
        EditError::Exists { item: Item::Stage },
    );
    check_refused(
        Edit::RemovePersona {
            id: map.personas()[0].id,
        },
        EditError::LastPersona,
    );
}

#[test]
fn limits_are_enforced() {
    let mut map = sample_map();
    let mut last = map.stages().last().unwrap().position.clone();
    for n in map.stages().len()..MAX_STAGES {
        last = Position::between(Some(&last), None).unwrap();
        let stage = Stage {
            id: StageId::from_uuid(id(10_000 + n as u128)),
            name: name("More"),
            position: last.clone(),
        };
        apply(&mut map, &Edit::AddStage { stage }).unwrap();
    }
    let before = map.clone();
    let one_more = Edit::AddStage {
        stage: Stage {
            id: StageId::from_uuid(id(99_999)),
            name: name("Too many"),
            position: Position::first(),
        },
    };
    assert_eq!(
        apply(&mut map, &one_more),
        Err(EditError::TooMany {
            item: Item::Stage,
            max: MAX_STAGES
        })
    );
    assert_eq!(map, before);
}

#[test]
fn invalid_values_do_not_deserialize() {
    let bad = [
        r#"{"rename_map":{"title":""}}"#,
        r#"{"set_card_emotion":{"id":"00000000-0000-0000-0000-000000000001","emotion":3}}"#,
        r#"{"move_stage":{"id":"00000000-0000-0000-0000-000000000001","position":"!!"}}"#,
        r#"{"explode":{}}"#,
    ];
    for json in bad {
        assert!(serde_json::from_str::<Edit>(json).is_err(), "{json}");
    }
    let long = format!(
        r#"{{"set_card_text":{{"id":"00000000-0000-0000-0000-000000000001","text":"{}"}}}}"#,
        "x".repeat(5_001)
    );
    assert!(serde_json::from_str::<Edit>(&long).is_err());
}

#[test]
fn an_operation_submitted_twice_applies_once() {
    let map = sample_map();
    let mut authority = Authority::new(map, Rev(0), []);
    let op = Op {
        id: OpId::from_uuid(id(5)),
        edit: Edit::RenameMap {
            title: name("First"),
        },
    };
    let later = Op {
        id: OpId::from_uuid(id(6)),
        edit: Edit::RenameMap {
            title: name("Second"),
        },
    };
    assert_eq!(authority.submit(&op), Ok(Outcome::Applied(Rev(1))));
    assert_eq!(authority.submit(&later), Ok(Outcome::Applied(Rev(2))));
    // A resend of the first must not undo the second.
    assert_eq!(authority.submit(&op), Ok(Outcome::Duplicate(Rev(1))));
    assert_eq!(authority.map().title.as_str(), "Second");
    assert_eq!(authority.rev(), Rev(2));
}

#[test]
fn edits_round_trip_through_json() {
    let map = sample_map();
    let edit = Edit::AddCard {
        card: map.cards()[1].clone(),
    };
    let json = serde_json::to_string(&edit).unwrap();
    assert!(json.starts_with(r#"{"add_card":{"card":"#), "{json}");
    assert_eq!(serde_json::from_str::<Edit>(&json).unwrap(), edit);
    let map_json = serde_json::to_string(&map).unwrap();
    assert_eq!(serde_json::from_str::<JourneyMap>(&map_json).unwrap(), map);
}

proptest! {
    /// Any edit either applies and is undone exactly by its inverse, or is refused and
    /// changes nothing.
    #[test]
    fn inverse_undoes_every_edit(choices in prop::collection::vec(choice(), 1..60)) {
        let mut map = sample_map();
        for choice in choices {
            let edit = choice.edit(&map);
            let before = map.clone();
            match inverse(&map, &edit) {
                Ok(undo) => {
                    if apply(&mut map, &edit).is_ok() {
                        let mut undone = map.clone();
                        for e in &undo {
                            apply(&mut undone, e).unwrap();
                        }
                        prop_assert_eq!(&undone, &before);
                    } else {
                        prop_assert_eq!(&map, &before);
                    }
                }
                Err(_) => {
                    prop_assert!(apply(&mut map, &edit).is_err());
                    prop_assert_eq!(&map, &before);
                }
            }
        }
    }
}
