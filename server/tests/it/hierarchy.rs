//! Maps that hang together, through the server functions and pages: a sub-journey under a
//! parent's stage (its breadcrumb, the parent's list of sub-journeys, no loops), and a to-be map
//! made from an as-is map and compared with it, the as-is map's measured scores beside it.

use app::domain::edit::Edit;
use app::domain::text::Text;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};

use crate::feedback::{api_key, post_json, send, setup};
use crate::landscape::form;
use crate::support::{author, new_map, op, Disk};

#[tokio::test]
async fn sub_journeys_hang_under_a_stage_and_to_be_maps_compare_with_their_as_is() {
    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    let parent = setup.map;
    let app = disk.router(setup.backend.clone()).await;
    let backend = setup.backend.clone();
    let child = new_map(&backend, app::domain::template::Template::Blank).await;
    let grandchild = new_map(&backend, app::domain::template::Template::Blank).await;
    let retention = backend.rooms.snapshot(parent).await.unwrap().map.stages()[3].id;

    // The parent measures badly at checkout.
    let key = api_key(&setup).await;
    let (checkout, _) = setup.touchpoints[3].clone();
    let answers: Vec<Value> = (0..40)
        .map(|_| json!({ "touchpoint": checkout, "nps": 1 }))
        .collect();
    let path = format!("/api/v1/maps/{parent}/responses");
    let reply = send(&app, post_json(&path, Some(&key), &json!(answers))).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);

    let link = |map, body: String| {
        let app = app.clone();
        async move { send(&app, form("set_parent", format!("map={map}&{body}"))).await }
    };
    let reply = link(child, format!("parent={parent}&stage={retention}")).await;
    assert!(reply.status.is_success(), "{}", reply.body);
    let reply = link(grandchild, format!("parent={child}")).await;
    assert!(reply.status.is_success(), "{}", reply.body);
    // Refused: a loop, itself, a stage the parent does not have, an unknown map.
    for (map, body) in [
        (parent, format!("parent={grandchild}")),
        (child, format!("parent={child}")),
        (
            child,
            format!("parent={parent}&stage={}", uuid::Uuid::new_v4()),
        ),
        (child, format!("parent={}", uuid::Uuid::new_v4())),
    ] {
        let reply = link(map, body.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            reply.body
        );
    }

    let reply = send(&app, form("landscape", String::new())).await;
    let entries: Vec<Value> = serde_json::from_str(&reply.body).unwrap();
    let family = |id: app::domain::ids::MapId| {
        entries
            .iter()
            .find(|e| e["map"]["id"] == json!(id.to_string()))
            .map(|e| e["family"].clone())
            .unwrap()
    };
    let crumbs: Vec<String> = family(grandchild)["breadcrumb"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(crumbs, [parent.to_string(), child.to_string()]);
    let under = family(parent)["children"].clone();
    assert_eq!(under[0]["id"], json!(child.to_string()));
    assert_eq!(under[0]["stage"], "Retention");

    // The parent's presentation names the sub-journey on the stage it details.
    let page = send(
        &app,
        Request::get(format!("/maps/{parent}/present"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Sub-journeys: "), "{}", page.body);

    // So does the parent's editor, under the stage's name, with the child's headline score
    // (the child has no answers: none); the grandchild's editor has its breadcrumb.
    let editor = |map| {
        let app = app.clone();
        async move {
            let page = send(
                &app,
                Request::get(format!("/maps/{map}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
            assert_eq!(page.status, StatusCode::OK);
            page.body
        }
    };
    let html = editor(parent).await;
    let list = html
        .split_once(r#"class="sub-journeys">"#)
        .map(|(_, rest)| rest.split_once("</ul>").unwrap().0)
        .unwrap_or_else(|| panic!("no sub-journeys in {html}"));
    assert!(list.contains(&format!(r#"href="/maps/{child}""#)), "{list}");
    assert!(!list.contains("score-chip"), "{list}");
    let html = editor(grandchild).await;
    let crumbs = html
        .split_once(r#"class="breadcrumb">"#)
        .map(|(_, rest)| rest.split_once("</nav>").unwrap().0)
        .unwrap_or_else(|| panic!("no breadcrumb in {html}"));
    let parent_at = crumbs.find(&format!("/maps/{parent}")).unwrap();
    let child_at = crumbs.find(&format!("/maps/{child}")).unwrap();
    assert!(parent_at < child_at, "{crumbs}");

    // Unlinked again, it has no breadcrumb.
    let reply = link(grandchild, "parent=".into()).await;
    assert!(reply.status.is_success(), "{}", reply.body);
    let reply = send(&app, form("landscape", String::new())).await;
    let entries: Vec<Value> = serde_json::from_str(&reply.body).unwrap();
    let after = entries
        .iter()
        .find(|e| e["map"]["id"] == json!(grandchild.to_string()))
        .unwrap();
    assert_eq!(after["family"]["breadcrumb"], json!([]));

    // A to-be map: a linked copy, changed, then compared with its as-is map.
    let reply = send(&app, form("make_to_be", format!("id={parent}"))).await;
    assert!(reply.status.is_success(), "{}", reply.body);
    let to_be: app::domain::ids::MapId = serde_json::from_str(&reply.body).unwrap();
    let edit = Edit::SetCardText {
        id: checkout,
        text: Text::parse("One-page checkout").unwrap(),
    };
    let done = backend
        .rooms
        .submit(to_be, vec![op(edit)], &author("Test"))
        .await
        .unwrap();
    assert!(done.rejected.is_empty());
    let page = send(
        &app,
        Request::get(format!("/maps/{to_be}/compare"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    for expected in [
        "0 added, 0 removed, 1 changed",
        "One-page checkout",
        "Changed: text",
        "As-is measured: NPS -100",
    ] {
        assert!(page.body.contains(expected), "{expected}: {}", page.body);
    }
    // No app to load: a page to read.
    assert!(!page.body.contains("type=\"module\""), "{}", page.body);
    // A map made from nothing has nothing to compare.
    let page = send(
        &app,
        Request::get(format!("/maps/{parent}/compare"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(page.body.contains("Nothing to compare"), "{}", page.body);

    // A sub-journey of one card: shown on that card, with the parent's headline-less child.
    let reply = link(grandchild, format!("parent={parent}&card={checkout}")).await;
    assert!(reply.status.is_success(), "{}", reply.body);
    let on_card = |html: &str| -> bool {
        let card = html
            .split_once(&format!(r#"id="card-{checkout}""#))
            .map(|(_, rest)| rest.split_once("</article>").unwrap().0)
            .unwrap_or_else(|| panic!("no checkout card in {html}"));
        card.contains(&format!(r#"href="/maps/{grandchild}""#))
    };
    let html = editor(parent).await;
    assert!(on_card(&html), "{html}");
    // On the card only, not also under its stage.
    assert_eq!(html.matches(&format!("/maps/{grandchild}")).count(), 1);
    // Refused: a card the parent does not have; nothing changes.
    for bad in [
        format!("parent={parent}&card={}", uuid::Uuid::new_v4()),
        format!("parent={parent}&card=x"),
    ] {
        let reply = link(grandchild, bad.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{bad}: {}",
            reply.body
        );
        assert!(reply.body.contains("card"), "{}", reply.body);
    }
    let links = backend.db.links().await.unwrap();
    let kept = links.iter().find(|l| l.map == grandchild).unwrap();
    assert_eq!(kept.card, Some(checkout));
    // The landscape names the card, by its text, and its stage.
    let snapshot = backend.rooms.snapshot(parent).await.unwrap().map;
    let card = snapshot.card(checkout).unwrap();
    let stage_name = snapshot.stage(card.stage).unwrap().name.to_string();
    let reply = send(&app, form("landscape", String::new())).await;
    let entries: Vec<Value> = serde_json::from_str(&reply.body).unwrap();
    let children = entries
        .iter()
        .find(|e| e["map"]["id"] == json!(parent.to_string()))
        .map(|e| e["family"]["children"].clone())
        .unwrap();
    let linked = children
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == json!(grandchild.to_string()))
        .unwrap();
    assert_eq!(linked["card"], json!(card.text.as_str()), "{linked}");
    assert_eq!(linked["stage"], json!(stage_name), "{linked}");
    // The card removed, the sub-journey shows under the stage the card was on.
    let done = backend
        .rooms
        .submit(
            parent,
            vec![op(Edit::RemoveCard { id: checkout })],
            &author("Test"),
        )
        .await
        .unwrap();
    assert!(done.rejected.is_empty());
    let html = editor(parent).await;
    assert!(
        html.contains(&format!(r#"href="/maps/{grandchild}""#)),
        "{html}"
    );

    // The measured map, made the sub-journey of another's stage, brings its funnel figure
    // there: 4 of the 10 customers who reached its first stage reached its last.
    let top = new_map(&backend, app::domain::template::Template::CustomerJourney).await;
    let top_stage = backend.rooms.snapshot(top).await.unwrap().map.stages()[0].id;
    let reply = link(parent, format!("parent={top}&stage={top_stage}")).await;
    assert!(reply.status.is_success(), "{}", reply.body);
    let stages = backend
        .rooms
        .snapshot(parent)
        .await
        .unwrap()
        .map
        .stages()
        .to_vec();
    let (first, last) = (stages[0].id, stages[stages.len() - 1].id);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let at = i64::try_from(now).unwrap() - 86_400_000;
    let mut events = Vec::new();
    for i in 0..10 {
        let customer = format!("customer-{i}");
        events.push(json!({ "customer": customer, "stage": first, "at": at }));
        if i < 4 {
            events.push(json!({ "customer": customer, "stage": last, "at": at + 1_000 }));
        }
    }
    let path = format!("/api/v1/maps/{parent}/events");
    let body = json!({ "events": events });
    let reply = send(&app, post_json(&path, Some(&key), &body)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let reply = send(&app, form("family", format!("id={top}"))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let below = &reply.json()[1][0];
    assert_eq!(below["id"], json!(parent.to_string()));
    assert_eq!(below["conversion"]["n"], 10, "{below}");
    assert_eq!(below["conversion"]["value"], 40.0, "{below}");
    let html = editor(top).await;
    assert!(html.contains("40% to the end"), "{html}");
}
