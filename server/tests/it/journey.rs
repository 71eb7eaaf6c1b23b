//! Journey analytics through the real router: the events API with good and bad batches, the
//! funnel it adds up to, pseudonyms in place of references, and a customer forgotten.

use app::api::feedback::Filter;
use app::domain::ids::{CardId, StageId};
use app::domain::journey::Step;
use app::domain::time::day_of;
use axum::http::StatusCode;
use serde_json::{json, Value};
use server::journey::ServerJourney;

use crate::feedback::{api_key, post_json, send, setup, Setup};
use crate::support::Disk;

const DAY: i64 = 86_400_000;
const T0: i64 = 1_788_220_800_000; // 2026-09-01

/// The map's stages in order and, for each, its first touchpoint.
pub(crate) async fn places(setup: &Setup) -> Vec<(StageId, CardId)> {
    let map = setup.backend.rooms.snapshot(setup.map).await.unwrap().map;
    map.stages()
        .iter()
        .map(|stage| {
            let card = setup
                .touchpoints
                .iter()
                .find(|(id, _)| {
                    map.cards()
                        .iter()
                        .any(|c| c.id == *id && c.stage == stage.id)
                })
                .map(|(id, _)| *id)
                .unwrap();
            (stage.id, card)
        })
        .collect()
}

/// Marks `map` as a server that died with count changes unwritten leaves it, so that the next
/// start recounts the map (`recount_unflushed`).
pub(crate) async fn mark_for_recount(db: &server::db::Db, map: app::domain::ids::MapId) {
    db.writer()
        .write(move |conn| {
            conn.execute(
                "INSERT OR IGNORE INTO journey_unflushed (map_id) VALUES (?1)",
                [map.to_string()],
            )?;
            Ok(())
        })
        .await
        .unwrap();
}

/// Ten customers at the first touchpoint on T0; six of them at the second a day later (web),
/// three of those at the third two days after that.
fn events(places: &[(StageId, CardId)], prefix: &str) -> Vec<Value> {
    let mut events = Vec::new();
    for i in 0..10 {
        let customer = format!("{prefix}{i}@example.com");
        let channel = if i % 2 == 0 { "web" } else { "app" };
        events.push(json!({"customer": customer, "touchpoint": places[0].1, "at": T0 + i, "channel": channel}));
        if i < 6 {
            events.push(json!({"customer": customer, "touchpoint": places[1].1, "at": T0 + DAY + i, "channel": channel}));
        }
        if i < 3 {
            events.push(json!({"customer": customer, "stage": places[2].0, "at": T0 + 3 * DAY + i, "outcome": "converted"}));
        }
    }
    events
}

#[tokio::test]
async fn events_add_up_to_the_funnel_all_or_nothing_and_once() {
    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    let app = disk.bare_router(setup.backend.clone());
    let journey = ServerJourney::new(setup.backend.db.clone(), setup.backend.rooms.clone());
    let key = api_key(&setup).await;
    let path = format!("/api/v1/maps/{}/events", setup.map);
    let places = places(&setup).await;

    let batch = events(&places, "customer-");
    let reply = send(
        &app,
        post_json(&path, Some(&key), &json!({ "events": batch })),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.json()["accepted"], 19);

    let funnel = journey.funnel(setup.map, Filter::default()).await.unwrap();
    assert_eq!(funnel.customers, 10);
    let reach: Vec<u64> = funnel.stages.iter().map(|s| s.reach).collect();
    assert_eq!(reach, [10, 6, 3, 0, 0]);
    let first = funnel.stages[0].next.as_ref().unwrap();
    assert_eq!(first.converted, 6);
    assert!((first.rate.unwrap().value() - 60.0).abs() < 1e-9);
    let time = first.time.unwrap();
    assert!(
        (time.median - DAY).abs() as f64 <= DAY as f64 * 0.05,
        "{}",
        time.median
    );
    let map_now = setup.backend.rooms.snapshot(setup.map).await.unwrap().map;
    let counts = setup
        .backend
        .db
        .read({
            let map = setup.map;
            move |conn| server::db::journey::counts(conn, map, &Filter::default())
        })
        .await
        .unwrap();
    let outcomes = app::domain::journey::outcomes(&counts);
    assert_eq!(outcomes[&places[2].0], [("converted".to_owned(), 3)]);
    let figures = app::domain::journey::touchpoints(&map_now, &counts);
    let touch = figures.iter().find(|t| t.card == places[0].1).unwrap();
    assert_eq!(
        (touch.reach, touch.next.clone()),
        (10, vec![(places[1].1, 6)])
    );

    // Sent again (an answer lost on the way, say): nothing new, nothing counted twice.
    let reply = send(&app, post_json(&path, Some(&key), &json!(batch))).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.json()["accepted"], 0);
    assert_eq!(
        journey.funnel(setup.map, Filter::default()).await.unwrap(),
        funnel
    );

    // Filters: the web customers (even i), and the day the first stage was reached.
    let web = Filter {
        channel: Some("web".into()),
        ..Filter::default()
    };
    let by_web = journey.funnel(setup.map, web).await.unwrap();
    assert_eq!(by_web.stages[0].reach, 5);
    assert_eq!(by_web.stages[0].next.as_ref().unwrap().converted, 3);
    let day = Filter {
        from: Some(day_of(T0 + DAY)),
        to: Some(day_of(T0 + DAY)),
        ..Filter::default()
    };
    let second_day = journey.funnel(setup.map, day).await.unwrap();
    assert_eq!(second_day.stages[0].reach, 0);
    assert_eq!(second_day.stages[1].reach, 6);

    // One bad event among good ones: nothing stored, every bad one named by position.
    let mixed = json!([
        { "customer": "new", "touchpoint": places[0].1 },
        { "customer": "", "touchpoint": places[0].1 },
        { "customer": "x", "touchpoint": "no-such-card" },
        { "customer": "x" },
        { "customer": "x", "stage": places[0].0, "at": "someday" },
        { "customer": "x", "stage": places[0].0, "mood": "happy" },
        { "customer": "x", "touchpoint": places[0].1, "stage": places[1].0 },
    ]);
    let reply = send(&app, post_json(&path, Some(&key), &mixed)).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    let rejected = reply.rejected();
    let expected = [
        (1, "customer"),
        (2, "touchpoint"),
        (3, "touchpoint"),
        (4, "at"),
        (5, "body"),
        (6, "stage"),
    ];
    assert_eq!(rejected, expected.map(|(i, f)| (i, f.to_owned())));
    assert_eq!(
        journey.funnel(setup.map, Filter::default()).await.unwrap(),
        funnel
    );

    // Too many at once, no key, a malformed body: clear refusals, nothing stored.
    let too_many: Vec<Value> = (0..=server::journey::MAX_EVENTS)
        .map(|i| json!({"customer": format!("c{i}"), "stage": places[0].0}))
        .collect();
    let reply = send(&app, post_json(&path, Some(&key), &json!(too_many))).await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        reply.body
    );
    let reply = send(&app, post_json(&path, None, &json!(batch))).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let reply = send(&app, post_json(&path, Some(&key), &json!({"events": 3}))).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        journey.funnel(setup.map, Filter::default()).await.unwrap(),
        funnel
    );
}

#[tokio::test]
async fn references_are_stored_only_as_pseudonyms_and_a_customer_can_be_forgotten() {
    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    let app = disk.bare_router(setup.backend.clone());
    let journey = ServerJourney::new(setup.backend.db.clone(), setup.backend.rooms.clone());
    let key = api_key(&setup).await;
    let places = places(&setup).await;
    let counts = || async {
        server::journey::flush(&setup.backend.db, setup.map)
            .await
            .unwrap();
        setup
            .backend
            .db
            .read(|conn| {
                let mut stmt = conn.prepare(
                    "SELECT grain, channel, segment, day, kind, a, b, bucket, n
                     FROM journey_counts ORDER BY 1, 2, 3, 4, 5, 6, 7, 8",
                )?;
                let rows = stmt.query_map([], |row| {
                    (0..9)
                        .map(|i| row.get::<_, rusqlite::types::Value>(i))
                        .collect::<Result<Vec<_>, _>>()
                })?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
            .unwrap()
    };

    // Only the "bob" customers first: the counts a map without ann holds.
    let bobs = events(&places, "bob-");
    let post = |body: Value| {
        post_json(
            &format!("/api/v1/maps/{}/events", setup.map),
            Some(&key),
            &body,
        )
    };
    assert_eq!(
        send(&app, post(json!(bobs))).await.status,
        StatusCode::CREATED
    );
    let without_ann = counts().await;

    // Ann: a path of her own, and an answer to a survey under the same reference.
    let ann = "ann.lee@example.com";
    let hers = json!([
        {"customer": ann, "touchpoint": places[0].1, "at": T0 + 5, "channel": "web"},
        {"customer": ann, "touchpoint": places[1].1, "at": T0 + 2 * DAY, "segment": "pro"},
        {"customer": ann, "stage": places[3].0, "at": T0 + 9 * DAY, "outcome": "abandoned"},
    ]);
    assert_eq!(send(&app, post(hers)).await.status, StatusCode::CREATED);
    assert_eq!(
        journey
            .funnel(setup.map, Filter::default())
            .await
            .unwrap()
            .customers,
        11
    );

    // Her reference is nowhere in the files, the database's or its log's; only its hash is.
    setup.backend.db.flush().await.unwrap();
    for name in ["waymark.sqlite", "waymark.sqlite-wal"] {
        let Ok(bytes) = std::fs::read(disk.path().join(name)) else {
            continue;
        };
        for reference in [ann, "bob-3@example.com"] {
            assert!(
                !bytes
                    .windows(reference.len())
                    .any(|w| w == reference.as_bytes()),
                "{reference} is in {name}"
            );
        }
    }

    // An answer to a survey under the same reference (kept as sent: the inbox shows it, so
    // the team can follow up).
    let answer =
        json!({"touchpoint": places[0].1, "nps": 3, "respondent": ann, "comment": "Too slow"});
    let reply = send(
        &app,
        post_json(
            &format!("/api/v1/maps/{}/responses", setup.map),
            Some(&key),
            &answer,
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);

    // Forgotten: her events and her answer go, and the counts are as if she never came.
    let forgotten = journey.forget(setup.map, ann).await.unwrap();
    assert_eq!((forgotten.events, forgotten.answers), (3, 1));
    assert_eq!(counts().await, without_ann);
    let funnel = journey.funnel(setup.map, Filter::default()).await.unwrap();
    assert_eq!(funnel.customers, 10);
    use app::api::ctx::Feedback;
    let feedback = setup
        .feedback
        .map_feedback(setup.map, Filter::default())
        .await
        .unwrap();
    assert_eq!(feedback.map.responses, 0);
    // Forgetting again, or someone unknown, deletes nothing.
    let again = journey.forget(setup.map, ann).await.unwrap();
    assert_eq!((again.events, again.answers), (0, 0));

    // Deleting the map deletes every path and count.
    use app::api::ctx::Backend;
    setup.backend.delete_map(setup.map).await.unwrap();
    let left: i64 = setup
        .backend
        .db
        .read(|conn| {
            Ok(conn.query_row(
                "SELECT (SELECT count(*) FROM journey_paths) + (SELECT count(*) FROM journey_counts)",
                [],
                |row| row.get(0),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn a_start_after_a_crash_recounts_the_counts_it_had_not_written() {
    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    let places = places(&setup).await;
    let map = setup.map;
    // Stored as the API stores them, and committed; then the process dies before the changes
    // waiting in its memory are written to the counts.
    let steps: Vec<(i64, Step)> = (0..10)
        .flat_map(|i: i64| {
            let step = |at: i64, (stage, card): (StageId, CardId)| Step {
                at,
                stage,
                card: Some(card),
                channel: "web".into(),
                segment: String::new(),
                outcome: String::new(),
            };
            let mut path = vec![(i, step(T0 + i, places[0]))];
            if i < 4 {
                path.push((i, step(T0 + DAY + i, places[1])));
            }
            path
        })
        .collect();
    let stored = setup
        .backend
        .db
        .writer()
        .write(move |conn| server::db::journey::store_events(conn, map, steps).map(|(n, _)| n))
        .await
        .unwrap();
    assert_eq!(stored, 14);
    let rows = |db: server::db::Db| async move {
        db.read(|conn| {
            Ok(conn.query_row(
                "SELECT (SELECT count(*) FROM journey_counts), (SELECT count(*) FROM journey_unflushed)",
                [],
                |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?)),
            )?)
        })
        .await
        .unwrap()
    };
    assert_eq!(
        rows(setup.backend.db.clone()).await,
        (0, 1),
        "nothing counted, the map marked"
    );

    // The next start recounts the map from its paths.
    let reopened = disk.open();
    let (counted, marked) = rows(reopened.db.clone()).await;
    assert!(counted > 0);
    assert_eq!(marked, 0);
    let journey = ServerJourney::new(reopened.db.clone(), reopened.rooms.clone());
    let funnel = journey.funnel(map, Filter::default()).await.unwrap();
    assert_eq!(funnel.customers, 10);
    let reach: Vec<u64> = funnel.stages.iter().map(|s| s.reach).collect();
    assert_eq!(reach, [10, 4, 0, 0, 0]);
    assert_eq!(funnel.stages[0].next.as_ref().unwrap().converted, 4);
}
