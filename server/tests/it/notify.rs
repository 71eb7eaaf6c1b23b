//! Notifications: comments (mentions, replies), unhappy answers through the real API and maps
//! due for review become one digest per person in the mail outbox, only for people who may
//! see the map, want that kind and have a verified email; the digest's signed link
//! unsubscribes through the real router; and a restarted notifier repeats nothing.

use std::time::Duration;

use app::api::auth::User;
use app::api::notifications::Kind;
use app::domain::access::Role;
use app::domain::edit::Edit;
use app::domain::ids::{CommentId, MapId, UserId};
use app::domain::map::{Comment, Target};
use app::domain::text::{Name, Text};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;
use server::backend::ServerBackend;
use server::clock::now_millis;
use server::mail::{MailSettings, Mailer};
use server::notify::Notifier;
use uuid::Uuid;

use crate::feedback::{api_key, post_json, send, setup};
use crate::support::{op, Disk};

const DAY: i64 = 24 * 3_600_000;
const DELAY: Duration = Duration::from_secs(60);

/// An account named `name` (email `<first name, lowercased>@example.com`), with `role` on `map`.
async fn account(
    backend: &ServerBackend,
    name: &str,
    admin: bool,
    role: Option<(MapId, Role)>,
) -> UserId {
    let first = name.split(' ').next().unwrap().to_lowercase();
    let user = User {
        id: UserId::from_uuid(Uuid::new_v4()),
        email: format!("{first}@example.com"),
        name: name.into(),
        is_admin: admin,
    };
    let id = user.id;
    backend
        .db
        .writer()
        .write(move |conn| {
            server::db::accounts::insert_user(conn, &user, "x", 0)?;
            if let Some((map, role)) = role {
                server::db::accounts::set_member(conn, map, user.id, Some(role))?;
            }
            Ok(())
        })
        .await
        .unwrap();
    id
}

/// Writes a comment on `card` as `name` (signed in as `account`, or a share-link visitor).
async fn comment(
    backend: &ServerBackend,
    map: MapId,
    target: Target,
    thread: Option<CommentId>,
    (name, account): (&str, Option<UserId>),
    text: &str,
) -> CommentId {
    let id = CommentId::from_uuid(Uuid::new_v4());
    let author = Name::parse(name).unwrap();
    let edit = Edit::AddComment {
        comment: Comment {
            id,
            target,
            thread,
            author: author.clone(),
            text: Text::parse(text).unwrap(),
            at: now_millis(),
            resolved: false,
        },
    }
    .signed(&author, now_millis());
    let submitted = backend
        .rooms
        .submit_as(map, vec![op(edit)], &author, account)
        .await
        .unwrap();
    assert!(submitted.rejected.is_empty(), "{:?}", submitted.rejected);
    id
}

/// The outbox: (recipient, subject, text, unsubscribe link) of each message, oldest first.
async fn outbox(backend: &ServerBackend) -> Vec<(String, String, String, Option<String>)> {
    backend
        .db
        .read(|conn| {
            let mut stmt = conn.prepare(
                "SELECT recipient, subject, text_body, unsubscribe FROM mail_outbox ORDER BY id",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
        .unwrap()
}

fn mail_to<'a>(
    outbox: &'a [(String, String, String, Option<String>)],
    who: &str,
) -> Vec<&'a (String, String, String, Option<String>)> {
    outbox.iter().filter(|m| m.0 == who).collect()
}

fn new_notifier(backend: &ServerBackend) -> Notifier {
    let settings = MailSettings::new(
        "smtp://127.0.0.1:9",
        Some("Waymark <maps@example.com>"),
        Some("https://maps.example.com"),
    )
    .unwrap()
    .with_digest_delay(DELAY);
    // Nothing delivers: the messages stay in the outbox for the test to read.
    let mailer = Mailer::new(backend.db.clone(), settings);
    Notifier::new(backend.rooms.clone(), mailer)
}

#[tokio::test]
async fn comments_answers_and_reviews_become_one_digest_per_person_who_may_see_and_wants_them() {
    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    let backend = setup.backend.clone();
    let map = setup.map;
    let (checkout, checkout_name) = setup.touchpoints[0].clone();
    let card = Target::Card(checkout);
    let title = backend
        .rooms
        .snapshot(map)
        .await
        .unwrap()
        .map
        .title
        .to_string();

    let ada = account(&backend, "Ada Owner", false, Some((map, Role::Owner))).await;
    let bob = account(&backend, "Bob Editor", false, Some((map, Role::Editor))).await;
    let _carol = account(&backend, "Carol Viewer", false, Some((map, Role::Viewer))).await;
    let _dan = account(&backend, "Dan Admin", true, None).await;
    let _eve = account(&backend, "Eve Outsider", false, None).await;
    let fay = account(&backend, "Fay Unverified", false, Some((map, Role::Editor))).await;
    backend
        .db
        .writer()
        .write(move |conn| server::db::mail::set_email_verified(conn, fay, false))
        .await
        .unwrap();
    let key = api_key(&setup).await;
    let notifier = new_notifier(&backend);
    let start = now_millis();
    // Made before anything happened: reads nothing, sends nothing.
    notifier.pass(start).await.unwrap();

    let thread = comment(
        &backend,
        map,
        card,
        None,
        ("Bob Editor", Some(bob)),
        "Checkout feels slow, @Carol Viewer can you look? cc @Fay Unverified",
    )
    .await;
    comment(
        &backend,
        map,
        card,
        Some(thread),
        ("Ada Owner", Some(ada)),
        "Agreed. @Eve Outsider and @dan, thoughts?",
    )
    .await;
    comment(
        &backend,
        map,
        card,
        Some(thread),
        ("Bob Editor", Some(bob)),
        "Thanks @Ada Owner",
    )
    .await;
    // A share-link visitor answering: the thread's people hear of it.
    comment(
        &backend,
        map,
        card,
        Some(thread),
        ("Visitor", None),
        "Same here",
    )
    .await;

    // Three unhappy answers and a happy one through the API.
    let path = format!("/api/v1/maps/{map}/responses");
    let app = disk.bare_router(backend.clone());
    let answers = json!([
        { "touchpoint": checkout, "nps": 2 },
        { "touchpoint": checkout, "nps": 3, "comment": "Too many steps" },
        { "touchpoint": checkout, "nps": 10, "comment": "Lovely" },
        { "touchpoint": checkout, "csat": 1 },
    ]);
    let reply = send(&app, post_json(&path, Some(&key), &answers)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);

    // Read, but gathering: nothing is mailed until the oldest line has waited the delay.
    notifier.pass(start).await.unwrap();
    assert!(outbox(&backend).await.is_empty());
    let later = start + DELAY.as_millis() as i64 + 1;
    notifier.pass(later).await.unwrap();
    let mail = outbox(&backend).await;

    let to_carol = mail_to(&mail, "carol@example.com");
    assert_eq!(to_carol.len(), 1, "{mail:#?}");
    let (_, subject, text, unsubscribe) = to_carol[0];
    assert_eq!(subject, &format!("Waymark: 1 update on “{title}”"));
    assert!(
        text.contains(&format!(
            "Bob Editor mentioned you on “{checkout_name}”: “Checkout feels slow"
        )),
        "{text}"
    );
    assert!(text.contains(&format!("https://maps.example.com/maps/{map}")));
    let unsubscribe = unsubscribe
        .clone()
        .expect("a notification carries its unsubscribe link");
    assert!(text.contains(&unsubscribe));
    assert!(unsubscribe.starts_with("https://maps.example.com/notifications/unsubscribe/"));

    // Bob started the thread: Ada's and the visitor's answers are replies to him, one line each.
    let to_bob = mail_to(&mail, "bob@example.com");
    assert_eq!(to_bob.len(), 1, "{mail:#?}");
    assert!(
        to_bob[0].2.contains("Ada Owner replied on"),
        "{}",
        to_bob[0].2
    );
    assert!(
        to_bob[0].2.contains("Visitor replied on"),
        "{}",
        to_bob[0].2
    );
    assert!(
        !to_bob[0].2.contains("unhappy"),
        "editors own no touchpoints"
    );

    // Ada: mentioned (which says more than "replied"), the visitor's reply in a thread she
    // answered, and the owner's count of unhappy answers with the newest comment.
    let to_ada = mail_to(&mail, "ada@example.com");
    assert_eq!(to_ada.len(), 1, "{mail:#?}");
    let ada_text = &to_ada[0].2;
    assert!(
        ada_text.contains("Bob Editor mentioned you on"),
        "{ada_text}"
    );
    assert!(!ada_text.contains("Bob Editor replied"), "{ada_text}");
    assert!(ada_text.contains("Visitor replied on"), "{ada_text}");
    assert!(
        ada_text.contains(&format!(
            "3 unhappy answers on “{checkout_name}”, the latest saying “Too many steps”"
        )),
        "{ada_text}"
    );
    assert!(!ada_text.contains("Lovely"));

    // The admin can see every map, so a mention by their email's name reaches them.
    assert_eq!(mail_to(&mail, "dan@example.com").len(), 1, "{mail:#?}");
    // Eve cannot see the map; Fay's email is not verified.
    assert!(mail_to(&mail, "eve@example.com").is_empty());
    assert!(mail_to(&mail, "fay@example.com").is_empty());
    assert_eq!(mail.len(), 4, "{mail:#?}");

    // Carol's link unsubscribes her from mentions, through the router, without signing in;
    // opening it alone changes nothing.
    let link = unsubscribe.trim_start_matches("https://maps.example.com");
    let opened = send(&app, Request::get(link).body(Body::empty()).unwrap()).await;
    assert_eq!(opened.status, StatusCode::OK);
    assert!(
        opened.body.contains("mentions of you in comments"),
        "{}",
        opened.body
    );
    let forged = send(
        &app,
        Request::post(format!("{link}0"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND);
    let one_click = Request::post(link)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("List-Unsubscribe=One-Click"))
        .unwrap();
    let done = send(&app, one_click).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let carol = backend
        .db
        .read(|conn| {
            Ok(conn.query_row(
                "SELECT id FROM users WHERE email = 'carol@example.com'",
                [],
                |r| r.get::<_, String>(0),
            )?)
        })
        .await
        .unwrap()
        .parse::<UserId>()
        .unwrap();
    let switches = backend
        .db
        .read(move |conn| server::db::notify::switches(conn, carol))
        .await
        .unwrap();
    assert_eq!(switches, [Kind::Reply, Kind::Detractor, Kind::Review]);

    // Mentioned again: Carol gets nothing now; Bob, mentioned too, does.
    comment(
        &backend,
        map,
        card,
        None,
        ("Ada Owner", Some(ada)),
        "@Carol Viewer @Bob Editor the new flow is live",
    )
    .await;
    // A notifier started afresh (a restart) reads on from where the last one stopped.
    let restarted = new_notifier(&backend);
    let much_later = later + 2 * DELAY.as_millis() as i64;
    restarted.pass(much_later).await.unwrap();
    restarted
        .pass(much_later + DELAY.as_millis() as i64 + 1)
        .await
        .unwrap();
    let mail = outbox(&backend).await;
    assert_eq!(mail.len(), 5, "{mail:#?}");
    assert_eq!(mail_to(&mail, "carol@example.com").len(), 1);
    let to_bob = mail_to(&mail, "bob@example.com");
    assert!(
        to_bob[1].2.contains("Ada Owner mentioned you on"),
        "{}",
        to_bob[1].2
    );
    assert!(!to_bob[1].2.contains("Visitor"), "nothing is told twice");

    // Reviews: every 30 days; once due, the owner is reminded once, until it is reviewed.
    backend.db.set_review_interval(map, Some(30)).await.unwrap();
    let due = now_millis() + 31 * DAY;
    restarted.pass(due).await.unwrap();
    restarted
        .pass(due + DELAY.as_millis() as i64 + 1)
        .await
        .unwrap();
    restarted.pass(due + 2 * DAY).await.unwrap();
    let mail = outbox(&backend).await;
    let reminders: Vec<_> = mail
        .iter()
        .filter(|m| m.2.contains("is due for its review"))
        .collect();
    assert_eq!(reminders.len(), 1, "{mail:#?}");
    assert_eq!(reminders[0].0, "ada@example.com");
    assert!(reminders[0]
        .2
        .contains(&format!("“{title}” is due for its review (every 30 days)")));
}

#[tokio::test]
async fn a_stage_with_an_owner_sends_its_touchpoints_unhappy_answers_to_that_owner_alone() {
    use app::api::ctx::Accounts;
    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    let backend = setup.backend.clone();
    let map = setup.map;
    let journey = backend.rooms.snapshot(map).await.unwrap().map;
    let checkout = setup.touchpoints[0].0;
    let other = setup
        .touchpoints
        .iter()
        .map(|(card, _)| *card)
        .find(|card| journey.card(*card).unwrap().stage != journey.card(checkout).unwrap().stage)
        .unwrap();
    let stage = journey.card(checkout).unwrap().stage;
    let _ada = account(&backend, "Ada Owner", false, Some((map, Role::Owner))).await;
    let gus = account(&backend, "Gus Stage", false, Some((map, Role::Editor))).await;
    let eve = account(&backend, "Eve Outsider", false, None).await;
    let accounts = crate::support::accounts(&backend);

    // Only a member owns a stage, and only a stage of the map.
    let refused = accounts.set_stage_owner(map, stage, Some(eve)).await;
    assert!(refused.is_err(), "{refused:?}");
    let nowhere = app::domain::ids::StageId::from_uuid(Uuid::new_v4());
    assert!(accounts
        .set_stage_owner(map, nowhere, Some(gus))
        .await
        .is_err());
    accounts
        .set_stage_owner(map, stage, Some(gus))
        .await
        .unwrap();
    assert_eq!(accounts.stage_owners(map).await.unwrap(), [(stage, gus)]);

    let notifier = new_notifier(&backend);
    let start = now_millis();
    notifier.pass(start).await.unwrap();
    let key = api_key(&setup).await;
    let app = disk.bare_router(backend.clone());
    let answers = json!([
        { "touchpoint": checkout, "nps": 0 },
        { "touchpoint": other, "nps": 1 },
    ]);
    let path = format!("/api/v1/maps/{map}/responses");
    let reply = send(&app, post_json(&path, Some(&key), &answers)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    notifier.pass(start).await.unwrap();
    notifier
        .pass(start + DELAY.as_millis() as i64 + 1)
        .await
        .unwrap();
    let mail = outbox(&backend).await;
    let checkout_name = journey.card(checkout).unwrap().text.to_string();
    let other_name = journey.card(other).unwrap().text.to_string();
    let to_gus = mail_to(&mail, "gus@example.com");
    assert_eq!(to_gus.len(), 1, "{mail:#?}");
    assert!(to_gus[0].2.contains(&format!(
        "1 unhappy answer on “{}”",
        quote_of(&checkout_name)
    )));
    assert!(!to_gus[0].2.contains(&quote_of(&other_name)));
    let to_ada = mail_to(&mail, "ada@example.com");
    assert_eq!(to_ada.len(), 1, "{mail:#?}");
    assert!(to_ada[0]
        .2
        .contains(&format!("1 unhappy answer on “{}”", quote_of(&other_name))));
    assert!(!to_ada[0].2.contains(&quote_of(&checkout_name)));

    // Gus leaves the map: the stage is the map's owners' again.
    accounts.set_member_role(map, gus, None).await.unwrap();
    assert!(accounts.stage_owners(map).await.unwrap().is_empty());
}

/// A card's text as a notification quotes it: on one line.
fn quote_of(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
