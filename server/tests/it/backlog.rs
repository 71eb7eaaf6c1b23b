//! The opportunity backlog through its server functions: every opportunity card of a map,
//! ranked by the evidence of its stage's touchpoints; a triage kept, audited and shown; bad
//! triage refused without a change.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::feedback::{api_key, post_json, send, setup};
use crate::landscape::{audit_details, export_and_import, form};
use crate::support::Disk;

#[tokio::test]
async fn opportunities_are_ranked_by_evidence_and_triaged() {
    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    let map = setup.map;
    let app = disk.router(setup.backend.clone()).await;
    let key = api_key(&setup).await;
    let snapshot = setup.backend.rooms.snapshot(map).await.unwrap().map;
    let card = |text: &str| {
        let found = snapshot.cards().iter().find(|c| c.text.as_str() == text);
        found.map(|c| c.id.to_string()).unwrap()
    };
    let (checkout, guest, size_guide) =
        (card("Checkout"), card("Guest checkout"), card("Size guide"));

    // Unhappy answers at checkout, happy ones everywhere else.
    let mut answers = Vec::new();
    for (id, _) in &setup.touchpoints {
        let nps = if id.to_string() == checkout { 2 } else { 9 };
        answers.extend((0..60).map(|_| json!({ "touchpoint": id, "nps": nps })));
    }
    let path = format!("/api/v1/maps/{map}/responses");
    let reply = send(&app, post_json(&path, Some(&key), &json!(answers))).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);

    let backlog = || async {
        let reply = send(&app, form("opportunities", String::new())).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        serde_json::from_str::<Value>(&reply.body).unwrap()
    };
    let first = backlog().await;
    let items = first["items"].as_array().unwrap();
    assert_eq!(items.len(), 5, "the template's five opportunities");
    // Guest checkout answers the checkout stage: first, with the evidence that puts it there.
    assert_eq!(items[0]["card"], json!(guest));
    let evidence = &items[0]["evidence"];
    assert!(evidence["priority"].as_u64().unwrap() > 0, "{evidence}");
    assert_eq!(evidence["reach"], "answers");
    let link = &evidence["links"][0];
    assert_eq!(link["card"], json!(checkout));
    assert_eq!(link["significant"], true);
    assert_eq!(link["reach"], 60);
    assert!(items[1..].iter().all(|i| i["evidence"]["priority"] == 0));
    assert_eq!(first["maps"][0]["editable"], true);

    // Triage: planned, high impact, low effort, answering the size guide instead.
    let set = |body: String| {
        let app = app.clone();
        async move { send(&app, form("set_opportunity", body)).await }
    };
    let triage = format!(
        "map={map}&card={guest}&status=planned&impact=high&effort=low&links%5B0%5D={size_guide}"
    );
    let reply = set(triage).await;
    assert!(reply.status.is_success(), "{}", reply.body);
    let second = backlog().await;
    let item = second["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["card"] == json!(guest))
        .unwrap()
        .clone();
    assert_eq!(item["triage"]["status"], "planned");
    assert_eq!(item["triage"]["impact"], "high");
    assert_eq!(item["triage"]["effort"], "low");
    assert_eq!(item["triage"]["links"], json!([size_guide]));
    // The size guide scores well: no evidence left, so it no longer leads on evidence alone.
    assert_eq!(item["evidence"]["priority"], 0);

    // Refused, and nothing changes: an unknown status, a card that is no opportunity, a link
    // to a thought, an owner who is not a member.
    let thought = card("I hope delivery is quick");
    let stranger = uuid::Uuid::new_v4();
    for bad in [
        format!("map={map}&card={guest}&status=shipped"),
        format!("map={map}&card={checkout}&status=idea"),
        format!("map={map}&card={guest}&status=idea&links%5B0%5D={thought}"),
        format!("map={map}&card={guest}&status=idea&owner={stranger}"),
        format!("map={map}&card={guest}&status=idea&impact=huge"),
    ] {
        let reply = set(bad.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{bad}: {}",
            reply.body
        );
    }
    assert_eq!(backlog().await, second);

    // Who triaged it is in the audit log.
    let details = audit_details(&setup.backend, "opportunity_triaged").await;
    assert_eq!(details, ["Guest checkout: Planned"]);

    // The map's file carries the triage, and a map imported from it keeps it.
    let (json, _) = export_and_import(&app, map).await;
    assert_eq!(
        json["opportunities"],
        json!([{ "card": guest, "status": "planned", "impact": "high", "effort": "low",
                 "links": [size_guide] }])
    );
    let third = backlog().await;
    let planned = third["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["card"] == json!(guest) && i["triage"]["status"] == "planned")
        .count();
    assert_eq!(planned, 2, "the imported map keeps the triage");
}
