//! The events API: `POST /api/v1/maps/{id}/events` takes one event or many (at most
//! `MAX_EVENTS`), with the map's API key as a bearer token, exactly as the responses API does
//! (`feedback::api`): the key checked before the body is read, all or nothing, every refused
//! event listed by position, `201` only once the events are on disk.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::Router;

use crate::feedback::api::{answer, count_request, read_batch, touch_key, ApiCaller};
use crate::http::HttpError;
use crate::journey::MAX_EVENTS;
use crate::state::AppState;

pub const EVENTS: &str = "/api/v1/maps/{id}/events";
/// Requests one key may make here in the window (15 minutes): a feed's batches are at most
/// `MAX_EVENTS`, so this leaves room for 100 a second, some 100,000 events a second, and still
/// stops a runaway integration's flood of small ones.
pub const REQUESTS_PER_KEY: u32 = 90_000;

pub fn routes() -> Router<AppState> {
    Router::new().route(EVENTS, post(submit))
}

async fn submit(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: Bytes,
) -> Result<Response, HttpError> {
    let ApiCaller { map, key } = caller;
    count_request(&state.feedback, key, "api-key-events", REQUESTS_PER_KEY)?;
    let items = read_batch::<_, MAX_EVENTS>(body, "events").await?;
    let outcome = state.journey.ingest(map, items).await;
    if let Ok(stored) = &outcome {
        crate::telemetry::events_stored("api", *stored);
    }
    touch_key(&state.feedback, key).await;
    answer(outcome, MAX_EVENTS, "events")
}
