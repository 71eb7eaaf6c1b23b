//! Server functions for customer feedback: summaries for the map and for one touchpoint, the
//! inbox of responses, public form links and API keys.
//!
//! Responses arrive elsewhere: through the public form (`/f/{token}`), the JSON API
//! (`/api/v1/…`) and CSV import, which are plain HTTP routes in the `server` crate.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::api::error::AppError;
use crate::domain::feedback::{Day, Period, Response, Source, Summary, Trend};
use crate::domain::ids::{ApiKeyId, CardId, MapId, StageId};
use crate::domain::journey::Funnel;
use crate::domain::lenient;
use crate::domain::time::Millis;

/// Responses per inbox page.
pub const INBOX_PAGE: usize = 50;

/// Which responses a summary counts. Days are inclusive; empty labels mean "any".
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Filter {
    pub from: Option<Day>,
    pub to: Option<Day>,
    pub channel: Option<String>,
    pub segment: Option<String>,
}

impl Filter {
    /// Whether the filter keeps everything (the server then reads its running totals).
    pub fn is_everything(&self) -> bool {
        *self == Filter::default()
    }

    /// The days just before this filter's date range, as many as it spans, under the same
    /// channel and segment: the period to compare it with. `None` without both ends of a range.
    pub fn period_before(&self) -> Option<Filter> {
        let (from, to) = (self.from?, self.to?);
        let days = (to - from + 1).max(1);
        Some(Filter {
            from: Some(from - days),
            to: Some(from - 1),
            ..self.clone()
        })
    }
}

/// The feedback shown across a map.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MapFeedback {
    pub minimum: u64,
    pub map: Summary,
    // A stage or touchpoint whose summary does not decode is left out alone (see
    // `domain::lenient`): one odd touchpoint must never blank the whole map.
    #[serde(deserialize_with = "lenient::entries")]
    pub stages: Vec<(StageId, Summary)>,
    #[serde(deserialize_with = "lenient::entries")]
    pub touchpoints: Vec<(CardId, Summary)>,
    /// Touchpoints scoring significantly below the rest of the map.
    pub pain_points: Vec<CardId>,
    /// The channels and segments responses carry, for the filters.
    pub channels: Vec<String>,
    pub segments: Vec<String>,
    /// What customers did (journey analytics) under the same filter; absent when no events
    /// were sent, and through share links.
    #[serde(default, deserialize_with = "lenient::optional")]
    pub funnel: Option<Funnel>,
}

impl MapFeedback {
    pub fn touchpoint(&self, card: CardId) -> Option<&Summary> {
        self.touchpoints
            .iter()
            .find(|(id, _)| *id == card)
            .map(|(_, s)| s)
    }

    pub fn stage(&self, stage: StageId) -> Option<&Summary> {
        self.stages
            .iter()
            .find(|(id, _)| *id == stage)
            .map(|(_, s)| s)
    }

    /// Each of `targets` against these figures.
    pub fn assess(
        &self,
        targets: &[crate::domain::targets::Target],
    ) -> Vec<crate::domain::targets::Assessment> {
        use crate::domain::targets::{assess, Figures};
        let figures = Figures {
            map: &self.map,
            stages: &self.stages,
            funnel: self.funnel.as_ref(),
        };
        assess(targets, &figures)
    }
}

/// A comment as the touchpoint panel shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Quote {
    pub at: Millis,
    pub text: String,
    /// VADER compound score, -1 … 1.
    pub sentiment: f64,
}

/// How many comments mention one of the team's themes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThemeCount {
    pub name: String,
    pub comments: u64,
}

/// Everything the touchpoint panel shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TouchpointFeedback {
    pub summary: Summary,
    pub trend: Trend,
    /// Comments are withheld (all of the below empty) below the anonymity minimum.
    pub comments_shown: bool,
    pub comment_minimum: u64,
    pub themes: Vec<ThemeCount>,
    /// Words and phrases frequent in this touchpoint's comments, with their comment counts.
    pub suggested: Vec<(String, usize)>,
    pub quotes: Vec<Quote>,
    pub latest: Vec<Quote>,
}

impl TouchpointFeedback {
    /// Leaves out customers' own words (the scores stay), for readers who may not see them.
    pub fn withhold_comments(&mut self) {
        self.comments_shown = false;
        self.themes.clear();
        self.suggested.clear();
        self.quotes.clear();
        self.latest.clear();
    }
}

/// One response in the inbox: what the customer said, and what the server knows of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InboxItem {
    pub id: i64,
    #[serde(flatten)]
    pub response: Response,
    pub sentiment: Option<f64>,
    pub source: Source,
    pub followed_up: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InboxPage {
    pub items: Vec<InboxItem>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next: Option<i64>,
}

/// A key for the feedback API. Its secret is shown once, when it is made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub label: String,
    pub created_at: Millis,
    pub last_used_at: Option<Millis>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiKey {
    pub key: ApiKey,
    pub secret: String,
}

/// The answer to a CSV import, `POST /maps/{id}/feedback/import` (a plain route in the `server`
/// crate, since the browser uploads the file with progress events): the server writes it, the
/// Import tab reads it. Which fields are present says what happened; absent ones are left out
/// of the JSON.
///
/// - a check that passed (`dry_run`, 200): `{"checked": 3}`;
/// - an import (200): `{"imported": 3}`;
/// - a refused file (422): `{"error": "…", "rows": 6, "rejected": [{"line": 3, "field": "nps",
///   "message": "…"}, …]}`, with at least one refused row;
/// - any other failure: `{"error": "…"}` (the server's usual error body), or a body that is not
///   JSON at all, which reads as the default (nothing present).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReply {
    /// Rows checked by a dry run, all fine; nothing was stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked: Option<usize>,
    /// Rows imported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported: Option<usize>,
    /// Why nothing was imported, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Rows in the file, when some were refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<usize>,
    /// Every refused row, in file order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rejected: Vec<RefusedRow>,
}

/// A row a CSV import refused, by its line in the file (the header is line 1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedRow {
    pub line: u64,
    /// The response field at fault (`nps`, `touchpoint`, …), or `row` for an unreadable row.
    pub field: String,
    pub message: String,
}

/// A filter from the panel's form values: dates as `YYYY-MM-DD`, blank for none.
pub fn parse_filter(
    from: &str,
    to: &str,
    channel: &str,
    segment: &str,
) -> Result<Filter, AppError> {
    use crate::domain::time::{day_of, parse_time};
    let day = |field: &str, raw: &str| -> Result<Option<Day>, AppError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        parse_time(raw)
            .map(|at| Some(day_of(at)))
            .ok_or_else(|| AppError::Invalid {
                field: field.into(),
                message: "use a date like 2026-11-26".into(),
            })
    };
    let text = |raw: &str| Some(raw.trim().to_owned()).filter(|s| !s.is_empty());
    let filter = Filter {
        from: day("from", from)?,
        to: day("to", to)?,
        channel: text(channel),
        segment: text(segment),
    };
    if let (Some(from), Some(to)) = (filter.from, filter.to) {
        if from > to {
            return Err(AppError::Invalid {
                field: "to".into(),
                message: "the end date is before the start date".into(),
            });
        }
    }
    Ok(filter)
}

/// Checks access for reading a map's feedback: a member with any role, who sees everything a
/// viewer may, or the holder of a live share link to this map, who sees what it discloses.
#[cfg(feature = "ssr")]
pub(crate) async fn may_read(
    map: MapId,
    share: Option<String>,
) -> Result<crate::api::sharing::Disclosure, AppError> {
    use crate::api::ctx::{accounts, authorize, share_grant};
    use crate::api::sharing::{token_field, Disclosure};
    use crate::domain::access::Capability;
    match share {
        None => {
            authorize(map, Capability::View).await?;
            Ok(Disclosure::ALL)
        }
        Some(token) => {
            let opened = accounts()?
                .open_share(token_field(&token)?, share_grant())
                .await?;
            if opened.map == map {
                Ok(opened.shows)
            } else {
                Err(AppError::NotFound)
            }
        }
    }
}

/// Summaries for every touchpoint and stage of a map, and the map as a whole.
#[server(input = Json)]
pub async fn get_map_feedback(
    map: MapId,
    filter: Filter,
    share: Option<String>,
) -> Result<MapFeedback, AppError> {
    use crate::api::ctx::feedback;
    let shows = may_read(map, share).await?;
    let mut summaries = feedback()?.map_feedback(map, filter).await?;
    // Share links and embeds always show the survey scores; the measured funnel stays with the
    // team unless the link's owner chose to show it.
    if !shows.funnel {
        summaries.funnel = None;
    }
    Ok(summaries)
}

/// One touchpoint's scores, trend, sentiment, themes and comments. Through a share link,
/// customers' comments are left out unless the link shows them.
#[server(input = Json)]
pub async fn get_touchpoint_feedback(
    map: MapId,
    card: CardId,
    filter: Filter,
    period: Period,
    share: Option<String>,
) -> Result<TouchpointFeedback, AppError> {
    use crate::api::ctx::feedback;
    let shows = may_read(map, share).await?;
    let mut detail = feedback()?.touchpoint(map, card, filter, period).await?;
    if !shows.customer_comments {
        detail.withhold_comments();
    }
    Ok(detail)
}

/// The newest responses before `before` (a response id), optionally only unhappy ones.
#[server]
pub async fn feedback_inbox(
    map: MapId,
    unhappy_only: bool,
    before: Option<i64>,
) -> Result<InboxPage, AppError> {
    use crate::api::ctx::{authorize, feedback};
    use crate::domain::access::Capability;
    authorize(map, Capability::ReadResponses).await?;
    feedback()?
        .inbox(map, unhappy_only, before, INBOX_PAGE)
        .await
}

/// Marks a response as followed up (or not).
#[server]
pub async fn set_followed_up(map: MapId, response: i64, done: bool) -> Result<(), AppError> {
    use crate::api::ctx::{authorize, feedback};
    use crate::domain::access::Capability;
    authorize(map, Capability::ReadResponses).await?;
    feedback()?.set_followed_up(map, response, done).await
}

/// The token of a touchpoint's public form (made on first request); `renew` replaces it, so
/// links and QR codes already handed out stop working.
#[server]
pub async fn form_token(map: MapId, card: CardId, renew: bool) -> Result<String, AppError> {
    use crate::api::ctx::{authorize, feedback};
    use crate::domain::access::Capability;
    authorize(map, Capability::CollectFeedback).await?;
    feedback()?.form_token(map, card, renew).await
}

#[server]
pub async fn api_keys(map: MapId) -> Result<Vec<ApiKey>, AppError> {
    use crate::api::ctx::{authorize, feedback};
    use crate::domain::access::Capability;
    authorize(map, Capability::CollectFeedback).await?;
    feedback()?.api_keys(map).await
}

#[server]
pub async fn create_api_key(map: MapId, label: String) -> Result<NewApiKey, AppError> {
    use crate::api::audit::Action;
    use crate::api::ctx::{authorize, feedback, record, AuditEvent};
    use crate::domain::access::Capability;
    use crate::domain::text::Name;
    let (by, _) = authorize(map, Capability::CollectFeedback).await?;
    let label = Name::parse(&label).map_err(|e| AppError::invalid("label", e))?;
    let made = feedback()?.create_api_key(map, by.id, label).await?;
    // The key's id and label; never its secret.
    let event = AuditEvent::by_caller(Action::ApiKeyCreated).on_map(map);
    record(
        event
            .target(made.key.id.to_string())
            .detail(made.key.label.clone()),
    )
    .await;
    Ok(made)
}

#[server]
pub async fn revoke_api_key(map: MapId, key: ApiKeyId) -> Result<(), AppError> {
    use crate::api::audit::Action;
    use crate::api::ctx::{authorize, feedback, record, AuditEvent};
    use crate::domain::access::Capability;
    authorize(map, Capability::CollectFeedback).await?;
    feedback()?.revoke_api_key(map, key).await?;
    let event = AuditEvent::by_caller(Action::ApiKeyRevoked).on_map(map);
    record(event.target(key.to_string())).await;
    Ok(())
}

/// What forgetting a customer deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Forgotten {
    pub events: u64,
    pub answers: u64,
}

/// Deletes everything the map holds about one customer, by the reference the team knows them
/// by (a data subject's request): their journey events and their survey answers sent with it
/// as `respondent`. The map's owner only.
#[server]
pub async fn forget_customer(map: MapId, reference: String) -> Result<Forgotten, AppError> {
    use crate::api::audit::Action;
    use crate::api::ctx::{authorize, feedback, record, AuditEvent};
    use crate::domain::access::Capability;
    use crate::domain::text::FieldError;
    authorize(map, Capability::Delete).await?;
    let reference = reference.trim();
    let chars = reference.chars().count();
    if chars == 0 || chars > crate::domain::journey::MAX_CUSTOMER_CHARS {
        let message = format!(
            "give the customer's reference, up to {} characters",
            crate::domain::journey::MAX_CUSTOMER_CHARS
        );
        return Err(AppError::invalid("reference", FieldError::new(message)));
    }
    let gone = feedback()?
        .forget_customer(map, reference.to_owned())
        .await?;
    // What went, not whom: the reference is the very data that was asked to be forgotten.
    let detail = format!("{} events, {} answers", gone.events, gone.answers);
    let event = AuditEvent::by_caller(Action::CustomerForgotten).on_map(map);
    record(event.detail(detail)).await;
    Ok(gone)
}

/// Longest a map may keep journey events, in days (ten years).
pub const MAX_RETENTION_DAYS: u32 = 3_650;

/// How many days the map keeps journey events (`None`: forever). The map's owner only.
#[server]
pub async fn event_retention(map: MapId) -> Result<Option<u32>, AppError> {
    use crate::api::ctx::{authorize, feedback};
    use crate::domain::access::Capability;
    authorize(map, Capability::Delete).await?;
    feedback()?.event_retention(map).await
}

/// Keeps the map's journey events `days` days (`None`: forever): older ones are deleted now
/// and every hour from now on, while the counts on the map stay. Returns how many customers'
/// events were deleted now. The map's owner only.
#[server]
pub async fn set_event_retention(map: MapId, days: Option<u32>) -> Result<u64, AppError> {
    use crate::api::audit::Action;
    use crate::api::ctx::{authorize, feedback, record, AuditEvent};
    use crate::domain::access::Capability;
    use crate::domain::text::FieldError;
    authorize(map, Capability::Delete).await?;
    if days.is_some_and(|d| d == 0 || d > MAX_RETENTION_DAYS) {
        let message =
            format!("keep events 1 to {MAX_RETENTION_DAYS} days, or leave it empty to keep them");
        return Err(AppError::invalid("days", FieldError::new(message)));
    }
    let deleted = feedback()?.set_event_retention(map, days).await?;
    let detail = days.map_or_else(
        || "keep events for ever".to_owned(),
        |d| format!("{d} days"),
    );
    let event = AuditEvent::by_caller(Action::RetentionChanged).on_map(map);
    record(event.detail(detail)).await;
    Ok(deleted)
}

/// What the public form shows: the touchpoint's name and its survey, nothing else of the map.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicForm {
    pub touchpoint: String,
    pub survey: crate::domain::feedback::Survey,
}

/// The form behind a public token; `NotFound` when the token is unknown or the touchpoint no
/// longer collects feedback.
#[server]
pub async fn get_public_form(token: String) -> Result<PublicForm, AppError> {
    use crate::api::ctx::feedback;
    use crate::domain::account::FormToken;
    let token = FormToken::parse(&token).ok_or(AppError::NotFound)?;
    feedback()?.public_form(token).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_period_before_spans_as_many_days() {
        let september = Filter {
            from: Some(100),
            to: Some(129),
            channel: Some("web".into()),
            segment: None,
        };
        let august = september.period_before().unwrap();
        assert_eq!((august.from, august.to), (Some(70), Some(99)));
        assert_eq!(august.channel.as_deref(), Some("web"));
        let one_day = Filter {
            from: Some(5),
            to: Some(5),
            ..Filter::default()
        };
        assert_eq!(one_day.period_before().unwrap().from, Some(4));
        assert_eq!(Filter::default().period_before(), None);
        let open = Filter {
            from: Some(5),
            ..Filter::default()
        };
        assert_eq!(open.period_before(), None);
    }

    #[test]
    fn import_replies_keep_their_wire_shape() {
        let json = |reply: &ImportReply| serde_json::to_value(reply).unwrap();
        let checked = ImportReply {
            checked: Some(3),
            ..ImportReply::default()
        };
        assert_eq!(json(&checked), json!({ "checked": 3 }));
        let refused = ImportReply {
            error: Some("1 of 6 rows were refused; nothing was imported".into()),
            rows: Some(6),
            rejected: vec![RefusedRow {
                line: 3,
                field: "nps".into(),
                message: "must be 0 to 10".into(),
            }],
            ..ImportReply::default()
        };
        let wire = json!({
            "error": "1 of 6 rows were refused; nothing was imported",
            "rows": 6,
            "rejected": [{ "line": 3, "field": "nps", "message": "must be 0 to 10" }],
        });
        assert_eq!(json(&refused), wire);
        assert_eq!(
            serde_json::from_value::<ImportReply>(wire).ok(),
            Some(refused)
        );
        // The server's usual error body reads as a reply with only its error.
        let failed: Option<ImportReply> =
            serde_json::from_value(json!({ "error": "choose a CSV file" })).ok();
        assert_eq!(
            failed.and_then(|r| r.error),
            Some("choose a CSV file".to_owned())
        );
    }
}
