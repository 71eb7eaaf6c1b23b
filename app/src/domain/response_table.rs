//! Responses read from a table (a CSV file): which column holds which field, a guess at that
//! from the header, and a small parser for the preview the browser shows before uploading.
//!
//! The server reads whole files with the `csv` crate; both sides turn a row into a
//! `ResponseInput` with `Mapping::row`, so the preview and the import agree.

use serde::{Deserialize, Serialize};

use crate::domain::feedback::{ResponseError, ResponseInput, When};
use crate::domain::ids::CardId;

/// A response field a column can fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Touchpoint,
    At,
    Nps,
    Csat,
    Ces,
    Comment,
    Channel,
    Segment,
    Respondent,
}

impl Field {
    pub const ALL: [Field; 9] = [
        Field::Touchpoint,
        Field::At,
        Field::Nps,
        Field::Csat,
        Field::Ces,
        Field::Comment,
        Field::Channel,
        Field::Segment,
        Field::Respondent,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Field::Touchpoint => "touchpoint",
            Field::At => "at",
            Field::Nps => "nps",
            Field::Csat => "csat",
            Field::Ces => "ces",
            Field::Comment => "comment",
            Field::Channel => "channel",
            Field::Segment => "segment",
            Field::Respondent => "respondent",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Field::Touchpoint => "Touchpoint",
            Field::At => "Date/time",
            Field::Nps => "NPS (0–10)",
            Field::Csat => "CSAT (1–5)",
            Field::Ces => "CES (1–7)",
            Field::Comment => "Comment",
            Field::Channel => "Channel",
            Field::Segment => "Segment",
            Field::Respondent => "Respondent",
        }
    }

    pub fn from_key(key: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.key() == key)
    }

    /// Header words that suggest this field.
    fn hints(self) -> &'static [&'static str] {
        match self {
            Field::Touchpoint => &["touchpoint", "touch point", "step", "card"],
            Field::At => &["date", "time", "timestamp", "submitted", "created", "at"],
            Field::Nps => &["nps", "recommend", "likely"],
            Field::Csat => &["csat", "satisf"],
            Field::Ces => &["ces", "effort", "easy"],
            Field::Comment => &["comment", "feedback", "text", "verbatim", "why", "remarks"],
            Field::Channel => &["channel", "source", "medium"],
            Field::Segment => &["segment", "plan", "tier", "cohort"],
            Field::Respondent => &["respondent", "customer", "email", "user", "id"],
        }
    }
}

/// How a file's columns fill responses. Unmapped columns are ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    /// For each column of the file, the field it fills, if any.
    pub columns: Vec<Option<Field>>,
    /// The touchpoint of every row, when no column names it.
    pub touchpoint: Option<CardId>,
}

impl Mapping {
    /// A first guess from the header row: each field goes to the first column whose name
    /// contains one of its hints; exact names win over partial ones.
    pub fn guess(headers: &[String]) -> Mapping {
        let lower: Vec<String> = headers.iter().map(|h| h.trim().to_lowercase()).collect();
        let mut columns: Vec<Option<Field>> = vec![None; headers.len()];
        for exact in [true, false] {
            for field in Field::ALL {
                if columns.contains(&Some(field)) {
                    continue;
                }
                let found = lower.iter().enumerate().position(|(i, name)| {
                    columns[i].is_none()
                        && field.hints().iter().any(|hint| {
                            if exact {
                                name == hint || name == field.key()
                            } else {
                                hint.len() > 2 && name.contains(hint)
                            }
                        })
                });
                if let Some(i) = found {
                    columns[i] = Some(field);
                }
            }
        }
        Mapping {
            columns,
            touchpoint: None,
        }
    }

    /// Checks the mapping can fill responses: each field once, a touchpoint, an answer.
    pub fn check(&self) -> Result<(), String> {
        for field in Field::ALL {
            if self.columns.iter().filter(|c| **c == Some(field)).count() > 1 {
                return Err(format!("two columns are mapped to {}", field.label()));
            }
        }
        let has = |field| self.columns.contains(&Some(field));
        if !has(Field::Touchpoint) && self.touchpoint.is_none() {
            return Err("choose the touchpoint column, or one touchpoint for every row".into());
        }
        if ![Field::Nps, Field::Csat, Field::Ces, Field::Comment]
            .into_iter()
            .any(has)
        {
            return Err("map at least one of NPS, CSAT, CES or Comment".into());
        }
        Ok(())
    }

    /// The response a row describes (unchecked, except that scores must be numbers).
    pub fn row(&self, cells: &[&str]) -> Result<ResponseInput, ResponseError> {
        let mut input = ResponseInput {
            touchpoint: self.touchpoint.map(|c| c.to_string()).unwrap_or_default(),
            ..ResponseInput::default()
        };
        for (field, cell) in self.columns.iter().zip(cells) {
            let Some(field) = field else { continue };
            let cell = cell.trim();
            let text = (!cell.is_empty()).then(|| cell.to_owned());
            match field {
                Field::Touchpoint => input.touchpoint = cell.to_owned(),
                Field::At => input.at = text.map(When::Text),
                Field::Nps => input.nps = number(*field, cell)?,
                Field::Csat => input.csat = number(*field, cell)?,
                Field::Ces => input.ces = number(*field, cell)?,
                Field::Comment => input.comment = text,
                Field::Channel => input.channel = text,
                Field::Segment => input.segment = text,
                Field::Respondent => input.respondent = text,
            }
        }
        Ok(input)
    }
}

fn number(field: Field, cell: &str) -> Result<Option<i64>, ResponseError> {
    if cell.is_empty() {
        return Ok(None);
    }
    // Spreadsheets write whole numbers as "7.0" now and then.
    let value = cell
        .parse::<i64>()
        .ok()
        .or_else(|| cell.strip_suffix(".0").and_then(|c| c.parse().ok()));
    value.map(Some).ok_or_else(|| ResponseError {
        field: field.key().to_owned(),
        message: format!("{cell:?} is not a whole number"),
    })
}

/// The field separator of a CSV file: `;` when its first line has more of those than commas
/// (spreadsheets in many European locales write that), else `,`.
pub fn delimiter(text: &str) -> char {
    let first = text.lines().next().unwrap_or("");
    if first.matches(';').count() > first.matches(',').count() {
        ';'
    } else {
        ','
    }
}

/// The start of a CSV file, parsed for the preview: its header and first rows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Preview {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Parses the first `rows` records after the header of CSV `text` (RFC 4180: commas, quotes
/// doubled inside quoted fields, line breaks inside quotes). A record cut off at the end of
/// `text` (the browser reads only the start of a big file) is dropped.
pub fn preview(text: &str, rows: usize) -> Preview {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let delimiter = delimiter(text);
    let mut records: Vec<Vec<String>> = Vec::new();
    let (mut record, mut field) = (Vec::new(), String::new());
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, c) if c == delimiter => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                let record = std::mem::take(&mut record);
                if record.iter().any(|f| !f.is_empty()) {
                    records.push(record);
                }
                if records.len() > rows {
                    break;
                }
            }
            (false, c) => field.push(c),
        }
    }
    let mut records = records.into_iter();
    Preview {
        headers: records.next().unwrap_or_default(),
        rows: records.take(rows).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn headers_are_guessed() {
        let mapping = Mapping::guess(&strings(&[
            "Submitted at",
            "Touchpoint",
            "NPS",
            "Satisfaction",
            "Customer effort",
            "Comment",
            "Channel",
            "Plan",
            "Customer ID",
            "Other",
        ]));
        assert_eq!(
            mapping.columns,
            [
                Some(Field::At),
                Some(Field::Touchpoint),
                Some(Field::Nps),
                Some(Field::Csat),
                Some(Field::Ces),
                Some(Field::Comment),
                Some(Field::Channel),
                Some(Field::Segment),
                Some(Field::Respondent),
                None
            ]
        );
        assert_eq!(mapping.check(), Ok(()));
    }

    #[test]
    fn a_mapping_needs_a_touchpoint_and_an_answer() {
        let mut mapping = Mapping {
            columns: vec![Some(Field::Nps), Some(Field::Nps)],
            touchpoint: Some(CardId::from_uuid(uuid::Uuid::from_u128(1))),
        };
        assert!(mapping.check().unwrap_err().contains("two columns"));
        mapping.columns = vec![Some(Field::Channel)];
        assert!(mapping.check().unwrap_err().contains("at least one"));
        mapping.columns = vec![Some(Field::Nps)];
        mapping.touchpoint = None;
        assert!(mapping.check().unwrap_err().contains("touchpoint"));
    }

    #[test]
    fn rows_become_inputs() {
        let mapping = Mapping {
            columns: vec![
                Some(Field::Touchpoint),
                Some(Field::Nps),
                None,
                Some(Field::Comment),
            ],
            touchpoint: None,
        };
        let input = mapping
            .row(&["Checkout", " 9.0 ", "ignored", "fast"])
            .unwrap();
        assert_eq!(input.touchpoint, "Checkout");
        assert_eq!(input.nps, Some(9));
        assert_eq!(input.comment.as_deref(), Some("fast"));
        let empty = mapping.row(&["Checkout", "", "", ""]).unwrap();
        assert_eq!((empty.nps, empty.comment), (None, None));
        let error = mapping.row(&["Checkout", "nine", "", ""]).unwrap_err();
        assert_eq!(error.field, "nps");
        assert!(error.message.contains("\"nine\""));
    }

    #[test]
    fn the_preview_parses_quotes_and_stops_early() {
        let text =
            "\u{feff}a,b,c\r\n1,\"two, \"\"quoted\"\"\",3\n\n4,\"multi\nline\",6\n7,8,9\n10,11,";
        let p = preview(text, 2);
        assert_eq!(p.headers, strings(&["a", "b", "c"]));
        assert_eq!(
            p.rows,
            [
                strings(&["1", "two, \"quoted\"", "3"]),
                strings(&["4", "multi\nline", "6"])
            ]
        );
        let all = preview(text, 100);
        assert_eq!(all.rows.len(), 3, "the unterminated last line is dropped");
        assert_eq!(preview("x;y\n1;2\n", 5).rows, [strings(&["1", "2"])]);
        assert_eq!(preview("", 5), Preview::default());
    }
}
