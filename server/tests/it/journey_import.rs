//! CSV import of journey events through the real router: a dry run, a good file adding up to
//! the funnel with touchpoints and stages named by title, the same file again adding nothing,
//! a file with bad rows storing nothing and naming each, a file of several slices, and one
//! that fails part-way (the disk full) or is left unfinished by a stopped server: nothing of it
//! stays, paths and counts as before.

use app::api::feedback::Filter;
use app::domain::ids::{CardId, MapId};
use app::domain::journey::{Funnel, Path, Step};
use axum::http::StatusCode;
use serde_json::{json, Value};
use server::db::journey as store;
use server::db::Db;
use server::journey::ServerJourney;

use crate::feedback::{setup, upload_csv, Reply, Setup};
use crate::support::Disk;

fn mapping() -> Value {
    json!({
        "columns": ["customer", "touchpoint", "stage", "at", "channel", "outcome", null],
        "touchpoint": null,
    })
}

const HEADER: &str = "Customer,Touchpoint,Stage,Time,Channel,Outcome,Notes\n";

/// The map's touchpoints with the position of their stage, first touchpoint of each stage.
async fn touchpoints(setup: &Setup) -> Vec<(usize, CardId, String)> {
    let map = setup.backend.rooms.snapshot(setup.map).await.unwrap().map;
    let mut found: Vec<(usize, CardId, String)> = Vec::new();
    for (id, title) in &setup.touchpoints {
        let stage = map.card(*id).unwrap().stage;
        let at = map.stages().iter().position(|s| s.id == stage).unwrap();
        if !found.iter().any(|(s, _, _)| *s == at) {
            found.push((at, *id, title.clone()));
        }
    }
    found.sort_by_key(|(at, _, _)| *at);
    found
}

async fn import(app: &axum::Router, setup: &Setup, csv: &str, dry_run: bool) -> Reply {
    let path = format!("/maps/{}/journey/import", setup.map);
    upload_csv(app, &path, csv, &mapping(), dry_run).await
}

async fn funnel(setup: &Setup) -> Funnel {
    ServerJourney::new(setup.backend.db.clone(), setup.backend.rooms.clone())
        .funnel(setup.map, Filter::default())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_csv_of_events_adds_up_to_the_funnel_all_or_nothing_and_once() {
    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    let app = disk.router(setup.backend.clone()).await;
    let places = touchpoints(&setup).await;
    let [(first_stage, _, first), (second_stage, second, _), (third_stage, _, _)] =
        [&places[0], &places[1], &places[2]].map(|(at, id, title)| (*at, *id, title.clone()));
    let map = setup.backend.rooms.snapshot(setup.map).await.unwrap().map;
    let third_stage_name = map.stages()[third_stage].name.as_str().to_owned();

    // Six customers at the first touchpoint (named by its title, in any case), three of them at
    // the second a day later (by id), one of those in the third stage (by its name).
    let mut good = String::from(HEADER);
    for i in 0..6 {
        let title = if i % 2 == 0 {
            first.clone()
        } else {
            first.to_uppercase()
        };
        good.push_str(&format!("c{i},{title},,2026-09-01T10:0{i}:00Z,web,,\n"));
    }
    for i in 0..3 {
        good.push_str(&format!("c{i},{second},,2026-09-02T10:0{i}:00Z,web,,\n"));
    }
    good.push_str(&format!(
        "c0,,{},2026-09-04,,converted,a note\n",
        third_stage_name.to_lowercase()
    ));

    let checked = import(&app, &setup, &good, true).await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.body);
    assert_eq!(checked.json()["checked"], 10);
    assert_eq!(
        funnel(&setup).await.customers,
        0,
        "a dry run stores nothing"
    );

    let imported = import(&app, &setup, &good, false).await;
    assert_eq!(imported.status, StatusCode::OK, "{}", imported.body);
    assert_eq!(imported.json()["imported"], 10);
    let after = funnel(&setup).await;
    assert_eq!(after.customers, 6);
    let reach = [first_stage, second_stage, third_stage].map(|at| after.stages[at].reach);
    assert_eq!(reach, [6, 3, 1]);

    // The same file again (an answer lost on the way, say): nothing new, nothing counted twice.
    let again = import(&app, &setup, &good, false).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.json()["imported"], 0);
    assert_eq!(funnel(&setup).await, after);

    // Bad rows among good ones: nothing stored, each bad one named by line and field.
    let bad = format!(
        "{HEADER}\
         fresh,{first},,2026-09-05,,,\n\
         ,{first},,2026-09-05,,,\n\
         c9,Nowhere,,2026-09-05,,,\n\
         \n\
         c9,{first},,someday,,,\n\
         c9,,No such stage,2026-09-05,,,\n\
         c9,,,2026-09-05,,,\n"
    );
    let refused = import(&app, &setup, &bad, false).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert_eq!(refused.json()["rows"], 6);
    let lines = refused.refused_lines();
    let lines: Vec<(u64, &str)> = lines.iter().map(|(l, f)| (*l, f.as_str())).collect();
    assert_eq!(
        lines,
        [
            (3, "customer"),
            (4, "touchpoint"),
            (6, "at"),
            (7, "stage"),
            (8, "touchpoint")
        ]
    );
    assert_eq!(
        funnel(&setup).await,
        after,
        "nothing of a refused file is kept"
    );

    // A mapping without a customer is refused before the file is read; so is a stranger.
    let nameless = json!({ "columns": ["touchpoint"], "touchpoint": null });
    let path = format!("/maps/{}/journey/import", setup.map);
    let reply = upload_csv(&app, &path, "Touchpoint\nx\n", &nameless, false).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body.contains("customer"), "{}", reply.body);
    let anonymous = disk.bare_router(setup.backend.clone());
    let reply = upload_csv(&anonymous, &path, &good, &mapping(), false).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

/// A file of more events than one writer job takes is stored whole, in slices, and counted
/// once; one touchpoint for every row stands in for a touchpoint column.
#[tokio::test]
async fn a_file_larger_than_a_slice_is_stored_whole() {
    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    let app = disk.router(setup.backend.clone()).await;
    let places = touchpoints(&setup).await;
    let customers = server::journey::MAX_EVENTS * 2 + 500;
    let mut csv = String::from("customer;time\n");
    for i in 0..customers {
        csv.push_str(&format!("customer-{i};2026-10-{:02}\n", 1 + i % 28));
    }
    let mapping = json!({ "columns": ["customer", "at"], "touchpoint": places[0].1 });
    let path = format!("/maps/{}/journey/import", setup.map);
    let reply = upload_csv(&app, &path, &csv, &mapping, false).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.json()["imported"], customers);
    let after = funnel(&setup).await;
    assert_eq!(after.customers, customers as u64);
    assert_eq!(after.stages[places[0].0].reach, customers as u64);
}

/// A count row as stored: its key and `n`.
type CountRow = (i64, String, String, i64, i64, Vec<u8>, Vec<u8>, i64, i64);

/// What `map` holds of journeys: every path by customer, and every count row, the changes
/// waiting in memory written first.
async fn held(db: &Db, map: MapId) -> (Vec<(i64, Path)>, Vec<CountRow>) {
    server::journey::flush(db, map).await.unwrap();
    db.read(move |conn| {
        let mut paths = store::paths(conn, map)?;
        paths.sort_by_key(|(customer, _)| *customer);
        let mut stmt = conn.prepare(
            "SELECT grain, channel, segment, day, kind, a, b, bucket, n FROM journey_counts
             WHERE map_id = ?1 ORDER BY grain, channel, segment, day, kind, a, b, bucket",
        )?;
        let counts = stmt
            .query_map([map.to_string()], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                ))
            })?
            .collect::<Result<_, _>>()?;
        Ok((paths, counts))
    })
    .await
    .unwrap()
}

/// Rows left of imports under way: batches and their notes.
async fn batch_rows(db: &Db) -> (i64, i64) {
    db.read(|conn| {
        Ok(conn.query_row(
            "SELECT (SELECT count(*) FROM journey_batches),
                    (SELECT count(*) FROM journey_batch_steps)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    })
    .await
    .unwrap()
}

/// A file of several slices that fails part-way (the disk full, as SQLite's `max_page_count`
/// makes it, after the first slices committed) leaves paths and counts exactly as they were,
/// also by a recount, and no batch; once there is room, the same file is stored once.
#[tokio::test]
async fn a_file_that_fails_part_way_leaves_nothing_and_is_stored_once_when_sent_again() {
    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    let app = disk.router(setup.backend.clone()).await;
    let (db, map) = (setup.backend.db.clone(), setup.map);
    let places = touchpoints(&setup).await;
    let (first, second) = (places[0].1, places[1].1);
    let path = format!("/maps/{map}/journey/import");
    let mapping =
        json!({ "columns": ["customer", "touchpoint", "at", "channel"], "touchpoint": null });
    let row = |customer: &str, card: CardId, day: usize| {
        let channel = ["web", "store"][day % 2];
        format!("{customer};{card};2026-10-{day:02};{channel}\n")
    };

    // Known customers first: the failing file holds their events again (which must stay) and
    // a step more for each (which must go).
    let mut known = String::from("customer;touchpoint;time;channel\n");
    for i in 0..300 {
        known.push_str(&row(&format!("known-{i}"), first, 1 + i % 9));
    }
    let reply = upload_csv(&app, &path, &known, &mapping, false).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let before = held(&db, map).await;
    assert_eq!(before.0.len(), 300);

    let mut csv = known.clone();
    for i in 0..300 {
        csv.push_str(&row(&format!("known-{i}"), second, 12 + i % 9));
    }
    for i in 0..4_200 {
        csv.push_str(&row(&format!("new-{i}"), first, 1 + i % 28));
    }
    // Room for the first slices (about 40 pages each: two commit), not all five.
    crate::support::room_on_disk(&db, Some(100)).await;
    let failed = upload_csv(&app, &path, &csv, &mapping, false).await;
    assert_eq!(
        failed.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        failed.body
    );
    assert!(
        failed.json()["error"]
            .as_str()
            .unwrap()
            .contains("nothing was imported"),
        "{}",
        failed.body
    );
    assert_eq!(held(&db, map).await, before, "nothing of the file stays");
    assert_eq!(batch_rows(&db).await, (0, 0));

    // The counts are what a recount of the paths makes of them.
    crate::support::room_on_disk(&db, None).await;
    crate::journey::mark_for_recount(&db, map).await;
    let recounted = disk.open();
    assert_eq!(held(&recounted.db, map).await, before);
    drop(recounted);

    let retried = upload_csv(&app, &path, &csv, &mapping, false).await;
    assert_eq!(retried.status, StatusCode::OK, "{}", retried.body);
    assert_eq!(retried.json()["imported"], 4_500);
    let after = funnel(&setup).await;
    assert_eq!(after.customers, 4_500);
    assert_eq!(after.stages[places[1].0].reach, 300);
    assert_eq!(batch_rows(&db).await, (0, 0), "a finished batch is cleared");
}

/// A server that stopped part-way through a file (its batch unfinished) takes the file's steps
/// out when it starts again: only those it added, not those the paths held before, nor those
/// another request stored since and was answered for, nor those a finished file also carried.
#[tokio::test]
async fn a_start_undoes_a_file_left_unfinished() {
    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    let (db, map) = (setup.backend.db.clone(), setup.map);
    let places = touchpoints(&setup).await;
    let (stage, card) = {
        let snapshot = setup.backend.rooms.snapshot(map).await.unwrap().map;
        (snapshot.stages()[places[0].0].id, places[0].1)
    };
    let step = move |day: i64| Step {
        at: 1_788_220_800_000 + day * 86_400_000,
        stage,
        card: Some(card),
        channel: "web".into(),
        segment: String::new(),
        outcome: String::new(),
    };
    // Customers 1 to 3 on day 0, acknowledged.
    db.writer()
        .write(move |conn| store::store_events(conn, map, (1..=3).map(|c| (c, step(0))).collect()))
        .await
        .unwrap();
    let before = held(&db, map).await;

    db.writer()
        .write(move |conn| {
            // The file: customer 1 again (held) and a step more, and customers 4 and 5, new.
            let file = store::begin_batch(conn, map, 0)?;
            let events = vec![(1, step(0)), (1, step(2)), (4, step(0)), (5, step(0))];
            store::store_slice(conn, map, file, events)?;
            // Another file carried customer 4's step too, and finished (its notes not yet
            // cleared when the server stopped): the step stays.
            let other = store::begin_batch(conn, map, 0)?;
            store::store_slice(conn, map, other, vec![(4, step(0))])?;
            store::finish_batch(conn, other)?;
            // A request answered since carried customer 5's step: it stays.
            store::store_events(conn, map, vec![(5, step(0))])
        })
        .await
        .unwrap();
    assert_eq!(held(&db, map).await.0.len(), 5);

    let restarted = disk.open();
    assert_eq!(batch_rows(&restarted.db).await, (0, 0));
    let (paths, _) = held(&restarted.db, map).await;
    let mut expected = before.0.clone();
    expected.extend([4, 5].map(|c| (c, Path::from(vec![step(0)]))));
    assert_eq!(paths, expected, "only the unfinished file's own steps went");
    let funnel = ServerJourney::new(restarted.db.clone(), restarted.rooms.clone())
        .funnel(map, Filter::default())
        .await
        .unwrap();
    assert_eq!(funnel.customers, 5);
    assert_eq!(funnel.stages[places[0].0].reach, 5);
}
