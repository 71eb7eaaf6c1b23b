//! The measured journey's downloads through the real router: events sent through the API come
//! back as CSV, SVG, PNG and PDF under the Journey panel's filter, for members and for share
//! links that show the funnel, and for nobody else.

use app::api::sharing::Disclosure;
use axum::http::StatusCode;
use axum::Router;
use serde_json::{json, Value};

use crate::feedback::{api_key, post_json, send, setup, Setup};
use crate::journey::places;
use crate::support::{share_link, Disk};
use crate::transfer::get;

const HOUR: i64 = 3_600_000;
const T0: i64 = 1_788_220_800_000; // 2026-09-01

/// Eight customers at the first stage's touchpoint, web and app by turns; the first five of
/// them at the second stage's touchpoint 20 hours later; the first two of those in the third
/// stage two days after that. Sent through the events API.
async fn eight_customers(setup: &Setup, app: &Router) {
    let places = places(setup).await;
    let events: Vec<Value> = (0..8i64)
        .flat_map(|i| {
            let customer = format!("shopper-{i}");
            let channel = ["web", "app"][i as usize % 2];
            let steps = [
                (true, json!({ "touchpoint": places[0].1 }), 0),
                (i < 5, json!({ "touchpoint": places[1].1 }), 20 * HOUR),
                (i < 2, json!({ "stage": places[2].0 }), 68 * HOUR),
            ];
            steps
                .into_iter()
                .filter(|(taken, _, _)| *taken)
                .map(move |(_, mut event, after)| {
                    event["customer"] = json!(customer);
                    event["channel"] = json!(channel);
                    event["at"] = json!(T0 + i * 60_000 + after);
                    event
                })
        })
        .collect();
    let key = api_key(setup).await;
    let path = format!("/api/v1/maps/{}/events", setup.map);
    let reply = send(
        app,
        post_json(&path, Some(&key), &json!({ "events": events })),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
}

/// The CSV's tables: each section's rows after its title and header row.
fn tables(csv: &str) -> Vec<Vec<Vec<String>>> {
    csv.split("\n\n")
        .map(|section| {
            csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(section.as_bytes())
                .records()
                .map(|r| r.unwrap().iter().map(str::to_owned).collect())
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn the_measured_journey_downloads_in_every_format_under_the_filter() {
    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    eight_customers(&setup, &disk.bare_router(setup.backend.clone())).await;
    let app = disk.router(setup.backend.clone()).await;
    let map = setup.backend.rooms.snapshot(setup.map).await.unwrap().map;
    let places = places(&setup).await;
    let stage = |i: usize| map.stages()[i].name.to_string();
    let card_name = |i: usize| {
        let card = map.card(places[i].1).unwrap();
        card.text.as_str().lines().next().unwrap().to_owned()
    };
    let base = format!("/maps/{}/export/journey-", setup.map);

    let csv = get(&app, &format!("{base}csv")).await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.text());
    assert_eq!(csv.content_type, "text/csv; charset=utf-8");
    let tables = tables(&csv.text());
    assert_eq!(tables.len(), 3, "{}", csv.text());
    assert_eq!(tables[0][2], ["Customers", "8"]);
    assert_eq!(tables[1][0], ["Funnel"]);
    let funnel = &tables[1][2..];
    assert_eq!(funnel.len(), map.stages().len());
    // Stage 1: 8 reached, 5 went on: 62.5%, Wilson's 95% interval 30.6–86.3%; 20 hours.
    assert_eq!(
        funnel[0][..6],
        [
            stage(0),
            "8".into(),
            "5".into(),
            "62.5".into(),
            "30.6".into(),
            "86.3".into()
        ]
    );
    let median: f64 = funnel[0][6].parse().unwrap();
    assert!((median - 20.0).abs() <= 20.0 * 0.05, "{median}");
    // Stage 2: 5 reached, 2 went on (40%), two days later.
    assert_eq!(
        funnel[1][..4],
        [stage(1), "5".into(), "2".into(), "40.0".into()]
    );
    let median: f64 = funnel[1][6].parse().unwrap();
    assert!((median - 48.0).abs() <= 48.0 * 0.05, "{median}");
    // The last stage goes on nowhere.
    assert_eq!(funnel.last().unwrap()[2..8], ["", "", "", "", "", ""]);
    // The flows: the first touchpoint's customers all moved to the second's.
    assert_eq!(tables[2][0], ["Path flows"]);
    let first = tables[2][2..]
        .iter()
        .find(|row| row[0] == card_name(0))
        .unwrap();
    assert_eq!(
        first[1..],
        [
            stage(0),
            "8".into(),
            "100.0".into(),
            card_name(1),
            "5".into()
        ]
    );

    let svg = get(&app, &format!("{base}svg")).await;
    assert_eq!(svg.status, StatusCode::OK);
    assert_eq!(svg.content_type, "image/svg+xml");
    let svg = svg.text();
    for expected in [
        stage(0),
        stage(1),
        "Measured on 8 customers".into(),
        "All customers".into(),
        "8 reached".into(),
        "62.5% went on (95% interval 30.6–86.3%)".into(),
        format!("{} (5)", card_name(1)),
    ] {
        assert!(svg.contains(&expected), "{expected} in {svg}");
    }

    for (format, content_type, magic) in [
        ("png", "image/png", &b"\x89PNG"[..]),
        ("pdf", "application/pdf", &b"%PDF"[..]),
    ] {
        let file = get(&app, &format!("{base}{format}")).await;
        assert_eq!(file.status, StatusCode::OK, "{format}");
        assert_eq!(file.content_type, content_type);
        assert!(file.body.starts_with(magic), "{format}");
    }

    // The web customers (0, 2, 4, 6), three of whom went on; the filter is named in the file.
    let web = get(&app, &format!("{base}csv?channel=web&from=2026-09-01")).await;
    assert_eq!(web.status, StatusCode::OK, "{}", web.text());
    let tables = self::tables(&web.text());
    assert_eq!(
        tables[0][1],
        ["Filter", "Customers from 2026-09-01, channel “web”"]
    );
    assert_eq!(tables[1][2][1..3], ["4", "3"]);
    let web_svg = get(&app, &format!("{base}svg?channel=web")).await.text();
    assert!(web_svg.contains("Measured on 4 customers"), "{web_svg}");

    // Filters it cannot read, and formats it does not have, are refused plainly.
    for (query, field) in [
        ("?from=yesterday", "from"),
        ("?from=2026-09-30&to=2026-09-01", "to"),
    ] {
        let bad = get(&app, &format!("{base}csv{query}")).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{query}");
        let error: Value = serde_json::from_slice(&bad.body).unwrap();
        assert!(
            error["error"].as_str().unwrap().starts_with(field),
            "{query}: {error}"
        );
    }
    let unknown = get(&app, &format!("{base}xlsx")).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn share_links_have_the_downloads_only_when_they_show_the_funnel() {
    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    let app = disk.bare_router(setup.backend.clone());
    eight_customers(&setup, &app).await;
    let without = share_link(&setup.backend, setup.map, Disclosure::default()).await;
    let with = share_link(
        &setup.backend,
        setup.map,
        Disclosure {
            funnel: true,
            ..Disclosure::default()
        },
    )
    .await;
    let base = format!("/maps/{}/export/journey-", setup.map);

    // Nobody signed in and no link: sign in first, as for every other export.
    let nobody = get(&app, &format!("{base}csv")).await;
    assert_eq!(nobody.status, StatusCode::UNAUTHORIZED);
    let hidden = get(&app, &format!("{base}csv?share={}", without.token)).await;
    assert_eq!(hidden.status, StatusCode::FORBIDDEN);
    let forged = get(&app, &format!("{base}csv?share={}", "ab".repeat(16))).await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND);
    // A link to the map does not open another map's journey.
    let other =
        crate::support::new_map(&setup.backend, app::domain::template::Template::Blank).await;
    let elsewhere = get(
        &app,
        &format!("/maps/{other}/export/journey-csv?share={}", with.token),
    )
    .await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);

    for format in ["csv", "svg", "png", "pdf"] {
        let shown = get(
            &app,
            &format!("{base}{format}?share={}&segment=", with.token),
        )
        .await;
        assert_eq!(shown.status, StatusCode::OK, "{format}");
    }
    let csv = get(&app, &format!("{base}csv?share={}", with.token)).await;
    assert!(csv.text().contains("\nCustomers,8\n"), "{}", csv.text());
    // The map's own exports stay with its members.
    let map_svg = get(
        &app,
        &format!("/maps/{}/export/svg?share={}", setup.map, with.token),
    )
    .await;
    assert_eq!(map_svg.status, StatusCode::UNAUTHORIZED);
}
