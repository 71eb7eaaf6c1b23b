//! Customer feedback on touchpoints: what a touchpoint asks (its survey), one customer's answers
//! (a response, checked on arrival), and the summaries of many responses.
//!
//! Summaries are built from `Tally`s: counts per score plus comment counts. The server keeps a
//! tally per touchpoint and day, so any summary is a sum of tallies, however many responses
//! lie behind it. The statistics themselves are in `domain::stats`.

use serde::{Deserialize, Serialize};

use crate::domain::ids::CardId;
use crate::domain::lenient;
use crate::domain::stats::{self, Confidence, Estimate};
use crate::domain::text::{FieldError, Name};
use crate::domain::time::Millis;

/// Longest comment a respondent may leave, in characters.
pub const MAX_COMMENT_CHARS: usize = 2_000;
/// Longest channel or segment label, in characters.
pub const MAX_LABEL_CHARS: usize = 60;
/// Longest respondent reference (an id in the team's CRM, say), in characters.
pub const MAX_RESPONDENT_CHARS: usize = 200;
/// Most themes a map can define, and keywords per theme.
pub const MAX_THEMES: usize = 30;
pub const MAX_KEYWORDS: usize = 30;

pub use crate::domain::time::{day_of, Day};
use crate::domain::time::{format_day, month_start, parse_time, week_start, MILLIS_PER_DAY};

/// Responses dated before 2000-01-01 are refused as typos.
const EARLIEST: Millis = 946_684_800_000;

/// What a touchpoint asks its customers. Each question is asked when it has wording.
/// Invariant (checked by `Survey::new`, which deserializing goes through too): at least one
/// question or the comment box.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "SurveyFields")]
pub struct Survey {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nps: Option<Name>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csat: Option<Name>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ces: Option<Name>,
    /// The prompt above the comment box; no box without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<Name>,
}

/// A survey as it arrives, before its check.
#[derive(Deserialize)]
struct SurveyFields {
    #[serde(default)]
    nps: Option<Name>,
    #[serde(default)]
    csat: Option<Name>,
    #[serde(default)]
    ces: Option<Name>,
    #[serde(default)]
    comment: Option<Name>,
}

impl TryFrom<SurveyFields> for Survey {
    type Error = FieldError;
    fn try_from(raw: SurveyFields) -> Result<Survey, FieldError> {
        Survey::new(raw.nps, raw.csat, raw.ces, raw.comment)
    }
}

impl Survey {
    pub fn new(
        nps: Option<Name>,
        csat: Option<Name>,
        ces: Option<Name>,
        comment: Option<Name>,
    ) -> Result<Survey, FieldError> {
        if nps.is_none() && csat.is_none() && ces.is_none() && comment.is_none() {
            return Err(FieldError::new(
                "a survey asks at least one question or offers a comment box",
            ));
        }
        Ok(Survey {
            nps,
            csat,
            ces,
            comment,
        })
    }

    /// The questions a new survey starts with, worded for the touchpoint `about`.
    pub fn default_for(about: &str) -> Survey {
        let about = about.lines().next().unwrap_or("").trim();
        let about: String = about.chars().take(80).collect();
        let about = if about.is_empty() {
            "this".to_owned()
        } else {
            about
        };
        let name = |text: String| Name::parse(&text).ok();
        Survey {
            nps: name("How likely are you to recommend us to a friend or colleague?".into()),
            csat: name(format!("How satisfied were you with “{about}”?")),
            ces: None,
            comment: name("Anything you would like to tell us?".into()),
        }
    }
}

/// A theme the team looks for in comments, like "Delivery": comments mentioning any keyword.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Theme {
    pub name: Name,
    pub keywords: Vec<Name>,
}

/// How a map's feedback is summarised. Part of the map, so it is edited, synced and exported
/// like the rest of it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FeedbackSettings {
    /// Below this many answers a score is hidden and only the count is shown.
    #[serde(default = "default_minimum")]
    pub minimum: u32,
    /// Below this many comments on a touchpoint no comment is shown (anonymity).
    #[serde(default = "default_comment_minimum")]
    pub comment_minimum: u32,
    #[serde(default)]
    pub themes: Vec<Theme>,
}

fn default_minimum() -> u32 {
    stats::DEFAULT_MINIMUM as u32
}

fn default_comment_minimum() -> u32 {
    stats::DEFAULT_COMMENT_MINIMUM as u32
}

impl Default for FeedbackSettings {
    fn default() -> FeedbackSettings {
        FeedbackSettings {
            minimum: default_minimum(),
            comment_minimum: default_comment_minimum(),
            themes: Vec::new(),
        }
    }
}

impl FeedbackSettings {
    pub fn check(&self) -> Result<(), FieldError> {
        if !(1..=10_000).contains(&self.minimum) || !(1..=10_000).contains(&self.comment_minimum) {
            return Err(FieldError::new("a minimum is between 1 and 10000"));
        }
        if self.themes.len() > MAX_THEMES {
            return Err(FieldError::new(format!("at most {MAX_THEMES} themes")));
        }
        if self.themes.iter().any(|t| t.keywords.len() > MAX_KEYWORDS) {
            return Err(FieldError::new(format!(
                "a theme has at most {MAX_KEYWORDS} keywords"
            )));
        }
        Ok(())
    }
}

/// Where a response came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Form,
    Api,
    Csv,
}

impl Source {
    pub fn key(self) -> &'static str {
        match self {
            Source::Form => "form",
            Source::Api => "api",
            Source::Csv => "csv",
        }
    }

    pub fn from_key(key: &str) -> Option<Source> {
        [Source::Form, Source::Api, Source::Csv]
            .into_iter()
            .find(|s| s.key() == key)
    }
}

/// One customer's answers about one touchpoint, as submitted: unchecked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseInput {
    /// The touchpoint (card) answered about.
    pub touchpoint: String,
    /// When the customer answered, RFC 3339 or milliseconds since the epoch; absent: now.
    #[serde(default)]
    pub at: Option<When>,
    #[serde(default)]
    pub nps: Option<i64>,
    #[serde(default)]
    pub csat: Option<i64>,
    #[serde(default)]
    pub ces: Option<i64>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub segment: Option<String>,
    #[serde(default)]
    pub respondent: Option<String>,
}

/// A timestamp as clients send it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum When {
    Millis(i64),
    Text(String),
}

/// A checked response, ready to store. Deserializing checks what can be checked without the
/// map and the clock (scores in range, lengths, a score or a comment); `ResponseInput::check`
/// does the rest where a response first arrives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ResponseFields")]
pub struct Response {
    pub touchpoint: CardId,
    pub at: Millis,
    pub nps: Option<u8>,
    pub csat: Option<u8>,
    pub ces: Option<u8>,
    pub comment: Option<String>,
    /// Empty when not given (kept as text so filters and tallies need no NULL cases).
    pub channel: String,
    pub segment: String,
    pub respondent: Option<String>,
}

/// A response as it arrives in a map file or over the wire, before its checks.
#[derive(Deserialize)]
struct ResponseFields {
    touchpoint: CardId,
    at: Millis,
    nps: Option<u8>,
    csat: Option<u8>,
    ces: Option<u8>,
    comment: Option<String>,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    segment: String,
    #[serde(default)]
    respondent: Option<String>,
}

impl TryFrom<ResponseFields> for Response {
    type Error = ResponseError;
    fn try_from(raw: ResponseFields) -> Result<Response, ResponseError> {
        let wide = |v: Option<u8>| v.map(i64::from);
        let input = ResponseInput {
            touchpoint: raw.touchpoint.to_string(),
            at: Some(When::Millis(raw.at)),
            nps: wide(raw.nps),
            csat: wide(raw.csat),
            ces: wide(raw.ces),
            comment: raw.comment,
            channel: Some(raw.channel),
            segment: Some(raw.segment),
            respondent: raw.respondent,
        };
        // Any card and any time: the map and the clock are checked where those are known.
        input.check(|id| id.parse().ok(), Millis::MAX - MILLIS_PER_DAY)
    }
}

/// Why a response was refused; the message names the field and the rule.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{field}: {message}")]
pub struct ResponseError {
    pub field: String,
    pub message: String,
}

pub(crate) fn refuse(field: &str, message: impl Into<String>) -> ResponseError {
    ResponseError {
        field: field.to_owned(),
        message: message.into(),
    }
}

impl ResponseInput {
    /// Checks every field. `touchpoint` resolves the touchpoint reference (an id, or for CSV a
    /// card's text) to a card of the map; `now` dates responses that carry no time and bounds
    /// those that do.
    pub fn check(
        self,
        touchpoint: impl Fn(&str) -> Option<CardId>,
        now: Millis,
    ) -> Result<Response, ResponseError> {
        let card = touchpoint(self.touchpoint.trim())
            .ok_or_else(|| refuse("touchpoint", "no such touchpoint on this map"))?;
        let at = checked_time(self.at, now)?;
        let nps = score("nps", self.nps, 0, 10)?;
        let csat = score("csat", self.csat, 1, 5)?;
        let ces = score("ces", self.ces, 1, 7)?;
        let comment = self
            .comment
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty());
        if let Some(comment) = &comment {
            let chars = comment.chars().count();
            if chars > MAX_COMMENT_CHARS {
                return Err(refuse(
                    "comment",
                    format!("at most {MAX_COMMENT_CHARS} characters (this one has {chars})"),
                ));
            }
        }
        if nps.is_none() && csat.is_none() && ces.is_none() && comment.is_none() {
            return Err(refuse(
                "nps",
                "a response needs a score (nps, csat or ces) or a comment",
            ));
        }
        Ok(Response {
            touchpoint: card,
            at,
            nps,
            csat,
            ces,
            comment,
            channel: label("channel", self.channel, MAX_LABEL_CHARS)?.unwrap_or_default(),
            segment: label("segment", self.segment, MAX_LABEL_CHARS)?.unwrap_or_default(),
            respondent: label("respondent", self.respondent, MAX_RESPONDENT_CHARS)?,
        })
    }
}

/// When something happened, as a client sent it (`None`: now), checked against `now`: a day
/// ahead is allowed for clocks that are off, and nothing before 2000 (a typo).
pub(crate) fn checked_time(at: Option<When>, now: Millis) -> Result<Millis, ResponseError> {
    let at = match at {
        None => now,
        Some(When::Millis(ms)) => ms,
        Some(When::Text(text)) => parse_time(&text)
            .ok_or_else(|| refuse("at", format!("{text:?} is not a date or time")))?,
    };
    if at < EARLIEST || at > now + MILLIS_PER_DAY {
        return Err(refuse("at", "the time is before 2000 or in the future"));
    }
    Ok(at)
}

fn score(
    field: &str,
    value: Option<i64>,
    low: i64,
    high: i64,
) -> Result<Option<u8>, ResponseError> {
    match value {
        None => Ok(None),
        Some(v) if (low..=high).contains(&v) => Ok(Some(v as u8)),
        Some(v) => Err(refuse(
            field,
            format!("{v} is out of range; the score is a whole number from {low} to {high}"),
        )),
    }
}

pub(crate) fn label(
    field: &str,
    value: Option<String>,
    max: usize,
) -> Result<Option<String>, ResponseError> {
    let Some(value) = value else { return Ok(None) };
    let value: String = value
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let chars = value.chars().count();
    if chars > max {
        return Err(refuse(
            field,
            format!("at most {max} characters (this one has {chars})"),
        ));
    }
    Ok((!value.is_empty()).then_some(value))
}

/// Counts of answers per score and of comments: the unit summaries are added from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub responses: u64,
    pub comments: u64,
    /// Comments whose sentiment is negative.
    pub negative: u64,
    pub nps: stats::NpsHistogram,
    pub csat: stats::CsatHistogram,
    pub ces: stats::CesHistogram,
}

impl Tally {
    /// Counts one response; `negative` says whether its comment reads negative.
    pub fn record(&mut self, response: &Response, negative: bool) {
        self.responses += 1;
        if response.comment.is_some() {
            self.comments += 1;
            self.negative += u64::from(negative);
        }
        // Scores were range-checked on arrival; a bad index is skipped, never a panic.
        if let Some(slot) = response.nps.and_then(|s| self.nps.get_mut(usize::from(s))) {
            *slot += 1;
        }
        if let Some(slot) = response
            .csat
            .and_then(|s| self.csat.get_mut(usize::from(s) - 1))
        {
            *slot += 1;
        }
        if let Some(slot) = response
            .ces
            .and_then(|s| self.ces.get_mut(usize::from(s) - 1))
        {
            *slot += 1;
        }
    }

    pub fn add(&mut self, other: &Tally) {
        self.responses += other.responses;
        self.comments += other.comments;
        self.negative += other.negative;
        for (a, b) in self.nps.iter_mut().zip(other.nps) {
            *a += b;
        }
        for (a, b) in self.csat.iter_mut().zip(other.csat) {
            *a += b;
        }
        for (a, b) in self.ces.iter_mut().zip(other.ces) {
            *a += b;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.responses == 0
    }
}

impl std::iter::Sum<Tally> for Tally {
    fn sum<I: Iterator<Item = Tally>>(iter: I) -> Tally {
        iter.fold(Tally::default(), |mut total, t| {
            total.add(&t);
            total
        })
    }
}

/// The measures a summary reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Nps,
    Csat,
    Ces,
}

impl Metric {
    pub fn label(self) -> &'static str {
        match self {
            Metric::Nps => "NPS",
            Metric::Csat => "CSAT",
            Metric::Ces => "CES",
        }
    }

    /// Where `value` sits between the worst and best possible score, 0.0 to 1.0: for colour
    /// scales and for drawing the measured emotion curve.
    pub fn normalise(self, value: f64) -> f64 {
        let unit = match self {
            Metric::Nps => (value + 100.0) / 200.0,
            Metric::Csat => value / 100.0,
            // CES as in CES 2.0: 1 = very difficult … 7 = very easy, so higher is better.
            Metric::Ces => (value - 1.0) / 6.0,
        };
        unit.clamp(0.0, 1.0)
    }

    /// The value as people write it: "+32", "84%", "5.4".
    pub fn format(self, value: f64) -> String {
        match self {
            Metric::Nps => format!("{value:+.0}"),
            Metric::Csat => format!("{value:.0}%"),
            Metric::Ces => format!("{value:.1}"),
        }
    }
}

/// One measure of a summary. `estimate` is absent below the minimum sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Score {
    pub metric: Metric,
    pub n: u64,
    pub confidence: Confidence,
    pub estimate: Option<Estimate>,
}

impl Score {
    fn new(metric: Metric, estimate: Option<Estimate>, minimum: u64) -> Option<Score> {
        let estimate = estimate?;
        let confidence = stats::confidence(estimate.n(), minimum);
        Some(Score {
            metric,
            n: estimate.n(),
            confidence,
            estimate: (confidence != Confidence::Hidden).then_some(estimate),
        })
    }

    /// The value, when shown.
    pub fn value(&self) -> Option<f64> {
        self.estimate.map(|e| e.value())
    }
}

/// What the map shows about a set of responses: a touchpoint's, a stage's, or the map's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub responses: u64,
    pub comments: u64,
    pub negative: u64,
    // Each score decodes on its own: one the browser cannot read is shown as absent, and the
    // rest of the summary (and of the map's) still shows.
    #[serde(default, deserialize_with = "lenient::optional")]
    pub nps: Option<Score>,
    #[serde(default, deserialize_with = "lenient::optional")]
    pub csat: Option<Score>,
    /// CSAT's mean score (1–5), secondary to the percentage.
    #[serde(default, deserialize_with = "lenient::optional")]
    pub csat_mean: Option<Score>,
    #[serde(default, deserialize_with = "lenient::optional")]
    pub ces: Option<Score>,
    /// The counts per score; absent below the minimum, like the scores.
    #[serde(default, deserialize_with = "lenient::optional")]
    pub distribution: Option<Tally>,
}

impl Summary {
    pub fn new(tally: &Tally, minimum: u64) -> Summary {
        let shown = tally.responses >= minimum;
        Summary {
            responses: tally.responses,
            comments: tally.comments,
            negative: tally.negative,
            nps: Score::new(Metric::Nps, stats::nps(&tally.nps), minimum),
            csat: Score::new(Metric::Csat, stats::csat(&tally.csat), minimum),
            csat_mean: Score::new(Metric::Csat, stats::csat_mean(&tally.csat), minimum),
            ces: Score::new(Metric::Ces, stats::ces(&tally.ces), minimum),
            distribution: shown.then(|| tally.clone()),
        }
    }

    /// The score a card shows: NPS where asked, else CSAT, else CES.
    pub fn headline(&self) -> Option<&Score> {
        self.score(Metric::Nps)
            .or_else(|| self.score(Metric::Csat))
            .or_else(|| self.score(Metric::Ces))
    }

    pub fn score(&self, metric: Metric) -> Option<&Score> {
        match metric {
            Metric::Nps => self.nps.as_ref(),
            Metric::Csat => self.csat.as_ref(),
            Metric::Ces => self.ces.as_ref(),
        }
    }

    /// The share of comments that read negative, in percent, when there are comments.
    pub fn negative_share(&self) -> Option<f64> {
        (self.comments > 0).then(|| self.negative as f64 / self.comments as f64 * 100.0)
    }
}

/// Trends are shown by week (Monday to Sunday) or by calendar month.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    #[default]
    Week,
    Month,
}

impl Period {
    /// The first day of the week or month `day` falls in.
    pub fn start(self, day: Day) -> Day {
        match self {
            Period::Week => week_start(day),
            Period::Month => month_start(day),
        }
    }

    /// "Week of 2026-11-23" or "2026-11".
    pub fn label(self, start: Day) -> String {
        match self {
            Period::Week => format!("Week of {}", format_day(start)),
            Period::Month => format_day(start).chars().take(7).collect(),
        }
    }
}

/// Which way a score moved between the last two periods, shown only when significant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Up,
    Down,
}

/// One period of a trend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrendPoint {
    pub start: Day,
    pub label: String,
    pub summary: Summary,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    pub period: Period,
    pub points: Vec<TrendPoint>,
    /// The headline's significant change from the second-last period to the last, if any.
    pub direction: Option<Direction>,
}

/// Buckets per-day tallies into periods, oldest first, and tests the last change.
pub fn trend(days: &[(Day, Tally)], period: Period, minimum: u64) -> Trend {
    let mut buckets: std::collections::BTreeMap<Day, Tally> = Default::default();
    for (day, tally) in days {
        buckets.entry(period.start(*day)).or_default().add(tally);
    }
    let points: Vec<TrendPoint> = buckets
        .into_iter()
        .map(|(start, tally)| TrendPoint {
            start,
            label: period.label(start),
            summary: Summary::new(&tally, minimum),
        })
        .collect();
    let direction = match points.as_slice() {
        [.., before, last] => change(&before.summary, &last.summary),
        _ => None,
    };
    Trend {
        period,
        points,
        direction,
    }
}

/// The significant change of the headline metric from `before` to `after`, if any.
pub fn change(before: &Summary, after: &Summary) -> Option<Direction> {
    let metric = after.headline()?.metric;
    let a = before.score(metric)?.estimate?;
    let b = after.score(metric)?.estimate?;
    if !stats::differs(&a, &b) {
        return None;
    }
    Some(if b.value() > a.value() {
        Direction::Up
    } else {
        Direction::Down
    })
}

/// Pain points found from data: touchpoints whose headline score is significantly below the
/// rest of the map's (the touchpoint itself left out, so the two samples are independent).
pub fn pain_points(touchpoints: &[(CardId, Tally)], minimum: u64) -> Vec<CardId> {
    let total: Tally = touchpoints.iter().map(|(_, t)| t.clone()).sum();
    touchpoints
        .iter()
        .filter(|(_, tally)| {
            let mine = Summary::new(tally, minimum);
            let Some(metric) = mine.headline().map(|s| s.metric) else {
                return false;
            };
            let mut rest = total.clone();
            subtract(&mut rest, tally);
            let rest = Summary::new(&rest, minimum);
            let (Some(a), Some(b)) = (
                mine.score(metric).and_then(|s| s.estimate),
                rest.score(metric).and_then(|s| s.estimate),
            ) else {
                return false;
            };
            a.value() < b.value() && stats::differs(&a, &b)
        })
        .map(|(id, _)| *id)
        .collect()
}

fn subtract(total: &mut Tally, part: &Tally) {
    total.responses -= part.responses;
    total.comments -= part.comments;
    total.negative -= part.negative;
    for (a, b) in total.nps.iter_mut().zip(part.nps) {
        *a -= b;
    }
    for (a, b) in total.csat.iter_mut().zip(part.csat) {
        *a -= b;
    }
    for (a, b) in total.ces.iter_mut().zip(part.ces) {
        *a -= b;
    }
}

#[cfg(test)]
mod tests;
