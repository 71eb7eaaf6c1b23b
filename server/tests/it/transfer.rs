//! Exports and imports over HTTP: every format, lossless round trips, hostile files.

use app::domain::edit::{apply, Edit};
use app::domain::ids::{CardId, CommentId, LaneId, MapId, StageId};
use app::domain::map::{Card, Comment, JourneyMap, Lane, LaneKind, Stage, Target};
use app::domain::moves::after_last;
use app::domain::position::Position;
use app::domain::template::Template;
use app::domain::text::{Name, Text};
use axum::body::{to_bytes, Body};
use axum::http::{header, Request, StatusCode};
use axum::Router;
use tower::ServiceExt;
use uuid::Uuid;

use crate::support::{new_map, Disk};

/// A file's answer: its status, content type and bytes.
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) content_type: String,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }
}

pub(crate) async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = to_bytes(response.into_body(), 256 << 20)
        .await
        .unwrap()
        .to_vec();
    Reply {
        status,
        content_type,
        body,
    }
}

pub(crate) async fn get(app: &Router, path: &str) -> Reply {
    send(app, Request::get(path).body(Body::empty()).unwrap()).await
}

async fn import(app: &Router, body: Vec<u8>) -> Reply {
    let request = Request::post("/maps/import")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))
        .unwrap();
    send(app, request).await
}

/// The exported map file of `id`, as JSON.
async fn exported(app: &Router, id: MapId) -> serde_json::Value {
    let reply = get(app, &format!("/maps/{id}/export/json")).await;
    assert_eq!(reply.status, StatusCode::OK);
    serde_json::from_slice(&reply.body).unwrap()
}

/// What must survive a round trip: everything but the map's own id and timestamps.
fn content(file: &serde_json::Value) -> serde_json::Value {
    let mut map = file["map"].clone();
    for field in ["id", "created_at", "updated_at"] {
        map.as_object_mut().unwrap().remove(field);
    }
    map
}

async fn round_trip(app: &Router, id: MapId) {
    let original = exported(app, id).await;
    let reply = import(app, serde_json::to_vec(&original).unwrap()).await;
    assert_eq!(
        reply.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let created: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    let copy: MapId = created["id"].as_str().unwrap().parse().unwrap();
    assert_ne!(copy, id, "an import is a new map");
    assert_eq!(content(&exported(app, copy).await), content(&original));
}

/// A map near the limits: 60 stages, 40 lanes, 6,000 cards with every field set, comments.
fn large_map() -> JourneyMap {
    let mut map =
        Template::Blank.build(MapId::from_uuid(Uuid::new_v4()), None, 0, &mut Uuid::new_v4);
    let mut edits = Vec::new();
    let mut stages = Vec::new();
    for n in 0..57 {
        let stage = Stage {
            id: StageId::from_uuid(Uuid::new_v4()),
            name: Name::parse(&format!("Stage {n}")).unwrap(),
            position: Position::sequence(Some(&map.stages().last().unwrap().position), n + 1)
                .pop()
                .unwrap(),
        };
        stages.push(stage.id);
        edits.push(Edit::AddStage { stage });
    }
    let mut lanes = Vec::new();
    for n in 0..35 {
        let lane = Lane {
            id: LaneId::from_uuid(Uuid::new_v4()),
            name: Name::parse(&format!("Lane {n} <&>")).unwrap(),
            kind: LaneKind::ALL[n % LaneKind::ALL.len()],
            position: Position::sequence(Some(&map.lanes().last().unwrap().position), n + 1)
                .pop()
                .unwrap(),
        };
        lanes.push(lane.id);
        edits.push(Edit::AddLane { lane });
    }
    for edit in edits.drain(..) {
        apply(&mut map, &edit).unwrap();
    }
    for n in 0..6_000usize {
        let (stage, lane) = (stages[n % stages.len()], lanes[(n / 7) % lanes.len()]);
        let position = after_last(map.cards_in(stage, lane).map(|c| &c.position));
        let card = Card {
            id: CardId::from_uuid(Uuid::new_v4()),
            stage,
            lane,
            position,
            text: Text::parse(&format!("Card {n}: \"quoted\", <b>bold</b> and ünïcödé")).unwrap(),
            channel: Some(app::domain::map::Channel::ALL[n % 8]),
            emotion: app::domain::map::Emotion::new((n % 5) as i8 - 2).ok(),
            evidence: Some(app::domain::map::Evidence::ALL[n % 3]),
            survey: None,
        };
        let id = card.id;
        apply(&mut map, &Edit::AddCard { card }).unwrap();
        if n % 500 == 0 {
            let comment = Comment {
                id: CommentId::from_uuid(Uuid::new_v4()),
                target: Target::Card(id),
                thread: None,
                author: Name::parse("Ana").unwrap(),
                text: Text::parse("Why?").unwrap(),
                at: n as i64,
                resolved: n % 1000 == 0,
            };
            apply(&mut map, &Edit::AddComment { comment }).unwrap();
        }
    }
    map
}

#[tokio::test]
async fn every_template_and_a_large_map_round_trip_through_json() {
    let disk = Disk::new();
    let backend = disk.open();
    let mut ids = Vec::new();
    for template in Template::ALL {
        ids.push(new_map(&backend, template).await);
    }
    let large = large_map();
    ids.push(large.id);
    backend.db.insert_map(large, None).await.unwrap();
    let app = disk.router(backend).await;
    for id in ids {
        round_trip(&app, id).await;
    }
}

#[tokio::test]
async fn hostile_files_are_refused_and_create_nothing() {
    let disk = Disk::new();
    let backend = disk.open();
    let id = new_map(&backend, Template::CustomerJourney).await;
    let app = disk.router(backend.clone()).await;
    let good = exported(&app, id).await;

    let mut wrong_version = good.clone();
    wrong_version["version"] = 7.into();
    let mut too_many = good.clone();
    let stage = too_many["map"]["stages"][0].clone();
    too_many["map"]["stages"] = (0..25_000)
        .map(|n| {
            let mut s = stage.clone();
            s["id"] = Uuid::from_u128(n).to_string().into();
            s
        })
        .collect::<Vec<_>>()
        .into();
    let mut bad_card = good.clone();
    bad_card["map"]["cards"][0]["emotion"] = 9.into();
    let mut crowded = good.clone();
    let card = good["map"]["cards"][0]["id"].clone();
    let answer = serde_json::json!({
        "touchpoint": card, "at": 1_700_000_000_000i64, "nps": 9, "csat": null, "ces": null,
        "comment": null, "channel": "", "segment": "", "respondent": null, "source": "api",
    });
    crowded["responses"] = vec![answer; server::feedback::MAX_BATCH + 1].into();
    let cases: Vec<(Vec<u8>, StatusCode, &str)> = vec![
        (
            serde_json::to_vec(&wrong_version).unwrap(),
            StatusCode::BAD_REQUEST,
            "version 7",
        ),
        (
            serde_json::to_vec(&too_many).unwrap(),
            StatusCode::BAD_REQUEST,
            "at most 100 stages",
        ),
        (
            serde_json::to_vec(&bad_card).unwrap(),
            StatusCode::BAD_REQUEST,
            "between -2 and +2",
        ),
        (
            format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
            StatusCode::BAD_REQUEST,
            "not valid",
        ),
        (
            b"{\"format\": \"waymark-map\"".to_vec(),
            StatusCode::BAD_REQUEST,
            "not valid",
        ),
        (vec![0xff, 0xfe, 0x00], StatusCode::BAD_REQUEST, "not text"),
        (
            serde_json::to_vec(&crowded).unwrap(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "at most 100000 customer responses",
        ),
        (
            vec![b' '; server::export::MAX_IMPORT_BYTES + 1],
            StatusCode::PAYLOAD_TOO_LARGE,
            "",
        ),
    ];
    for (body, status, message) in cases {
        let reply = import(&app, body).await;
        let text = String::from_utf8_lossy(&reply.body);
        assert_eq!(reply.status, status, "{text}");
        assert!(text.contains(message), "{message:?} not in {text}");
    }
    assert_eq!(
        backend.db.list_maps(None).await.unwrap().len(),
        1,
        "nothing was created"
    );
}

#[tokio::test]
async fn a_form_upload_imports_and_redirects() {
    let disk = Disk::new();
    let backend = disk.open();
    let id = new_map(&backend, Template::ExperienceJourney).await;
    let app = disk.router(backend.clone()).await;
    let file = serde_json::to_string(&exported(&app, id).await).unwrap();
    let boundary = "XBOUNDARYX";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"map.json\"\r\nContent-Type: application/json\r\n\r\n{file}\r\n--{boundary}--\r\n"
    );
    let request = Request::post("/maps/import")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))
        .unwrap();
    let reply = send(&app, request).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(backend.db.list_maps(None).await.unwrap().len(), 2);
}

#[tokio::test]
async fn every_export_format_is_served() {
    let disk = Disk::new();
    let backend = disk.open();
    let id = new_map(&backend, Template::CustomerJourney).await;
    let app = disk.router(backend).await;
    let base = format!("/maps/{id}/export");

    let svg = get(&app, &format!("{base}/svg")).await;
    assert_eq!(svg.content_type, "image/svg+xml");
    let svg = String::from_utf8(svg.body).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("Compares models and reads"));
    let png = get(&app, &format!("{base}/png?scale=1")).await;
    assert_eq!((png.status, &png.body[1..4]), (StatusCode::OK, &b"PNG"[..]));
    let pdf = get(&app, &format!("{base}/pdf")).await;
    assert!(pdf.body.starts_with(b"%PDF-"));
    let mermaid = get(&app, &format!("{base}/mermaid")).await;
    assert!(String::from_utf8(mermaid.body)
        .unwrap()
        .starts_with("journey\n"));
    let csv = get(&app, &format!("{base}/csv")).await;
    assert_eq!(
        String::from_utf8(csv.body).unwrap().lines().count(),
        34,
        "a header and 33 cards"
    );

    assert_eq!(
        get(&app, &format!("{base}/png?scale=100")).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(&app, &format!("{base}/docx")).await.status,
        StatusCode::NOT_FOUND
    );
    let nowhere = format!("/maps/{}/export/svg", Uuid::new_v4());
    assert_eq!(get(&app, &nowhere).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn feedback_travels_in_the_map_file_and_as_csv() {
    use app::api::ctx::Feedback;
    use app::api::feedback::Filter;
    use app::domain::feedback::{FeedbackSettings, ResponseInput, Source, Survey, When};
    use server::feedback::{Naming, ServerFeedback};

    let disk = Disk::new();
    let backend = disk.open();
    let id = new_map(&backend, Template::CustomerJourney).await;
    let map = backend.rooms.snapshot(id).await.unwrap().map;
    let card = map
        .cards()
        .iter()
        .find(|c| c.text.as_str() == "Instagram post")
        .unwrap()
        .id;
    let settings = FeedbackSettings {
        minimum: 3,
        ..FeedbackSettings::default()
    };
    let ops = vec![
        crate::support::op(Edit::SetCardSurvey {
            id: card,
            survey: Some(Survey::default_for("Instagram post")),
        }),
        crate::support::op(Edit::SetFeedbackSettings { settings }),
    ];
    backend
        .rooms
        .submit(id, ops, &crate::support::author("Test"))
        .await
        .unwrap();
    let feedback = ServerFeedback::new(backend.db.clone(), backend.rooms.clone());
    let answers = (0..5)
        .map(|i| {
            Ok(ResponseInput {
                touchpoint: card.to_string(),
                at: Some(When::Text(format!("2026-10-0{}T09:30:00Z", i + 1))),
                nps: Some(i * 2),
                comment: Some(format!("=cmd|' /C calc'!A{i} slow delivery")),
                channel: Some("store".into()),
                ..ResponseInput::default()
            })
        })
        .collect();
    feedback
        .ingest(id, answers, Source::Csv, Naming::Id)
        .await
        .unwrap();
    let app = disk.router(backend).await;

    // Without asking, the map file carries no responses.
    assert!(exported(&app, id).await.get("responses").is_none());
    let reply = get(&app, &format!("/maps/{id}/export/json?feedback=true")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let file: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(file["responses"].as_array().unwrap().len(), 5);
    assert_eq!(file["responses"][0]["source"], "csv");

    let reply = import(&app, reply.body).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let created: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    let copy: MapId = created["id"].as_str().unwrap().parse().unwrap();
    let again = get(&app, &format!("/maps/{copy}/export/json?feedback=true")).await;
    let again: serde_json::Value = serde_json::from_slice(&again.body).unwrap();
    assert_eq!(again["responses"], file["responses"], "responses survive");
    assert_eq!(
        content(&again),
        content(&file),
        "surveys and settings survive"
    );
    let summary = feedback
        .map_feedback(copy, Filter::default())
        .await
        .unwrap();
    assert_eq!(summary.map.responses, 5, "the copy's tallies count them");
    assert_eq!(summary.channels, ["store"]);

    let csv = get(&app, &format!("/maps/{id}/export/responses")).await;
    assert_eq!(csv.content_type, "text/csv; charset=utf-8");
    let csv = String::from_utf8(csv.body).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 6, "a header and five responses");
    assert!(lines[0].starts_with("touchpoint,touchpoint_name,at,nps"));
    assert!(
        lines[1].contains(",Instagram post,2026-10-05T09:30:00Z,8,"),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].contains("'=cmd"),
        "formulas are defused: {}",
        lines[1]
    );
}

/// A map file's import is all or nothing (L12): when its responses cannot all be stored (the
/// disk full part-way, as SQLite's `max_page_count` makes it), no map is left, in anyone's
/// list or the database; once there is room, the same file makes one map with every response.
#[tokio::test]
async fn an_import_that_fails_part_way_leaves_no_map() {
    use app::api::ctx::Feedback;
    use app::api::feedback::Filter;

    let disk = Disk::new();
    let backend = disk.open();
    let id = new_map(&backend, Template::CustomerJourney).await;
    let app = disk.router(backend.clone()).await;
    let mut file = exported(&app, id).await;
    let card = file["map"]["cards"][0]["id"].clone();
    let responses: Vec<serde_json::Value> = (0..3_000)
        .map(|i| {
            serde_json::json!({
                "touchpoint": card, "at": 1_700_000_000_000i64 + i * 3_600_000, "nps": i % 11,
                "csat": null, "ces": null, "comment": format!("Comment {i}"),
                "channel": "web", "segment": "", "respondent": null, "source": "api",
            })
        })
        .collect();
    file["responses"] = responses.into();
    let body = serde_json::to_vec(&file).unwrap();

    crate::support::room_on_disk(&backend.db, Some(40)).await;
    let failed = import(&app, body.clone()).await;
    assert!(failed.status.is_server_error(), "{}", failed.status);
    assert_eq!(
        backend.db.list_maps(None).await.unwrap().len(),
        1,
        "no map was left"
    );
    let leftovers: i64 = backend
        .db
        .read(|conn| {
            Ok(conn.query_row(
                "SELECT (SELECT count(*) FROM feedback_responses)
                      + (SELECT count(*) FROM feedback_batches)",
                [],
                |r| r.get(0),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(leftovers, 0);

    crate::support::room_on_disk(&backend.db, None).await;
    let imported = import(&app, body).await;
    assert_eq!(imported.status, StatusCode::CREATED);
    let created: serde_json::Value = serde_json::from_slice(&imported.body).unwrap();
    let copy: MapId = created["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(backend.db.list_maps(None).await.unwrap().len(), 2);
    let feedback = server::feedback::ServerFeedback::new(backend.db.clone(), backend.rooms.clone());
    let summary = feedback
        .map_feedback(copy, Filter::default())
        .await
        .unwrap();
    assert_eq!(summary.map.responses, 3_000);
}
