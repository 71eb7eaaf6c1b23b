//! CSV import of journey events through the real router: a dry run, a good file adding up to
//! the funnel with touchpoints and stages named by title, the same file again adding nothing,
//! a file with bad rows storing nothing and naming each, and a file of several slices.

use app::api::feedback::Filter;
use app::domain::ids::CardId;
use app::domain::journey::Funnel;
use axum::http::StatusCode;
use serde_json::{json, Value};
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
    let report = refused.json();
    assert_eq!(report["rows"], 6);
    let lines: Vec<(u64, &str)> = report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["field"].as_str().unwrap()))
        .collect();
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
