//! The HTTP surface through the real router: pages, server functions, and bad input.

use app::api::feedback::GetMapFeedback;
use app::api::maps::{CreateMap, LoadMap, OpenMap, RenameMap};
use app::domain::ids::{MapId, Rev};
use app::domain::template::Template;
use axum::body::{to_bytes, Body};
use axum::http::{header, Request, StatusCode};
use axum::Router;
use leptos::server_fn::ServerFn;
use tower::ServiceExt;

use crate::support::{new_map, Disk};

struct Reply {
    status: StatusCode,
    body: String,
}

async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.expect("router answers");
    let status = response.status();
    let bytes = to_bytes(response.into_body(), 64 * 1024 * 1024)
        .await
        .expect("body");
    Reply {
        status,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

async fn get(app: &Router, path: &str) -> Reply {
    send(app, Request::get(path).body(Body::empty()).unwrap()).await
}

async fn post_form(app: &Router, path: &str, form: &str) -> Reply {
    let request = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::CONTENT_LENGTH, form.len())
        .header(header::ACCEPT, "application/json")
        .body(Body::from(form.to_owned()))
        .unwrap();
    send(app, request).await
}

async fn post_json(app: &Router, path: &str, json: String) -> Reply {
    let request = Request::post(path)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, json.len())
        .header(header::ACCEPT, "application/json")
        .body(Body::from(json))
        .unwrap();
    send(app, request).await
}

#[tokio::test]
async fn pages_render_the_map_on_the_server() {
    let disk = Disk::new();
    let backend = disk.open();
    let id = new_map(&backend, Template::CustomerJourney).await;
    let app = disk.router(backend).await;

    let home = get(&app, "/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Customer journey — online shoe store"));
    assert!(home.body.contains(&format!("/maps/{id}")));

    let page = get(&app, &format!("/maps/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "Awareness",
        "Advocacy",
        "Compares models and reads reviews",
        "Maya, the busy commuter",
    ] {
        assert!(page.body.contains(text), "page lacks {text:?}");
    }

    assert_eq!(
        get(&app, "/maps/not-a-map").await.status,
        StatusCode::NOT_FOUND
    );
    let missing = get(&app, &format!("/maps/{}", uuid::Uuid::new_v4())).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(get(&app, "/healthz").await.body, "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_while_other_routers_are_built() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    let disk = Arc::new(Disk::new());
    let backend = disk.open();
    let id = new_map(&backend, Template::CustomerJourney).await;
    let app = disk.router(backend.clone()).await;

    // Working out the app's routes switches resource loading off for the whole process while it
    // runs; a page rendered meanwhile used to wait for ever (leptos-rs/leptos#4773). The tests
    // build routers side by side all the time.
    struct StopOnDrop(Arc<AtomicBool>);
    impl Drop for StopOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let stop = Arc::new(AtomicBool::new(false));
    // Stops the builder on a failed assertion too: the runtime waits for it before the test ends.
    let stop_building = StopOnDrop(stop.clone());
    let building = {
        let (disk, stop) = (disk.clone(), stop.clone());
        tokio::task::spawn_blocking(move || {
            while !stop.load(Ordering::Relaxed) {
                drop(disk.bare_router(backend.clone()));
            }
        })
    };
    for path in ["/".to_owned(), format!("/maps/{id}")]
        .iter()
        .cycle()
        .take(40)
    {
        let page = tokio::time::timeout(Duration::from_secs(60), get(&app, path)).await;
        let page = page.unwrap_or_else(|_| panic!("{path} never finished rendering"));
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(
            page.body.contains("Customer journey — online shoe store"),
            "{path}"
        );
    }
    drop(stop_building);
    building.await.unwrap();
}

#[tokio::test]
async fn a_map_is_created_loaded_and_edited_over_http() {
    let disk = Disk::new();
    let app = disk.router(disk.open()).await;

    let created = post_form(&app, CreateMap::PATH, "template=blank&title=Over+HTTP").await;
    assert!(
        created.status.is_success() || created.status.is_redirection(),
        "{}",
        created.body
    );
    let id: MapId = serde_json::from_str(&created.body).expect("the new map's id");

    let loaded = post_json(&app, LoadMap::PATH, format!(r#"{{"id":"{id}"}}"#)).await;
    assert_eq!(loaded.status, StatusCode::OK, "{}", loaded.body);
    let opened: OpenMap = serde_json::from_str(&loaded.body).unwrap();
    assert_eq!(opened.snapshot.map.title.as_str(), "Over HTTP");
    assert_eq!(opened.snapshot.rev, Rev(0));
    assert_eq!(
        opened.role,
        app::domain::access::Role::Owner,
        "the creator owns it"
    );

    let renamed = post_form(&app, RenameMap::PATH, &format!("id={id}&title=Renamed")).await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    let loaded = post_json(&app, LoadMap::PATH, format!(r#"{{"id":"{id}"}}"#)).await;
    let opened: OpenMap = serde_json::from_str(&loaded.body).unwrap();
    assert_eq!(opened.snapshot.map.title.as_str(), "Renamed");
    assert_eq!(opened.snapshot.rev, Rev(1));
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let disk = Disk::new();
    let backend = disk.open();
    let id = new_map(&backend, Template::Blank).await;
    let app = disk.router(backend.clone()).await;
    let before = backend.rooms.snapshot(id).await.unwrap();

    let unknown = post_form(&app, CreateMap::PATH, "template=nonsense&title=").await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(
        unknown.body.contains("unknown template"),
        "{}",
        unknown.body
    );

    let long_title = format!("template=blank&title={}", "x".repeat(201));
    let too_long = post_form(&app, CreateMap::PATH, &long_title).await;
    assert_eq!(too_long.status, StatusCode::BAD_REQUEST);
    assert!(
        too_long.body.contains("at most 200 characters"),
        "{}",
        too_long.body
    );

    let garbage = post_json(&app, GetMapFeedback::PATH, "{not json".into()).await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST, "{}", garbage.body);

    let long_name = format!("id={id}&title={}", "x".repeat(201));
    let rejected = post_form(&app, RenameMap::PATH, &long_name).await;
    assert_eq!(
        rejected.status,
        StatusCode::BAD_REQUEST,
        "{}",
        rejected.body
    );
    assert!(rejected.body.contains("200"), "{}", rejected.body);

    let huge = format!("id={id}&title={}", "x".repeat(5 << 20));
    assert_eq!(
        post_form(&app, RenameMap::PATH, &huge).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );

    let nowhere = format!("id={}&title=Nowhere", uuid::Uuid::new_v4());
    assert_eq!(
        post_form(&app, RenameMap::PATH, &nowhere).await.status,
        StatusCode::NOT_FOUND
    );

    assert_eq!(backend.rooms.snapshot(id).await.unwrap(), before);
    assert_eq!(backend.db.list_maps(None).await.unwrap().len(), 1);
}

/// What a page's `<head>` holds, between the tags.
fn head(page: &str) -> &str {
    let start = page.find("<head>").expect("a head");
    let end = page.find("</head>").expect("the end of the head");
    &page[start..end]
}

#[tokio::test]
async fn user_text_in_the_head_is_escaped_on_every_page_that_shows_it() {
    use app::api::ctx::Feedback;
    use app::api::sharing::Disclosure;
    use app::domain::edit::Edit;
    use app::domain::text::{Name, Text};

    let disk = Disk::new();
    let backend = disk.open();
    let id = new_map(&backend, Template::CustomerJourney).await;
    let hostile = r#"Q3</title><meta http-equiv="refresh" content="0;url=/no-such-page?x">"#;
    let card = backend.rooms.snapshot(id).await.unwrap().map.cards()[0].id;
    let ops = vec![
        crate::support::op(Edit::RenameMap {
            title: Name::parse(hostile).unwrap(),
        }),
        crate::support::op(Edit::SetCardText {
            id: card,
            text: Text::parse(hostile).unwrap(),
        }),
        crate::support::op(Edit::SetCardSurvey {
            id: card,
            survey: Some(app::domain::feedback::Survey::default_for("checkout")),
        }),
    ];
    backend
        .rooms
        .submit(id, ops, &crate::support::author("Mallory"))
        .await
        .unwrap();
    let link = crate::support::share_link(&backend, id, Disclosure::default()).await;
    let feedback = server::feedback::ServerFeedback::new(backend.db.clone(), backend.rooms.clone());
    let form = feedback.form_token(id, card, false).await.unwrap();
    let app = disk.router(backend).await;

    for path in [
        format!("/maps/{id}"),
        format!("/s/{}", link.token),
        format!("/embed/{}", link.token),
        format!("/f/{form}"),
    ] {
        let page = get(&app, &path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let head = head(&page.body);
        assert!(
            !head.contains("<meta http-equiv"),
            "{path}: markup in the head: {head}"
        );
        assert!(
            head.contains("Q3&lt;/title&gt;&lt;meta http-equiv"),
            "{path}: the title is shown as text: {head}"
        );
        assert!(
            !page.body.contains(r#"<meta http-equiv="refresh""#),
            "{path}: markup in the page"
        );
    }
}

#[tokio::test]
async fn share_links_show_comments_and_customers_words_only_when_the_owner_chose_so() {
    use app::api::feedback::{Filter, GetTouchpointFeedback, TouchpointFeedback};
    use app::api::sharing::Disclosure;
    use app::domain::edit::Edit;
    use app::domain::map::{Comment, Target};
    use app::domain::text::{Name, Text};

    let disk = Disk::new();
    let backend = disk.open();
    let id = new_map(&backend, Template::CustomerJourney).await;
    let card = backend.rooms.snapshot(id).await.unwrap().map.cards()[0].id;
    let comment = Comment {
        id: uuid::Uuid::new_v4().into(),
        target: Target::Card(card),
        thread: None,
        author: Name::parse("Team member").unwrap(),
        text: Text::parse("Internal: the supplier is late again").unwrap(),
        at: 1,
        resolved: false,
    };
    let survey = app::domain::feedback::Survey::default_for("checkout");
    let ops = vec![
        crate::support::op(Edit::AddComment { comment }),
        crate::support::op(Edit::SetCardSurvey {
            id: card,
            survey: Some(survey),
        }),
    ];
    let author = crate::support::author("Team member");
    backend.rooms.submit(id, ops, &author).await.unwrap();
    let feedback = server::feedback::ServerFeedback::new(backend.db.clone(), backend.rooms.clone());
    let answers: Vec<_> = (0..10)
        .map(|n| {
            Ok(app::domain::feedback::ResponseInput {
                touchpoint: card.to_string(),
                nps: Some(3),
                comment: Some(format!("Customer says the checkout hurt, #{n}")),
                ..Default::default()
            })
        })
        .collect();
    feedback
        .ingest(
            id,
            answers,
            app::domain::feedback::Source::Api,
            server::feedback::Naming::Id,
        )
        .await
        .unwrap();
    let link = |shows: Disclosure| {
        let backend = backend.clone();
        async move { crate::support::share_link(&backend, id, shows).await.token }
    };
    let plain = link(Disclosure::default()).await;
    let open = link(Disclosure {
        comments: true,
        customer_comments: true,
        ..Disclosure::default()
    })
    .await;
    let app = disk.bare_router(backend);

    let internal = "the supplier is late again";
    for page in [format!("/s/{plain}"), format!("/embed/{plain}")] {
        let body = get(&app, &page).await.body;
        assert!(!body.contains(internal), "{page} shows an internal comment");
    }
    assert!(get(&app, &format!("/embed/{open}"))
        .await
        .body
        .contains(internal));

    let detail = |token: String| {
        let body = serde_json::json!({
            "map": id, "card": card, "filter": Filter::default(), "period": "week", "share": token,
        });
        let app = app.clone();
        async move {
            let reply = post_json(&app, GetTouchpointFeedback::PATH, body.to_string()).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            serde_json::from_str::<TouchpointFeedback>(&reply.body).unwrap()
        }
    };
    let hidden = detail(plain).await;
    assert!(hidden.latest.is_empty() && hidden.quotes.is_empty() && !hidden.comments_shown);
    assert_eq!(hidden.summary.responses, 10, "the scores are still shown");
    let shown = detail(open).await;
    assert!(shown
        .latest
        .iter()
        .any(|q| q.text.contains("checkout hurt")));
}
