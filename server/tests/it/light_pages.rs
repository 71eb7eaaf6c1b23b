//! Light pages: customers and readers never download the app, and the site's files are
//! versioned, cached for good and sent compressed. Through a real server on loopback.

use app::api::ctx::Feedback;
use app::api::sharing::Disclosure;
use app::domain::template::Template;

use crate::support::{http, new_map, share_link, Disk};

/// The `/v/{fingerprint}` prefix a page loads the site's files from.
fn asset_root(page: &str) -> String {
    let at = page
        .find("href=\"/v/")
        .expect("the page names its styles under /v/");
    let rest = &page[at + "href=\"".len()..];
    let end = rest.find("/pkg/").expect("styles under pkg");
    rest[..end].to_owned()
}

#[tokio::test]
async fn customers_and_readers_download_no_part_of_the_app() {
    let disk = Disk::new();
    let backend = disk.open();
    let map = new_map(&backend, Template::CustomerJourney).await;
    let snapshot = backend.rooms.snapshot(map).await.unwrap();
    let card = snapshot.map.cards()[0].clone();
    let survey = app::domain::feedback::Survey::default_for("this step");
    let collect = crate::support::op(app::domain::edit::Edit::SetCardSurvey {
        id: card.id,
        survey: Some(survey),
    });
    let author = crate::support::author("Owner");
    backend
        .rooms
        .submit(map, vec![collect], &author)
        .await
        .unwrap();
    let link = share_link(&backend, map, Disclosure::default()).await;
    let feedback = server::feedback::ServerFeedback::new(backend.db.clone(), backend.rooms.clone());
    let form = feedback.form_token(map, card.id, false).await.unwrap();
    let server = disk.serve(backend).await;

    let editor = http(server.addr, "GET", &format!("/maps/{map}"), &[], "").await;
    assert_eq!(editor.status, 200);
    let root = asset_root(&editor.body);
    assert!(
        editor.body.contains(&format!("{root}/pkg/waymark")) && editor.body.contains(".wasm"),
        "the editor loads the app from under {root}"
    );

    for path in [format!("/f/{form}"), format!("/f/{form}/thanks")] {
        let page = http(server.addr, "GET", &path, &[], "").await;
        assert_eq!(page.status, 200, "{path}");
        assert!(!page.body.contains(".wasm"), "{path} loads no wasm");
        assert!(
            !page.body.contains("<script type=\"module\""),
            "{path} runs no module"
        );
        assert!(!page.body.contains("follow.js"), "{path} follows nothing");
    }

    for path in [
        format!("/s/{}", link.token),
        format!("/embed/{}", link.token),
    ] {
        let page = http(server.addr, "GET", &path, &[], "").await;
        assert_eq!(page.status, 200, "{path}");
        let body = &page.body;
        assert!(!body.contains(".wasm"), "{path} loads no wasm");
        assert!(
            body.contains(&format!("{root}/follow.js")),
            "{path} follows the map"
        );
        assert!(
            body.contains(&format!("data-follow-map=\"{map}\"")),
            "{path}"
        );
        assert!(
            body.contains(&card.text.to_string()),
            "{path} shows the cards"
        );
        // Nothing to press, type into or drag: a reader cannot even seem to edit.
        for control in [
            "<button",
            "<select",
            "<textarea",
            "<input",
            "draggable",
            "role=\"slider\"",
        ] {
            assert!(!body.contains(control), "{path} has {control}");
        }
        assert!(!body.contains("Connecting"), "{path} claims to connect");
    }
    let share = http(server.addr, "GET", &format!("/s/{}", link.token), &[], "").await;
    assert!(
        share.body.contains("Maya, the busy commuter"),
        "the personas are shown"
    );
}

#[tokio::test]
async fn a_share_link_shows_the_team_s_threads_only_when_it_says_so() {
    use app::domain::edit::Edit;
    use app::domain::map::{Comment, Target};
    use app::domain::text::{Name, Text};

    let disk = Disk::new();
    let backend = disk.open();
    let map = new_map(&backend, Template::CustomerJourney).await;
    let card = backend.rooms.snapshot(map).await.unwrap().map.cards()[0].id;
    let comment = Comment {
        id: uuid::Uuid::new_v4().into(),
        target: Target::Card(card),
        thread: None,
        author: Name::parse("Team member").unwrap(),
        text: Text::parse("Ask the supplier about delivery times").unwrap(),
        at: 1,
        resolved: false,
    };
    let add = crate::support::op(Edit::AddComment { comment });
    let author = crate::support::author("Team member");
    backend.rooms.submit(map, vec![add], &author).await.unwrap();
    let withheld = share_link(&backend, map, Disclosure::default()).await;
    let shows = Disclosure {
        comments: true,
        ..Disclosure::default()
    };
    let shown = share_link(&backend, map, shows).await;
    let server = disk.serve(backend).await;

    let page = http(server.addr, "GET", &format!("/s/{}", shown.token), &[], "").await;
    assert!(page.body.contains("Ask the supplier about delivery times"));
    assert!(page.body.contains("Team member"));
    assert!(
        !page.body.contains("<button"),
        "threads to read, not to answer"
    );
    let page = http(
        server.addr,
        "GET",
        &format!("/s/{}", withheld.token),
        &[],
        "",
    )
    .await;
    assert!(!page.body.contains("Ask the supplier about delivery times"));
}

#[tokio::test]
async fn site_files_are_versioned_cached_for_good_and_sent_compressed() {
    let disk = Disk::new();
    // The test's site is the data directory: give it a stylesheet and its brotli copy.
    let pkg = disk.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("waymark.css"), "body { color: black }").unwrap();
    std::fs::write(pkg.join("waymark.css.br"), "brotli bytes").unwrap();
    let backend = disk.open();
    let server = disk.serve(backend).await;

    let page = http(server.addr, "GET", "/login", &[], "").await;
    let root = asset_root(&page.body);
    let css = format!("{root}/pkg/waymark.css");

    let plain = http(server.addr, "GET", &css, &[], "").await;
    assert_eq!(plain.status, 200);
    assert_eq!(plain.body, "body { color: black }");
    assert_eq!(
        plain.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert!(plain
        .header("vary")
        .is_some_and(|v| v.contains("accept-encoding")));

    let brotli = http(
        server.addr,
        "GET",
        &css,
        &[("Accept-Encoding", "gzip, br")],
        "",
    )
    .await;
    assert_eq!(brotli.status, 200);
    assert_eq!(brotli.header("content-encoding"), Some("br"));
    assert_eq!(brotli.body, "brotli bytes");

    // A page of an earlier build gets today's file, to be checked again next time.
    let stale = http(
        server.addr,
        "GET",
        "/v/0123456789abcdef/pkg/waymark.css",
        &[],
        "",
    )
    .await;
    assert_eq!(stale.status, 200);
    assert_eq!(stale.header("cache-control"), Some("no-cache"));

    let missing = http(
        server.addr,
        "GET",
        &format!("{root}/pkg/nothing.js"),
        &[],
        "",
    )
    .await;
    assert_eq!(missing.status, 404);
    let outside = http(
        server.addr,
        "GET",
        &format!("{root}/../waymark.sqlite"),
        &[],
        "",
    )
    .await;
    assert_ne!(outside.status, 200, "nothing outside the site is served");
}
