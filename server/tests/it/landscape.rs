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
    let details = setup
        .backend
        .db
        .read(|conn| {
            let mut stmt =
                conn.prepare("SELECT detail FROM audit_log WHERE action = 'map_catalogued'")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
        .unwrap();
    assert_eq!(details, ["Validated, B2B, retention"]);

    // The map's file carries it, and a map imported from the file keeps it.
    let file = send(
        &app,
        Request::get(format!("/maps/{map}/export/json"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(file.status, StatusCode::OK, "{}", file.body);
    let json: Value = serde_json::from_str(&file.body).unwrap();
    assert_eq!(json["version"], 2);
    assert_eq!(
        json["catalog"],
        json!({ "status": "validated", "tags": ["B2B", "retention"] })
    );
    let imported = send(
        &app,
        Request::post("/maps/import")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(file.body.clone()))
            .unwrap(),
    )
    .await;
    assert!(imported.status.is_success(), "{}", imported.body);
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
