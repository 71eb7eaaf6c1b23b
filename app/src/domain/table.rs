//! Records read from a table (a CSV file), whatever kind they are: which column fills which
//! field (`Mapping`), a guess at that from the header, things named by title rather than id
//! (`Titles`), and a small parser for the preview the browser shows before uploading.
//!
//! Each kind of record says its fields, what a mapping of them needs and how a cell fills one
//! (`Column`): survey answers in `response_table`, journey events in `event_table`. The server
//! reads whole files with the `csv` crate; both sides turn a row into a record with
//! `Mapping::row`, so the preview and the import agree.

use std::collections::HashMap;
use std::hash::Hash;

use serde::{Deserialize, Serialize};

use crate::domain::feedback::ResponseError;
use crate::domain::ids::CardId;

/// A field of one kind of record that a column can fill.
pub trait Column: Copy + PartialEq + 'static {
    /// What a row becomes (unchecked: the server checks it against the map).
    type Record;
    /// Every field, in the order the preview's menus list them.
    const ALL: &'static [Self];
    /// The field naming a row's touchpoint, which `Mapping::touchpoint` stands in for.
    const TOUCHPOINT: Self;

    /// The field's name in a mapping's JSON and in a refused row's report.
    fn key(self) -> &'static str;
    fn label(self) -> &'static str;
    /// Header words that suggest this field.
    fn hints(self) -> &'static [&'static str];
    /// Whether `mapping` can fill records, once each field is mapped at most once; if not,
    /// what to choose.
    fn enough(mapping: &Mapping<Self>) -> Result<(), String>;
    /// A record before its row's cells: with `touchpoint`, the one of every row, if chosen.
    fn record(touchpoint: Option<CardId>) -> Self::Record;
    /// Puts `cell` (trimmed) into this field of `record`.
    fn fill(self, record: &mut Self::Record, cell: &str) -> Result<(), ResponseError>;

    fn from_key(key: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|f| f.key() == key)
    }
}

/// How a file's columns fill records. Unmapped columns are ignored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping<F> {
    /// For each column of the file, the field it fills, if any.
    pub columns: Vec<Option<F>>,
    /// The touchpoint of every row, when no column names it.
    pub touchpoint: Option<CardId>,
}

impl<F> Default for Mapping<F> {
    fn default() -> Self {
        Mapping {
            columns: Vec::new(),
            touchpoint: None,
        }
    }
}

impl<F: Column> Mapping<F> {
    /// A first guess from the header row: each field goes to the first column whose name
    /// contains one of its hints; exact names win over partial ones.
    pub fn guess(headers: &[String]) -> Mapping<F> {
        let lower: Vec<String> = headers.iter().map(|h| h.trim().to_lowercase()).collect();
        let mut columns: Vec<Option<F>> = vec![None; headers.len()];
        for exact in [true, false] {
            for &field in F::ALL {
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

    /// Whether some column fills `field`.
    pub fn has(&self, field: F) -> bool {
        self.columns.contains(&Some(field))
    }

    /// Checks the mapping can fill records: each field once, and what the kind needs.
    pub fn check(&self) -> Result<(), String> {
        for &field in F::ALL {
            if self.columns.iter().filter(|c| **c == Some(field)).count() > 1 {
                return Err(format!("two columns are mapped to {}", field.label()));
            }
        }
        F::enough(self)
    }

    /// The record a row describes (unchecked, except that each cell must fit its field).
    pub fn row(&self, cells: &[&str]) -> Result<F::Record, ResponseError> {
        let mut record = F::record(self.touchpoint);
        for (field, cell) in self.columns.iter().zip(cells) {
            if let Some(field) = field {
                field.fill(&mut record, cell.trim())?;
            }
        }
        Ok(record)
    }
}

/// Things a file names by title (a card's first line, a stage's name), in any case. A title
/// that two things share names neither: a guess would file rows under the wrong one.
pub struct Titles<T> {
    by_title: HashMap<String, Option<T>>,
}

impl<T: Copy + Eq + Hash> Titles<T> {
    pub fn new<'a>(named: impl IntoIterator<Item = (&'a str, T)>) -> Titles<T> {
        let mut by_title: HashMap<String, Option<T>> = HashMap::new();
        for (title, id) in named {
            by_title
                .entry(title.trim().to_lowercase())
                .and_modify(|found| *found = None)
                .or_insert(Some(id));
        }
        Titles { by_title }
    }

    /// What `title` names, if exactly one thing has it.
    pub fn get(&self, title: &str) -> Option<T> {
        self.by_title
            .get(&title.trim().to_lowercase())
            .copied()
            .flatten()
    }
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
    fn titles_match_in_any_case_unless_shared() {
        let titles = Titles::new([(" Checkout ", 1), ("Sign up", 2), ("sign UP", 3)]);
        assert_eq!(titles.get("CHECKOUT"), Some(1));
        assert_eq!(titles.get("sign up"), None, "two share it");
        assert_eq!(titles.get("Nowhere"), None);
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
