//! The feedback API: `POST /api/v1/maps/{id}/responses` takes one response or many, with a
//! per-map API key as a bearer token; `GET /api/v1/openapi.json` describes it.
//!
//! A request is all-or-nothing: if any response is refused, none is stored, and the answer
//! lists every refused one by its position. A `201` answer means the responses are on disk.

use app::domain::feedback::{ResponseError, ResponseInput, Source};
use app::domain::ids::MapId;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::{json, Value};

use app::api::auth::ClientAddress;

use crate::auth::hash_token;
use crate::clock::now_millis;
use crate::db::feedback as store;
use crate::db::StoreError;
use crate::feedback::{IngestError, Naming, ServerFeedback, MAX_BATCH};
use crate::state::AppState;

/// Largest request body: a full batch of responses with long comments.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
/// Failed key checks allowed per address in the throttle's window.
const BAD_KEYS_PER_ADDRESS: usize = 20;
/// Requests one key may make in the throttle's window (15 minutes): a runaway integration is
/// stopped, while batches of up to `MAX_BATCH` leave room for any honest volume.
pub const REQUESTS_PER_KEY: usize = 3_000;

const OPENAPI: &str = include_str!("openapi.json");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/maps/{id}/responses", post(submit))
        .route("/api/v1/openapi.json", get(openapi))
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

/// 429, saying when to try again.
fn too_many(seconds: u64, message: &str) -> Response {
    let mut response = error(StatusCode::TOO_MANY_REQUESTS, message);
    if let Ok(value) = seconds.to_string().parse() {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Reads the body: one response object, an array of them, or `{ "responses": [...] }`.
/// Each element is read on its own, so a malformed one is reported by its position.
fn responses(body: &[u8]) -> Result<Vec<Result<ResponseInput, ResponseError>>, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let items = match value {
        Value::Array(items) => items,
        Value::Object(mut object) if object.contains_key("responses") => {
            match object.remove("responses") {
                Some(Value::Array(items)) if object.is_empty() => items,
                _ => return Err("`responses` must be the only key, holding an array".into()),
            }
        }
        object @ Value::Object(_) => vec![object],
        _ => {
            return Err("send a response object, an array of them, or {\"responses\": […]}".into())
        }
    };
    Ok(items
        .into_iter()
        .map(|item| {
            serde_json::from_value(item).map_err(|e| ResponseError {
                field: "body".into(),
                message: e.to_string(),
            })
        })
        .collect())
}

async fn submit(
    State(feedback): State<ServerFeedback>,
    Path(raw_map): Path<String>,
    address: Option<Extension<ClientAddress>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let address = address.map_or_else(|| "unknown".to_owned(), |Extension(a)| a.0);
    let throttle_key = format!("api:{address}");
    if let Err(seconds) = feedback
        .submissions
        .check(&throttle_key, BAD_KEYS_PER_ADDRESS)
    {
        return too_many(
            seconds,
            "too many requests with a wrong key; wait before trying again",
        );
    }
    let unauthorized = || {
        feedback.submissions.fail(&throttle_key);
        error(
            StatusCode::UNAUTHORIZED,
            "send this map's API key as `Authorization: Bearer <key>`",
        )
    };
    let Some(token) = bearer(&headers) else {
        return unauthorized();
    };
    let Ok(map) = raw_map.parse::<MapId>() else {
        return unauthorized();
    };
    let hash = hash_token(token);
    let key = feedback
        .db
        .read(move |conn| store::api_key_map(conn, &hash))
        .await;
    // A key opens only its own map.
    let key_id = match key {
        Ok((key_id, key_map)) if key_map == map => key_id,
        Ok(_) | Err(StoreError::NotFound) => return unauthorized(),
        Err(err) => {
            tracing::error!(%err, "cannot check an API key");
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "something went wrong on our side",
            );
        }
    };
    let key_throttle = format!("key:{key_id}");
    if let Err(seconds) = feedback.submissions.check(&key_throttle, REQUESTS_PER_KEY) {
        return too_many(
            seconds,
            "this key sent too many requests; send responses in batches, and wait before trying again",
        );
    }
    feedback.submissions.count(&key_throttle);
    let items = match responses(&body) {
        Ok(items) => items,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    if items.is_empty() {
        return error(StatusCode::BAD_REQUEST, "no responses in the request");
    }
    let outcome = feedback
        .ingest(map, items, Source::Api, Naming::Id, false)
        .await;
    let _ = feedback
        .db
        .writer()
        .enqueue({
            let now = now_millis();
            move |conn| store::touch_api_key(conn, &key_id, now)
        })
        .await;
    match outcome {
        Ok(accepted) => (StatusCode::CREATED, Json(json!({ "accepted": accepted }))).into_response(),
        Err(IngestError::Rejected(rejections)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({
                "error": format!("{} of the responses were refused; none was stored", rejections.len()),
                "rejected": rejections,
            })),
        )
            .into_response(),
        Err(IngestError::TooMany) => error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("at most {MAX_BATCH} responses per request"),
        ),
        Err(IngestError::Store(StoreError::NotFound)) => {
            error(StatusCode::NOT_FOUND, "the map no longer exists")
        }
        Err(IngestError::Store(err)) => {
            tracing::error!(%err, "cannot store API responses");
            error(StatusCode::INTERNAL_SERVER_ERROR, "something went wrong on our side")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_take_three_shapes() {
        let one = responses(br#"{"touchpoint": "x", "nps": 9}"#).unwrap();
        assert_eq!(one.len(), 1);
        let many = responses(br#"[{"touchpoint": "x"}, {"touchpoint": "y", "bogus": 1}]"#).unwrap();
        assert!(many[0].is_ok());
        assert!(many[1].as_ref().unwrap_err().message.contains("bogus"));
        let wrapped = responses(br#"{"responses": [{"touchpoint": "x"}]}"#).unwrap();
        assert_eq!(wrapped.len(), 1);
        assert!(responses(b"3").is_err());
        assert!(responses(b"{not json").is_err());
        assert!(responses(br#"{"responses": 3}"#).is_err());
    }

    #[test]
    fn the_openapi_document_is_json() {
        let doc: Value = serde_json::from_str(OPENAPI).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        assert!(doc["paths"]["/api/v1/maps/{id}/responses"]["post"].is_object());
    }

    #[test]
    fn bearer_tokens_are_read() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, "Bearer  wmk_abc ".parse().unwrap());
        assert_eq!(bearer(&headers), Some("wmk_abc"));
        headers.insert(header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(bearer(&headers), None);
    }
}
