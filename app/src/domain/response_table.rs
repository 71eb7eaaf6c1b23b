//! Responses read from a table (a CSV file): the fields a column can fill, and what a mapping
//! of them needs (see `table` for the mapping, its guess and the preview).

use serde::{Deserialize, Serialize};

use crate::domain::feedback::{ResponseError, ResponseInput, When};
use crate::domain::ids::CardId;
use crate::domain::table::{self, Column};

/// How a file's columns fill responses.
pub type Mapping = table::Mapping<Field>;

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

impl Column for Field {
    type Record = ResponseInput;
    const ALL: &'static [Field] = &[
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
    const TOUCHPOINT: Field = Field::Touchpoint;

    fn key(self) -> &'static str {
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

    fn label(self) -> &'static str {
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

    /// A touchpoint, and an answer.
    fn enough(mapping: &Mapping) -> Result<(), String> {
        if !mapping.has(Field::Touchpoint) && mapping.touchpoint.is_none() {
            return Err("choose the touchpoint column, or one touchpoint for every row".into());
        }
        if ![Field::Nps, Field::Csat, Field::Ces, Field::Comment]
            .into_iter()
            .any(|field| mapping.has(field))
        {
            return Err("map at least one of NPS, CSAT, CES or Comment".into());
        }
        Ok(())
    }

    fn record(touchpoint: Option<CardId>) -> ResponseInput {
        ResponseInput {
            touchpoint: touchpoint.map(|c| c.to_string()).unwrap_or_default(),
            ..ResponseInput::default()
        }
    }

    /// Scores must be whole numbers; the rest is checked with the response.
    fn fill(self, input: &mut ResponseInput, cell: &str) -> Result<(), ResponseError> {
        let text = (!cell.is_empty()).then(|| cell.to_owned());
        match self {
            Field::Touchpoint => input.touchpoint = cell.to_owned(),
            Field::At => input.at = text.map(When::Text),
            Field::Nps => input.nps = number(self, cell)?,
            Field::Csat => input.csat = number(self, cell)?,
            Field::Ces => input.ces = number(self, cell)?,
            Field::Comment => input.comment = text,
            Field::Channel => input.channel = text,
            Field::Segment => input.segment = text,
            Field::Respondent => input.respondent = text,
        }
        Ok(())
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
}
