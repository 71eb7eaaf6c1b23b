//! The shared persona library through its server functions: a map's persona shared, used on
//! another map, edited once and changed on both through their logs, detached, and deleted.

use axum::http::StatusCode;
use serde_json::Value;

use crate::feedback::send;
use crate::landscape::form;
use crate::support::{new_map, Disk};
use app::domain::template::Template;

#[tokio::test]
async fn a_library_persona_is_edited_once_and_changes_every_map_that_follows_it() {
    let disk = Disk::new();
    let backend = disk.open();
    let app = disk.router(backend.clone()).await;
    let (first, second) = (
        new_map(&backend, Template::CustomerJourney).await,
        new_map(&backend, Template::Blank).await,
    );
    let personas = |map| {
        let backend = backend.clone();
        async move {
            backend
                .rooms
                .snapshot(map)
                .await
                .unwrap()
                .map
                .personas()
                .to_vec()
        }
    };
    let maya = personas(first).await[0].clone();

    let reply = send(
        &app,
        form("share_persona", format!("map={first}&persona={}", maya.id)),
    )
    .await;
    assert!(reply.status.is_success(), "{}", reply.body);
    let id: String = serde_json::from_str(&reply.body).unwrap();
    let reply = send(
        &app,
        form("use_library_persona", format!("id={id}&map={second}")),
    )
    .await;
    assert!(reply.status.is_success(), "{}", reply.body);
    let copy = personas(second).await.last().unwrap().clone();
    assert_eq!(
        (copy.name.clone(), copy.goals.clone()),
        (maya.name.clone(), maya.goals.clone())
    );

    let library = || async {
        let reply = send(&app, form("persona_library", String::new())).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        serde_json::from_str::<Value>(&reply.body).unwrap()
    };
    let listed = library().await;
    assert_eq!(
        listed["personas"][0]["used_on"].as_array().unwrap().len(),
        2
    );

    // One edit, both maps changed (as edits of each map, in its history).
    let save = |goals: &str| {
        let body = format!(
            "id={id}&name=Maya%2C+the+commuter&role=Manager&goals={goals}&motivations=&frustrations="
        );
        let app = app.clone();
        async move { send(&app, form("save_library_persona", body)).await }
    };
    let reply = save("Shoes+that+last").await;
    assert!(reply.status.is_success(), "{}", reply.body);
    for map in [first, second] {
        let changed = personas(map).await;
        let follower = changed
            .iter()
            .find(|p| p.name.as_str() == "Maya, the commuter");
        let follower = follower.unwrap_or_else(|| panic!("{map}: {changed:?}"));
        assert_eq!(follower.goals.as_str(), "Shoes that last");
        assert_eq!(follower.motivations.as_str(), "");
        let history = backend
            .db
            .history(map, app::domain::ids::Rev(u64::MAX), 10)
            .await
            .unwrap();
        assert!(!history.is_empty());
    }

    // Detached, the second map keeps its copy as it is.
    let reply = send(
        &app,
        form(
            "detach_persona",
            format!("map={second}&persona={}", copy.id),
        ),
    )
    .await;
    assert!(reply.status.is_success(), "{}", reply.body);
    let reply = save("Shoes+for+the+office").await;
    assert!(reply.status.is_success(), "{}", reply.body);
    let kept = personas(second).await;
    assert_eq!(kept.last().unwrap().goals.as_str(), "Shoes that last");
    assert_eq!(
        personas(first).await[0].goals.as_str(),
        "Shoes for the office"
    );

    // A bad name changes nothing.
    let bad = send(
        &app,
        form("save_library_persona", format!("id={id}&name=&goals=x")),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert_eq!(
        personas(first).await[0].goals.as_str(),
        "Shoes for the office"
    );

    // Deleted from the library, the maps keep their personas.
    let reply = send(&app, form("delete_library_persona", format!("id={id}"))).await;
    assert!(reply.status.is_success(), "{}", reply.body);
    assert_eq!(library().await["personas"], serde_json::json!([]));
    assert_eq!(personas(first).await.len(), 1);
}
