//! The audit log: who did what and when. Each action is recorded where it is done, through
//! `record` (server functions reach it through the `ctx::Audit` port, plain routes directly),
//! as one small live job on the writer after the action itself committed. Rows are read by
//! instance admins only (`api::audit::audit_log`, `/admin/audit.csv`, `/admin/audit.json`) and
//! pruned after `--audit-days`.
//!
//! Nothing an anonymous visitor sends is recorded but a failed sign-in, and those are counted
//! by the sign-in throttle before they are judged: a throttled attempt is refused before it
//! gets here, so the log grows no faster than the throttle lets guesses through.
//! Single sign-on's refusals are recorded only once the provider has answered a sign-in this
//! browser began, and the sign-ins one address may begin are limited (`oidc`).

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use app::api::audit::{Action, AuditEntry, AuditPage, AuditQuery};
use app::api::auth::{ClientAddress, User};
use app::api::ctx::{Audit, AuditEvent, BackendFuture};
use app::domain::ids::MapId;
use app::domain::time::iso;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use crate::backend::app_error;
use crate::clock::now_millis;
use crate::db::audit::{self as store, NewRow};
use crate::db::{Db, StoreError};
use crate::http::{HttpError, SignedIn};
use crate::state::AppState;

pub const CSV: &str = "/admin/audit.csv";
pub const JSON: &str = "/admin/audit.json";

/// Most rows one export carries; a longer period is exported in parts (by date range).
pub const MAX_EXPORT_ROWS: u32 = 100_000;
/// Rows one pruning job deletes, so live writes wait behind a short job at most.
const PRUNE_CHUNK: u32 = 2_000;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// The audit port, on the database.
#[derive(Clone)]
pub struct ServerAudit {
    pub db: Db,
}

impl Audit for ServerAudit {
    fn record(&self, event: AuditEvent) -> BackendFuture<'_, ()> {
        Box::pin(async move { record(&self.db, event).await.map_err(app_error) })
    }

    fn log(&self, query: AuditQuery, rows: u32) -> BackendFuture<'_, AuditPage> {
        Box::pin(async move {
            self.db
                .read(move |conn| store::page(conn, &query, rows))
                .await
                .map_err(app_error)
        })
    }
}

/// Writes `event` as one row, stamped now, on the writer's live lane. A failure is logged
/// here, once; callers have already done the action and carry on.
pub async fn record(db: &Db, event: AuditEvent) -> Result<(), StoreError> {
    let row = row(event, now_millis());
    let result = db
        .writer()
        .write(move |conn| store::insert(conn, &row))
        .await;
    if let Err(err) = &result {
        tracing::error!(%err, "could not write an audit log row");
    }
    result
}

fn row(event: AuditEvent, at: i64) -> NewRow {
    NewRow {
        at,
        actor: event.actor.map(|id| id.to_string()),
        actor_label: event.actor_label,
        action: event.action.as_str(),
        map: event.map.map(|m| m.to_string()),
        target: event.target,
        detail: event.detail,
        ip: event.ip.map(|ip| ip.to_string()),
    }
}

/// An event by the signed-in `user` of a plain route.
pub fn by(user: &User, action: Action, ip: Option<IpAddr>) -> AuditEvent {
    AuditEvent {
        action,
        actor: Some(user.id),
        actor_label: user.email.clone(),
        map: None,
        target: None,
        detail: None,
        ip,
    }
}

/// The client's address as the middleware worked it out; for plain routes' audit rows.
pub struct Address(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Address {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Address, Self::Rejection> {
        Ok(Address(
            parts.extensions.get::<ClientAddress>().map(|a| a.0),
        ))
    }
}

/// The note `waymark restore` leaves beside the database it put in place. A restore runs while
/// no server does, on a file whose schema may predate this log, so the server that next opens
/// the database records it (`record_restore`) and then removes the note.
pub const RESTORE_NOTE: &str = "waymark.restored";

/// Leaves the note for `record_restore`: what was restored, when, and where the database it
/// replaced was kept.
pub fn note_restore(data_dir: &Path, from: &Path, kept: Option<&Path>) -> std::io::Result<()> {
    let mut detail = format!("restored from {} at {}", from.display(), iso(now_millis()));
    if let Some(kept) = kept {
        detail.push_str(&format!(
            "; the database before it was kept as {}",
            kept.display()
        ));
    }
    std::fs::write(data_dir.join(RESTORE_NOTE), detail)
}

/// Records the restore a note in `data_dir` tells of, if any, then removes the note. A note
/// that cannot be recorded stays for the next start.
pub async fn record_restore(db: &Db, data_dir: &Path) {
    let note = data_dir.join(RESTORE_NOTE);
    let Ok(detail) = std::fs::read_to_string(&note) else {
        return;
    };
    let event = AuditEvent {
        action: Action::DatabaseRestored,
        actor: None,
        actor_label: "waymark restore (command line)".to_owned(),
        map: None,
        target: None,
        // Bounded: the note is ours, but a hand-edited one must not bloat a row.
        detail: Some(detail.chars().take(1_000).collect()),
        ip: None,
    };
    if record(db, event).await.is_ok() {
        if let Err(err) = std::fs::remove_file(&note) {
            tracing::warn!(%err, note = %note.display(), "could not remove the restore note; it will be recorded again");
        }
    }
}

/// Deletes rows older than `days` days in bounded jobs on the bulk lane; returns how many went.
pub async fn prune(db: &Db, days: u32, now: i64) -> Result<usize, StoreError> {
    let before = now.saturating_sub(i64::from(days).saturating_mul(DAY_MS));
    let mut gone = 0;
    db.in_chunks(
        move |conn| {
            let n = store::prune(conn, before, PRUNE_CHUNK)?;
            Ok((n > 0).then_some(n))
        },
        |n| gone += n,
    )
    .await?;
    Ok(gone)
}

/// Prunes now and then once a day, for as long as the process runs. `days == 0` keeps all.
pub fn spawn_pruning(db: Db, days: u32) {
    if days == 0 {
        return;
    }
    tokio::spawn(async move {
        let mut daily = tokio::time::interval(Duration::from_secs(24 * 3600));
        loop {
            daily.tick().await;
            match prune(&db, days, now_millis()).await {
                Ok(0) => {}
                Ok(gone) => tracing::info!(gone, days, "pruned the audit log"),
                Err(err) => tracing::warn!(%err, "could not prune the audit log"),
            }
        }
    });
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(CSV, get(export_csv))
        .route(JSON, get(export_json))
}

/// The export's filters, as query parameters (the admin page's export form sends them):
/// `action`, `actor`, `map`, and `from`/`to` as dates (`2026-12-01`, both days included) or
/// times.
#[derive(Debug, Default, Deserialize)]
struct ExportParams {
    action: Option<String>,
    actor: Option<String>,
    map: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

impl ExportParams {
    fn query(self) -> Result<AuditQuery, HttpError> {
        let action = match self.action.as_deref().filter(|a| !a.is_empty()) {
            None => None,
            Some(name) => {
                Some(Action::parse(name).ok_or_else(|| HttpError::bad_request("unknown action"))?)
            }
        };
        let map = match self.map.as_deref().filter(|m| !m.is_empty()) {
            None => None,
            Some(id) => Some(
                id.parse::<MapId>()
                    .map_err(|_| HttpError::bad_request("map: not a map id"))?,
            ),
        };
        let query = AuditQuery {
            action,
            actor: self.actor,
            map,
            from: when("from", self.from.as_deref(), false)?,
            to: when("to", self.to.as_deref(), true)?,
            before: None,
        };
        query.checked().map_err(HttpError::from)
    }
}

/// A filter's time: nothing when empty, else a date or time; a date that ends a range
/// (`through`) means the end of that day.
fn when(field: &str, text: Option<&str>, through: bool) -> Result<Option<i64>, HttpError> {
    let text = text.map(str::trim).unwrap_or_default();
    if text.is_empty() {
        return Ok(None);
    }
    let at = app::api::audit::time_filter(text, through)
        .ok_or_else(|| HttpError::bad_request(format!("{field}: not a date")))?;
    Ok(Some(at))
}

async fn rows(
    db: &Db,
    user: &User,
    params: Result<Query<ExportParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Vec<AuditEntry>, HttpError> {
    if !user.is_admin {
        return Err(HttpError::forbidden(
            "only instance admins may read the audit log",
        ));
    }
    let Query(params) = params.map_err(|_| HttpError::bad_request("unreadable filters"))?;
    let query = params.query()?;
    let page = db
        .read(move |conn| store::page(conn, &query, MAX_EXPORT_ROWS))
        .await?;
    Ok(page.entries)
}

/// `GET /admin/audit.csv`: the filtered rows, newest first, formulas defused.
async fn export_csv(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    params: Result<Query<ExportParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, HttpError> {
    let entries = rows(&state.backend.db, &user, params).await?;
    let body = csv_of(&entries).map_err(HttpError::internal)?;
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                CONTENT_DISPOSITION,
                "attachment; filename=\"audit-log.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

/// `GET /admin/audit.json`: the filtered rows, newest first.
async fn export_json(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    params: Result<Query<ExportParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, HttpError> {
    let entries = rows(&state.backend.db, &user, params).await?;
    Ok((
        [(
            CONTENT_DISPOSITION,
            "attachment; filename=\"audit-log.json\"",
        )],
        axum::Json(entries),
    )
        .into_response())
}

fn csv_of(entries: &[AuditEntry]) -> Result<Vec<u8>, csv::Error> {
    let cell = crate::export::table::cell;
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "at", "actor", "actor_id", "action", "map", "target", "detail", "ip",
    ])?;
    for e in entries {
        out.write_record([
            iso(e.at),
            cell(&e.actor_label),
            e.actor.clone().unwrap_or_default(),
            e.action.clone(),
            e.map.clone().unwrap_or_default(),
            cell(e.target.as_deref().unwrap_or_default()),
            cell(e.detail.as_deref().unwrap_or_default()),
            e.ip.clone().unwrap_or_default(),
        ])?;
    }
    out.into_inner().map_err(|e| e.into_error().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csv_defuses_formulas_in_what_people_typed() {
        let entry = AuditEntry {
            id: 1,
            at: 0,
            actor: None,
            actor_label: "=cmd|' /C calc'!A0".into(),
            action: Action::ShareLinkCreated.as_str().into(),
            map: None,
            target: Some("+1".into()),
            detail: Some("@SUM(A1)".into()),
            ip: None,
        };
        let csv = String::from_utf8(csv_of(&[entry]).unwrap()).unwrap();
        let row = csv.lines().nth(1).unwrap();
        assert!(row.starts_with("1970-01-01T00:00:00Z,'=cmd"), "{row}");
        assert!(row.contains(",'+1,'@SUM(A1),"), "{row}");
    }
}
