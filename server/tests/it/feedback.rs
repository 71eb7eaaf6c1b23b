//! Feedback through the real router: the JSON API with good and bad payloads, the public form
//! as a browser without JavaScript posts it, CSV import with its report, and the summaries.

use app::api::ctx::Feedback;
use app::api::feedback::Filter;
use app::domain::edit::Edit;
use app::domain::feedback::{Period, Survey};
use app::domain::ids::{CardId, MapId, UserId};
use app::domain::map::LaneKind;
use app::domain::template::Template;
use app::domain::text::{Name, Text};
use axum::body::{to_bytes, Body};
use axum::http::{header, Request, StatusCode};
use axum::Router;
use serde_json::{json, Value};
use server::backend::ServerBackend;
use server::feedback::ServerFeedback;
use tower::ServiceExt;

use crate::support::{new_map, op, Disk};

pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    location: String,
    pub(crate) body: String,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// The refused items of a `422` answer: each one's position and field.
    pub(crate) fn rejected(&self) -> Vec<(u64, String)> {
        self.refused_by("index")
    }

    /// The refused rows of a CSV import's `422` answer: each one's line and field.
    pub(crate) fn refused_lines(&self) -> Vec<(u64, String)> {
        self.refused_by("line")
    }

    fn refused_by(&self, place: &str) -> Vec<(u64, String)> {
        self.json()["rejected"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let at = r[place].as_u64().unwrap();
                (at, r["field"].as_str().unwrap().to_owned())
            })
            .collect()
    }
}

pub(crate) async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = to_bytes(response.into_body(), 64 << 20).await.unwrap();
    Reply {
        status,
        location,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// A map whose touchpoints collect feedback, its touchpoint cards, and the feedback port.
pub(crate) struct Setup {
    pub(crate) backend: ServerBackend,
    pub(crate) feedback: ServerFeedback,
    pub(crate) map: MapId,
    pub(crate) touchpoints: Vec<(CardId, String)>,
}

pub(crate) async fn setup(backend: ServerBackend) -> Setup {
    let map = new_map(&backend, Template::CustomerJourney).await;
    let snapshot = backend.rooms.snapshot(map).await.unwrap().map;
    let lane = snapshot
        .lanes()
        .iter()
        .find(|l| l.kind == LaneKind::Touchpoints)
        .unwrap()
        .id;
    let touchpoints: Vec<(CardId, String)> = snapshot
        .cards()
        .iter()
        .filter(|c| c.lane == lane)
        .map(|c| (c.id, c.text.as_str().lines().next().unwrap().to_owned()))
        .collect();
    assert!(touchpoints.len() >= 3, "the template has touchpoints");
    let survey = Survey::default_for("checkout");
    let ops = touchpoints
        .iter()
        .map(|(id, _)| {
            op(Edit::SetCardSurvey {
                id: *id,
                survey: Some(survey.clone()),
            })
        })
        .collect();
    backend
        .rooms
        .submit(map, ops, &crate::support::author("Test"))
        .await
        .unwrap();
    Setup {
        feedback: ServerFeedback::new(backend.db.clone(), backend.rooms.clone()),
        backend,
        map,
        touchpoints,
    }
}

pub(crate) async fn api_key(setup: &Setup) -> String {
    let admin = UserId::from_uuid(uuid::Uuid::new_v4());
    // The key's creator must exist; the admin made for the router is one, so use the store.
    let user = app::api::auth::User {
        id: admin,
        email: format!("{admin}@example.com"),
        name: "Key maker".into(),
        is_admin: false,
    };
    setup
        .backend
        .db
        .writer()
        .write(move |conn| server::db::accounts::insert_user(conn, &user, "x", 0))
        .await
        .unwrap();
    setup
        .feedback
        .create_api_key(setup.map, admin, crate::support::author("Test"))
        .await
        .unwrap()
        .secret
}

async fn get(app: &Router, path: impl AsRef<str>) -> Reply {
    send(
        app,
        Request::get(path.as_ref()).body(Body::empty()).unwrap(),
    )
    .await
}

pub(crate) fn post_json(path: &str, key: Option<&str>, body: &Value) -> Request<Body> {
    let mut request = Request::post(path).header(header::CONTENT_TYPE, "application/json");
    if let Some(key) = key {
        request = request.header(header::AUTHORIZATION, format!("Bearer {key}"));
    }
    request.body(Body::from(body.to_string())).unwrap()
}

async fn stored(setup: &Setup) -> u64 {
    setup
        .feedback
        .map_feedback(setup.map, Filter::default())
        .await
        .unwrap()
        .map
        .responses
}

#[tokio::test]
async fn the_api_stores_good_batches_and_refuses_bad_ones_whole() {
    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    let app = disk.bare_router(setup.backend.clone());
    let key = api_key(&setup).await;
    let path = format!("/api/v1/maps/{}/responses", setup.map);
    let (checkout, _) = setup.touchpoints[0];

    let one =
        json!({ "touchpoint": checkout, "nps": 9, "comment": "Quick and easy", "channel": "web" });
    let reply = send(&app, post_json(&path, Some(&key), &one)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.json()["accepted"], 1);

    let batch: Vec<Value> = (0..40)
        .map(|i| {
            json!({
                "touchpoint": checkout,
                "at": format!("2026-10-{:02}T12:00:00Z", 1 + i % 28),
                "nps": i % 11,
                "csat": 1 + i % 5,
                "segment": if i % 2 == 0 { "pro" } else { "free" },
            })
        })
        .collect();
    let reply = send(
        &app,
        post_json(&path, Some(&key), &json!({ "responses": batch })),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(stored(&setup).await, 41);

    // One bad response among good ones: nothing is stored, every bad one is named.
    let mixed = json!([
        { "touchpoint": checkout, "nps": 10 },
        { "touchpoint": checkout, "nps": 11 },
        { "touchpoint": checkout, "csat": 0 },
        { "touchpoint": "no-such-card", "nps": 5 },
        { "touchpoint": checkout },
        { "touchpoint": checkout, "comment": "x".repeat(2001) },
        { "touchpoint": checkout, "nps": 5, "mood": "happy" },
        { "touchpoint": checkout, "nps": 5, "at": "last tuesday" },
        { "nps": 5 },
    ]);
    let reply = send(&app, post_json(&path, Some(&key), &mixed)).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    let rejected = reply.rejected();
    let expected: Vec<(u64, String)> = [
        (1, "nps"),
        (2, "csat"),
        (3, "touchpoint"),
        (4, "nps"),
        (5, "comment"),
        (6, "body"),
        (7, "at"),
        (8, "body"),
    ]
    .into_iter()
    .map(|(i, f)| (i, f.to_owned()))
    .collect();
    assert_eq!(rejected, expected);
    assert_eq!(stored(&setup).await, 41, "a refused batch stores nothing");

    // Keys: none, wrong, revoked, or of another map.
    assert_eq!(
        send(&app, post_json(&path, None, &one)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send(&app, post_json(&path, Some("wmk_wrong"), &one))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let other = new_map(&setup.backend, Template::Blank).await;
    let elsewhere = format!("/api/v1/maps/{other}/responses");
    assert_eq!(
        send(&app, post_json(&elsewhere, Some(&key), &one))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let not_json = Request::post(&path)
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .body(Body::from("nps=9"))
        .unwrap();
    let reply = send(&app, not_json).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.json()["error"].as_str().unwrap().contains("not JSON"));
    let keys = setup.feedback.api_keys(setup.map).await.unwrap();
    assert!(keys[0].last_used_at.is_some(), "a key's use is recorded");
    setup
        .feedback
        .revoke_api_key(setup.map, keys[0].id)
        .await
        .unwrap();
    assert_eq!(
        send(&app, post_json(&path, Some(&key), &one)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(stored(&setup).await, 41);

    let doc = get(&app, "/api/v1/openapi.json").await;
    assert_eq!(doc.status, StatusCode::OK);
    assert_eq!(doc.json()["openapi"], "3.1.0");
}

#[tokio::test]
async fn the_api_refuses_guessing_keys() {
    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    let app = disk.bare_router(setup.backend.clone());
    let path = format!("/api/v1/maps/{}/responses", setup.map);
    let body = json!({ "touchpoint": setup.touchpoints[0].0, "nps": 9 });
    let mut statuses = Vec::new();
    for _ in 0..25 {
        statuses.push(
            send(&app, post_json(&path, Some("wmk_guess"), &body))
                .await
                .status,
        );
    }
    assert_eq!(statuses[0], StatusCode::UNAUTHORIZED);
    assert_eq!(statuses[24], StatusCode::TOO_MANY_REQUESTS);
    // The right key is checked first, so the guessing does not hold it up.
    let key = api_key(&setup).await;
    let reply = send(&app, post_json(&path, Some(&key), &body)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
}

#[tokio::test]
async fn a_runaway_key_is_slowed_down() {
    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    let app = disk.bare_router(setup.backend.clone());
    let key = api_key(&setup).await;
    let path = format!("/api/v1/maps/{}/responses", setup.map);
    // Empty batches are refused, but count: the limit is on requests. It drains at its
    // average pace (the whole allowance per 15 minutes), so a few more pass meanwhile.
    let empty = json!([]);
    let mut sent = 0;
    let refused = loop {
        let reply = send(&app, post_json(&path, Some(&key), &empty)).await;
        sent += 1;
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            break reply;
        }
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    };
    let limit = server::feedback::api::REQUESTS_PER_KEY as usize;
    assert!(
        (limit..limit + 100).contains(&sent),
        "{sent} requests before the limit"
    );
    assert!(refused.body.contains("batches"), "{}", refused.body);
    let one = json!({ "touchpoint": setup.touchpoints[0].0, "nps": 9 });
    // Another key is not held up by this one.
    let other = api_key(&setup).await;
    let reply = send(&app, post_json(&path, Some(&other), &one)).await;
    assert_eq!(reply.status, StatusCode::CREATED);
}

fn form_post(token: &str, body: &str) -> Request<Body> {
    Request::post(format!("/f/{token}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

#[tokio::test]
async fn the_public_form_takes_answers_without_javascript() {
    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    let app = disk.bare_router(setup.backend.clone());
    let (card, name) = setup.touchpoints[1].clone();
    let token = setup
        .feedback
        .form_token(setup.map, card, false)
        .await
        .unwrap();
    assert_eq!(
        setup
            .feedback
            .form_token(setup.map, card, false)
            .await
            .unwrap(),
        token,
        "the same link every time"
    );

    let page = get(&app, format!("/f/{token}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&name), "the form names its touchpoint");
    assert!(page.body.contains("name=\"nps\""));
    assert!(
        !page.body.contains("Awareness"),
        "the form shows nothing else of the map"
    );

    let reply = send(&app, form_post(&token, "nps=9&csat=5&comment=Lovely+staff")).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.location, format!("/f/{token}/thanks"));
    let thanks = get(&app, &reply.location).await;
    assert!(thanks.body.contains("Thank you"), "{}", thanks.body);
    assert_eq!(stored(&setup).await, 1);

    // The honeypot: a bot is thanked, and nothing is kept.
    let reply = send(
        &app,
        form_post(&token, "nps=0&website=http%3A%2F%2Fspam.example"),
    )
    .await;
    assert_eq!(reply.location, format!("/f/{token}/thanks"));
    assert_eq!(stored(&setup).await, 1);

    // Bad answers go back to the form with the reason, and store nothing.
    for body in ["nps=11", "csat=x", "ces=4", "", "nps=&comment=+"] {
        let reply = send(&app, form_post(&token, body)).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{body}");
        assert!(
            reply.location.starts_with(&format!("/f/{token}?error=")),
            "{body}: {}",
            reply.location
        );
    }
    let page = get(&app, format!("/f/{token}?error=Please%20answer")).await;
    assert!(page.body.contains("Please answer"));
    assert_eq!(stored(&setup).await, 1);

    let qr = get(&app, format!("/f/{token}/qr.svg")).await;
    assert_eq!(qr.status, StatusCode::OK);
    assert!(qr.body.starts_with("<?xml") && qr.body.contains("<svg"));

    // A renewed link retires the old one.
    let renewed = setup
        .feedback
        .form_token(setup.map, card, true)
        .await
        .unwrap();
    assert_ne!(renewed, token);
    let old = send(&app, form_post(&token, "nps=9")).await;
    assert_eq!(old.status, StatusCode::NOT_FOUND);
    let gone = get(&app, format!("/f/{token}")).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(stored(&setup).await, 1);
}

#[tokio::test]
async fn a_form_follows_its_card_as_the_map_changes() {
    // Forms are served from a survey cache, not the map: it must never show a stale card.
    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    let app = disk.bare_router(setup.backend.clone());
    let (card, name) = setup.touchpoints[0].clone();
    let token = setup
        .feedback
        .form_token(setup.map, card, false)
        .await
        .unwrap();
    let page = get(&app, format!("/f/{token}")).await;
    assert!(page.body.contains(&name), "{}", page.body);

    let edit = |edit: Edit| {
        let rooms = setup.backend.rooms.clone();
        async move {
            rooms
                .submit(setup.map, vec![op(edit)], &crate::support::author("Test"))
                .await
                .unwrap();
        }
    };
    edit(Edit::SetCardText {
        id: card,
        text: Text::parse("Paying at the till").unwrap(),
    })
    .await;
    let page = get(&app, format!("/f/{token}")).await;
    assert!(page.body.contains("Paying at the till"), "{}", page.body);
    assert!(!page.body.contains(&name), "the old name is gone");

    // A survey without the NPS question: the form stops asking it, and refuses an answer to it.
    let mut survey = Survey::default_for("till");
    survey.nps = None;
    edit(Edit::SetCardSurvey {
        id: card,
        survey: Some(survey),
    })
    .await;
    let page = get(&app, format!("/f/{token}")).await;
    assert!(!page.body.contains("name=\"nps\""), "{}", page.body);
    let reply = send(&app, form_post(&token, "nps=9")).await;
    assert!(reply.location.starts_with(&format!("/f/{token}?error=")));

    edit(Edit::SetCardSurvey {
        id: card,
        survey: None,
    })
    .await;
    assert_eq!(
        get(&app, format!("/f/{token}")).await.status,
        StatusCode::NOT_FOUND
    );
    let reply = send(&app, form_post(&token, "csat=5")).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(stored(&setup).await, 0);
}

#[tokio::test]
async fn the_public_form_limits_each_address() {
    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    let app = disk.bare_router(setup.backend.clone());
    let token = setup
        .feedback
        .form_token(setup.map, setup.touchpoints[0].0, false)
        .await
        .unwrap();
    for _ in 0..30 {
        let reply = send(&app, form_post(&token, "nps=7")).await;
        assert!(reply.location.ends_with("/thanks"));
    }
    let reply = send(&app, form_post(&token, "nps=7")).await;
    assert!(
        reply.location.contains("error=Too%20many"),
        "{}",
        reply.location
    );
    assert_eq!(stored(&setup).await, 30);
}

fn multipart(fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = "waymark-test-boundary";
    let mut body = String::new();
    for (name, value) in fields {
        let file = if *name == "file" {
            "; filename=\"answers.csv\""
        } else {
            ""
        };
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"{file}\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (
        format!("multipart/form-data; boundary={boundary}"),
        body.into_bytes(),
    )
}

async fn import_csv(app: &Router, map: MapId, csv: &str, mapping: &Value, dry_run: bool) -> Reply {
    upload_csv(
        app,
        &format!("/maps/{map}/feedback/import"),
        csv,
        mapping,
        dry_run,
    )
    .await
}

/// Posts `csv` with its column `mapping` to an import at `path`, as the Import tab does.
pub(crate) async fn upload_csv(
    app: &Router,
    path: &str,
    csv: &str,
    mapping: &Value,
    dry_run: bool,
) -> Reply {
    let mapping = mapping.to_string();
    let mut fields = vec![("file", csv), ("mapping", mapping.as_str())];
    if dry_run {
        fields.push(("dry_run", "1"));
    }
    let (content_type, body) = multipart(&fields);
    let request = Request::post(path)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    send(app, request).await
}

#[tokio::test]
async fn csv_import_is_all_or_nothing_with_a_report_by_line() {
    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    let app = disk.router(setup.backend.clone()).await;
    let (_, first) = &setup.touchpoints[0];
    let (second_id, _) = &setup.touchpoints[1];
    let mapping = json!({
        "columns": ["at", "touchpoint", "nps", "comment", null],
        "touchpoint": null,
    });
    let bad = format!(
        "date,touchpoint,nps,comment,notes\n\
         2026-11-01,{first},9,\"Great, really\",x\n\
         2026-11-02,{second_id},12,too high,\n\
         2026-11-03,Nowhere,5,,\n\
         \n\
         2026-11-04,{first},seven,,\n\
         2026-13-01,{first},5,,\n\
         2026-11-05,{},8,fine,\n",
        first.to_uppercase()
    );
    let reply = import_csv(&app, setup.map, &bad, &mapping, false).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert_eq!(reply.json()["rows"], 6);
    let lines = reply.refused_lines();
    let lines: Vec<(u64, &str)> = lines.iter().map(|(l, f)| (*l, f.as_str())).collect();
    assert_eq!(
        lines,
        [(3, "nps"), (4, "touchpoint"), (6, "nps"), (7, "at")]
    );
    assert_eq!(stored(&setup).await, 0, "nothing of a refused file is kept");

    let good = format!(
        "date,touchpoint,nps,comment,notes\n\
         2026-11-01,{first},9,\"Great, really\",x\n\
         2026-11-02,{second_id},3,too slow,\n\
         2026-11-05,{},8,fine,\n",
        first.to_uppercase()
    );
    let checked = import_csv(&app, setup.map, &good, &mapping, true).await;
    assert_eq!(checked.json()["checked"], 3, "{}", checked.body);
    assert_eq!(stored(&setup).await, 0, "a dry run stores nothing");
    let imported = import_csv(&app, setup.map, &good, &mapping, false).await;
    assert_eq!(imported.status, StatusCode::OK, "{}", imported.body);
    assert_eq!(imported.json()["imported"], 3);
    let summary = setup
        .feedback
        .map_feedback(setup.map, Filter::default())
        .await
        .unwrap();
    assert_eq!(summary.map.responses, 3);
    assert_eq!(
        summary
            .touchpoint(setup.touchpoints[0].0)
            .unwrap()
            .responses,
        2
    );

    // A mapping that names no answer is refused before the file is read.
    let useless = json!({ "columns": ["at", "touchpoint", null, null, null], "touchpoint": null });
    let reply = import_csv(&app, setup.map, &good, &useless, false).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body.contains("at least one"));
    // Signed out: refused.
    let anonymous = disk.bare_router(setup.backend.clone());
    let reply = import_csv(&anonymous, setup.map, &good, &mapping, false).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

/// A file large enough to be read in two halves, as spreadsheets save them (a byte-order mark,
/// semicolons, comments over several lines): one bad row in its second half is reported on its
/// line and stores nothing; fixed, every row is stored.
#[tokio::test]
async fn a_large_csv_is_read_whole_and_reports_the_right_line() {
    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    let app = disk.router(setup.backend.clone()).await;
    let mapping = json!({
        "columns": ["touchpoint", "nps", "comment"],
        "touchpoint": null,
    });
    let (_, name) = &setup.touchpoints[0];
    let rows = 12_000;
    let file = |bad_row: Option<usize>| {
        let mut csv = String::from("\u{feff}touchpoint;nps;comment\r\n");
        for i in 0..rows {
            let nps = if Some(i) == bad_row { "eleven" } else { "8" };
            csv.push_str(&format!(
                "{name};{nps};\"Row {i}; said \"\"fine\"\"\nthen left\"\r\n"
            ));
        }
        csv
    };
    // Each row takes two lines after the header's: row i starts on line 2 + 2i.
    let bad = 9_000;
    let reply = import_csv(&app, setup.map, &file(Some(bad)), &mapping, false).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    let report = reply.json();
    assert_eq!(report["rows"], rows);
    assert_eq!(report["rejected"][0]["line"], 2 + 2 * bad);
    assert_eq!(report["rejected"][0]["field"], "nps");
    assert_eq!(report["rejected"].as_array().unwrap().len(), 1);
    assert_eq!(stored(&setup).await, 0);

    let reply = import_csv(&app, setup.map, &file(None), &mapping, false).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.json()["imported"], rows);
    assert_eq!(stored(&setup).await, rows as u64);
    let comments = setup
        .feedback
        .touchpoint(
            setup.map,
            setup.touchpoints[0].0,
            Filter::default(),
            Period::Month,
        )
        .await
        .unwrap();
    assert!(!comments.latest.is_empty());
    assert!(
        comments
            .latest
            .iter()
            .all(|q| q.text.ends_with("said \"fine\"\nthen left")),
        "{:?}",
        comments.latest.first()
    );
}

#[tokio::test]
async fn summaries_follow_the_responses_and_survive_a_restart() {
    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    let app = disk.bare_router(setup.backend.clone());
    let key = api_key(&setup).await;
    let path = format!("/api/v1/maps/{}/responses", setup.map);
    let (good, bad, quiet) = (
        setup.touchpoints[0].0,
        setup.touchpoints[1].0,
        setup.touchpoints[2].0,
    );
    let mut batch = Vec::new();
    for i in 0..60 {
        // `good`: 70% promoters; `bad`: 70% detractors; `quiet`: 3 answers only.
        let promoter = i % 10 < 7;
        batch.push(json!({ "touchpoint": good, "nps": if promoter { 10 } else { 2 },
            "at": if i < 30 { "2026-10-05" } else { "2026-11-05" },
            "comment": if i % 3 == 0 { Some("Delivery was quick and the staff were lovely") } else { None } }));
        batch.push(json!({ "touchpoint": bad, "nps": if promoter { 1 } else { 9 },
            "at": if i < 30 { "2026-10-06" } else { "2026-11-06" },
            "comment": if i % 3 == 0 { Some("The checkout page was slow and confusing") } else { None } }));
    }
    for _ in 0..3 {
        batch.push(json!({ "touchpoint": quiet, "nps": 0, "channel": "store", "segment": "vip" }));
    }
    let reply = send(&app, post_json(&path, Some(&key), &Value::Array(batch))).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);

    let all = setup
        .feedback
        .map_feedback(setup.map, Filter::default())
        .await
        .unwrap();
    assert_eq!(all.map.responses, 123);
    let good_nps = all.touchpoint(good).unwrap().nps.as_ref().unwrap();
    assert_eq!(good_nps.value(), Some(40.0));
    let quiet_summary = all.touchpoint(quiet).unwrap();
    assert_eq!(quiet_summary.responses, 3);
    assert_eq!(
        quiet_summary.headline().unwrap().estimate,
        None,
        "below the minimum"
    );
    assert_eq!(all.pain_points, [bad]);
    let stage = setup
        .backend
        .rooms
        .snapshot(setup.map)
        .await
        .unwrap()
        .map
        .card(good)
        .unwrap()
        .stage;
    assert!(all.stage(stage).unwrap().responses >= 60);

    let october = Filter {
        from: app::domain::time::day_from_civil(2026, 10, 1),
        to: app::domain::time::day_from_civil(2026, 10, 31),
        ..Filter::default()
    };
    let filtered = setup
        .feedback
        .map_feedback(setup.map, october)
        .await
        .unwrap();
    assert_eq!(filtered.touchpoint(good).unwrap().responses, 30);
    // The filter menus list the channels and segments used; a channel filter keeps only its own.
    assert_eq!(all.channels, ["store"]);
    assert_eq!(all.segments, ["vip"]);
    let in_store = Filter {
        channel: Some("store".into()),
        ..Filter::default()
    };
    let in_store = setup
        .feedback
        .map_feedback(setup.map, in_store)
        .await
        .unwrap();
    assert_eq!(in_store.map.responses, 3);
    assert!(in_store.touchpoint(good).is_none());

    let detail = setup
        .feedback
        .touchpoint(setup.map, bad, Filter::default(), Period::Month)
        .await
        .unwrap();
    assert_eq!(detail.trend.points.len(), 2);
    assert!(detail.comments_shown);
    assert_eq!(detail.summary.comments, 20);
    assert_eq!(
        detail.summary.negative, 20,
        "slow and confusing reads negative"
    );
    assert!(!detail.latest.is_empty() && !detail.quotes.is_empty());
    let suggested: Vec<&str> = detail.suggested.iter().map(|(k, _)| k.as_str()).collect();
    assert!(
        suggested
            .iter()
            .any(|k| k.contains("checkout") || k.contains("slow")),
        "{suggested:?}"
    );

    // Comments stay hidden below the anonymity minimum.
    let quiet_detail = setup
        .feedback
        .touchpoint(setup.map, quiet, Filter::default(), Period::Week)
        .await
        .unwrap();
    assert!(!quiet_detail.comments_shown);

    // Themes the team defines are counted.
    let mut settings = setup
        .backend
        .rooms
        .snapshot(setup.map)
        .await
        .unwrap()
        .map
        .feedback;
    settings.themes.push(app::domain::feedback::Theme {
        name: Name::parse("Speed").unwrap(),
        keywords: vec![Name::parse("slow*").unwrap(), Name::parse("quick").unwrap()],
    });
    setup
        .backend
        .rooms
        .submit(
            setup.map,
            vec![op(Edit::SetFeedbackSettings { settings })],
            &crate::support::author("Test"),
        )
        .await
        .unwrap();
    let themed = setup
        .feedback
        .touchpoint(setup.map, bad, Filter::default(), Period::Month)
        .await
        .unwrap();
    assert_eq!(themed.themes[0].comments, 20);

    // The inbox: newest first, unhappy ones on request, follow-ups remembered.
    let unhappy = setup
        .feedback
        .inbox(setup.map, true, None, 500)
        .await
        .unwrap();
    assert!(unhappy
        .items
        .iter()
        .all(|i| i.response.nps.is_some_and(|n| n <= 6)));
    assert_eq!(unhappy.items.len(), 18 + 42 + 3);
    let first = unhappy.items[0].id;
    setup
        .feedback
        .set_followed_up(setup.map, first, true)
        .await
        .unwrap();

    // Acknowledged means on disk: a new server on the same file sees it all.
    drop(app);
    let reopened = disk.open();
    let again = ServerFeedback::new(reopened.db.clone(), reopened.rooms.clone());
    let summary = again
        .map_feedback(setup.map, Filter::default())
        .await
        .unwrap();
    assert_eq!(summary.map.responses, 123);
    let page = again.inbox(setup.map, true, None, 1).await.unwrap();
    assert!(page.items[0].followed_up);
    assert!(page.next.is_some());
}

/// Whatever JSON arrives, the API answers 201, 400 or 422 (never a server error), and stores
/// exactly what it says it accepted.
#[test]
fn any_json_gets_a_clear_answer() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let disk = Disk::new();
    let (setup, app, key) = runtime.block_on(async {
        let setup = setup(disk.open()).await;
        let app = disk.bare_router(setup.backend.clone());
        let key = api_key(&setup).await;
        (setup, app, key)
    });
    let path = format!("/api/v1/maps/{}/responses", setup.map);
    let touchpoint = setup.touchpoints[0].0.to_string();

    let field = prop_oneof![
        Just("touchpoint".to_owned()),
        Just("nps".to_owned()),
        Just("csat".to_owned()),
        Just("ces".to_owned()),
        Just("comment".to_owned()),
        Just("at".to_owned()),
        Just("channel".to_owned()),
        Just("responses".to_owned()),
        "[a-z]{1,6}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-3i64..13).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "\\PC{0,30}".prop_map(Value::from),
        Just(Value::from(touchpoint)),
        Just(Value::from("2026-10-05T10:00:00Z")),
    ];
    let value = leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(field.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    let mut runner = TestRunner::new(Config {
        cases: 300,
        ..Config::default()
    });
    runner
        .run(&value, |body| {
            runtime.block_on(async {
                let before = stored(&setup).await;
                let reply = send(&app, post_json(&path, Some(&key), &body)).await;
                let after = stored(&setup).await;
                match reply.status {
                    StatusCode::CREATED => {
                        let accepted = reply.json()["accepted"].as_u64().unwrap();
                        prop_assert_eq!(after, before + accepted);
                    }
                    StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => {
                        prop_assert_eq!(after, before, "a refused request stores nothing");
                        prop_assert!(reply.json()["error"].is_string(), "{}", reply.body);
                    }
                    other => prop_assert!(false, "{other} for {body}: {}", reply.body),
                }
                Ok(())
            })
        })
        .unwrap();
}

/// Whatever a form post holds, the public form answers with a redirect (thanks, or the form
/// with its error), or 429 once the address has sent too many; never a server error.
#[test]
fn any_form_post_gets_a_clear_answer() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let disk = Disk::new();
    let (setup, app, token) = runtime.block_on(async {
        let setup = setup(disk.open()).await;
        let app = disk.bare_router(setup.backend.clone());
        let card = setup.touchpoints[0].0;
        let token = setup
            .feedback
            .form_token(setup.map, card, false)
            .await
            .unwrap();
        (setup, app, token)
    });
    let field = prop_oneof![
        Just("nps".to_owned()),
        Just("csat".to_owned()),
        Just("ces".to_owned()),
        Just("comment".to_owned()),
        Just("website".to_owned()),
        Just("channel".to_owned()),
        Just("segment".to_owned()),
        "\\PC{0,8}",
    ];
    let value = prop_oneof![
        (-3i64..13).prop_map(|n| n.to_string()),
        "\\PC{0,40}",
        "[0-9.e+-]{0,6}",
    ];
    let body = prop::collection::vec((field, value), 0..8).prop_map(|pairs| {
        pairs
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    });
    // The form takes 30 posts per address in 15 minutes, and these all come from one; past
    // that every answer is the "too many" redirect, so more cases would test nothing new.
    let mut runner = TestRunner::new(Config {
        cases: 30,
        ..Config::default()
    });
    runner
        .run(&body, |body| {
            runtime.block_on(async {
                let before = stored(&setup).await;
                let reply = send(&app, form_post(&token, &body)).await;
                let after = stored(&setup).await;
                match reply.status {
                    StatusCode::SEE_OTHER => prop_assert!(
                        after == before || reply.location.ends_with("/thanks"),
                        "stored without thanking: {}",
                        reply.location
                    ),
                    StatusCode::TOO_MANY_REQUESTS | StatusCode::BAD_REQUEST => {
                        prop_assert_eq!(after, before)
                    }
                    other => prop_assert!(false, "{other} for {body}: {}", reply.body),
                }
                Ok(())
            })
        })
        .unwrap();
}

/// Percent-encodes everything but letters and digits, as a browser's form would.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Summaries of tiny and degenerate response sets (no answer to three, all equal, the extremes,
/// every minimum), fetched as the browser fetches them, through the server functions over
/// HTTP: each reply decodes into the browser's own types, every number in it finite, and no
/// score is lost in decoding (a score the browser could not read would vanish from its chip).
#[test]
fn summaries_of_degenerate_samples_always_decode() {
    use app::api::feedback::{
        GetMapFeedback, GetTouchpointFeedback, MapFeedback, TouchpointFeedback,
    };
    use app::domain::feedback::{FeedbackSettings, ResponseInput, Source, Summary};
    use leptos::server_fn::ServerFn;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    use server::feedback::Naming;

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let disk = Disk::new();
    let (backend, app) = runtime.block_on(async {
        let backend = disk.open();
        let app = disk.router(backend.clone()).await;
        (backend, app)
    });

    // A score is one of the scale's ends, its middle, or absent.
    fn score(low: i64, high: i64) -> impl Strategy<Value = Option<i64>> + Clone {
        prop_oneof![
            Just(None),
            Just(Some(low)),
            Just(Some(high)),
            (low..=high).prop_map(Some)
        ]
    }
    let answer = (score(0, 10), score(1, 5), score(1, 7), any::<bool>());
    // Per touchpoint: 0–3 answers, either each drawn or one answer repeated.
    let touchpoint = prop_oneof![
        prop::collection::vec(answer.clone(), 0..=3),
        (answer, 0usize..=3).prop_map(|(a, n)| vec![a; n]),
    ];
    let case = (
        prop_oneof![
            Just(1u32),
            Just(2),
            Just(3),
            Just(4),
            Just(30),
            Just(10_000),
            1u32..=10_000
        ],
        prop::collection::vec(touchpoint, 3),
    );

    fn check_finite(value: &Value) -> Result<(), TestCaseError> {
        match value {
            Value::Number(n) => prop_assert!(n.as_f64().is_some_and(f64::is_finite), "{n}"),
            Value::Array(items) => items.iter().try_for_each(check_finite)?,
            Value::Object(fields) => fields.values().try_for_each(check_finite)?,
            _ => {}
        }
        Ok(())
    }
    // Every score the server sent is one the browser read.
    fn check_kept(raw: &Value, decoded: &Summary) -> Result<(), TestCaseError> {
        for (field, kept) in [
            ("nps", decoded.nps.is_some()),
            ("csat", decoded.csat.is_some()),
            ("csat_mean", decoded.csat_mean.is_some()),
            ("ces", decoded.ces.is_some()),
            ("distribution", decoded.distribution.is_some()),
        ] {
            prop_assert_eq!(!raw[field].is_null(), kept, "{} of {}", field, raw);
        }
        for score in [
            &decoded.nps,
            &decoded.csat,
            &decoded.csat_mean,
            &decoded.ces,
        ]
        .into_iter()
        .flatten()
        {
            if let Some(e) = score.estimate {
                prop_assert!(e.value().is_finite() && e.low().is_finite() && e.high().is_finite());
                prop_assert!(e.variance().is_none_or(f64::is_finite));
            }
        }
        Ok(())
    }

    let mut runner = TestRunner::new(Config {
        cases: 48,
        ..Config::default()
    });
    runner
        .run(&case, |(minimum, answers)| {
            runtime.block_on(async {
                let setup = setup(backend.clone()).await;
                let settings = FeedbackSettings {
                    minimum,
                    ..FeedbackSettings::default()
                };
                setup
                    .backend
                    .rooms
                    .submit(
                        setup.map,
                        vec![op(Edit::SetFeedbackSettings { settings })],
                        &crate::support::author("Test"),
                    )
                    .await
                    .unwrap();
                let mut items = Vec::new();
                for ((card, _), answers) in setup.touchpoints.iter().zip(&answers) {
                    for (nps, csat, ces, comment) in answers {
                        let comment = (*comment
                            || (nps.is_none() && csat.is_none() && ces.is_none()))
                        .then(|| "Fine".to_owned());
                        items.push(Ok(ResponseInput {
                            touchpoint: card.to_string(),
                            nps: *nps,
                            csat: *csat,
                            ces: *ces,
                            comment,
                            ..ResponseInput::default()
                        }));
                    }
                }
                if !items.is_empty() {
                    setup
                        .feedback
                        .ingest(setup.map, items, Source::Api, Naming::Id)
                        .await
                        .unwrap();
                }

                let body = json!({ "map": setup.map, "filter": Filter::default(), "share": null });
                let reply = send(&app, post_json(GetMapFeedback::PATH, None, &body)).await;
                prop_assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
                let raw = reply.json();
                check_finite(&raw)?;
                let decoded: MapFeedback = serde_json::from_str(&reply.body)
                    .map_err(|e| TestCaseError::fail(format!("{e}: {}", reply.body)))?;
                check_kept(&raw["map"], &decoded.map)?;
                let raw_touchpoints = raw["touchpoints"].as_array().unwrap();
                prop_assert_eq!(raw_touchpoints.len(), decoded.touchpoints.len());
                for (raw, (_, summary)) in raw_touchpoints.iter().zip(&decoded.touchpoints) {
                    check_kept(&raw[1], summary)?;
                }
                prop_assert_eq!(
                    raw["stages"].as_array().unwrap().len(),
                    decoded.stages.len()
                );

                for (card, _) in &setup.touchpoints {
                    for period in [Period::Week, Period::Month] {
                        let body = json!({ "map": setup.map, "card": card,
                            "filter": Filter::default(), "period": period, "share": null });
                        let reply =
                            send(&app, post_json(GetTouchpointFeedback::PATH, None, &body)).await;
                        prop_assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
                        let raw = reply.json();
                        check_finite(&raw)?;
                        let decoded: TouchpointFeedback = serde_json::from_str(&reply.body)
                            .map_err(|e| TestCaseError::fail(format!("{e}: {}", reply.body)))?;
                        check_kept(&raw["summary"], &decoded.summary)?;
                        for (raw, point) in raw["trend"]["points"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .zip(&decoded.trend.points)
                        {
                            check_kept(&raw["summary"], &point.summary)?;
                        }
                    }
                }
                Ok(())
            })
        })
        .unwrap();
}

/// A request of many slices that fails part-way (the disk full, as SQLite's `max_page_count`
/// makes it) leaves nothing: no response, no tally, no unfinished batch; and once there is
/// room, the same request stores every response once.
#[tokio::test]
async fn a_batch_that_fails_part_way_stores_nothing_and_a_retry_stores_it_once() {
    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    let app = disk.bare_router(setup.backend.clone());
    let key = api_key(&setup).await;
    let path = format!("/api/v1/maps/{}/responses", setup.map);
    let batch = |offset: usize| -> Value {
        Value::Array(
            (0..5_000)
                .map(|i| {
                    let (card, _) = &setup.touchpoints[(i + offset) % setup.touchpoints.len()];
                    json!({ "touchpoint": card, "nps": (i % 11), "channel": (["web", "store"][i % 2]),
                        "at": format!("2026-{:02}-{:02}", 1 + i % 10, 1 + i % 28),
                        "comment": if i % 7 == 0 { Some(format!("Answer number {i}, {offset}")) } else { None } })
                })
                .collect(),
        )
    };
    let first = send(&app, post_json(&path, Some(&key), &batch(0))).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let filters = [
        Filter::default(),
        Filter {
            channel: Some("web".into()),
            ..Filter::default()
        },
        Filter {
            from: app::domain::time::day_from_civil(2026, 2, 10),
            to: app::domain::time::day_from_civil(2026, 7, 3),
            ..Filter::default()
        },
    ];
    let mut before = Vec::new();
    for filter in &filters {
        before.push(
            setup
                .feedback
                .map_feedback(setup.map, filter.clone())
                .await
                .unwrap(),
        );
    }

    // Room for about one more slice, not five.
    crate::support::room_on_disk(&setup.backend.db, Some(60)).await;
    let failed = send(&app, post_json(&path, Some(&key), &batch(1))).await;
    assert!(
        failed.status.is_server_error(),
        "{} {}",
        failed.status,
        failed.body
    );
    for (filter, before) in filters.iter().zip(&before) {
        let after = setup
            .feedback
            .map_feedback(setup.map, filter.clone())
            .await
            .unwrap();
        assert_eq!(
            &after, before,
            "a failed request changes nothing ({filter:?})"
        );
    }
    let unfinished: i64 = setup
        .backend
        .db
        .read(|conn| Ok(conn.query_row("SELECT count(*) FROM feedback_batches", [], |r| r.get(0))?))
        .await
        .unwrap();
    assert_eq!(unfinished, 0);

    crate::support::room_on_disk(&setup.backend.db, None).await;
    let retried = send(&app, post_json(&path, Some(&key), &batch(1))).await;
    assert_eq!(retried.status, StatusCode::CREATED, "{}", retried.body);
    assert_eq!(stored(&setup).await, 10_000);
}

/// Every tally table of the database, as text, to compare two counts.
async fn tally_tables(db: &server::db::Db) -> Vec<String> {
    db.read(|conn| {
        let mut out = Vec::new();
        for (table, _) in server::db::feedback::TALLY_TABLES {
            let mut stmt = conn.prepare(&format!("SELECT * FROM {table}"))?;
            let n = stmt.column_count();
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let values: Vec<String> = (0..n)
                    .map(|i| format!("{:?}", row.get_ref(i).unwrap()))
                    .collect();
                out.push(format!("{table}: {}", values.join(",")));
            }
        }
        out.sort();
        Ok(out)
    })
    .await
    .unwrap()
}

/// Bulk answers' tallies wait in memory to be written together with others'. Whatever then
/// happens, they come out as if each answer had been tallied on arrival: a summary read at
/// once counts every acknowledged answer, forgetting a customer takes out exactly theirs, and
/// a start after the process died with tallies unwritten recounts them. The same holds for the
/// time order, also filled behind them: the inbox read at once, or after a crash, has every
/// answer, newest first.
#[tokio::test]
async fn bulk_tallies_written_later_are_exact_after_reads_forgets_and_crashes() {
    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    let app = disk.bare_router(setup.backend.clone());
    let key = api_key(&setup).await;
    let path = format!("/api/v1/maps/{}/responses", setup.map);
    // Answers spread over a year, every tenth from Ann.
    let batch = |n: usize, offset: usize| -> Value {
        Value::Array(
            (offset..offset + n)
                .map(|i| {
                    let (card, _) = &setup.touchpoints[i % setup.touchpoints.len()];
                    json!({ "touchpoint": card, "nps": (i % 11), "csat": (1 + i % 5),
                        "channel": (["web", "store", ""][i % 3]),
                        "segment": (if i % 4 == 0 { "vip" } else { "" }),
                        "at": format!("2026-{:02}-{:02}", 1 + i * 7 % 10, 1 + i % 28),
                        "respondent": (if i % 10 == 0 { Some("ann") } else { None }) })
                })
                .collect(),
        )
    };
    let posted = send(&app, post_json(&path, Some(&key), &batch(3_000, 0))).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{}", posted.body);
    assert_eq!(
        stored(&setup).await,
        3_000,
        "read at once, every answer counts"
    );
    let inbox = |feedback: ServerFeedback| async move {
        let items = feedback
            .inbox(setup.map, false, None, 10_000)
            .await
            .unwrap()
            .items;
        let keys: Vec<(i64, i64)> = items.iter().map(|i| (i.response.at, i.id)).collect();
        assert!(keys.windows(2).all(|w| w[0] > w[1]), "newest first");
        keys.len()
    };
    assert_eq!(
        inbox(setup.feedback.clone()).await,
        3_000,
        "read at once, every answer is in the inbox"
    );
    let posted = send(&app, post_json(&path, Some(&key), &batch(2_000, 3_000))).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{}", posted.body);

    // Ann forgotten while the second batch's tallies may still wait.
    let journey =
        server::journey::ServerJourney::new(setup.backend.db.clone(), setup.backend.rooms.clone());
    let forgotten = journey.forget(setup.map, "ann").await.unwrap();
    assert_eq!(forgotten.answers, 500);
    assert_eq!(stored(&setup).await, 4_500);
    let in_store = Filter {
        channel: Some("store".into()),
        ..Filter::default()
    };
    let store_answers = (0..5_000).filter(|i| i % 3 == 1 && i % 10 != 0).count();
    let summary = setup
        .feedback
        .map_feedback(setup.map, in_store.clone())
        .await
        .unwrap();
    assert_eq!(summary.map.responses, store_answers as u64);

    // The tallies as kept are the tallies a count from scratch gives: mark the map as a crash
    // would leave it, and start again.
    let kept = tally_tables(&setup.backend.db).await;
    let map = setup.map.to_string();
    setup
        .backend
        .db
        .writer()
        .write(move |conn| {
            conn.execute(
                "INSERT OR IGNORE INTO feedback_unflushed (map_id) VALUES (?1)",
                [map],
            )?;
            Ok(())
        })
        .await
        .unwrap();
    let restarted = disk.open();
    assert_eq!(tally_tables(&restarted.db).await, kept);

    // A batch acknowledged, then the process dies before its tallies are written (what waits
    // in memory is lost with it): the next start counts it.
    let posted = send(&app, post_json(&path, Some(&key), &batch(1_000, 5_000))).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{}", posted.body);
    setup.backend.db.feedback_waiting().discard(setup.map);
    let restarted = disk.open();
    let after = ServerFeedback::new(restarted.db.clone(), restarted.rooms.clone());
    let summary = after.map_feedback(setup.map, in_store).await.unwrap();
    let more_in_store = (5_000..6_000).filter(|i| i % 3 == 1).count();
    assert_eq!(
        summary.map.responses,
        (store_answers + more_in_store) as u64
    );
    let all = after
        .map_feedback(setup.map, Filter::default())
        .await
        .unwrap();
    assert_eq!(all.map.responses, 5_500);
    // The time order, filled behind the answers, has them all after the crash too.
    assert_eq!(inbox(after).await, 5_500);
}

/// A write that has taken a map's waiting tallies but not yet committed (a scheduled one, say)
/// holds back a summary read meanwhile, which then counts every answer.
#[tokio::test]
async fn a_summary_waits_for_tallies_taken_by_a_write_not_yet_committed() {
    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    let app = disk.bare_router(setup.backend.clone());
    let key = api_key(&setup).await;
    let path = format!("/api/v1/maps/{}/responses", setup.map);
    let batch = Value::Array(
        (0..2_000)
            .map(|i| {
                let (card, _) = &setup.touchpoints[i % setup.touchpoints.len()];
                json!({ "touchpoint": card, "nps": (i % 11),
                    "at": format!("2026-{:02}-{:02}", 1 + i % 10, 1 + i % 28) })
            })
            .collect(),
    );
    let posted = send(&app, post_json(&path, Some(&key), &batch)).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{}", posted.body);

    let (release, held) = std::sync::mpsc::channel::<()>();
    let (db, map) = (setup.backend.db.clone(), setup.map);
    let waiting = db.feedback_waiting().clone();
    let before = waiting.cells(map);
    assert!(before > 100, "the answers' tallies wait");
    let writing = tokio::spawn(async move {
        server::feedback::tallying::write_waiting_then(&db, map, move |_| {
            // Held on the writer thread, every waiting cell taken and written, its batch not
            // committed: nothing is left waiting.
            let _ = held.recv();
            Ok(())
        })
        .await
    });
    while waiting.cells(map) > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let feedback = setup.feedback.clone();
    let reading = tokio::spawn(async move { feedback.map_feedback(map, Filter::default()).await });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!reading.is_finished(), "the read waits for the held write");
    release.send(()).unwrap();
    writing.await.unwrap().unwrap();
    assert_eq!(reading.await.unwrap().unwrap().map.responses, 2_000);
}
