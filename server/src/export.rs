//! Files in and out: a map exported as JSON (optionally with its feedback), SVG, PNG, PDF,
//! Mermaid or CSV, its feedback responses as CSV, its measured journey (funnel and path flows)
//! as SVG, PNG, PDF or CSV, and a map file imported as a new map. Plain axum routes, since they
//! answer with files rather than data for the pages.

mod journey;
mod mermaid;
mod raster;
mod svg;
pub(crate) mod table;

/// Escapes text for HTML and XML (the SVG export's, which the error pages share).
pub use svg::escape;

use std::net::IpAddr;

use app::api::audit::Action;
use app::api::auth::User;
use app::api::ctx::Feedback;
use app::domain::access::Capability;
use app::domain::backlog::is_opportunity;
use app::domain::catalog::Catalog;
use app::domain::ids::{MapId, UserId};
use app::domain::import::{export, read_map_file, FileOpportunity};
use app::domain::targets::Target;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use uuid::Uuid;

use crate::accounts::ServerAccounts;
use crate::audit::{self, Address};
use crate::backend::ServerBackend;
use crate::clock::now_millis;
use crate::feedback::{ServerFeedback, MAX_BATCH};
use crate::http::{HttpError, MapCaller, SignedIn};
use crate::state::AppState;

/// Largest map file accepted for import (room for a map with a few hundred thousand responses).
pub const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;

pub const DOWNLOAD: &str = "/maps/{id}/export/{format}";
pub const IMPORT: &str = "/maps/import";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(DOWNLOAD, get(download))
        .route(IMPORT, post(import))
}

#[derive(Deserialize)]
struct ImageOptions {
    /// Pixels per SVG unit for PNG; 2 suits most screens and print.
    scale: Option<f32>,
    /// For `json`: include the customers' responses (editors only).
    #[serde(default)]
    feedback: bool,
}

/// A file name made from the map's title: letters, digits and dashes only.
fn file_name(title: &str, extension: &str) -> String {
    let slug: String = title
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug: Vec<&str> = slug.split('-').filter(|s| !s.is_empty()).collect();
    let slug = if slug.is_empty() {
        "map".to_owned()
    } else {
        slug.join("-")
    };
    format!("{}.{extension}", slug.chars().take(80).collect::<String>())
}

fn file(content_type: &'static str, name: String, body: impl Into<axum::body::Body>) -> Response {
    let disposition = format!("attachment; filename=\"{name}\"");
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    (headers, body.into()).into_response()
}

/// `GET /maps/{id}/export/{format}` with format `json`, `svg`, `png`, `pdf`, `mermaid`, `csv`
/// (the cards) or `responses` (the feedback, as CSV). Anyone who may view the map may export
/// it; its customers' responses (`responses`, `json?feedback=true`) only editors and owners.
/// The formats `journey-svg`, `journey-png`, `journey-pdf` and `journey-csv` are the Journey
/// panel's figures under its filter (`from`, `to`, `channel`, `segment`), for whoever may see
/// the panel: members, and share links that show the funnel (`share`).
#[allow(clippy::too_many_arguments)] // an axum handler: one argument per extractor
async fn download(
    State(backend): State<ServerBackend>,
    State(feedback): State<ServerFeedback>,
    State(accounts): State<ServerAccounts>,
    // A share link's visitor may have no account: their access is settled with the link.
    caller: Result<MapCaller, HttpError>,
    Path((map, format)): Path<(String, String)>,
    Query(options): Query<ImageOptions>,
    Query(measured): Query<journey::Options>,
    Address(ip): Address,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    if let Some(kind) = format.strip_prefix("journey-") {
        // Members' exports are recorded; a share link's visitors are anonymous, and recording
        // each of their downloads would let anyone with a link grow the log at will.
        let member = caller.as_ref().ok().map(|c| c.user.clone());
        let id = journey::readable(&accounts, &map, caller, &measured, &headers).await?;
        if !matches!(kind, "svg" | "png" | "pdf" | "csv") {
            return Err(HttpError::not_found("unknown export format"));
        }
        if let Some(user) = member {
            record_export(&backend, &user, id, &format, ip).await;
        }
        let filter = measured.filter()?;
        let figures = feedback.journey(id, filter.clone()).await?;
        let map = backend.rooms.committed(id).await?.map;
        let report = journey::Report::new(&map, figures, &filter, now_millis());
        let name = |extension: &str| file_name(map.title.as_str(), &format!("journey.{extension}"));
        return match kind {
            "csv" => {
                let csv = journey::csv(&report).map_err(HttpError::internal)?;
                Ok(file("text/csv; charset=utf-8", name("csv"), csv))
            }
            "svg" => Ok(file("image/svg+xml", name("svg"), journey::svg(&report))),
            _ => picture(journey::svg(&report), kind, options.scale, name).await,
        };
    }
    let caller = caller?;
    caller.require(Capability::View)?;
    let id = caller.map;
    let with_responses = format == "responses" || (format == "json" && options.feedback);
    if with_responses {
        caller.require(Capability::ReadResponses)?;
    }
    let map = backend.rooms.committed(id).await?.map;
    let responses = if with_responses {
        feedback.all_responses(id).await?
    } else {
        Vec::new()
    };
    let name = |extension: &str| file_name(map.title.as_str(), extension);
    let response = match format.as_str() {
        "json" => {
            let responses = responses.into_iter().map(|(r, _)| r).collect();
            let catalog = backend.db.catalog(id).await?;
            let mut content = export(&map, catalog, responses, now_millis());
            content.targets = backend.db.targets(id).await?;
            // Triage of cards since removed stays behind (it returns if a removal is undone).
            content.opportunities = backend
                .db
                .triage_of(id)
                .await?
                .into_iter()
                .filter(|(card, _)| is_opportunity(&map, *card))
                .map(|(card, triage)| FileOpportunity::new(card, triage))
                .collect();
            let json = serde_json::to_vec_pretty(&content).map_err(HttpError::internal)?;
            file("application/json", name("waymark.json"), json)
        }
        "responses" => {
            let csv = table::responses_csv(&map, &responses).map_err(HttpError::internal)?;
            file("text/csv; charset=utf-8", name("responses.csv"), csv)
        }
        "svg" => file("image/svg+xml", name("svg"), svg::render(&map)),
        "mermaid" => file(
            "text/plain; charset=utf-8",
            name("mmd"),
            mermaid::render(&map),
        ),
        "csv" => {
            let csv = table::cards_csv(&map).map_err(HttpError::internal)?;
            file("text/csv; charset=utf-8", name("csv"), csv)
        }
        "png" | "pdf" => picture(svg::render(&map), &format, options.scale, name).await?,
        _ => return Err(HttpError::not_found("unknown export format")),
    };
    record_export(&backend, &caller.user, id, &format, ip).await;
    Ok(response)
}

/// Notes in the audit log that `user` exported `map` as `format` (a name from the path, one of
/// the known formats by the time this is called).
async fn record_export(
    backend: &ServerBackend,
    user: &User,
    map: MapId,
    format: &str,
    ip: Option<IpAddr>,
) {
    let event = audit::by(user, Action::MapExported, ip).on_map(map);
    let _ = audit::record(&backend.db, event.detail(format)).await;
}

/// `svg` as a `png` (`scale` pixels per unit, 2 unless asked) or a `pdf` file, named by
/// `name` from the extension.
async fn picture(
    svg: String,
    format: &str,
    scale: Option<f32>,
    name: impl Fn(&str) -> String,
) -> Result<Response, HttpError> {
    let scale = scale.unwrap_or(2.0);
    if !(0.25..=8.0).contains(&scale) {
        return Err(HttpError::bad_request("scale must be between 0.25 and 8"));
    }
    let png = format == "png";
    // Rendering is CPU-heavy: keep it off the async executor.
    let bytes = tokio::task::spawn_blocking(move || {
        if png {
            raster::png(&svg, scale)
        } else {
            raster::pdf(&svg)
        }
    })
    .await
    .map_err(HttpError::internal)?
    .map_err(|e| match e {
        raster::RenderError::TooLarge { .. } => HttpError::bad_request(e.to_string()),
        raster::RenderError::Failed(_) => HttpError::internal(e),
    })?;
    Ok(if png {
        file("image/png", name("png"), bytes)
    } else {
        file("application/pdf", name("pdf"), bytes)
    })
}

/// `POST /maps/import`: a map file as the JSON body, or as the `file` field of a form upload.
/// A form gets redirected to the new map; an API client gets `{ "id": … }`.
async fn import(
    State(feedback): State<ServerFeedback>,
    caller: Result<SignedIn, HttpError>,
    Address(ip): Address,
    request: Request,
) -> Response {
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let result = async {
        let SignedIn(owner) = caller?;
        let bytes = if is_form {
            form_file(request).await
        } else {
            json_body(request).await
        }?;
        let id = create_from(&feedback, owner.id, &bytes).await?;
        let event = audit::by(&owner, Action::MapImported, ip).on_map(id);
        let _ = audit::record(&feedback.db, event.detail("map file")).await;
        Ok::<_, HttpError>(id)
    }
    .await;
    match (result, is_form) {
        (Ok(id), true) => Redirect::to(&format!("/maps/{id}")).into_response(),
        (Ok(id), false) => {
            (StatusCode::CREATED, Json(serde_json::json!({ "id": id }))).into_response()
        }
        (Err(error), true) => error.into_page("The map could not be imported"),
        (Err(error), false) => error.into_response(),
    }
}

fn rejected(rejection: impl axum::response::IntoResponse + std::fmt::Display) -> HttpError {
    let message = rejection.to_string();
    let status = rejection.into_response().status();
    HttpError::new(status, message)
}

async fn json_body(request: Request) -> Result<Bytes, HttpError> {
    Bytes::from_request(request, &()).await.map_err(rejected)
}

async fn form_file(request: Request) -> Result<Bytes, HttpError> {
    let mut form = Multipart::from_request(request, &())
        .await
        .map_err(rejected)?;
    while let Some(field) = form.next_field().await.map_err(rejected)? {
        if field.name() == Some("file") {
            return field.bytes().await.map_err(rejected);
        }
    }
    Err(HttpError::bad_request("choose a map file to import"))
}

async fn create_from(
    feedback: &ServerFeedback,
    owner: UserId,
    bytes: &[u8],
) -> Result<MapId, HttpError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| HttpError::bad_request("the file is not text (UTF-8 JSON)"))?;
    let text = text.to_owned();
    // Parsing and checking a large file is CPU work: off the executor.
    let now = now_millis();
    let parsed = tokio::task::spawn_blocking(move || read_map_file(&text, now))
        .await
        .map_err(HttpError::internal)?;
    let imported = parsed.map_err(|e| HttpError::bad_request(e.to_string()))?;
    if imported.responses.len() > MAX_BATCH {
        return Err(HttpError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "a map file may carry at most {MAX_BATCH} customer responses (this one has {})",
                imported.responses.len()
            ),
        ));
    }
    // A new map: its own id and timestamps; everything inside stays as it was.
    let mut map = imported.map;
    map.id = MapId::from_uuid(Uuid::new_v4());
    map.created_at = now;
    map.updated_at = now;
    let id = map.id;
    // The map and its responses together: a failed import leaves no map (L12).
    feedback.import_map(map, owner, imported.responses).await?;
    if imported.catalog != Catalog::default() {
        feedback.db.set_catalog(id, imported.catalog).await?;
    }
    if !imported.targets.is_empty() {
        // A target taken from a metric definition follows it only where that definition
        // exists (the file may come from another Waymark); elsewhere it is the map's own.
        let metrics = feedback.db.metric_library().await?;
        let targets = imported
            .targets
            .into_iter()
            .map(|t| {
                let definition = t
                    .metric
                    .and_then(|m| metrics.iter().find(|d| d.id == m && d.measure == t.measure));
                match definition {
                    Some(d) => d.target_on(t.stage),
                    None => Target { metric: None, ..t },
                }
            })
            .collect();
        feedback.db.set_targets(id, targets).await?;
    }
    for opportunity in imported.opportunities {
        let FileOpportunity { card, triage } = opportunity;
        feedback.db.set_triage(id, card, triage).await?;
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe() {
        assert_eq!(
            file_name("Customer journey — online shoe store", "svg"),
            "customer-journey-online-shoe-store.svg"
        );
        assert_eq!(file_name("\"; rm -rf /", "csv"), "rm-rf.csv");
        assert_eq!(file_name("日本", "png"), "map.png");
    }
}
