//! The library's metric definitions and channels through their server functions: a metric
//! taken as a target by two maps and changed once for both, a map's own target left alone, a
//! map file's link kept, and deletion; channels renaming the labels answers and events arrive
//! with, a label that would mean two channels refused.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::access::server_fn_call;
use crate::feedback::{api_key, post_json, send, setup};
use crate::landscape::{audit_details, export_and_import, form};
use crate::support::{new_map, path_of, Disk};
use app::api::ctx::Feedback;
use app::api::feedback::Filter;
use app::domain::targets::Measure;
use app::domain::template::Template;

#[tokio::test]
async fn a_metric_definition_is_a_target_of_many_maps_and_changed_once() {
    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    let app = disk.router(setup.backend.clone()).await;
    let db = setup.backend.db.clone();
    let (first, second) = (setup.map, new_map(&setup.backend, Template::Blank).await);
    let stage = setup
        .backend
        .rooms
        .snapshot(first)
        .await
        .unwrap()
        .map
        .stages()[1]
        .clone();

    let reply = send(
        &app,
        form(
            "save_metric",
            "name=Checkout+CSAT&measure=csat&target=80&description=Asked+after+payment".into(),
        ),
    )
    .await;
    assert!(reply.status.is_success(), "{}", reply.body);
    let id: String = serde_json::from_str(&reply.body).unwrap();
    for (map, stage) in [(first, stage.id.to_string()), (second, String::new())] {
        let reply = send(
            &app,
            form("apply_metric", format!("id={id}&map={map}&stage={stage}")),
        )
        .await;
        assert!(reply.status.is_success(), "{}", reply.body);
    }
    // The first map also has a CSAT target of its own on the whole map.
    let own = send(
        &app,
        form("set_target", format!("map={first}&measure=csat&value=70")),
    )
    .await;
    assert!(own.status.is_success(), "{}", own.body);

    // The map's targets name the metric.
    let reply = send(
        &app,
        server_fn_call(
            &path_of("map_targets"),
            &format!(r#"{{"map":"{first}","filter":{{}},"share":null}}"#),
            None,
        ),
    )
    .await;
    let lines: Vec<Value> = serde_json::from_str(&reply.body).unwrap();
    let named: Vec<_> = lines
        .iter()
        .filter(|l| l["metric"] == "Checkout CSAT")
        .collect();
    assert_eq!(named.len(), 1, "{lines:?}");
    assert!(
        named[0]["text"]
            .as_str()
            .unwrap()
            .starts_with("Checkout CSAT — CSAT target 80%"),
        "{}",
        named[0]["text"]
    );

    // Raised once, it changes on both maps, and not the first map's own target.
    let reply = send(
        &app,
        form(
            "save_metric",
            // As people write it.
            format!("id={id}&name=Checkout+CSAT&measure=csat&target=85%25"),
        ),
    )
    .await;
    assert!(reply.status.is_success(), "{}", reply.body);
    let csat = |targets: Vec<app::domain::targets::Target>| {
        let mut found: Vec<_> = targets
            .into_iter()
            .filter(|t| t.measure == Measure::Csat)
            .map(|t| (t.stage, t.tenths, t.metric.is_some()))
            .collect();
        found.sort();
        found
    };
    assert_eq!(
        csat(db.targets(first).await.unwrap()),
        [(None, 700, false), (Some(stage.id), 850, true)]
    );
    assert_eq!(csat(db.targets(second).await.unwrap()), [(None, 850, true)]);
    // Each map's history lists the change, undoable there.
    let reply = send(&app, form("side_changes", format!("id={second}"))).await;
    let newest = &reply.json()[0];
    assert_eq!(
        newest["what"], "Target: Metric Checkout CSAT: CSAT target 85%",
        "{newest}"
    );
    assert_eq!(newest["undoable"], true);

    // Bad input is refused and changes nothing.
    for bad in [
        format!("id={id}&name=Checkout+CSAT&measure=csat&target=120"),
        format!("id={id}&name=&measure=csat&target=80"),
        format!("id={id}&name=X&measure=joy&target=80"),
        format!("id={id}&name=X&measure=csat&target=lots"),
        "id=not-an-id&name=X&measure=csat&target=80".to_owned(),
    ] {
        let reply = send(&app, form("save_metric", bad.clone())).await;
        assert!(reply.status.is_client_error(), "{bad}: {}", reply.status);
    }
    // Changing its measure where a map already has a target of that measure there: refused.
    let nps = send(
        &app,
        form("set_target", format!("map={second}&measure=nps&value=10")),
    )
    .await;
    assert!(nps.status.is_success(), "{}", nps.body);
    let clash = send(
        &app,
        form(
            "save_metric",
            format!("id={id}&name=Checkout+CSAT&measure=nps&target=30"),
        ),
    )
    .await;
    assert_eq!(clash.status, StatusCode::BAD_REQUEST, "{}", clash.body);
    assert_eq!(csat(db.targets(second).await.unwrap()), [(None, 850, true)]);

    // The landscape names it too.
    let reply = send(&app, form("landscape", String::new())).await;
    let entries: Vec<Value> = serde_json::from_str(&reply.body).unwrap();
    let entry = entries
        .iter()
        .find(|e| e["map"]["id"] == json!(second.to_string()))
        .unwrap();
    assert!(
        entry["targets"]
            .to_string()
            .contains("Checkout CSAT — CSAT target 85%"),
        "{entry}"
    );

    // A map's file keeps the link on this Waymark.
    let (json, copy) = export_and_import(&app, second).await;
    assert!(json.to_string().contains(&id), "{json}");
    assert_eq!(csat(db.targets(copy).await.unwrap()), [(None, 850, true)]);

    // Deleted, the targets stay as the maps' own.
    let reply = send(&app, form("delete_metric", format!("id={id}"))).await;
    assert!(reply.status.is_success(), "{}", reply.body);
    assert_eq!(
        csat(db.targets(first).await.unwrap()),
        [(None, 700, false), (Some(stage.id), 850, false)]
    );
    let listed = send(&app, form("library_definitions", String::new())).await;
    assert_eq!(listed.json()["metrics"], json!([]));

    let details = audit_details(&setup.backend, "library_changed").await;
    assert_eq!(
        details,
        [
            "Metric Checkout CSAT: CSAT target 80%",
            "Metric Checkout CSAT: CSAT target 85%",
            "Metric Checkout CSAT deleted"
        ]
    );
    let targets = audit_details(&setup.backend, "targets_changed").await;
    assert!(
        targets.contains(&format!(
            "{}: CSAT target 80% (metric Checkout CSAT)",
            stage.name
        )),
        "{targets:?}"
    );
}

#[tokio::test]
async fn answers_and_events_are_stored_under_their_channels_name() {
    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    let app = disk.router(setup.backend.clone()).await;
    let map = setup.map;
    let key = api_key(&setup).await;

    let save = |body: &str| form("save_channel", body.to_owned());
    let reply = send(&app, save("name=Mobile+app&aliases=ios%2C+Android")).await;
    assert!(reply.status.is_success(), "{}", reply.body);
    // A label may mean one channel only.
    let clash = send(&app, save("name=Phone&aliases=IOS")).await;
    assert_eq!(clash.status, StatusCode::BAD_REQUEST, "{}", clash.body);
    assert!(clash.body.contains("Mobile app"), "{}", clash.body);
    let long = send(&app, save(&format!("name={}", "x".repeat(61)))).await;
    assert_eq!(long.status, StatusCode::BAD_REQUEST, "{}", long.body);

    let card = setup.touchpoints[0].0;
    let answers: Vec<Value> = ["iOS", "android", "web", ""]
        .iter()
        .map(|channel| json!({ "touchpoint": card, "nps": 9, "channel": channel }))
        .collect();
    let path = format!("/api/v1/maps/{map}/responses");
    let reply = send(&app, post_json(&path, Some(&key), &json!(answers))).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let figures = setup
        .feedback
        .map_feedback(map, Filter::default())
        .await
        .unwrap();
    assert_eq!(figures.channels, ["Mobile app", "web"]);

    let events: Vec<Value> = ["IOS", "Android", "web"]
        .iter()
        .enumerate()
        .map(|(i, channel)| json!({ "customer": format!("c{i}"), "touchpoint": card, "channel": channel }))
        .collect();
    let path = format!("/api/v1/maps/{map}/events");
    let reply = send(
        &app,
        post_json(&path, Some(&key), &json!({ "events": events })),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let journey =
        server::journey::ServerJourney::new(setup.backend.db.clone(), setup.backend.rooms.clone());
    let mobile = Filter {
        channel: Some("Mobile app".into()),
        ..Filter::default()
    };
    assert_eq!(journey.funnel(map, mobile).await.unwrap().customers, 2);

    // The library lists the labels no channel answers to, when asked.
    let bare = send(&app, form("library_definitions", String::new())).await;
    assert_eq!(bare.json()["unlisted_labels"], json!([]));
    let listed = send(&app, form("library_definitions", "labels=true".into())).await;
    assert_eq!(listed.json()["unlisted_labels"], json!(["web"]));
    assert_eq!(
        listed.json()["channels"][0]["aliases"],
        json!(["ios", "Android"])
    );

    // A map file whose answers say "ANDROID" is imported under the channel's name.
    let (file, copy) = {
        let raw = send(
            &app,
            axum::http::Request::get(format!("/maps/{map}/export/json?feedback=true"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
        let mut file: Value = serde_json::from_str(&raw.body).unwrap();
        for answer in file["responses"].as_array_mut().unwrap() {
            answer["channel"] = json!("ANDROID");
        }
        let imported = send(
            &app,
            axum::http::Request::post("/maps/import")
                .header(axum::http::header::CONTENT_TYPE, "application/json")
                .body(axum::body::Body::from(file.to_string()))
                .unwrap(),
        )
        .await;
        assert!(imported.status.is_success(), "{}", imported.body);
        let copy: app::domain::ids::MapId =
            imported.json()["id"].as_str().unwrap().parse().unwrap();
        (file, copy)
    };
    assert_eq!(file["responses"].as_array().unwrap().len(), 4);
    let figures = setup
        .feedback
        .map_feedback(copy, Filter::default())
        .await
        .unwrap();
    assert_eq!(figures.channels, ["Mobile app"]);

    // Deleted, labels are stored as they arrive again.
    let id = listed.json()["channels"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = send(&app, form("delete_channel", format!("id={id}"))).await;
    assert!(reply.status.is_success(), "{}", reply.body);
    let path = format!("/api/v1/maps/{map}/responses");
    let one = json!([{ "touchpoint": card, "nps": 9, "channel": "ios" }]);
    let reply = send(&app, post_json(&path, Some(&key), &one)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let figures = setup
        .feedback
        .map_feedback(map, Filter::default())
        .await
        .unwrap();
    assert_eq!(figures.channels, ["Mobile app", "ios", "web"]);
    assert_eq!(
        audit_details(&setup.backend, "library_changed").await,
        [
            "Channel Mobile app (ios, Android)",
            "Channel Mobile app deleted"
        ]
    );
}
