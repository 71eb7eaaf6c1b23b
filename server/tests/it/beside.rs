//! The side log through the server functions: each change to what is kept beside a map
//! (status and tags, targets, triage, its place as a sub-journey) listed with who made it,
//! undone and redone, refused when the value changed since, and open editors told to fetch.

use app::domain::access::Role;
use app::domain::catalog::Status;
use app::domain::protocol::ServerMsg;
use axum::http::{header, StatusCode};
use serde_json::Value;

use crate::feedback::{send, setup};
use crate::landscape::form;
use crate::support::{new_map, person, Client, Disk};

/// The map's side log as the History panel gets it: (id, what, undoable), newest first.
async fn side_log(app: &axum::Router, map: app::domain::ids::MapId) -> Vec<(i64, String, bool)> {
    let reply = send(app, form("side_changes", format!("id={map}"))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let entries: Vec<Value> = serde_json::from_str(&reply.body).unwrap();
    entries
        .iter()
        .map(|e| {
            (
                e["id"].as_i64().unwrap(),
                e["what"].as_str().unwrap().to_owned(),
                e["undoable"].as_bool().unwrap(),
            )
        })
        .collect()
}

async fn undo(
    app: &axum::Router,
    map: app::domain::ids::MapId,
    entry: i64,
) -> (StatusCode, String) {
    let reply = send(
        app,
        form("undo_side_change", format!("id={map}&entry={entry}")),
    )
    .await;
    (reply.status, reply.body)
}

#[tokio::test]
async fn changes_beside_a_map_are_undone_and_redone_while_they_stand() {
    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    let map = setup.map;
    let backend = setup.backend.clone();
    let app = disk.router(backend.clone()).await;
    let server = disk.serve(backend.clone()).await;
    let rev = backend.rooms.snapshot(map).await.unwrap().rev;
    let (mut editor, _) = Client::connect(&server, map, rev, "Alice").await;

    let ok = |reply: crate::feedback::Reply| assert!(reply.status.is_success(), "{}", reply.body);
    ok(send(
        &app,
        form("set_catalog", format!("id={map}&status=validated&tags=b2c")),
    )
    .await);
    // The open editor is told, so its panels fetch again.
    assert_eq!(editor.next_not_peers().await, ServerMsg::Refetch);
    ok(send(
        &app,
        form("set_target", format!("map={map}&measure=nps&value=20")),
    )
    .await);
    ok(send(
        &app,
        form("set_target", format!("map={map}&measure=nps&value=30")),
    )
    .await);
    // The same value again changes nothing, so nothing is listed.
    ok(send(
        &app,
        form("set_target", format!("map={map}&measure=nps&value=30")),
    )
    .await);

    let log = side_log(&app, map).await;
    let what: Vec<&str> = log.iter().map(|(_, w, _)| w.as_str()).collect();
    assert_eq!(
        what,
        [
            "Target: Whole map: NPS +30",
            "Target: Whole map: NPS +20",
            "Status and tags: Validated, b2c"
        ]
    );
    // Only values still as the change left them can be put back.
    assert_eq!(
        log.iter().map(|(_, _, u)| *u).collect::<Vec<_>>(),
        [true, false, true]
    );
    let (thirty, twenty, catalog) = (log[0].0, log[1].0, log[2].0);

    // The older target change is refused (the newer one stands on it), and nothing changes.
    let (status, body) = undo(&app, map, twenty).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("changed again since"), "{body}");
    let nps = |t: &[app::domain::targets::Target]| t.iter().map(|t| t.value()).collect::<Vec<_>>();
    assert_eq!(nps(&backend.db.targets(map).await.unwrap()), [30.0]);

    // Undone one step at a time: +30 back to +20, then +20 back to none.
    let (status, body) = undo(&app, map, thirty).await;
    assert!(status.is_success(), "{body}");
    assert_eq!(nps(&backend.db.targets(map).await.unwrap()), [20.0]);
    let (status, body) = undo(&app, map, twenty).await;
    assert!(status.is_success(), "{body}");
    assert!(backend.db.targets(map).await.unwrap().is_empty());
    // Undoing twice is refused.
    let (status, body) = undo(&app, map, thirty).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("already undone"), "{body}");

    // An undo is a change of its own: undoing it is a redo.
    let log = side_log(&app, map).await;
    assert_eq!(log[0].1, "Undone: Target: Whole map: NPS +20");
    assert!(log[0].2);
    let (status, body) = undo(&app, map, log[0].0).await;
    assert!(status.is_success(), "{body}");
    assert_eq!(nps(&backend.db.targets(map).await.unwrap()), [20.0]);
    assert_eq!(
        side_log(&app, map).await[0].1,
        "Redone: Target: Whole map: NPS +20"
    );

    // The status and tags go back to the new map's.
    let (status, body) = undo(&app, map, catalog).await;
    assert!(status.is_success(), "{body}");
    let listed = backend.db.list_maps(None).await.unwrap();
    let entry = listed.iter().find(|m| m.id == map).unwrap();
    assert_eq!(entry.catalog.status, Status::Draft);
    assert!(entry.catalog.tags.is_empty());

    // A review is listed but has nothing to put back.
    ok(send(&app, form("mark_reviewed", format!("id={map}"))).await);
    let log = side_log(&app, map).await;
    assert_eq!((log[0].1.as_str(), log[0].2), ("Reviewed", false));
    let (status, body) = undo(&app, map, log[0].0).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // An entry of another map, or none, is not found; a malformed one is refused.
    let other = new_map(&backend, app::domain::template::Template::Blank).await;
    assert_eq!(undo(&app, other, catalog).await.0, StatusCode::NOT_FOUND);
    assert_eq!(undo(&app, map, 1 << 40).await.0, StatusCode::NOT_FOUND);
    let reply = send(&app, form("undo_side_change", format!("id={map}&entry=x"))).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
}

#[tokio::test]
async fn a_triage_and_a_sub_journey_link_are_undone_unless_the_link_is_no_longer_possible() {
    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    let map = setup.map;
    let backend = setup.backend.clone();
    let app = disk.router(backend.clone()).await;
    let ok = |reply: crate::feedback::Reply| assert!(reply.status.is_success(), "{}", reply.body);

    // A first triage, undone: the card is as if never triaged.
    let snapshot = backend.rooms.snapshot(map).await.unwrap().map;
    let guest = snapshot
        .cards()
        .iter()
        .find(|c| c.text.as_str() == "Guest checkout")
        .unwrap()
        .id;
    ok(send(
        &app,
        form(
            "set_opportunity",
            format!("map={map}&card={guest}&status=planned"),
        ),
    )
    .await);
    assert_eq!(backend.db.triage_of(map).await.unwrap().len(), 1);
    let log = side_log(&app, map).await;
    assert_eq!(log[0].1, "Opportunity: Guest checkout: Planned");
    ok_undo(&app, map, log[0].0).await;
    assert!(backend.db.triage_of(map).await.unwrap().is_empty());

    // Owned by a member, then by nobody; the member's account deleted, undoing the second puts
    // the first back without its owner (as deleting the account would have left it).
    let (owner, _) = person(&backend, false, Some((map, Role::Editor))).await;
    let owned = format!("map={map}&card={guest}&status=planned&owner={}", owner.id);
    ok(send(&app, form("set_opportunity", owned)).await);
    let unowned = format!("map={map}&card={guest}&status=in_progress");
    ok(send(&app, form("set_opportunity", unowned)).await);
    let gone = owner.id.to_string();
    backend
        .db
        .writer()
        .write(move |conn| {
            conn.execute("DELETE FROM users WHERE id = ?1", [gone])?;
            Ok(())
        })
        .await
        .unwrap();
    ok_undo(&app, map, side_log(&app, map).await[0].0).await;
    let triage = backend.db.triage_of(map).await.unwrap();
    assert_eq!(triage[0].1.status, app::domain::backlog::Status::Planned);
    assert_eq!(triage[0].1.owner, None);

    // A sub-journey: linked, unlinked, and the unlinking undone. The parent's open editors
    // are told each time, as their list of sub-journeys changes.
    let parent = new_map(&backend, app::domain::template::Template::Blank).await;
    let server = disk.serve(backend.clone()).await;
    let rev = backend.rooms.snapshot(parent).await.unwrap().rev;
    let (mut parent_editor, _) = Client::connect(&server, parent, rev, "Alice").await;
    let link = form("set_parent", format!("map={map}&parent={parent}"));
    ok(send(&app, link).await);
    assert_eq!(parent_editor.next_not_peers().await, ServerMsg::Refetch);
    ok(send(&app, form("set_parent", format!("map={map}"))).await);
    assert!(backend.db.links().await.unwrap().is_empty());
    assert_eq!(parent_editor.next_not_peers().await, ServerMsg::Refetch);
    let log = side_log(&app, map).await;
    assert_eq!(log[0].1, "Linked: no longer a sub-journey");
    ok_undo(&app, map, log[0].0).await;
    assert_eq!(parent_editor.next_not_peers().await, ServerMsg::Refetch);
    let links = backend.db.links().await.unwrap();
    assert_eq!((links.len(), links[0].parent), (1, parent));
    // The sub-journey's answers change the figures its parent shows: the parent's editors are
    // told too.
    let key = crate::feedback::api_key(&setup).await;
    let answer = serde_json::json!({ "touchpoint": setup.touchpoints[0].0, "nps": 9 });
    let path = format!("/api/v1/maps/{map}/responses");
    let posted = send(&app, crate::feedback::post_json(&path, Some(&key), &answer)).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{}", posted.body);
    assert_eq!(parent_editor.next_not_peers().await, ServerMsg::Refetch);

    // Unlinked again: someone who may edit the map but not see the parent may not put the
    // link back (as they could not make it).
    ok(send(&app, form("set_parent", format!("map={map}"))).await);
    let (_, cookie) = person(&backend, false, Some((map, Role::Editor))).await;
    let unlinked = side_log(&app, map).await[0].0;
    let mut request = form("undo_side_change", format!("id={map}&entry={unlinked}"));
    request
        .headers_mut()
        .insert(header::COOKIE, cookie.parse().unwrap());
    let reply = send(&app, request).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(reply.body.contains("cannot see"), "{}", reply.body);
    assert!(backend.db.links().await.unwrap().is_empty());

    // The parent deleted: putting the link back is refused, saying why.
    ok(send(&app, form("delete_map", format!("id={parent}"))).await);
    let log = side_log(&app, map).await;
    assert!(log[0].2, "the value still stands, so it is offered");
    let (status, body) = undo(&app, map, log[0].0).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("deleted"), "{body}");
    assert!(backend.db.links().await.unwrap().is_empty());
}

async fn ok_undo(app: &axum::Router, map: app::domain::ids::MapId, entry: i64) {
    let (status, body) = undo(app, map, entry).await;
    assert!(status.is_success(), "{body}");
}
