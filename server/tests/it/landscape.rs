//! The journey landscape through its server functions: a map's status and tags (in the audit
//! log, and in the map's file), its owners, personas and measured figures, and a bad catalog
//! refused without a change.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};

use crate::feedback::{api_key, post_json, send, setup};
use crate::support::{path_of, Disk};

pub(crate) fn form(name: &str, body: String) -> Request<Body> {
    Request::post(path_of(name))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap()
}

/// The details the audit log holds for `action`, oldest first.
pub(crate) async fn audit_details(
    backend: &server::backend::ServerBackend,
    action: &str,
) -> Vec<String> {
    let action = action.to_owned();
    backend
        .db
        .read(move |conn| {
            let mut stmt = conn.prepare("SELECT detail FROM audit_log WHERE action = ?1")?;
            let rows = stmt.query_map([action], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
        .unwrap()
}

/// Map `map`'s file (JSON) and the map imported from it.
pub(crate) async fn export_and_import(
    app: &axum::Router,
    map: app::domain::ids::MapId,
) -> (Value, app::domain::ids::MapId) {
    let file = send(
        app,
        Request::get(format!("/maps/{map}/export/json"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(file.status, StatusCode::OK, "{}", file.body);
    let json: Value = serde_json::from_str(&file.body).unwrap();
    let imported = send(
        app,
        Request::post("/maps/import")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(file.body))
            .unwrap(),
    )
    .await;
    assert!(imported.status.is_success(), "{}", imported.body);
    let copy = imported.json()["id"].as_str().unwrap().parse().unwrap();
    (json, copy)
}

#[tokio::test]
async fn the_landscape_shows_each_maps_catalog_people_and_measured_figures() {
    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    let map = setup.map;
    let app = disk.router(setup.backend.clone()).await;
    let key = api_key(&setup).await;

    // Unhappy answers on the first touchpoint, happy ones on the others: a measured pain point.
    let mut answers = Vec::new();
    for (i, (card, _)) in setup.touchpoints.iter().enumerate() {
        let nps = if i == 0 { 1 } else { 10 };
        answers.extend((0..60).map(|_| json!({ "touchpoint": card, "nps": nps })));
    }
    let path = format!("/api/v1/maps/{map}/responses");
    let reply = send(&app, post_json(&path, Some(&key), &json!(answers))).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);

    let set = send(
        &app,
        form(
            "set_catalog",
            format!("id={map}&status=validated&tags=retention%2C+B2B%2C+b2b"),
        ),
    )
    .await;
    assert!(set.status.is_success(), "{}", set.body);
    // A bad status or too many tags: refused, and nothing changes.
    let bad = send(
        &app,
        form("set_catalog", format!("id={map}&status=done&tags=")),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    let many = (0..11)
        .map(|i| format!("t{i}"))
        .collect::<Vec<_>>()
        .join("%2C");
    let bad = send(
        &app,
        form("set_catalog", format!("id={map}&status=draft&tags={many}")),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);

    let reply = send(&app, form("landscape", String::new())).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let entries: Vec<Value> = serde_json::from_str(&reply.body).unwrap();
    let entry = entries
        .iter()
        .find(|e| e["map"]["id"] == json!(map.to_string()))
        .expect("the map is on the landscape");
    assert_eq!(entry["map"]["catalog"]["status"], "validated");
    assert_eq!(entry["map"]["catalog"]["tags"], json!(["B2B", "retention"]));
    assert_eq!(entry["responses"], 60 * setup.touchpoints.len());
    assert_eq!(entry["score"]["metric"], "nps");
    assert!(entry["pain_points"].as_u64().unwrap() >= 1, "{entry}");
    assert!(!entry["personas"].as_array().unwrap().is_empty());
    // Nobody sent events: no funnel.
    assert_eq!(entry["conversion"], Value::Null);

    // Who set it is in the audit log.
    let details = audit_details(&setup.backend, "map_catalogued").await;
    assert_eq!(details, ["Validated, B2B, retention"]);

    // The map's file carries it, and a map imported from the file keeps it.
    let (json, _) = export_and_import(&app, map).await;
    assert_eq!(json["version"], 2);
    assert_eq!(
        json["catalog"],
        json!({ "status": "validated", "tags": ["B2B", "retention"] })
    );
    let reply = send(&app, form("landscape", String::new())).await;
    let entries: Vec<Value> = serde_json::from_str(&reply.body).unwrap();
    let validated = entries
        .iter()
        .filter(|e| e["map"]["catalog"]["status"] == "validated")
        .count();
    assert_eq!(
        validated, 2,
        "the imported map keeps its status: {entries:?}"
    );
}

#[tokio::test]
async fn targets_show_on_the_landscape_and_in_presentations_against_their_figures() {
    use app::domain::targets::{Measure, Target};

    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    let map = setup.map;
    let app = disk.router(setup.backend.clone()).await;
    let key = api_key(&setup).await;
    let snapshot = setup.backend.rooms.snapshot(map).await.unwrap().map;
    let purchase = snapshot.stages()[2].id;

    // Every answer a detractor: NPS -100, surely under +20, and not known against -100.
    let answers: Vec<Value> = setup
        .touchpoints
        .iter()
        .flat_map(|(card, _)| (0..40).map(move |_| json!({ "touchpoint": card, "nps": 0 })))
        .collect();
    let path = format!("/api/v1/maps/{map}/responses");
    let reply = send(&app, post_json(&path, Some(&key), &json!(answers))).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);

    // NPS +20 on the whole map, CSAT 80% at Purchase; then the NPS one replaced by +30 and back.
    for body in [
        format!("map={map}&measure=nps&value=30"),
        format!("map={map}&measure=nps&value=20"),
        format!("map={map}&stage={purchase}&measure=csat&value=80"),
    ] {
        let reply = send(&app, form("set_target", body)).await;
        assert!(reply.status.is_success(), "{}", reply.body);
    }
    // Refused, and nothing changes: out of range, not a number, an unknown measure or stage.
    let stranger = uuid::Uuid::new_v4();
    for bad in [
        format!("map={map}&measure=ces&value=9"),
        format!("map={map}&measure=nps&value=lots"),
        format!("map={map}&measure=nps&value=NaN"),
        format!("map={map}&measure=happiness&value=1"),
        format!("map={map}&stage={stranger}&measure=nps&value=1"),
    ] {
        let reply = send(&app, form("set_target", bad.clone())).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{bad}: {}",
            reply.body
        );
    }
    let targets = setup.backend.db.targets(map).await.unwrap();
    assert_eq!(
        targets,
        [
            Target::new(None, Measure::Nps, 20.0).unwrap(),
            Target::new(Some(purchase), Measure::Csat, 80.0).unwrap(),
        ]
    );

    let reply = send(&app, form("landscape", String::new())).await;
    let entries: Vec<Value> = serde_json::from_str(&reply.body).unwrap();
    let entry = entries
        .iter()
        .find(|e| e["map"]["id"] == json!(map.to_string()))
        .unwrap();
    // Only the whole map's target; the stage's shows in the presentation.
    assert_eq!(entry["targets"].as_array().unwrap().len(), 1, "{entry}");
    assert_eq!(entry["targets"][0][0], "below");
    let text = entry["targets"][0][1].as_str().unwrap();
    assert!(
        text.starts_with("NPS target +20: -100 (95% interval") && text.ends_with("below target"),
        "{text}"
    );

    let page = send(
        &app,
        Request::get(format!("/maps/{map}/present"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("NPS target +20: -100"), "{}", page.body);
    assert!(page.body.contains("CSAT target 80%: no figure yet"));

    // The map's file carries them, and a map imported from it keeps them.
    let (json, copy) = export_and_import(&app, map).await;
    assert_eq!(
        json["targets"][0],
        json!({ "measure": "nps", "tenths": 200 })
    );
    assert_eq!(setup.backend.db.targets(copy).await.unwrap(), targets);

    // The audit log says who set what.
    let details = audit_details(&setup.backend, "targets_changed").await;
    assert_eq!(
        details,
        [
            "Whole map: NPS +30",
            "Whole map: NPS +20",
            "Purchase: CSAT 80%"
        ]
    );
    // The map's history lists them beside its own edits, newest first, by the admin's name.
    let reply = send(&app, form("side_changes", format!("id={map}"))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let changes: Vec<Value> = serde_json::from_str(&reply.body).unwrap();
    let what: Vec<&str> = changes
        .iter()
        .map(|c| c["what"].as_str().unwrap())
        .collect();
    assert_eq!(
        what,
        [
            "Target: Purchase: CSAT 80%",
            "Target: Whole map: NPS +20",
            "Target: Whole map: NPS +30"
        ]
    );
    assert!(
        changes.iter().all(|c| c["by"] != "A former member"),
        "{changes:?}"
    );
}
