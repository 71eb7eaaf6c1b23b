//! What the plain axum routes (exports, map import, the feedback API, CSV import, the public
//! form, the socket upgrade) share, so that each answers in the same way: one error type,
//! `HttpError`, which logs an internal failure once and never sends its text, and extractors
//! for who is calling (`SignedIn`, `MapCaller`), which resolve the caller, the map in the path
//! and the caller's role before a handler runs (and before any request body is read).

use std::borrow::Cow;

use app::api::auth::{Caller, User};
use app::api::ctx::Accounts;
use app::api::error::AppError;
use app::domain::access::{Capability, Role};
use app::domain::ids::MapId;
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;

use crate::db::StoreError;
use crate::export::escape;
use crate::state::AppState;
use crate::throttle::Wait;

/// A refusal or failure of a plain route: a status and a message for the person or program
/// that asked. Internal details are logged where the error is made and never sent.
#[derive(Debug)]
pub struct HttpError {
    status: StatusCode,
    message: Cow<'static, str>,
    retry_after: Option<u64>,
}

impl HttpError {
    pub fn new(status: StatusCode, message: impl Into<Cow<'static, str>>) -> HttpError {
        HttpError {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> HttpError {
        HttpError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unauthorized() -> HttpError {
        HttpError::new(StatusCode::UNAUTHORIZED, "please sign in")
    }

    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> HttpError {
        HttpError::new(StatusCode::FORBIDDEN, message)
    }

    pub fn not_found(message: impl Into<Cow<'static, str>>) -> HttpError {
        HttpError::new(StatusCode::NOT_FOUND, message)
    }

    /// 429, saying how long to wait.
    pub fn too_many(wait: Wait, message: impl Into<Cow<'static, str>>) -> HttpError {
        HttpError {
            retry_after: Some(wait.seconds()),
            ..HttpError::new(StatusCode::TOO_MANY_REQUESTS, message)
        }
    }

    /// A failure on our side: `detail` is logged here, once; the caller learns only that
    /// something went wrong.
    pub fn internal(detail: impl std::fmt::Display) -> HttpError {
        tracing::error!(%detail, "internal failure in a plain route");
        HttpError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "something went wrong on our side",
        )
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The error as a small page, for a browser that posted a plain form.
    pub fn into_page(self, heading: &str) -> Response {
        let page = format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{heading} · Waymark</title><link rel=\"stylesheet\" href=\"/pkg/waymark.css\">\
             </head><body><main id=\"main\" class=\"message-page\"><h1>{heading}</h1><p>{}</p>\
             <p><a class=\"button primary\" href=\"/\">Back to your maps</a></p></main></body></html>",
            escape(&self.message),
            heading = escape(heading),
        );
        let mut response = (self.status, Html(page)).into_response();
        self.add_retry_after(&mut response);
        response
    }

    fn add_retry_after(&self, response: &mut Response) {
        if let Some(seconds) = self.retry_after {
            if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let body = Json(serde_json::json!({ "error": self.message }));
        let mut response = (self.status, body).into_response();
        self.add_retry_after(&mut response);
        response
    }
}

impl From<StoreError> for HttpError {
    fn from(err: StoreError) -> HttpError {
        match err {
            StoreError::NotFound => HttpError::not_found("not found"),
            StoreError::Conflict(message) => HttpError::new(StatusCode::CONFLICT, message),
            StoreError::Internal(detail) => HttpError::internal(detail),
        }
    }
}

impl From<AppError> for HttpError {
    fn from(err: AppError) -> HttpError {
        let status =
            StatusCode::from_u16(err.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        // `AppError`'s own messages are the ones written for the browser; its internal details
        // were logged where it was made.
        let mut error = HttpError::new(status, err.to_string());
        error.retry_after = err.retry_after();
        error
    }
}

/// The signed-in caller, or a 401.
pub struct SignedIn(pub User);

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<SignedIn, HttpError> {
        parts
            .extensions
            .get::<Caller>()
            .and_then(|caller| caller.user.clone())
            .map(SignedIn)
            .ok_or_else(HttpError::unauthorized)
    }
}

/// The map named by the path's `{id}`, the signed-in caller, and their role on it. A map the
/// caller may not see at all is "not found", like a map that does not exist.
pub struct MapCaller {
    pub map: MapId,
    pub user: User,
    pub role: Role,
}

impl MapCaller {
    /// Refuses unless the caller's role may do `capability`.
    pub fn require(&self, capability: Capability) -> Result<(), HttpError> {
        if self.role.may(capability) {
            return Ok(());
        }
        Err(HttpError::forbidden(match capability {
            Capability::ReadResponses => "only the map's editors may see its customers' answers",
            Capability::CollectFeedback => "only the map's editors may add customers' answers",
            _ => "you don't have access to do that",
        }))
    }
}

impl FromRequestParts<AppState> for MapCaller {
    type Rejection = HttpError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<MapCaller, HttpError> {
        let not_found = || HttpError::not_found("no such map");
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| not_found())?;
        let map: MapId = params
            .iter()
            .find(|(key, _)| *key == "id")
            .and_then(|(_, value)| value.parse().ok())
            .ok_or_else(not_found)?;
        let SignedIn(user) = SignedIn::from_request_parts(parts, state).await?;
        let role = state
            .accounts
            .role(&user, map)
            .await?
            .ok_or_else(not_found)?;
        Ok(MapCaller { map, user, role })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_details_never_reach_the_response() {
        let error = HttpError::from(StoreError::internal("disk I/O error at page 7"));
        assert_eq!(error.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!error.message().contains("disk"));
        let app = HttpError::from(AppError::Internal);
        assert!(!app.message().contains("storage"));
        let busy = HttpError::from(AppError::Busy);
        assert_eq!(busy.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(busy.retry_after, Some(1));
    }

    #[tokio::test]
    async fn pages_escape_their_message() {
        let page = HttpError::bad_request("<script>alert(1)</script>").into_page("Import <failed>");
        assert_eq!(page.status(), StatusCode::BAD_REQUEST);
        let body = axum::body::to_bytes(page.into_body(), 1 << 16)
            .await
            .unwrap();
        let body = String::from_utf8_lossy(&body);
        assert!(
            body.contains("&lt;script&gt;") && !body.contains("<script>"),
            "{body}"
        );
        assert!(body.contains("Import &lt;failed&gt;"), "{body}");
    }
}
