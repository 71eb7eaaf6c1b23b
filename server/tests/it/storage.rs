//! Every operation is committed before it is acknowledged and survives a restart.

use app::domain::edit::{Edit, EditError, Item};
use app::domain::ids::{CardId, LaneId, PersonaId, Rev, StageId};
use app::domain::map::{
    Card, Channel, Emotion, Evidence, JourneyMap, Lane, LaneKind, Persona, PersonaField, Stage,
};
use app::domain::moves::after_last;
use app::domain::position::Position;
use app::domain::template::Template;
use app::domain::text::{Name, Text};
use uuid::Uuid;

use server::rooms::CatchUp;

use crate::support::{new_map, op, Disk};

fn name(s: &str) -> Name {
    Name::parse(s).unwrap()
}

fn text(s: &str) -> Text {
    Text::parse(s).unwrap()
}

/// One edit of every kind, valid one after the other on the five-stage template.
fn one_of_each(map: &JourneyMap) -> Vec<Edit> {
    let stage = StageId::from_uuid(Uuid::new_v4());
    let lane = LaneId::from_uuid(Uuid::new_v4());
    let card = CardId::from_uuid(Uuid::new_v4());
    let persona = PersonaId::from_uuid(Uuid::new_v4());
    let first_stage = map.stages()[0].id;
    let second_lane = map.lanes()[1].id;
    let doomed_stage = map.stages()[4].id;
    let doomed_lane = map.lanes()[6].id;
    let doomed_card = map.cards()[0].id;
    vec![
        Edit::RenameMap {
            title: name("Round trip"),
        },
        Edit::SetScenario {
            text: text("A scenario"),
        },
        Edit::SetGoals {
            text: text("Some goals"),
        },
        Edit::AddStage {
            stage: Stage {
                id: stage,
                name: name("Onboarding"),
                position: after_last(map.stages().iter().map(|s| &s.position)),
            },
        },
        Edit::RenameStage {
            id: stage,
            name: name("Activation"),
        },
        Edit::MoveStage {
            id: stage,
            position: Position::between(None, Some(&map.stages()[0].position)).unwrap(),
        },
        Edit::AddLane {
            lane: Lane {
                id: lane,
                name: name("Channels"),
                kind: LaneKind::Channels,
                position: after_last(map.lanes().iter().map(|l| &l.position)),
            },
        },
        Edit::RenameLane {
            id: lane,
            name: name("Where"),
        },
        Edit::SetLaneKind {
            id: lane,
            kind: LaneKind::Touchpoints,
        },
        Edit::MoveLane {
            id: lane,
            position: Position::between(None, Some(&map.lanes()[0].position)).unwrap(),
        },
        Edit::AddCard {
            card: Card {
                id: card,
                stage,
                lane,
                position: Position::first(),
                text: text("Live chat"),
                channel: None,
                emotion: None,
                evidence: None,
                survey: None,
            },
        },
        Edit::SetCardText {
            id: card,
            text: text("Live chat <b>now</b>"),
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
            evidence: Some(Evidence::PartlyValidated),
        },
        Edit::MoveCard {
            id: card,
            stage: first_stage,
            lane: second_lane,
            position: Position::first(),
        },
        Edit::AddPersona {
            persona: Persona {
                id: persona,
                name: name("Sam"),
                position: Position::first(),
                role: Text::default(),
                goals: Text::default(),
                motivations: Text::default(),
                frustrations: Text::default(),
            },
        },
        Edit::RenamePersona {
            id: persona,
            name: name("Sam, the second"),
        },
        Edit::SetPersonaField {
            id: persona,
            field: PersonaField::Frustrations,
            text: text("Waiting"),
        },
        Edit::RemovePersona {
            id: map.personas()[0].id,
        },
        Edit::RemoveCard { id: doomed_card },
        Edit::RemoveLane { id: doomed_lane },
        Edit::RemoveStage { id: doomed_stage },
    ]
}

#[tokio::test]
async fn every_operation_round_trips_through_a_restart() {
    let disk = Disk::new();
    let backend = disk.open();
    let id = new_map(&backend, Template::CustomerJourney).await;
    let original = backend.rooms.snapshot(id).await.unwrap().map;
    let edits = one_of_each(&original);
    assert_eq!(edits.len(), 23, "one edit of each kind");

    for (n, edit) in edits.into_iter().enumerate() {
        let reply = backend
            .rooms
            .submit(id, vec![op(edit)], &crate::support::author("tester"))
            .await
            .unwrap();
        assert!(
            reply.rejected.is_empty(),
            "edit {n} refused: {:?}",
            reply.rejected
        );
        assert_eq!(reply.rev, Rev(n as u64 + 1));
        assert_eq!(reply.applied.len(), 1);

        // Every acknowledged edit is on disk: a restart right now loses nothing.
        let before = backend.rooms.snapshot(id).await.unwrap();
        let restarted = disk.open();
        let after = restarted.rooms.snapshot(id).await.unwrap();
        assert_eq!(after, before, "after edit {n}");
    }
    let last = backend.rooms.snapshot(id).await.unwrap().map;
    assert_eq!(last.title.as_str(), "Round trip");
    assert_eq!(last.stages()[0].name.as_str(), "Activation");
    assert_eq!(last.personas().len(), 1);
    assert_eq!(last.stages().len(), 5);
    assert_eq!(last.lanes().len(), 7);
}

#[tokio::test]
async fn a_resent_operation_applies_once_even_after_a_restart() {
    let disk = Disk::new();
    let backend = disk.open();
    let id = new_map(&backend, Template::Blank).await;
    let rename = op(Edit::RenameMap {
        title: name("First"),
    });
    let later = op(Edit::RenameMap {
        title: name("Second"),
    });
    backend
        .rooms
        .submit(
            id,
            vec![rename.clone(), later],
            &crate::support::author("tester"),
        )
        .await
        .unwrap();
    drop(backend);

    let backend = disk.open();
    let reply = backend
        .rooms
        .submit(id, vec![rename], &crate::support::author("tester"))
        .await
        .unwrap();
    assert_eq!(reply.rev, Rev(2), "the resend is not applied again");
    assert!(reply.rejected.is_empty() && reply.applied.is_empty());
    assert_eq!(
        reply.known.len(),
        1,
        "the sender learns it was applied before"
    );
    assert_eq!(reply.known[0].rev, Rev(1));
    match backend.rooms.catch_up(id, Rev(0)).await.unwrap() {
        CatchUp::Log(log) => assert_eq!(log.len(), 2, "catch-up returns the whole log"),
        CatchUp::Map(..) => panic!("two operations behind is not too far"),
    }
    let map = backend.rooms.snapshot(id).await.unwrap().map;
    assert_eq!(map.title.as_str(), "Second");
}

#[tokio::test]
async fn a_refused_operation_stores_nothing() {
    let disk = Disk::new();
    let backend = disk.open();
    let id = new_map(&backend, Template::Blank).await;
    let before = backend.rooms.snapshot(id).await.unwrap();
    let ghost = CardId::from_uuid(Uuid::new_v4());
    let bad = op(Edit::SetCardText {
        id: ghost,
        text: text("nothing"),
    });
    let reply = backend
        .rooms
        .submit(id, vec![bad.clone()], &crate::support::author("tester"))
        .await
        .unwrap();
    assert_eq!(reply.rejected.len(), 1);
    assert_eq!(reply.rejected[0].op, bad.id);
    assert_eq!(
        reply.rejected[0].error,
        EditError::Missing { item: Item::Card }
    );
    assert_eq!(reply.rev, Rev(0));
    assert!(reply.applied.is_empty());
    let after = disk.open().rooms.snapshot(id).await.unwrap();
    assert_eq!(after, before);
}

#[tokio::test]
async fn long_logs_are_snapshotted_and_replayed() {
    let disk = Disk::new();
    let backend = disk.open();
    let id = new_map(&backend, Template::Blank).await;
    for n in 0..600u64 {
        let edit = Edit::RenameMap {
            title: name(&format!("Title {n}")),
        };
        backend
            .rooms
            .submit(id, vec![op(edit)], &crate::support::author("tester"))
            .await
            .unwrap();
    }
    let expected = backend.rooms.snapshot(id).await.unwrap();
    // Snapshots are taken in the background, after the edit that makes one due.
    let mut stored = backend.db.load_map(id).await.unwrap();
    for _ in 0..100 {
        if stored.snapshot_rev >= Rev(512) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        stored = backend.db.load_map(id).await.unwrap();
    }
    assert!(
        stored.snapshot_rev >= Rev(512),
        "snapshot at {}",
        stored.snapshot_rev
    );
    drop(backend);
    let backend = disk.open();
    let stored = backend.db.load_map(id).await.unwrap();
    assert_eq!(stored.rev, Rev(600));
    assert_eq!(stored.op_ids.len(), 600);
    assert_eq!(backend.rooms.snapshot(id).await.unwrap(), expected);
}

#[tokio::test]
async fn concurrent_writers_get_one_gapless_order() {
    let disk = Disk::new();
    let backend = disk.open();
    let id = new_map(&backend, Template::Blank).await;
    let map = backend.rooms.snapshot(id).await.unwrap().map;
    let (stage, lane) = (map.stages()[0].id, map.lanes()[0].id);
    let mut tasks = Vec::new();
    for writer in 0..20 {
        let backend = backend.clone();
        tasks.push(tokio::spawn(async move {
            let mut revs = Vec::new();
            for n in 0..10 {
                let card = Card {
                    id: CardId::from_uuid(Uuid::new_v4()),
                    stage,
                    lane,
                    position: Position::first(),
                    text: text(&format!("writer {writer} card {n}")),
                    channel: None,
                    emotion: None,
                    evidence: None,
                    survey: None,
                };
                let reply = backend
                    .rooms
                    .submit(
                        id,
                        vec![op(Edit::AddCard { card })],
                        &crate::support::author("tester"),
                    )
                    .await
                    .unwrap();
                revs.push(reply.rev);
            }
            revs
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        let revs = task.await.unwrap();
        assert!(
            revs.windows(2).all(|w| w[0] < w[1]),
            "one writer's edits stay in order"
        );
        all.extend(revs);
    }
    all.sort();
    assert_eq!(all, (1..=200).map(Rev).collect::<Vec<_>>());
    let log = backend.db.log_since(id, Rev(0)).await.unwrap();
    assert_eq!(log.iter().map(|l| l.rev).collect::<Vec<_>>(), all);
    let restarted = disk.open().rooms.snapshot(id).await.unwrap();
    assert_eq!(restarted.map.cards().len(), 200);
}

#[tokio::test]
async fn deleting_a_map_removes_it_and_its_log() {
    let disk = Disk::new();
    let backend = disk.open();
    let id = new_map(&backend, Template::CustomerJourney).await;
    backend
        .rooms
        .submit(
            id,
            vec![op(Edit::RenameMap {
                title: name("Doomed"),
            })],
            &crate::support::author("tester"),
        )
        .await
        .unwrap();
    backend.rooms.delete(id).await.unwrap();
    assert!(backend.rooms.snapshot(id).await.is_err());
    let restarted = disk.open();
    assert!(restarted.db.list_maps(None).await.unwrap().is_empty());
    assert!(restarted.db.log_since(id, Rev(0)).await.unwrap().is_empty());
}
