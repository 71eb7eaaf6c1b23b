//! CSV import of responses: `POST /maps/{id}/feedback/import`, a form upload with the file, the
//! column mapping the person chose in the preview, and optionally `dry_run` to check only
//! (read and answered by `csv_import`, all or nothing).

use app::api::audit::Action;
use app::domain::access::Capability;
use app::domain::feedback::Source;
use app::domain::response_table::Field;
use axum::extract::Multipart;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::Router;

use crate::audit::{self, Address};
use crate::csv_import::{self, Checked};
use crate::feedback::{Naming, ServerFeedback, MAX_BATCH};
use crate::http::{HttpError, MapCaller};
use crate::state::AppState;

pub const IMPORT: &str = "/maps/{id}/feedback/import";

pub fn routes() -> Router<AppState> {
    Router::new().route(IMPORT, post(import))
}

/// `POST /maps/{id}/feedback/import`. Who may is settled before the upload is read.
async fn import(
    State(feedback): State<ServerFeedback>,
    caller: MapCaller,
    Address(ip): Address,
    form: Multipart,
) -> Result<Response, HttpError> {
    caller.require(Capability::CollectFeedback)?;
    let upload = csv_import::upload::<Field>(form).await?;
    let map = caller.map;
    let checker = feedback.checker(map, Source::Csv, Naming::IdOrText).await?;
    let responses =
        match csv_import::check(upload, MAX_BATCH, move |item| checker.check(item)).await? {
            Checked::Store(responses) => responses,
            Checked::Answer(answer) => return Ok(answer),
        };
    let imported = feedback.store(map, responses).await?;
    crate::telemetry::responses_stored(Source::Csv, imported);
    let event = audit::by(&caller.user, Action::AnswersImported, ip).on_map(map);
    let _ = audit::record(&feedback.db, event.detail(format!("{imported} answers"))).await;
    Ok(csv_import::imported(imported))
}
