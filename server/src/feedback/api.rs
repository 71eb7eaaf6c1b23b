//! The feedback API: `POST /api/v1/maps/{id}/responses` takes one response or many, with a
//! per-map API key as a bearer token; `GET /api/v1/openapi.json` describes it.
//!
//! The key is checked before the body is read (`ApiCaller`), so nobody without one can make the
//! server take in megabytes; a valid key is never held up by anyone else's wrong ones, which are
//! counted per address and per key prefix and address. The body is read element by element and
//! refused as soon as it holds more than `MAX_BATCH` responses. A request is all-or-nothing: if
//! any response is refused, none is stored, and the answer lists every refused one by its
//! position. A `201` answer means the responses are on disk.

use std::time::Duration;

use app::api::auth::ClientAddress;
use app::domain::feedback::{ResponseError, ResponseInput, Source};
use app::domain::ids::{ApiKeyId, MapId};
use axum::body::Bytes;
use axum::extract::{FromRequestParts, RawPathParams, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::json;
use serde_json::value::RawValue;

use crate::clock::now_millis;
use crate::db::feedback as store;
use crate::db::StoreError;
use crate::feedback::{IngestError, Naming, ServerFeedback, KEY_PREFIX, MAX_BATCH};
use crate::http::HttpError;
use crate::secrets::hash_token;
use crate::state::AppState;
use crate::throttle::{network, Rule};

/// Largest request body: a full batch of responses with long comments.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Wrong keys allowed per address in the window…
const BAD_KEYS_PER_ADDRESS: Rule = Rule::Limit {
    limit: 100,
    window: WINDOW,
};
/// …and per address and key prefix (one integration with a stale key stops only itself).
const BAD_KEYS_PER_PREFIX: Rule = Rule::Limit {
    limit: 20,
    window: WINDOW,
};
/// Requests one key may make in the window: a runaway integration is stopped, while batches of
/// up to `MAX_BATCH` leave room for any honest volume.
pub const REQUESTS_PER_KEY: u32 = 3_000;

const OPENAPI: &str = include_str!("openapi.json");

pub const RESPONSES: &str = "/api/v1/maps/{id}/responses";
pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(RESPONSES, post(submit))
        .route(OPENAPI_PATH, get(openapi))
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Whether `secret` has the shape of a key the server makes.
fn well_formed(secret: &str) -> bool {
    secret.strip_prefix(KEY_PREFIX).is_some_and(|hex| {
        hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// The API key of the request, checked against the map in the path, before the body is read.
pub struct ApiCaller {
    pub map: MapId,
    pub key: ApiKeyId,
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = HttpError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<ApiCaller, HttpError> {
        let unauthorized = || {
            HttpError::new(
                StatusCode::UNAUTHORIZED,
                "send this map's API key as `Authorization: Bearer <key>`",
            )
        };
        let map: Option<MapId> = RawPathParams::from_request_parts(parts, state)
            .await
            .ok()
            .and_then(|params| {
                params
                    .iter()
                    .find(|(key, _)| *key == "id")
                    .and_then(|(_, value)| value.parse().ok())
            });
        let secret = bearer(&parts.headers).unwrap_or("").to_owned();
        let found = match map {
            Some(map) if well_formed(&secret) => {
                let hash = hash_token(&secret);
                let key = state
                    .feedback
                    .db
                    .read(move |conn| store::api_key_map(conn, &hash))
                    .await;
                match key {
                    // A key opens only its own map.
                    Ok((key, key_map)) if key_map == map => Some(ApiCaller { map, key }),
                    Ok(_) | Err(StoreError::NotFound) => None,
                    Err(err) => return Err(err.into()),
                }
            }
            _ => None,
        };
        if let Some(caller) = found {
            return Ok(caller);
        }
        // A wrong key: counted, so that guessing from one address soon stops.
        let address = parts
            .extensions
            .get::<ClientAddress>()
            .map(|a| network(a.0))
            .unwrap_or_default();
        let prefix: String = secret.chars().take(KEY_PREFIX.len() + 8).collect();
        let throttle = &state.feedback.submissions;
        let keys = [
            (throttle.key("api-bad-keys", address), BAD_KEYS_PER_ADDRESS),
            (
                throttle.key("api-bad-key-prefix", (address, prefix)),
                BAD_KEYS_PER_PREFIX,
            ),
        ];
        match throttle.attempt(&keys) {
            Ok(()) => {
                // Guessing keys is pointless (256 bits); guessing them fast costs the server.
                tokio::time::sleep(crate::auth::REFUSAL_DELAY / 2).await;
                Err(unauthorized())
            }
            Err(wait) => Err(HttpError::too_many(
                wait,
                "too many requests with a wrong key; wait before trying again",
            )),
        }
    }
}

/// Why a body could not be read as a batch.
#[derive(Debug, PartialEq, Eq)]
enum BodyError {
    Malformed(String),
    TooMany,
}

/// The items of a request's body (see `batch`; `wrapper` names them), read on a blocking
/// thread: a body of a hundred thousand takes a tenth of a second to read, which on the
/// runtime's threads would hold up everyone's requests and live edits meanwhile.
pub(crate) async fn read_batch<T, const MAX: usize>(
    body: Bytes,
    wrapper: &'static str,
) -> Result<Vec<Result<T, ResponseError>>, HttpError>
where
    T: DeserializeOwned + Send + 'static,
{
    let read = tokio::task::spawn_blocking(move || batch::<T, MAX>(&body, wrapper))
        .await
        .map_err(HttpError::internal)?;
    match read {
        Ok(items) if items.is_empty() => Err(HttpError::bad_request(format!(
            "no {wrapper} in the request"
        ))),
        Ok(items) => Ok(items),
        Err(BodyError::Malformed(message)) => Err(HttpError::bad_request(message)),
        Err(BodyError::TooMany) => Err(too_large(MAX, wrapper)),
    }
}

/// What a body may hold: one object, an array of them, or `{ "<wrapper>": [...] }`, at most
/// `MAX` items. Each element stays unparsed text until it is read on its own, so a malformed
/// one is reported by its position, and nothing holds more than a pointer per element
/// meanwhile.
fn batch<T: DeserializeOwned, const MAX: usize>(
    body: &[u8],
    wrapper: &str,
) -> Result<Vec<Result<T, ResponseError>>, BodyError> {
    let malformed = |e: serde_json::Error| {
        if e.to_string().starts_with(TOO_MANY) {
            BodyError::TooMany
        } else {
            BodyError::Malformed(format!("the body is not JSON: {e}"))
        }
    };
    let whole: &RawValue = serde_json::from_slice(body).map_err(malformed)?;
    let text = whole.get();
    let items: Vec<&RawValue> = match text.as_bytes().first() {
        Some(b'[') => {
            serde_json::from_str::<Batch<'_, MAX>>(text)
                .map_err(malformed)?
                .0
        }
        Some(b'{') => {
            // The object's members stay unparsed: a wrapper's array is read as a batch.
            let members: std::collections::BTreeMap<String, &RawValue> =
                serde_json::from_str(text).map_err(malformed)?;
            match members.get(wrapper) {
                None => vec![whole],
                Some(batch) if members.len() == 1 && batch.get().starts_with('[') => {
                    serde_json::from_str::<Batch<'_, MAX>>(batch.get())
                        .map_err(malformed)?
                        .0
                }
                Some(_) => {
                    return Err(BodyError::Malformed(format!(
                        "`{wrapper}` must be the only key, holding an array"
                    )))
                }
            }
        }
        _ => {
            return Err(BodyError::Malformed(format!(
                "send an object, an array of them, or {{\"{wrapper}\": […]}}"
            )))
        }
    };
    Ok(read_each(items))
}

fn read_each<T: DeserializeOwned>(items: Vec<&RawValue>) -> Vec<Result<T, ResponseError>> {
    items
        .into_iter()
        .map(|item| {
            serde_json::from_str(item.get()).map_err(|e| ResponseError {
                field: "body".into(),
                message: e.to_string(),
            })
        })
        .collect()
}

const TOO_MANY: &str = "more items than one request may hold";

/// An array of at most `MAX` unparsed elements: reading stops at the one after.
struct Batch<'a, const MAX: usize>(Vec<&'a RawValue>);

impl<'de: 'a, 'a, const MAX: usize> Deserialize<'de> for Batch<'a, MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Batch<'a, MAX>, D::Error> {
        struct Elements<const MAX: usize>;
        impl<'de, const MAX: usize> Visitor<'de> for Elements<MAX> {
            type Value = Batch<'de, MAX>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Batch<'de, MAX>, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<&'de RawValue>()? {
                    if items.len() == MAX {
                        return Err(de::Error::custom(TOO_MANY));
                    }
                    items.push(item);
                }
                Ok(Batch(items))
            }
        }
        deserializer.deserialize_seq(Elements::<MAX>)
    }
}

async fn submit(
    State(feedback): State<ServerFeedback>,
    caller: ApiCaller,
    body: Bytes,
) -> Result<Response, HttpError> {
    let ApiCaller { map, key } = caller;
    count_request(&feedback, key, "api-key", REQUESTS_PER_KEY)?;
    let items = read_batch::<ResponseInput, MAX_BATCH>(body, "responses").await?;
    let outcome = feedback.ingest(map, items, Source::Api, Naming::Id).await;
    touch_key(&feedback, key).await;
    answer(outcome, MAX_BATCH, "responses")
}

/// Counts a request against its key's allowance on one route: `limit` requests in the window.
pub(crate) fn count_request(
    feedback: &ServerFeedback,
    key: ApiKeyId,
    route: &'static str,
    limit: u32,
) -> Result<(), HttpError> {
    let per_key = Rule::Limit {
        limit,
        window: WINDOW,
    };
    feedback
        .submissions
        .attempt(&[(feedback.submissions.key(route, key), per_key)])
        .map_err(|wait| {
            HttpError::too_many(
                wait,
                "this key sent too many requests; send items in batches, and wait before trying again",
            )
        })
}

/// Notes when the key was last used (best effort: the answer does not wait on it failing).
pub(crate) async fn touch_key(feedback: &ServerFeedback, key: ApiKeyId) {
    let now = now_millis();
    let _best_effort = feedback
        .db
        .writer()
        .enqueue(move |conn| store::touch_api_key(conn, key, now))
        .await;
}

/// The answer to a batch of `items` (at most `max` per request): `201` once stored, `422`
/// listing every refused one by position.
pub(crate) fn answer(
    outcome: Result<usize, IngestError>,
    max: usize,
    items: &str,
) -> Result<Response, HttpError> {
    match outcome {
        Ok(accepted) => {
            Ok((StatusCode::CREATED, Json(json!({ "accepted": accepted }))).into_response())
        }
        Err(IngestError::Rejected(rejections)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({
                "error": format!("{} of the {items} were refused; none was stored", rejections.len()),
                "rejected": rejections,
            })),
        )
            .into_response()),
        Err(IngestError::TooMany) => Err(too_large(max, items)),
        Err(IngestError::Store(StoreError::NotFound)) => {
            Err(HttpError::not_found("the map no longer exists"))
        }
        Err(IngestError::Store(err)) => Err(err.into()),
    }
}

pub(crate) fn too_large(max: usize, items: &str) -> HttpError {
    HttpError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("at most {max} {items} per request"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a body of responses may hold (see `batch`).
    fn responses(body: &[u8]) -> Result<Vec<Result<ResponseInput, ResponseError>>, BodyError> {
        batch::<ResponseInput, MAX_BATCH>(body, "responses")
    }

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
        assert!(responses(br#"{"responses": [], "x": 1}"#).is_err());
    }

    #[test]
    fn reading_stops_past_the_batch_limit() {
        let mut body = String::from("[");
        for i in 0..=MAX_BATCH {
            if i > 0 {
                body.push(',');
            }
            body.push_str("{}");
        }
        body.push(']');
        assert_eq!(responses(body.as_bytes()).unwrap_err(), BodyError::TooMany);
        let wrapped = format!("{{\"responses\": {body}}}");
        assert_eq!(
            responses(wrapped.as_bytes()).unwrap_err(),
            BodyError::TooMany
        );
        let exactly = format!("[{}]", vec!["{}"; MAX_BATCH].join(","));
        assert_eq!(responses(exactly.as_bytes()).unwrap().len(), MAX_BATCH);
    }

    #[test]
    fn the_openapi_document_is_json() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        assert!(doc["paths"]["/api/v1/maps/{id}/responses"]["post"].is_object());
        assert!(doc["paths"]["/api/v1/maps/{id}/events"]["post"].is_object());
        assert!(doc["components"]["schemas"]["Event"].is_object());
    }

    #[test]
    fn bearer_tokens_are_read_and_checked() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, "Bearer  wmk_abc ".parse().unwrap());
        assert_eq!(bearer(&headers), Some("wmk_abc"));
        headers.insert(header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(bearer(&headers), None);
        assert!(well_formed(&format!("wmk_{}", "0a".repeat(32))));
        assert!(!well_formed("wmk_abc"));
        assert!(!well_formed(&format!("wmk_{}", "0A".repeat(32))));
    }
}
