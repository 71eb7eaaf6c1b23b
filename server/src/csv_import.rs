//! An uploaded CSV file read as checked records, whatever they are (survey answers in
//! `feedback::import`, journey events in `journey::import`): the form (the file, the column
//! mapping the person chose in the preview, and optionally `dry_run` to check only), the file
//! read and every row checked as it is read, and the answer, an `app::api::feedback::ImportReply`
//! that the browser's Import tab reads back.
//!
//! All-or-nothing: one bad row stores nothing, and the answer lists every bad row with its
//! line number in the file.

use app::api::feedback::{ImportReply, RefusedRow};
use app::domain::feedback::ResponseError;
use app::domain::table::{delimiter, Column, Mapping};
use axum::extract::Multipart;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;

use crate::http::HttpError;

/// What reading a file found: the records of its rows (each as `check` made it) in file order,
/// and the rows refused, by line.
#[derive(Debug)]
pub struct Rows<T> {
    pub accepted: Vec<T>,
    pub refused: Vec<(u64, ResponseError)>,
}

impl<T> Rows<T> {
    pub fn len(&self) -> usize {
        self.accepted.len() + self.refused.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn append(&mut self, mut later: Rows<T>) {
        self.accepted.append(&mut later.accepted);
        self.refused.append(&mut later.refused);
    }
}

/// Files at least this long are read in two halves at once (the writer is idle until a file
/// is read and checked whole, so this time is added to every import's).
const READ_IN_HALVES: usize = 256 * 1024;

/// Reads the rows of `text` as records and checks each with `check` as it is read, without
/// keeping the unchecked ones (a 100,000-row file's are some 20 MB); refuses a file of more
/// than `max` rows as soon as it gets there. Large files are read in two halves on two
/// threads, split between records.
pub fn read_rows<F: Column + Sync, T: Send>(
    text: &str,
    mapping: &Mapping<F>,
    max: usize,
    check: impl Fn(Result<F::Record, ResponseError>) -> Result<T, ResponseError> + Sync,
) -> Result<Rows<T>, String> {
    let separator = u8::try_from(delimiter(text)).unwrap_or(b',');
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator)
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
    let start = usize::try_from(reader.position().byte())
        .unwrap_or(text.len())
        .min(text.len());
    let (head, body) = text.as_bytes().split_at(start);
    let split = if body.len() >= READ_IN_HALVES {
        record_boundary(body, body.len() / 2)
    } else {
        body.len()
    };
    let (first, second) = body.split_at(split);
    let first_line = 1 + newlines(head);
    let read = |bytes, line, until| {
        Part {
            bytes,
            line,
            separator,
            mapping,
            max,
            check: &check,
        }
        .read(until)
    };
    // The split is a guess (a stray quote inside an unquoted field, which CSV allows, throws
    // the count off): the first half is read from the start of the whole body and stops at the
    // split only if a record really ends there; otherwise it reads on to the end, and the
    // second half's rows are not used.
    let (earlier, later) = std::thread::scope(|scope| {
        let later = (!second.is_empty())
            .then(|| scope.spawn(|| read(second, first_line + newlines(first), None)));
        let earlier = read(body, first_line, later.is_some().then_some(split));
        (earlier, later.map(|l| l.join()))
    });
    let (mut rows, stopped_at_split) = earlier?;
    if let (Some(later), true) = (later, stopped_at_split) {
        let (later, _) = later.map_err(|_| "reading the file failed".to_owned())??;
        rows.append(later);
    }
    if rows.len() > max {
        return Err(too_many(max));
    }
    Ok(rows)
}

fn too_many(max: usize) -> String {
    format!("at most {max} rows per file")
}

fn newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|b| **b == b'\n').count() as u64
}

/// The end of the first record that ends at or after `from`: just past a line break outside
/// quotes. (A quoted field may hold line breaks; outside quotes, the quotes seen so far are
/// even in number, since a quote inside a quoted field is written twice.)
fn record_boundary(body: &[u8], from: usize) -> usize {
    let mut quoted = body[..from].iter().filter(|b| **b == b'"').count() % 2 == 1;
    for (at, byte) in body.iter().enumerate().skip(from) {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => return at + 1,
            _ => {}
        }
    }
    body.len()
}

/// A run of whole records of a file, starting on `line`.
struct Part<'a, F, C> {
    bytes: &'a [u8],
    line: u64,
    separator: u8,
    mapping: &'a Mapping<F>,
    max: usize,
    check: &'a C,
}

impl<F: Column, C> Part<'_, F, C> {
    /// Reads the records, all of them, or with `until` those before that offset if a record
    /// ends there (then `true`).
    fn read<T>(self, until: Option<usize>) -> Result<(Rows<T>, bool), String>
    where
        C: Fn(Result<F::Record, ResponseError>) -> Result<T, ResponseError>,
    {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(self.separator)
            .has_headers(false)
            .flexible(true)
            .from_reader(self.bytes);
        // Room for every line at once: growing the vector row by row moved it again and
        // again into fresh pages, which cost most of the time of reading a large file.
        let room = usize::try_from(newlines(self.bytes)).map_or(self.max, |n| n.min(self.max));
        let mut rows = Rows {
            accepted: Vec::with_capacity(room),
            refused: Vec::new(),
        };
        let mut lines = LineCounter::new(self.bytes, self.line);
        let mut record = csv::StringRecord::new();
        loop {
            if let Some(until) = until {
                // Only line breaks (blank lines, or a CRLF's LF) left before `until`: the
                // next record begins there.
                let at = usize::try_from(reader.position().byte()).unwrap_or(usize::MAX);
                let gap = self.bytes.get(at..until).unwrap_or_default();
                if at <= until && gap.iter().all(|b| matches!(b, b'\r' | b'\n')) {
                    return Ok((rows, true));
                }
            }
            let read = reader.read_record(&mut record);
            let line = lines.at(match &read {
                Ok(_) => record.position().map_or(0, |p| p.byte()),
                Err(err) => err.position().map_or(0, |p| p.byte()),
            });
            let item = match read {
                Ok(false) => break,
                Ok(true) if record.iter().all(|cell| cell.trim().is_empty()) => continue,
                Ok(true) => self.mapping.row(&record.iter().collect::<Vec<_>>()),
                Err(err) => Err(ResponseError {
                    field: "row".into(),
                    message: format!("cannot be read: {err}"),
                }),
            };
            match (self.check)(item) {
                Ok(record) => rows.accepted.push(record),
                Err(err) => rows.refused.push((line, err)),
            }
            if rows.len() > self.max {
                return Err(too_many(self.max));
            }
        }
        Ok((rows, false))
    }
}

/// Line numbers from byte offsets. The `csv` crate's own line count is off by one after a
/// blank line, and people look rows up by the line numbers their editor shows.
struct LineCounter<'a> {
    text: &'a [u8],
    byte: usize,
    line: u64,
}

impl LineCounter<'_> {
    /// Counts lines of `text`, whose first is `line` of its file.
    fn new(text: &[u8], line: u64) -> LineCounter<'_> {
        LineCounter {
            text,
            byte: 0,
            line,
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

/// An import's form, read.
pub struct Upload<F> {
    text: String,
    mapping: Mapping<F>,
    dry_run: bool,
}

/// Reads the form of an import whose rows are records of `F`; a mapping that cannot fill
/// them is refused before the file is read any further.
pub async fn upload<F: Column + DeserializeOwned>(
    mut form: Multipart,
) -> Result<Upload<F>, HttpError> {
    let bad = |message: String| HttpError::bad_request(message);
    let (mut text, mut mapping, mut dry_run) = (None, None, false);
    while let Some(field) = form.next_field().await.map_err(|e| bad(e.body_text()))? {
        match field.name() {
            Some("file") => {
                let bytes = field.bytes().await.map_err(|e| bad(e.body_text()))?;
                // Taken over, not copied, when the upload is the buffer's only owner.
                let decoded = String::from_utf8(Vec::from(bytes)).map_err(|_| {
                    bad("the file is not UTF-8 text; save it as “CSV UTF-8”".into())
                })?;
                text = Some(decoded);
            }
            Some("mapping") => {
                let raw = field.text().await.map_err(|e| bad(e.body_text()))?;
                let parsed: Mapping<F> = serde_json::from_str(&raw)
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
        mapping: mapping.ok_or_else(|| bad("say which column holds which field".into()))?,
        dry_run,
    })
}

/// What an upload comes to once read and checked.
pub enum Checked<T> {
    /// Every row is fine: these are to be stored.
    Store(Vec<T>),
    /// The answer, with nothing to store: the rows refused, or a dry run's report.
    Answer(Response),
}

/// Reads `upload`'s file on a blocking thread (checking is CPU work), at most `max` rows, each
/// checked with `check`: the records to store, or the answer when there are none to store.
pub async fn check<F, T>(
    upload: Upload<F>,
    max: usize,
    check: impl Fn(Result<F::Record, ResponseError>) -> Result<T, ResponseError> + Send + Sync + 'static,
) -> Result<Checked<T>, HttpError>
where
    F: Column + Send + Sync,
    T: Send + 'static,
{
    let Upload {
        text,
        mapping,
        dry_run,
    } = upload;
    let rows = tokio::task::spawn_blocking(move || read_rows(&text, &mapping, max, check))
        .await
        .map_err(HttpError::internal)?
        .map_err(HttpError::bad_request)?;
    let total = rows.len();
    if rows.is_empty() {
        return Err(HttpError::bad_request(
            "the file has no rows after the header",
        ));
    }
    if !rows.refused.is_empty() {
        let rejected: Vec<RefusedRow> = rows
            .refused
            .into_iter()
            .map(|(line, err)| RefusedRow {
                line,
                field: err.field,
                message: err.message,
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
        let answer = (StatusCode::UNPROCESSABLE_ENTITY, Json(reply)).into_response();
        return Ok(Checked::Answer(answer));
    }
    if dry_run {
        let answer = Json(ImportReply {
            checked: Some(total),
            ..ImportReply::default()
        });
        return Ok(Checked::Answer(answer.into_response()));
    }
    Ok(Checked::Store(rows.accepted))
}

/// The answer to an import that stored `imported` records.
pub fn imported(imported: usize) -> Response {
    Json(ImportReply {
        imported: Some(imported),
        ..ImportReply::default()
    })
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::feedback::ResponseInput;
    use app::domain::response_table::{Field, Mapping};

    /// Enough for any file of these tests.
    const MAX: usize = 100_000;

    fn touchpoint_and_comment() -> Mapping {
        Mapping {
            columns: vec![Some(Field::Touchpoint), Some(Field::Comment)],
            touchpoint: None,
        }
    }

    /// Every row of `text` (read with `touchpoint_and_comment`) refused, so that the answer
    /// lists them all: its line, touchpoint and comment, in the order given.
    fn every_row(text: &str) -> Vec<(u64, String, String)> {
        let rows = read_rows(
            text,
            &touchpoint_and_comment(),
            MAX,
            |item| -> Result<(), _> {
                let input = item.expect("every row reads");
                Err(ResponseError {
                    field: input.touchpoint,
                    message: input.comment.unwrap_or_default(),
                })
            },
        )
        .unwrap();
        rows.refused
            .into_iter()
            .map(|(line, e)| (line, e.field, e.message))
            .collect()
    }

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
        let rows = read_rows(text, &mapping, MAX, |item| item).unwrap();
        assert_eq!(rows.len(), 2, "blank rows are skipped");
        assert_eq!(rows.accepted.len(), 1);
        assert_eq!(rows.accepted[0].comment.as_deref(), Some("two\nlines"));
        assert_eq!(rows.refused.len(), 1);
        assert_eq!(rows.refused[0].0, 5);
        assert_eq!(rows.refused[0].1.field, "nps");
        let narrow = Mapping {
            columns: vec![Some(Field::Nps)],
            touchpoint: None,
        };
        assert!(read_rows(text, &narrow, MAX, |item| item)
            .unwrap_err()
            .contains("3 columns"));
    }

    #[test]
    fn a_file_of_more_rows_than_allowed_is_refused() {
        let text = "touchpoint,comment\na,1\nb,2\nc,3\n";
        let read = |max| read_rows(text, &touchpoint_and_comment(), max, |item| item);
        assert_eq!(read(3).unwrap().len(), 3);
        assert_eq!(read(2).unwrap_err(), "at most 2 rows per file");
    }

    /// A file long enough to be read in halves reads as one read whole would: every row once,
    /// in order, on its line, with quoted line breaks, blank rows and CRLF line ends about.
    #[test]
    fn large_files_read_in_halves_keep_rows_and_lines() {
        let mut text = String::from("touchpoint,comment\r\n");
        let mut line = 2;
        let mut expected = Vec::new();
        for i in 0..60_000 {
            if i % 11 == 0 {
                text.push_str(",\r\n");
                line += 1;
            }
            if i % 7 != 0 {
                text.push_str(&format!("t{i},\"said \"\"no\"\"\nand then\nleft\"\r\n"));
                expected.push((
                    line,
                    format!("t{i}"),
                    "said \"no\"\nand then\nleft".to_owned(),
                ));
                line += 3;
            } else {
                text.push_str(&format!("t{i},fine\r\n"));
                expected.push((line, format!("t{i}"), "fine".to_owned()));
                line += 1;
            }
        }
        assert!(
            text.len() > 2 * READ_IN_HALVES,
            "the test file is read in halves"
        );
        assert_eq!(every_row(&text), expected);
    }

    /// A quote inside an unquoted field is text in CSV, but it throws off the count of quotes
    /// that guesses where to split: the rows must come out right all the same.
    #[test]
    fn a_stray_quote_does_not_split_a_file_inside_a_field() {
        let mut text = String::from("touchpoint,comment\nt0,the 5\" screen\n");
        let mut expected = vec![(2, "t0".to_owned(), "the 5\" screen".to_owned())];
        let mut line = 3;
        for i in 1..40_000 {
            text.push_str(&format!("t{i},\"one\ntwo\nthree\"\n"));
            expected.push((line, format!("t{i}"), "one\ntwo\nthree".to_owned()));
            line += 3;
        }
        assert!(text.len() > 2 * READ_IN_HALVES);
        assert_eq!(every_row(&text), expected);
    }

    /// The first half stops where the second begins when a record ends there, whatever the
    /// line ends (else the halves would not be read at once at all).
    #[test]
    fn the_first_half_stops_at_a_true_split() {
        let mapping = touchpoint_and_comment();
        for body in [
            "a,\"x\ny\"\nb,c\nd,e\n",
            "a,\"x\r\ny\"\r\nb,c\r\n\r\nd,e\r\n",
        ] {
            let body = body.as_bytes();
            let split = record_boundary(body, 3);
            let part = Part {
                bytes: body,
                line: 2,
                separator: b',',
                mapping: &mapping,
                max: MAX,
                check: &|item: Result<ResponseInput, _>| item,
            };
            let (rows, stopped) = part.read(Some(split)).unwrap();
            assert!(stopped, "{:?}", String::from_utf8_lossy(&body[..split]));
            assert_eq!(rows.len(), 1);
        }
    }

    #[test]
    fn a_record_boundary_is_a_line_break_outside_quotes() {
        let body = b"a,\"x\ny\"\nb,c\n";
        assert_eq!(
            record_boundary(body, 0),
            8,
            "the break inside quotes is skipped"
        );
        assert_eq!(record_boundary(body, 4), 8, "even from inside the quotes");
        assert_eq!(record_boundary(body, 9), body.len());
        assert_eq!(record_boundary(b"no break", 2), 8);
    }
}
