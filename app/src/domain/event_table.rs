//! Journey events read from a table (a CSV file): the fields a column can fill, what a mapping
//! of them needs, and touchpoints and stages named as people write them (see `table` for the
//! mapping, its guess and the preview; `journey` checks each event against the map).

use std::fmt::Display;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::domain::feedback::{ResponseError, When};
use crate::domain::ids::{CardId, StageId};
use crate::domain::journey::EventInput;
use crate::domain::map::JourneyMap;
use crate::domain::table::{self, Column, Titles};

/// How a file's columns fill events.
pub type EventMapping = table::Mapping<EventField>;

/// An event field a column can fill; keys as in the events API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventField {
    Customer,
    Touchpoint,
    Stage,
    At,
    Channel,
    Segment,
    Outcome,
}

impl Column for EventField {
    type Record = EventInput;
    const ALL: &'static [EventField] = &[
        EventField::Customer,
        EventField::Touchpoint,
        EventField::Stage,
        EventField::At,
        EventField::Channel,
        EventField::Segment,
        EventField::Outcome,
    ];
    const TOUCHPOINT: EventField = EventField::Touchpoint;

    fn key(self) -> &'static str {
        match self {
            EventField::Customer => "customer",
            EventField::Touchpoint => "touchpoint",
            EventField::Stage => "stage",
            EventField::At => "at",
            EventField::Channel => "channel",
            EventField::Segment => "segment",
            EventField::Outcome => "outcome",
        }
    }

    fn label(self) -> &'static str {
        match self {
            EventField::Customer => "Customer",
            EventField::Touchpoint => "Touchpoint",
            EventField::Stage => "Stage",
            EventField::At => "Date/time",
            EventField::Channel => "Channel",
            EventField::Segment => "Segment",
            EventField::Outcome => "Outcome",
        }
    }

    /// Analytics exports' usual names. The touchpoint's do not include "event", which would
    /// take an "event time" column before the time's hints are tried.
    fn hints(self) -> &'static [&'static str] {
        match self {
            EventField::Customer => &[
                "customer", "user", "visitor", "client", "account", "email", "person", "id",
            ],
            EventField::Touchpoint => &["touchpoint", "touch point", "step", "card", "page"],
            EventField::Stage => &["stage", "phase"],
            EventField::At => &["date", "time", "timestamp", "when", "occurred", "at"],
            EventField::Channel => &["channel", "source", "medium"],
            EventField::Segment => &["segment", "plan", "tier", "cohort"],
            EventField::Outcome => &["outcome", "result", "status", "converted"],
        }
    }

    /// A customer, and a place: a touchpoint or a stage per row, or one touchpoint for all.
    fn enough(mapping: &EventMapping) -> Result<(), String> {
        if !mapping.has(EventField::Customer) {
            return Err("choose the customer column".into());
        }
        if !mapping.has(EventField::Touchpoint)
            && !mapping.has(EventField::Stage)
            && mapping.touchpoint.is_none()
        {
            return Err(
                "choose a touchpoint or stage column, or one touchpoint for every row".into(),
            );
        }
        Ok(())
    }

    fn record(touchpoint: Option<CardId>) -> EventInput {
        EventInput {
            customer: String::new(),
            touchpoint: touchpoint.map(|c| c.to_string()),
            stage: None,
            at: None,
            channel: None,
            segment: None,
            outcome: None,
        }
    }

    /// Empty cells are absent fields; everything is checked with the event.
    fn fill(self, input: &mut EventInput, cell: &str) -> Result<(), ResponseError> {
        let text = (!cell.is_empty()).then(|| cell.to_owned());
        match self {
            EventField::Customer => input.customer = cell.to_owned(),
            EventField::Touchpoint => input.touchpoint = text,
            EventField::Stage => input.stage = text,
            EventField::At => input.at = text.map(When::Text),
            EventField::Channel => input.channel = text,
            EventField::Segment => input.segment = text,
            EventField::Outcome => input.outcome = text,
        }
        Ok(())
    }
}

/// A map's touchpoints and stages as a file written by people names them: by id, or by title
/// (a card's first line, a stage's name) in any case.
pub struct Names {
    cards: Titles<CardId>,
    stages: Titles<StageId>,
}

impl Names {
    pub fn of(map: &JourneyMap) -> Names {
        let title = |text: &str| text.lines().next().unwrap_or("").to_owned();
        let cards: Vec<(String, CardId)> = map
            .cards()
            .iter()
            .map(|c| (title(c.text.as_str()), c.id))
            .collect();
        Names {
            cards: Titles::new(cards.iter().map(|(t, id)| (t.as_str(), *id))),
            stages: Titles::new(map.stages().iter().map(|s| (s.name.as_str(), s.id))),
        }
    }

    /// `input` with each title replaced by the id it names. Ids, and titles that name nothing
    /// (or two things), are left as they are, for `EventInput::check` to accept or refuse.
    pub fn resolve(&self, mut input: EventInput) -> EventInput {
        input.touchpoint = input.touchpoint.map(|t| by_title(&self.cards, t));
        input.stage = input.stage.map(|s| by_title(&self.stages, s));
        input
    }
}

fn by_title<T: Copy + Eq + std::hash::Hash + FromStr + Display>(
    titles: &Titles<T>,
    text: String,
) -> String {
    if text.trim().parse::<T>().is_ok() {
        return text;
    }
    titles.get(&text).map_or(text, |id| id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixture::sample_map;
    use crate::domain::journey::Places;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn headers_are_guessed() {
        let mapping = EventMapping::guess(&strings(&[
            "Customer ID",
            "Event time",
            "Page",
            "Stage",
            "utm_source",
            "Plan",
            "Result",
            "Notes",
        ]));
        use EventField::*;
        assert_eq!(
            mapping.columns,
            [
                Some(Customer),
                Some(At),
                Some(Touchpoint),
                Some(Stage),
                Some(Channel),
                Some(Segment),
                Some(Outcome),
                None
            ]
        );
        assert_eq!(mapping.check(), Ok(()));
        let exact = EventMapping::guess(&strings(&["user", "at", "touchpoint"]));
        assert_eq!(exact.columns, [Some(Customer), Some(At), Some(Touchpoint)]);
    }

    #[test]
    fn a_mapping_needs_a_customer_and_a_place() {
        use EventField::*;
        let mut mapping = EventMapping {
            columns: vec![Some(Customer), Some(Stage), Some(Stage)],
            touchpoint: None,
        };
        assert!(mapping.check().unwrap_err().contains("two columns"));
        mapping.columns = vec![Some(Touchpoint), Some(At)];
        assert!(mapping.check().unwrap_err().contains("customer"));
        mapping.columns = vec![Some(Customer), Some(At)];
        assert!(mapping.check().unwrap_err().contains("touchpoint or stage"));
        mapping.columns = vec![Some(Customer), Some(Stage)];
        assert_eq!(mapping.check(), Ok(()));
        mapping.columns = vec![Some(Customer), None];
        mapping.touchpoint = Some(CardId::from_uuid(uuid::Uuid::from_u128(1)));
        assert_eq!(mapping.check(), Ok(()), "one touchpoint for every row");
    }

    #[test]
    fn rows_become_events_with_titles_resolved() {
        let map = sample_map();
        let (places, names) = (Places::of(&map), Names::of(&map));
        let stage = &map.stages()[1];
        let card = map.cards().iter().find(|c| c.stage == stage.id).unwrap();
        let title = card.text.as_str().lines().next().unwrap().to_uppercase();
        use EventField::*;
        let mapping = EventMapping {
            columns: vec![
                Some(Customer),
                Some(Touchpoint),
                Some(Stage),
                Some(At),
                None,
                Some(Outcome),
            ],
            touchpoint: None,
        };
        let now = 1_788_220_800_000;
        let event = |cells: &[&str]| {
            let input = mapping.row(cells).unwrap();
            names.resolve(input).check(&places, now)
        };
        let by_title = event(&[" c1 ", &title, "", "2026-08-30", "x", "converted"]).unwrap();
        assert_eq!(by_title.customer, "c1");
        assert_eq!(
            (by_title.step.card, by_title.step.stage),
            (Some(card.id), stage.id)
        );
        assert_eq!(by_title.step.outcome, "converted");
        let by_stage_name = event(&["c2", "", stage.name.as_str(), "", "", ""]).unwrap();
        assert_eq!(
            (by_stage_name.step.card, by_stage_name.step.stage),
            (None, stage.id)
        );
        assert_eq!(by_stage_name.step.at, now, "no time: now");
        let by_id = event(&["c3", &card.id.to_string(), "", "", "", ""]).unwrap();
        assert_eq!(by_id.step.card, Some(card.id));
        let refused = |cells: &[&str]| event(cells).unwrap_err().field;
        assert_eq!(refused(&["", &title, "", "", "", ""]), "customer");
        assert_eq!(refused(&["c4", "Nowhere", "", "", "", ""]), "touchpoint");
        assert_eq!(refused(&["c4", "", "", "", "", ""]), "touchpoint");
        assert_eq!(refused(&["c4", "", "No such stage", "", "", ""]), "stage");
        assert_eq!(refused(&["c4", &title, "", "someday", "", ""]), "at");

        let every_row = EventMapping {
            columns: vec![Some(Customer)],
            touchpoint: Some(card.id),
        };
        let input = every_row.row(&["c5"]).unwrap();
        assert_eq!(input.touchpoint, Some(card.id.to_string()));
    }
}
