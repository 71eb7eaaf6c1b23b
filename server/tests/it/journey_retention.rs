//! A map that keeps journey events for a limited time: older events deleted, the counts kept
//! exact (for any filter, after later events, after a recount), older events refused.

use app::api::feedback::Filter;
use app::domain::journey::Counts;
use app::domain::time::day_of;
use axum::http::StatusCode;
use axum::Router;
use serde_json::{json, Value};
use server::db::Db;
use server::journey::{read_counts, ServerJourney};

use crate::feedback::{api_key, post_json, send, setup};
use crate::journey::places;
use crate::support::Disk;

const DAY: i64 = 86_400_000;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Every count of `map` under a few filters: all time, a date range, a channel.
async fn all_counts(db: &Db, map: app::domain::ids::MapId) -> Vec<Counts> {
    let range = Filter {
        from: Some(day_of(now() - 45 * DAY)),
        to: Some(day_of(now() - 30 * DAY)),
        ..Filter::default()
    };
    let web = Filter {
        channel: Some("web".into()),
        ..Filter::default()
    };
    let mut out = Vec::new();
    for filter in [Filter::default(), range, web] {
        out.push(read_counts(db, map, filter).await.unwrap());
    }
    out
}

async fn retention(db: &Db, map: app::domain::ids::MapId) -> Option<u32> {
    db.read(move |conn| server::db::journey::retention(conn, map))
        .await
        .unwrap()
}

async fn post(app: &Router, path: &str, key: &str, events: Vec<Value>) -> crate::feedback::Reply {
    send(
        app,
        post_json(path, Some(key), &json!({ "events": events })),
    )
    .await
}

#[tokio::test]
async fn expired_events_go_and_the_counts_stay() {
    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    let app = disk.bare_router(setup.backend.clone());
    let journey = ServerJourney::new(setup.backend.db.clone(), setup.backend.rooms.clone());
    let db = setup.backend.db.clone();
    let key = api_key(&setup).await;
    let path = format!("/api/v1/maps/{}/events", setup.map);
    let places = places(&setup).await;
    let (a, b) = (places[0].1, places[1].1);
    let t = now();

    let mut events = Vec::new();
    for i in 0..5 {
        // Gone for good after 30 days: back and forth between two touchpoints.
        let old = format!("old-{i}");
        for (days, card) in [(40, a), (39, b), (38, a), (37, b)] {
            events.push(json!({"customer": old, "touchpoint": card, "at": t - days * DAY - i, "channel": "web"}));
        }
        // Old steps and a recent one.
        let mixed = format!("mixed-{i}");
        events.push(
            json!({"customer": mixed, "touchpoint": a, "at": t - 40 * DAY - i, "channel": "web"}),
        );
        events.push(
            json!({"customer": mixed, "touchpoint": a, "at": t - 39 * DAY - i, "channel": "web"}),
        );
        events.push(
            json!({"customer": mixed, "touchpoint": b, "at": t - 35 * DAY - i, "channel": "app"}),
        );
        events.push(json!({"customer": mixed, "stage": places[2].0, "at": t - DAY - i}));
        events.push(json!({"customer": format!("new-{i}"), "touchpoint": a, "at": t - DAY - i}));
    }
    let reply = post(&app, &path, &key, events).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let before = all_counts(&db, setup.map).await;
    assert_eq!(
        journey
            .funnel(setup.map, Filter::default())
            .await
            .unwrap()
            .customers,
        15
    );

    // Keep 30 days: the old customers' paths go, the mixed ones shrink.
    let changed = journey.set_retention(setup.map, Some(30)).await.unwrap();
    assert_eq!(changed, 10);
    let map = setup.map;
    assert_eq!(retention(&db, map).await, Some(30));
    let paths = db
        .read(move |conn| server::db::journey::paths(conn, map))
        .await
        .unwrap();
    assert_eq!(paths.len(), 10, "the old customers' paths are deleted");
    let cutoff = t - 30 * DAY;
    for (_, path) in &paths {
        assert!(path.steps[path.remnant..].iter().all(|s| s.at >= cutoff));
        // A mixed customer keeps their first step at a and their step at b, not the repeat.
        assert!(path.remnant <= 2, "{path:?}");
    }
    assert_eq!(all_counts(&db, map).await, before, "the counts stay");
    assert_eq!(journey.set_retention(map, Some(30)).await.unwrap(), 0);

    // An event older than that is refused, with its field.
    let refused = post(
        &app,
        &path,
        &key,
        vec![json!({"customer": "late", "touchpoint": a, "at": t - 31 * DAY})],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.rejected().first().map(|r| r.1.as_str()), Some("at"));

    // A mixed customer back at a is no new reach of its stage; an old one counts as new.
    let reach_of_first =
        |counts: &Counts| counts[&app::domain::journey::Measure::Reach { stage: places[0].0 }];
    let reply = post(
        &app,
        &path,
        &key,
        vec![
            json!({"customer": "mixed-0", "touchpoint": a, "at": t - 1000}),
            json!({"customer": "old-0", "touchpoint": a, "at": t - 1000}),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let after = all_counts(&db, map).await;
    assert_eq!(reach_of_first(&after[0]), reach_of_first(&before[0]) + 1);
    assert_eq!(
        journey
            .funnel(map, Filter::default())
            .await
            .unwrap()
            .customers,
        16
    );

    // A start after a crash recounts from the paths and what expired events left: the same.
    crate::journey::mark_for_recount(&db, map).await;
    let reopened = disk.open();
    assert_eq!(all_counts(&reopened.db, map).await, after);

    // Forgetting a shrunk customer takes out what their path still counts.
    let journey = ServerJourney::new(reopened.db.clone(), reopened.rooms.clone());
    assert!(journey.forget(map, "mixed-1").await.unwrap().events > 0);
    assert_eq!(
        journey
            .funnel(map, Filter::default())
            .await
            .unwrap()
            .customers,
        15
    );
    assert_eq!(journey.set_retention(map, None).await.unwrap(), 0);
    assert_eq!(retention(&reopened.db, map).await, None);
}
