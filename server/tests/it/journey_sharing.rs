//! What share links and embeds show of journey analytics: the measured funnel, and the Journey
//! panel's figures, only through a link whose owner turned it on (the survey scores always).

use app::api::feedback::{GetMapFeedback, MapFeedback};
use app::api::journey::{GetJourney, JourneyFigures};
use app::api::sharing::Disclosure;
use app::domain::journey::EventInput;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use leptos::server_fn::ServerFn;
use serde_json::json;
use server::journey::ServerJourney;

use crate::feedback::{post_json, send, setup, Setup};
use crate::support::{share_link, Disk};

/// Customers seen at the map's first touchpoint, and how many of them went on to its second.
const CUSTOMERS: u64 = 4;
const WENT_ON: u64 = 3;

/// Sends the events of `CUSTOMERS` customers (through the port: the API's own checks are
/// `journey.rs`'s business) and returns the first two touchpoints' ids as text.
async fn customers_moved(setup: &Setup) -> (String, String) {
    let (first, second) = (
        setup.touchpoints[0].0.to_string(),
        setup.touchpoints[1].0.to_string(),
    );
    let event = |customer: u64, card: &str| {
        Ok(EventInput {
            customer: format!("customer-{customer}"),
            touchpoint: Some(card.to_owned()),
            stage: None,
            at: Some(app::domain::feedback::When::Millis(
                1_788_220_800_000 + customer as i64 * 60_000 + i64::from(card == second),
            )),
            channel: None,
            segment: None,
            outcome: None,
        })
    };
    let mut events = Vec::new();
    for customer in 0..CUSTOMERS {
        events.push(event(customer, &first));
        if customer < WENT_ON {
            events.push(event(customer, &second));
        }
    }
    let journey = ServerJourney::new(setup.backend.db.clone(), setup.backend.rooms.clone());
    journey.ingest(setup.map, events).await.unwrap();
    (first, second)
}

/// The map's summaries as a visitor of the link `token` gets them.
async fn summaries(app: &Router, setup: &Setup, token: &str) -> MapFeedback {
    let body = json!({ "map": setup.map, "filter": {}, "share": token });
    let reply = send(app, post_json(GetMapFeedback::PATH, None, &body)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    serde_json::from_str(&reply.body).unwrap()
}

/// The Journey panel's figures through the link `token`, or the refusal's status.
async fn journey(app: &Router, setup: &Setup, token: &str) -> Result<JourneyFigures, StatusCode> {
    let body = json!({ "map": setup.map, "filter": {}, "share": token });
    let reply = send(app, post_json(GetJourney::PATH, None, &body)).await;
    match reply.status {
        StatusCode::OK => Ok(serde_json::from_str(&reply.body).unwrap()),
        refused => Err(refused),
    }
}

async fn page(app: &Router, path: &str) -> String {
    let reply = send(app, Request::get(path).body(Body::empty()).unwrap()).await;
    assert_eq!(reply.status, StatusCode::OK, "{path}");
    reply.body
}

#[tokio::test]
async fn share_links_and_embeds_show_the_funnel_only_when_the_owner_turned_it_on() {
    let disk = Disk::new();
    let setup = setup(disk.open()).await;
    let (first, second) = customers_moved(&setup).await;
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
    assert!(with.link.shows.funnel && !without.link.shows.funnel);
    let app = disk.bare_router(setup.backend.clone());

    assert_eq!(summaries(&app, &setup, &without.token).await.funnel, None);
    let funnel = summaries(&app, &setup, &with.token)
        .await
        .funnel
        .expect("the link shows the funnel");
    assert_eq!(funnel.customers, CUSTOMERS);

    // The pages draw the summaries they were given under each stage's name.
    for kind in ["s", "embed"] {
        let hidden = page(&app, &format!("/{kind}/{}", without.token)).await;
        assert!(
            !hidden.contains(r#"class="stage-funnel""#),
            "/{kind}/ without the funnel"
        );
        let shown = page(&app, &format!("/{kind}/{}", with.token)).await;
        assert!(
            shown.contains(&format!("{CUSTOMERS} reached")),
            "/{kind}/ with the funnel"
        );
    }

    // The Journey panel's figures likewise: refused, or the same funnel with the touchpoints.
    assert_eq!(
        journey(&app, &setup, &without.token).await,
        Err(StatusCode::FORBIDDEN)
    );
    let figures = journey(&app, &setup, &with.token).await.unwrap();
    assert_eq!(figures.funnel, funnel);
    let from_first = figures
        .touchpoints
        .iter()
        .find(|t| t.card.to_string() == first)
        .expect("the first touchpoint's figures");
    assert_eq!(from_first.reach, CUSTOMERS);
    let next: Vec<(String, u64)> = from_first
        .next
        .iter()
        .map(|(card, n)| (card.to_string(), *n))
        .collect();
    assert_eq!(next, [(second, WENT_ON)]);
}
