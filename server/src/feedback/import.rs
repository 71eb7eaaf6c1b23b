//! CSV import of responses: `POST /maps/{id}/feedback/import`, a form upload with the file, the
//! column mapping the person chose in the preview, and optionally `dry_run` to check only.
//!
//! All-or-nothing: one bad row stores nothing, and the answer lists every bad row with its
//! line number in the file. The answer is an `app::api::feedback::ImportReply`, which the
//! browser's Import tab reads back.

use app::api::feedback::{ImportReply, RefusedRow};
use app::domain::access::Capability;
use app::domain::feedback::{ResponseError, ResponseInput, Source};
use app::domain::response_table::{delimiter, Mapping};
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};

use crate::db::StoreError;
use crate::feedback::{IngestError, Naming, ServerFeedback, MAX_BATCH};
use crate::http::{HttpError, MapCaller};
use crate::state::AppState;

pub const IMPORT: &str = "/maps/{id}/feedback/import";

pub fn routes() -> Router<AppState> {
    Router::new().route(IMPORT, post(import))
}

/// A row of the file: its line number and the response it holds (or why it holds none).
type Row = (u64, Result<ResponseInput, ResponseError>);

/// The rows of `text` as responses (or as the reason a row cannot be one), each with its line.
pub fn read_rows(text: &str, mapping: &Mapping) -> Result<Vec<Row>, String> {
    let separator = u8::try_from(delimiter(text)).unwrap_or(b',');
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("cannot read the header row: {e}"))?;
    if headers.len() != mapping.columns.len() {
        return Err(format!(
            "the file has {} columns but the mapping names {}; choose the file again",
            headers.len(),
            mapping.columns.len()
        ));
    }
    // Room for every line at once: growing the vector row by row moved it again and again into
    // fresh pages, which cost most of the time of reading a large file.
    let lines_in_file = text.bytes().filter(|b| *b == b'\n').count();
    let mut rows = Vec::with_capacity(lines_in_file.min(MAX_BATCH + 1));
    let mut lines = LineCounter::new(text);
    for record in reader.records() {
        match record {
            Ok(record) => {
                let line = lines.at(record.position().map_or(0, |p| p.byte()));
                if record.iter().all(|cell| cell.trim().is_empty()) {
                    continue;
                }
                let cells: Vec<&str> = record.iter().collect();
                rows.push((line, mapping.row(&cells)));
            }
            Err(err) => {
                let line = lines.at(err.position().map_or(0, |p| p.byte()));
                rows.push((
                    line,
                    Err(ResponseError {
                        field: "row".into(),
                        message: format!("cannot be read: {err}"),
                    }),
                ));
            }
        }
        if rows.len() > MAX_BATCH {
            return Err(format!("at most {MAX_BATCH} rows per file"));
        }
    }
    Ok(rows)
}

/// Line numbers from byte offsets. The `csv` crate's own line count is off by one after a
/// blank line, and people look rows up by the line numbers their editor shows.
struct LineCounter<'a> {
    text: &'a [u8],
    byte: usize,
    line: u64,
}

impl LineCounter<'_> {
    fn new(text: &str) -> LineCounter<'_> {
        LineCounter {
            text: text.as_bytes(),
            byte: 0,
            line: 1,
        }
    }

    /// The line of the record starting at `byte` (records come in order, so this only scans
    /// forward). A record's offset may point at the line breaks before it; they are skipped.
    fn at(&mut self, byte: u64) -> u64 {
        let mut start = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        while matches!(self.text.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        if start >= self.byte {
            let between = self.text.get(self.byte..start).unwrap_or_default();
            self.line += between.iter().filter(|b| **b == b'\n').count() as u64;
            self.byte = start;
        }
        self.line
    }
}

struct Upload {
    text: String,
    mapping: Mapping,
    dry_run: bool,
}

async fn upload(mut form: Multipart) -> Result<Upload, HttpError> {
    let bad = |message: String| HttpError::bad_request(message);
    let (mut text, mut mapping, mut dry_run) = (None, None, false);
    while let Some(field) = form.next_field().await.map_err(|e| bad(e.body_text()))? {
        match field.name() {
            Some("file") => {
                let bytes = field.bytes().await.map_err(|e| bad(e.body_text()))?;
                let decoded = String::from_utf8(bytes.to_vec()).map_err(|_| {
                    bad("the file is not UTF-8 text; save it as “CSV UTF-8”".into())
                })?;
                text = Some(decoded);
            }
            Some("mapping") => {
                let raw = field.text().await.map_err(|e| bad(e.body_text()))?;
                let parsed: Mapping = serde_json::from_str(&raw)
                    .map_err(|e| bad(format!("the column mapping is malformed: {e}")))?;
                parsed.check().map_err(bad)?;
                mapping = Some(parsed);
            }
            Some("dry_run") => dry_run = field.text().await.is_ok_and(|v| v == "1" || v == "true"),
            _ => {}
        }
    }
    Ok(Upload {
        text: text.ok_or_else(|| bad("choose a CSV file".into()))?,
        mapping: mapping.ok_or_else(|| bad("say which column holds which answer".into()))?,
        dry_run,
    })
}

/// `POST /maps/{id}/feedback/import`. Who may is settled before the upload is read.
async fn import(
    State(feedback): State<ServerFeedback>,
    caller: MapCaller,
    form: Multipart,
) -> Result<Response, HttpError> {
    caller.require(Capability::CollectFeedback)?;
    let Upload {
        text,
        mapping,
        dry_run,
    } = upload(form).await?;
    let rows = tokio::task::spawn_blocking(move || read_rows(&text, &mapping))
        .await
        .map_err(HttpError::internal)?
        .map_err(HttpError::bad_request)?;
    if rows.is_empty() {
        return Err(HttpError::bad_request(
            "the file has no rows after the header",
        ));
    }
    let (lines, items): (Vec<u64>, Vec<_>) = rows.into_iter().unzip();
    let total = items.len();
    match feedback
        .ingest(caller.map, items, Source::Csv, Naming::IdOrText, dry_run)
        .await
    {
        Ok(count) if dry_run => Ok(Json(ImportReply {
            checked: Some(count),
            ..ImportReply::default()
        })
        .into_response()),
        Ok(count) => Ok(Json(ImportReply {
            imported: Some(count),
            ..ImportReply::default()
        })
        .into_response()),
        Err(IngestError::Rejected(rejections)) => {
            let rejected: Vec<RefusedRow> = rejections
                .into_iter()
                .map(|r| RefusedRow {
                    line: lines.get(r.index).copied().unwrap_or(0),
                    field: r.field,
                    message: r.message,
                })
                .collect();
            let reply = ImportReply {
                error: Some(format!(
                    "{} of {total} rows were refused; nothing was imported",
                    rejected.len()
                )),
                rows: Some(total),
                rejected,
                ..ImportReply::default()
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(reply)).into_response())
        }
        Err(IngestError::TooMany) => Err(HttpError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("at most {MAX_BATCH} rows per file"),
        )),
        Err(IngestError::Store(StoreError::NotFound)) => Err(HttpError::not_found("no such map")),
        Err(IngestError::Store(err)) => Err(err.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::response_table::Field;

    #[test]
    fn rows_carry_their_line_numbers() {
        let mapping = Mapping {
            columns: vec![
                Some(Field::Touchpoint),
                Some(Field::Nps),
                Some(Field::Comment),
            ],
            touchpoint: None,
        };
        let text = "touchpoint,nps,comment\nCheckout,9,\"two\nlines\"\n,,\nCheckout,x,ok\n";
        let rows = read_rows(text, &mapping).unwrap();
        assert_eq!(rows.len(), 2, "blank rows are skipped");
        assert_eq!(rows[0].0, 2);
        assert_eq!(
            rows[0].1.as_ref().unwrap().comment.as_deref(),
            Some("two\nlines")
        );
        assert_eq!(rows[1].0, 5);
        assert_eq!(rows[1].1.as_ref().unwrap_err().field, "nps");
        let narrow = Mapping {
            columns: vec![Some(Field::Nps)],
            touchpoint: None,
        };
        assert!(read_rows(text, &narrow).unwrap_err().contains("3 columns"));
    }
}
