//! Live editing over real WebSockets on loopback: ordering, acknowledgements, broadcast,
//! catch-up, idempotent resends, presence, restarts and bad input.

use app::domain::edit::{Edit, Op};
use app::domain::ids::{MapId, Rev};
use app::domain::map::JourneyMap;
use app::domain::protocol::{ClientMsg, Focus, ServerMsg, MAX_MESSAGE_BYTES, PROTOCOL_VERSION};
use app::domain::template::Template;
use app::domain::text::Name;
use futures::SinkExt;
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

use crate::support::{hold_writer, new_map, op, Client, Disk, Running};

fn rename(title: &str) -> Op {
    op(Edit::RenameMap {
        title: Name::parse(title).unwrap(),
    })
}

async fn setup() -> (Disk, Running, MapId, JourneyMap) {
    let disk = Disk::new();
    let backend = disk.open();
    let id = new_map(&backend, Template::CustomerJourney).await;
    let map = backend.rooms.snapshot(id).await.unwrap().map;
    let server = disk.serve(backend).await;
    (disk, server, id, map)
}

#[tokio::test]
async fn edits_are_acknowledged_and_broadcast_in_order() {
    let (_disk, server, id, _) = setup().await;
    let (mut alice, welcome) = Client::connect(&server, id, Rev(0), "Alice").await;
    assert!(
        matches!(
            welcome,
            ServerMsg::Welcome {
                rev: Rev(0),
                map: None,
                ..
            }
        ),
        "{welcome:?}"
    );
    let (mut bob, _) = Client::connect(&server, id, Rev(0), "Bob").await;

    let (first, second) = (rename("One"), rename("Two"));
    alice
        .send(&ClientMsg::Submit {
            ops: vec![first.clone(), second.clone()],
        })
        .await;
    assert_eq!(
        alice.revs_until(Rev(2)).await,
        [Rev(1), Rev(2)],
        "the sender's acknowledgement"
    );
    match bob.next_not_peers().await {
        ServerMsg::Applied { log } => {
            assert_eq!(
                log.iter().map(|l| l.rev).collect::<Vec<_>>(),
                [Rev(1), Rev(2)]
            );
            assert_eq!(log[0].op, first);
            assert_eq!(log[1].op, second);
        }
        other => panic!("bob expected the operations, got {other:?}"),
    }
    bob.send(&ClientMsg::Submit {
        ops: vec![rename("Three")],
    })
    .await;
    assert_eq!(alice.revs_until(Rev(3)).await, [Rev(3)]);
    assert_eq!(bob.revs_until(Rev(3)).await, [Rev(3)]);
}

#[tokio::test]
async fn many_writers_see_one_gapless_order() {
    let (_disk, server, id, _) = setup().await;
    let mut clients = Vec::new();
    for n in 0..5 {
        clients.push(
            Client::connect(&server, id, Rev(0), &format!("Writer {n}"))
                .await
                .0,
        );
    }
    for (n, client) in clients.iter_mut().enumerate() {
        let ops = (0..10).map(|k| rename(&format!("W{n} {k}"))).collect();
        client.send(&ClientMsg::Submit { ops }).await;
    }
    for client in &mut clients {
        assert_eq!(
            client.revs_until(Rev(50)).await,
            (1..=50).map(Rev).collect::<Vec<_>>()
        );
    }
}

#[tokio::test]
async fn a_reconnecting_client_catches_up_and_resends_harmlessly() {
    let (_disk, server, id, _) = setup().await;
    let (mut alice, _) = Client::connect(&server, id, Rev(0), "Alice").await;
    let ops: Vec<Op> = (0..5).map(|n| rename(&format!("Title {n}"))).collect();
    alice.send(&ClientMsg::Submit { ops: ops.clone() }).await;
    alice.revs_until(Rev(5)).await;

    // Bob was offline after revision 2.
    let (mut bob, welcome) = Client::connect(&server, id, Rev(2), "Bob").await;
    assert!(matches!(
        welcome,
        ServerMsg::Welcome {
            rev: Rev(5),
            map: None,
            ..
        }
    ));
    assert_eq!(bob.revs_until(Rev(5)).await, [Rev(3), Rev(4), Rev(5)]);

    // Alice lost her acknowledgement of the last operation and sends it again.
    drop(alice);
    let (mut alice, _) = Client::connect(&server, id, Rev(4), "Alice").await;
    assert_eq!(alice.revs_until(Rev(5)).await, [Rev(5)]);
    alice
        .send(&ClientMsg::Submit {
            ops: vec![ops[4].clone()],
        })
        .await;
    match alice.next_not_peers().await {
        ServerMsg::Known { op, rev } => {
            assert_eq!((op, rev), (ops[4].id, Rev(5)));
        }
        other => panic!("expected the resend to be recognised, got {other:?}"),
    }

    // A client claiming a revision the server never had gets the whole map.
    let (_carol, welcome) = Client::connect(&server, id, Rev(99), "Carol").await;
    match welcome {
        ServerMsg::Welcome {
            rev,
            map: Some(map),
            ..
        } => {
            assert_eq!(rev, Rev(5));
            assert_eq!(map.title.as_str(), "Title 4");
        }
        other => panic!("expected a full map, got {other:?}"),
    }
}

#[tokio::test]
async fn a_restart_between_acknowledgement_and_reconnect_loses_nothing() {
    let disk = Disk::new();
    let backend = disk.open();
    let id = new_map(&backend, Template::Blank).await;
    let server = disk.serve(backend).await;
    let (mut alice, _) = Client::connect(&server, id, Rev(0), "Alice").await;
    let ops: Vec<Op> = (0..20).map(|n| rename(&format!("Durable {n}"))).collect();
    alice.send(&ClientMsg::Submit { ops }).await;
    alice.revs_until(Rev(20)).await;
    drop(alice);
    drop(server);

    let server = disk.serve(disk.open()).await;
    let (mut bob, welcome) = Client::connect(&server, id, Rev(0), "Bob").await;
    assert!(
        matches!(welcome, ServerMsg::Welcome { rev: Rev(20), .. }),
        "{welcome:?}"
    );
    assert_eq!(
        bob.revs_until(Rev(20)).await,
        (1..=20).map(Rev).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn presence_shows_who_is_here_and_what_they_edit() {
    let (_disk, server, id, map) = setup().await;
    // Both connect with the same (admin) account; the sessions tell them apart.
    let session = |welcome: ServerMsg| match welcome {
        ServerMsg::Welcome { session, .. } => session,
        other => panic!("expected a welcome, got {other:?}"),
    };
    let (mut alice, welcome) = Client::connect(&server, id, Rev(0), "Alice").await;
    let alice_session = session(welcome);
    let (mut bob, welcome) = Client::connect(&server, id, Rev(0), "Bob").await;
    let bob_session = session(welcome);
    let card = map.cards()[0].id;
    bob.send(&ClientMsg::Presence {
        focus: Some(Focus::Card(card)),
    })
    .await;
    loop {
        if let ServerMsg::Peers { peers } = alice.next().await {
            let bob = peers.iter().find(|p| p.session == bob_session);
            if bob.is_some_and(|p| p.focus == Some(Focus::Card(card))) {
                assert_eq!(peers.len(), 2);
                assert_ne!(peers[0].colour, peers[1].colour);
                break;
            }
        }
    }
    drop(bob);
    loop {
        if let ServerMsg::Peers { peers } = alice.next().await {
            if peers.len() == 1 {
                assert_eq!(peers[0].session, alice_session);
                assert_eq!(peers[0].name, "Admin", "an account's own name is shown");
                break;
            }
        }
    }
}

#[tokio::test]
async fn bad_messages_get_an_error_frame_and_change_nothing() {
    let (_disk, server, id, _) = setup().await;
    let (mut alice, _) = Client::connect(&server, id, Rev(0), "Alice").await;
    let expect_error = |msg: ServerMsg, needle: &str| match msg {
        ServerMsg::Error { message } => assert!(message.contains(needle), "{message}"),
        other => panic!("expected an error about {needle:?}, got {other:?}"),
    };

    alice.send_raw("{nonsense".into()).await;
    expect_error(alice.next_not_peers().await, "malformed");
    alice
        .send_raw(r#"{"submit":{"ops":[{"id":"x","edit":{"remove_card":{}}}]}}"#.into())
        .await;
    expect_error(alice.next_not_peers().await, "malformed");
    alice.send_raw("x".repeat(MAX_MESSAGE_BYTES + 1)).await;
    expect_error(alice.next_not_peers().await, "too large");
    alice
        .ws
        .send(Message::Binary(vec![1, 2, 3].into()))
        .await
        .unwrap();
    expect_error(alice.next_not_peers().await, "text frames");
    alice
        .send(&ClientMsg::Hello {
            protocol: PROTOCOL_VERSION,
            since: Rev(0),
            name: "Again".into(),
        })
        .await;
    expect_error(alice.next_not_peers().await, "already");
    let too_many = (0..101).map(|n| rename(&format!("T{n}"))).collect();
    alice.send(&ClientMsg::Submit { ops: too_many }).await;
    expect_error(alice.next_not_peers().await, "at most 100");

    // A valid operation on something that does not exist is refused, not applied.
    let ghost = op(Edit::RemoveStage {
        id: app::domain::ids::StageId::from_uuid(uuid::Uuid::new_v4()),
    });
    alice
        .send(&ClientMsg::Submit {
            ops: vec![ghost.clone()],
        })
        .await;
    match alice.next_not_peers().await {
        ServerMsg::Rejected { op, .. } => assert_eq!(op, ghost.id),
        other => panic!("expected a rejection, got {other:?}"),
    }
    alice.send(&ClientMsg::Ping).await;
    assert_eq!(
        alice.next_not_peers().await,
        ServerMsg::Pong,
        "the connection still works"
    );
    let (_, welcome) = Client::connect(&server, id, Rev(0), "Check").await;
    assert!(
        matches!(welcome, ServerMsg::Welcome { rev: Rev(0), .. }),
        "nothing was applied"
    );
}

#[tokio::test]
async fn a_flooding_client_is_slowed_and_the_others_go_on() {
    let (_disk, server, id, _) = setup().await;
    let (mut flood, _) = Client::connect(&server, id, Rev(0), "Flood").await;
    let (mut calm, _) = Client::connect(&server, id, Rev(0), "Calm").await;
    // 500 operations at once: the burst allowance (300) passes, the rest are held back to the
    // sustained rate (50 per second), so the flood takes seconds.
    for burst in 0..5 {
        let ops = (0..100).map(|n| rename(&format!("F{burst} {n}"))).collect();
        flood.send(&ClientMsg::Submit { ops }).await;
    }
    // The calm client sees the burst go by (the flooding client's own connection is busy
    // waiting for its budget), then edits.
    calm.revs_until(Rev(300)).await;
    let calm_op = rename("Calm and collected");
    calm.send(&ClientMsg::Submit {
        ops: vec![calm_op.clone()],
    })
    .await;
    let calm_rev = loop {
        if let ServerMsg::Applied { log } = calm.next_not_peers().await {
            if let Some(mine) = log.iter().find(|l| l.op.id == calm_op.id) {
                break mine.rev;
            }
        }
    };
    assert!(
        calm_rev < Rev(501),
        "the calm client is not queued behind the flood"
    );
    // Nothing the flooding client sent is lost: it all arrives, just later.
    let revs = flood.revs_until(Rev(501)).await;
    assert!(revs.contains(&calm_rev));
}

#[tokio::test]
async fn unknown_maps_and_other_protocols_are_turned_away() {
    let (_disk, server, id, _) = setup().await;
    let url = format!("ws://{}/ws/maps/{}", server.addr, uuid::Uuid::new_v4());
    assert!(
        connect_async(url).await.is_err(),
        "no session for a map that does not exist"
    );

    let url = format!("ws://{}/ws/maps/{id}", server.addr);
    let (ws, _) = connect_async(url).await.unwrap();
    let mut client = Client { ws };
    client
        .send(&ClientMsg::Hello {
            protocol: 999,
            since: Rev(0),
            name: "Future".into(),
        })
        .await;
    match client.next().await {
        ServerMsg::Closing { reason, .. } => assert!(reason.contains("protocol"), "{reason}"),
        other => panic!("expected a closing message, got {other:?}"),
    }
}

#[tokio::test]
async fn everyone_on_the_map_hears_that_feedback_arrived() {
    use app::domain::feedback::{ResponseInput, Source};
    use server::feedback::{Naming, ServerFeedback};

    let disk = Disk::new();
    let backend = disk.open();
    let id = new_map(&backend, Template::CustomerJourney).await;
    let card = backend.rooms.snapshot(id).await.unwrap().map.cards()[1].id;
    let feedback = ServerFeedback::new(backend.db.clone(), backend.rooms.clone());
    let server = disk.serve(backend).await;
    let (mut alice, _) = Client::connect(&server, id, Rev(0), "Alice").await;
    let (mut bob, _) = Client::connect(&server, id, Rev(0), "Bob").await;

    let answer = ResponseInput {
        touchpoint: card.to_string(),
        nps: Some(9),
        ..ResponseInput::default()
    };
    feedback
        .ingest(id, vec![Ok(answer)], Source::Api, Naming::Id)
        .await
        .unwrap();
    assert_eq!(alice.next_not_peers().await, ServerMsg::Refetch);
    assert_eq!(bob.next_not_peers().await, ServerMsg::Refetch);

    // A refused batch changes nothing, so nobody is told anything.
    let bad = ResponseInput {
        touchpoint: card.to_string(),
        nps: Some(11),
        ..ResponseInput::default()
    };
    assert!(feedback
        .ingest(id, vec![Ok(bad)], Source::Api, Naming::Id)
        .await
        .is_err());
    alice.send(&ClientMsg::Ping).await;
    assert_eq!(alice.next_not_peers().await, ServerMsg::Pong);
}

/// Starts submissions of a rename each (one per title) and returns once the room has applied
/// them all, so that they are waiting for the writer.
async fn submissions_waiting_for_the_writer(
    backend: &server::backend::ServerBackend,
    id: MapId,
    titles: &[&str],
) -> Vec<tokio::task::JoinHandle<Result<server::rooms::Submitted, server::db::StoreError>>> {
    let submits = titles
        .iter()
        .map(|title| {
            let (rooms, op) = (backend.rooms.clone(), rename(title));
            tokio::spawn(async move {
                rooms
                    .submit(id, vec![op], &crate::support::author("A"))
                    .await
            })
        })
        .collect();
    // A room queues what it applied before it lets go of the map.
    while backend.rooms.waiting_for_the_database(id) < titles.len() {
        tokio::task::yield_now().await;
    }
    submits
}

/// Holds the writer in a job of its own (which runs `first`), has three people submit a rename
/// each while it waits, and lets the writer go once all three are queued behind it: so the three
/// share the next commit. Returns what each submission came to.
async fn three_submissions_in_one_commit(
    backend: &server::backend::ServerBackend,
    id: MapId,
    first: impl FnOnce(&rusqlite::Connection) -> Result<(), server::db::StoreError> + Send + 'static,
) -> Vec<Result<server::rooms::Submitted, server::db::StoreError>> {
    let (release, hold) = hold_writer(backend, first).await;
    let submits = submissions_waiting_for_the_writer(backend, id, &["T0", "T1", "T2"]).await;
    release.send(()).unwrap();
    hold.committed().await.unwrap();
    let mut outcomes = Vec::new();
    for submit in submits {
        outcomes.push(submit.await.unwrap());
    }
    outcomes
}

#[tokio::test]
async fn one_commit_is_announced_in_one_message() {
    use server::rooms::RoomEvent;

    let disk = Disk::new();
    let backend = disk.open();
    let id = new_map(&backend, Template::CustomerJourney).await;
    let seat = server::rooms::Seat {
        can_edit: false,
        link: None,
        account: None,
        address: [127, 0, 0, 1].into(),
    };
    let watcher = backend.rooms.join(id, "Watcher".into(), seat, Rev(0)).await;
    let mut events = watcher.unwrap().events;
    let start = backend.rooms.snapshot(id).await.unwrap().rev;

    for outcome in three_submissions_in_one_commit(&backend, id, |_| Ok(())).await {
        outcome.unwrap();
    }

    let applied = |event: RoomEvent| match event {
        RoomEvent::Applied { log, .. } => Some(log.iter().map(|l| l.rev.0).collect::<Vec<_>>()),
        _ => None,
    };
    // The writer announces a batch after it has answered the batch's jobs: wait for the first
    // announcement, then take whatever else came with it (a batch's are all sent at once).
    let mut announced = Vec::new();
    while announced.is_empty() {
        announced.extend(applied(events.recv().await.unwrap()));
    }
    while let Ok(event) = events.try_recv() {
        announced.extend(applied(event));
    }
    let revs: Vec<u64> = (1..=3).map(|n| start.0 + n).collect();
    assert_eq!(announced, [revs]);
}

#[tokio::test]
async fn a_failed_write_answers_everyone_in_it_and_the_map_reloads() {
    use server::db::StoreError;

    let disk = Disk::new();
    let backend = disk.open();
    let id = new_map(&backend, Template::CustomerJourney).await;

    // The map is deleted behind the room's back just before the three submissions' write.
    let delete = move |conn: &rusqlite::Connection| {
        conn.execute("DELETE FROM maps WHERE id = ?1", [id.to_string()])
            .map(drop)
            .map_err(StoreError::from)
    };
    for outcome in three_submissions_in_one_commit(&backend, id, delete).await {
        assert!(
            outcome.is_err(),
            "a submission in the failed write succeeded"
        );
    }
    // The room forgot what it had applied and reads the map again: it is gone.
    assert!(matches!(
        backend.rooms.snapshot(id).await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test]
async fn someone_joining_while_a_write_is_in_flight_gets_it_once_committed() {
    let disk = Disk::new();
    let backend = disk.open();
    let id = new_map(&backend, Template::CustomerJourney).await;
    let server = disk.serve(backend.clone()).await;
    let start = backend.rooms.snapshot(id).await.unwrap().rev;

    // The room has applied an edit the writer has not committed yet when Bob arrives, up to
    // date with everything committed.
    let (release, hold) = hold_writer(&backend, |_| Ok(())).await;
    let submits = submissions_waiting_for_the_writer(&backend, id, &["Pending"]).await;
    let (mut bob, welcome) = Client::connect(&server, id, start, "Bob").await;
    assert!(matches!(welcome, ServerMsg::Welcome { map: None, .. }));
    release.send(()).unwrap();
    hold.committed().await.unwrap();
    for submit in submits {
        submit.await.unwrap().unwrap();
    }

    assert_eq!(bob.revs_until(Rev(start.0 + 1)).await, [Rev(start.0 + 1)]);
}

#[tokio::test]
async fn nothing_is_written_on_top_of_a_failed_commit() {
    use server::db::StoreError;

    let disk = Disk::new();
    let backend = disk.open();
    let id = new_map(&backend, Template::CustomerJourney).await;
    let start = backend.rooms.snapshot(id).await.unwrap().rev;

    // Alice's edit goes into a batch whose commit fails: a job beside it leaves a foreign-key
    // violation that SQLite checks only at the commit.
    let (release_first, first) = hold_writer(&backend, |_| Ok(())).await;
    let alice = submissions_waiting_for_the_writer(&backend, id, &["Alice's"]).await;
    let (breaking, has_broken) = tokio::sync::oneshot::channel();
    let (release_breaker, released) = std::sync::mpsc::channel::<()>();
    let breaker = backend.db.writer().enqueue(move |conn| {
        let _ = breaking.send(());
        let _ = released.recv();
        conn.execute_batch(
            "PRAGMA defer_foreign_keys = ON;
             INSERT INTO ops (map_id, rev, op_id, edit, created_at, author)
                 VALUES ('no such map', 1, 'x', '{}', 0, '');",
        )
        .map_err(StoreError::from)
    });
    let breaker = breaker.await.unwrap();
    release_first.send(()).unwrap();
    first.committed().await.unwrap();
    has_broken.await.unwrap();
    // Alice's edit is written but not committed. Bob's, applied on top of it, waits for the next
    // batch.
    let bob = submissions_waiting_for_the_writer(&backend, id, &["Bob's"]).await;
    release_breaker.send(()).unwrap();
    assert!(breaker.committed().await.is_err(), "the commit should fail");

    for submit in alice.into_iter().chain(bob) {
        assert!(
            submit.await.unwrap().is_err(),
            "an edit resting on the failed commit was saved"
        );
    }
    // The log has no hole: the map loads, and the next edit takes the next revision.
    let reloaded = backend.rooms.snapshot(id).await.unwrap();
    assert_eq!(reloaded.rev, start);
    let after = backend
        .rooms
        .submit(id, vec![rename("After")], &crate::support::author("A"))
        .await
        .unwrap();
    assert_eq!(after.rev, Rev(start.0 + 1));
    let stored = backend.db.load_map(id).await.unwrap();
    assert_eq!(
        (stored.rev, stored.map.title.as_str()),
        (after.rev, "After")
    );
}
