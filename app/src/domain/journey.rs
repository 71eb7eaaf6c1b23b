//! Journey analytics: what customers did, measured on the stages and touchpoints of a map.
//!
//! A customer's **path** is the list of their events (`Step`s) in time order. Everything shown
//! on the map is a count of customers (or of moves between touchpoints) that a path
//! `contributes`, filed under a **cohort**: the day, channel and segment of the step the count
//! starts from. So a summary over a date range or a channel is a sum of stored counts, and a
//! path that changes (a late event, a customer forgotten) changes the counts by the difference
//! of its contributions before and after, never by a rescan.
//!
//! The measures, for a stage `s` and a later stage `t` (in time, not only in map order):
//! - **customers**: each path once, filed under its first step;
//! - **reach** of `s`: customers with any step in `s`, filed under their first such step;
//! - **converted** `s → t`: customers who reached `s` and have a step in `t` at or after their
//!   first step in `s`, filed under that first step in `s`; so a date range counts the
//!   customers who first reached `s` in it, and how many of *them* went on (a cohort);
//! - **gap** `s → t`: the time from the first step in `s` to the first step in `t` after it, as
//!   a count in one of `GAP_BUCKETS` log-spaced buckets (median and 90th percentile within
//!   `GAP_ERROR` of the exact figure);
//! - **touch** of a card: customers with a step at it, filed under their first;
//! - **next** `a → b`: a customer's step at card `b` right after one at card `a` (stage-only
//!   steps in between are skipped, a repeat of the same card is not a move);
//! - **outcome** `o` in stage `s`: customers with a step in `s` carrying outcome `o`.
//!
//! The funnel reads the measures in the map's current stage order, so reordering stages never
//! needs a recount; a step stays in the stage its touchpoint was in when it arrived.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::domain::feedback::{
    checked_time, label, refuse, Direction, ResponseError, When, MAX_LABEL_CHARS,
};
use crate::domain::ids::{CardId, StageId};
use crate::domain::map::JourneyMap;
use crate::domain::stats::{self, Estimate};
use crate::domain::time::{day_of, Day, Millis};

/// Longest customer reference, in characters (an id in the team's CRM or analytics tool).
pub const MAX_CUSTOMER_CHARS: usize = 200;
/// Most steps kept per customer: a path longer than this is a bot or a bug, and every event
/// costs its customer's whole path in work.
pub const MAX_STEPS: usize = 1_000;
/// Each gap bucket past the first spans this factor of time.
const GAP_GROWTH: f64 = 1.1;
/// Gap buckets: 0 holds under a second, bucket `k` seconds in `[1.1^(k-1), 1.1^k)`; the last
/// reaches past 30 years.
pub const GAP_BUCKETS: u16 = 220;
/// How far a median or percentile read from the buckets may be from the exact one (relative):
/// each bucket's figure is its geometric middle, at most `√1.1 - 1` from either end.
pub const GAP_ERROR: f64 = 0.0489;

/// One event as clients send it.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    /// The sender's reference for the customer; stored only as a keyed hash.
    pub customer: String,
    /// The touchpoint (card) the event happened at; or, for a stage-level event, `stage`.
    #[serde(default)]
    pub touchpoint: Option<String>,
    #[serde(default)]
    pub stage: Option<String>,
    /// When it happened, RFC 3339 or milliseconds since the epoch; absent: now.
    #[serde(default)]
    pub at: Option<When>,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub segment: Option<String>,
    /// What the step came to, e.g. `converted` or `abandoned`.
    #[serde(default)]
    pub outcome: Option<String>,
}

/// A checked event: the customer reference (still raw; the server hashes it) and the step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub customer: String,
    pub step: Step,
}

/// One event of a customer's path. Ordered by time first, so a sorted path is in time order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Step {
    pub at: Millis,
    pub stage: StageId,
    pub card: Option<CardId>,
    /// Empty when not given, as for feedback responses.
    pub channel: String,
    pub segment: String,
    pub outcome: String,
}

/// Where events may happen on a map: its stages and its cards with their stages.
pub struct Places {
    stages: HashSet<StageId>,
    cards: HashMap<CardId, StageId>,
    /// How many days the map keeps events, if not forever.
    retention: Option<u32>,
}

impl Places {
    pub fn of(map: &JourneyMap) -> Places {
        Places {
            stages: map.stages().iter().map(|s| s.id).collect(),
            cards: map.cards().iter().map(|c| (c.id, c.stage)).collect(),
            retention: None,
        }
    }

    /// These places on a map that keeps events `days` days: older events are refused, as
    /// they would be deleted at once.
    pub fn keeping(self, days: Option<u32>) -> Places {
        Places {
            retention: days,
            ..self
        }
    }

    fn resolve(
        &self,
        touchpoint: Option<&str>,
        stage: Option<&str>,
    ) -> Result<(StageId, Option<CardId>), ResponseError> {
        let stage = match stage {
            None => None,
            Some(text) => Some(
                text.parse::<StageId>()
                    .ok()
                    .filter(|id| self.stages.contains(id))
                    .ok_or_else(|| refuse("stage", "no such stage on this map"))?,
            ),
        };
        match (touchpoint, stage) {
            (None, None) => Err(refuse(
                "touchpoint",
                "an event needs a touchpoint (a card's id) or a stage (a stage's id)",
            )),
            (None, Some(stage)) => Ok((stage, None)),
            (Some(text), stage) => {
                let card = text.parse::<CardId>().ok();
                let (card, card_stage) = card
                    .and_then(|id| self.cards.get(&id).map(|s| (id, *s)))
                    .ok_or_else(|| refuse("touchpoint", "no such touchpoint on this map"))?;
                if stage.is_some_and(|s| s != card_stage) {
                    return Err(refuse("stage", "the touchpoint is in another stage"));
                }
                Ok((card_stage, Some(card)))
            }
        }
    }
}

impl EventInput {
    /// Checks every field against the map's places; `now` dates events without a time and
    /// bounds those with one.
    pub fn check(self, places: &Places, now: Millis) -> Result<Event, ResponseError> {
        let customer = self.customer.trim();
        let chars = customer.chars().count();
        if chars == 0 {
            return Err(refuse("customer", "an event needs a customer reference"));
        }
        if chars > MAX_CUSTOMER_CHARS {
            return Err(refuse(
                "customer",
                format!("at most {MAX_CUSTOMER_CHARS} characters (this one has {chars})"),
            ));
        }
        let (stage, card) = places.resolve(
            self.touchpoint.as_deref().map(str::trim),
            self.stage.as_deref().map(str::trim),
        )?;
        let at = checked_time(self.at, now)?;
        if let Some(days) = places.retention {
            if at < retention_cutoff(days, now) {
                return Err(refuse(
                    "at",
                    format!("older than this map keeps events ({days} days)"),
                ));
            }
        }
        Ok(Event {
            customer: customer.to_owned(),
            step: Step {
                at,
                stage,
                card,
                channel: label("channel", self.channel, MAX_LABEL_CHARS)?.unwrap_or_default(),
                segment: label("segment", self.segment, MAX_LABEL_CHARS)?.unwrap_or_default(),
                outcome: label("outcome", self.outcome, MAX_LABEL_CHARS)?.unwrap_or_default(),
            },
        })
    }
}

/// A customer's path: their steps in time order.
///
/// On a map that keeps events for a limited time, the steps older than that are deleted but
/// for a **remnant**: the first `remnant` steps, which the counts still need so that a
/// returning customer is not counted twice (their first step overall, in each stage, at each
/// touchpoint and with each outcome, the first step in each stage after their first in each
/// other, and their last touchpoint). Remnant steps count as firsts but never as moves into a
/// touchpoint, since the steps between them are gone (see `expire`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Path {
    pub steps: Vec<Step>,
    pub remnant: usize,
}

impl From<Vec<Step>> for Path {
    fn from(mut steps: Vec<Step>) -> Path {
        steps.sort();
        steps.dedup();
        Path { steps, remnant: 0 }
    }
}

impl Path {
    /// Adds `steps`, skipping any the path already holds (a batch sent again after a lost
    /// answer counts once). Returns how many were added; steps past `MAX_STEPS` are dropped,
    /// the oldest kept.
    pub fn extend(&mut self, steps: impl IntoIterator<Item = Step>) -> usize {
        let mut added = 0;
        for step in steps {
            if self.steps.len() >= MAX_STEPS {
                break;
            }
            if let Err(at) = self.steps.binary_search(&step) {
                self.steps.insert(at, step);
                // A step older than the remnant's last (sent after the map's retention was
                // lengthened) joins it: the steps around it are gone, so it is no move.
                if at < self.remnant {
                    self.remnant += 1;
                }
                added += 1;
            }
        }
        added
    }

    /// Whether `expire(cutoff)` would change the path: it holds steps before `cutoff` besides
    /// its remnant, or nothing after it.
    pub fn expires_by(&self, cutoff: Millis) -> bool {
        let old = self.steps.partition_point(|s| s.at < cutoff);
        old == self.steps.len() || old > self.remnant
    }

    /// The path once the events before `cutoff` are deleted, and what those events counted
    /// that the path no longer does (to be kept apart as counts nobody can take back).
    ///
    /// A customer with nothing left after `cutoff` is no longer recognised (`None`): all the
    /// path counted stays, and should they come back they count as a new customer. Otherwise
    /// the old steps shrink to the remnant, which counts everything they did except the moves
    /// into them; so this path and any later steps count what the whole path would have,
    /// with the returned counts (a property test holds this).
    pub fn expire(&self, cutoff: Millis) -> (Option<Path>, Vec<Change>) {
        if !self.expires_by(cutoff) {
            return (Some(self.clone()), Vec::new());
        }
        let old = self.steps.partition_point(|s| s.at < cutoff);
        if old == self.steps.len() {
            let kept = contributions(self).into_iter().map(|key| (key, 1));
            return (None, kept.collect());
        }
        let prefix = &self.steps[..old];
        let keep = remnant_of(prefix);
        let mut steps: Vec<Step> = keep.iter().map(|&i| prefix[i].clone()).collect();
        steps.extend_from_slice(&self.steps[old..]);
        let shrunk = Path {
            steps,
            remnant: keep.len(),
        };
        let kept = difference(&shrunk, self);
        (Some(shrunk), kept)
    }
}

/// The indices (ascending) of the steps of `prefix` the counts still need: see `Path`.
fn remnant_of(prefix: &[Step]) -> Vec<usize> {
    let mut keep = std::collections::BTreeSet::new();
    let mut stages: HashSet<StageId> = HashSet::new();
    let mut cards: HashSet<CardId> = HashSet::new();
    let mut outcomes: HashSet<(StageId, &str)> = HashSet::new();
    let mut firsts: Vec<&Step> = Vec::new();
    for (i, step) in prefix.iter().enumerate() {
        let first_in_stage = stages.insert(step.stage);
        if first_in_stage {
            firsts.push(step);
        }
        let first_at_card = step.card.is_some_and(|c| cards.insert(c));
        let first_outcome =
            !step.outcome.is_empty() && outcomes.insert((step.stage, &step.outcome));
        if first_in_stage || first_at_card || first_outcome {
            keep.insert(i);
        }
    }
    // The step each conversion ends at, as `contributions` finds it.
    for first in firsts {
        let mut seen: HashSet<StageId> = HashSet::new();
        for (i, later) in prefix.iter().enumerate() {
            if later.at >= first.at && later.stage != first.stage && seen.insert(later.stage) {
                keep.insert(i);
            }
        }
    }
    if let Some(last_card) = prefix.iter().rposition(|s| s.card.is_some()) {
        keep.insert(last_card);
    }
    keep.into_iter().collect()
}

/// The time before which a map keeping events for `days` deletes them, at `now`.
pub fn retention_cutoff(days: u32, now: Millis) -> Millis {
    now.saturating_sub(i64::from(days) * crate::domain::time::MILLIS_PER_DAY)
}

/// What a count measures (see the module's documentation).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Measure {
    /// The customer, filed under their first step.
    Customer,
    Reach {
        stage: StageId,
    },
    Converted {
        from: StageId,
        to: StageId,
    },
    Gap {
        from: StageId,
        to: StageId,
        bucket: u16,
    },
    Touch {
        card: CardId,
    },
    Next {
        from: CardId,
        to: CardId,
    },
    Outcome {
        stage: StageId,
        outcome: String,
    },
}

/// A change to one count: what is counted, under which cohort, by how much.
pub type Change = ((Measure, Cohort), i64);

/// Whom and when a count is filed under: the day, channel and segment of its first step.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cohort {
    pub day: Day,
    pub channel: String,
    pub segment: String,
}

impl Cohort {
    fn of(step: &Step) -> Cohort {
        Cohort {
            day: day_of(step.at),
            channel: step.channel.clone(),
            segment: step.segment.clone(),
        }
    }
}

/// Everything a path adds to the counts, each once.
pub fn contributions(path: &Path) -> Vec<(Measure, Cohort)> {
    let (remnant, path) = (path.remnant, path.steps.as_slice());
    let mut out = Vec::new();
    // First step in each stage, in order of first reach.
    let mut firsts: Vec<&Step> = Vec::new();
    let mut touched: HashSet<CardId> = HashSet::new();
    let mut outcomes: HashSet<(StageId, &str)> = HashSet::new();
    let mut previous_card: Option<(CardId, &Step)> = None;
    if let Some(first) = path.first() {
        out.push((Measure::Customer, Cohort::of(first)));
    }
    for (i, step) in path.iter().enumerate() {
        if !firsts.iter().any(|f| f.stage == step.stage) {
            firsts.push(step);
            out.push((Measure::Reach { stage: step.stage }, Cohort::of(step)));
        }
        if !step.outcome.is_empty() && outcomes.insert((step.stage, &step.outcome)) {
            out.push((
                Measure::Outcome {
                    stage: step.stage,
                    outcome: step.outcome.clone(),
                },
                Cohort::of(step),
            ));
        }
        if let Some(card) = step.card {
            if touched.insert(card) {
                out.push((Measure::Touch { card }, Cohort::of(step)));
            }
            if let Some((from, before)) = previous_card {
                if from != card && i >= remnant {
                    out.push((Measure::Next { from, to: card }, Cohort::of(before)));
                }
            }
            previous_card = Some((card, step));
        }
    }
    // Each stage reached, to each other stage reached at or after it.
    for first in &firsts {
        let mut seen: HashSet<StageId> = HashSet::new();
        for later in path.iter().filter(|s| s.at >= first.at) {
            if later.stage == first.stage || !seen.insert(later.stage) {
                continue;
            }
            let (from, to) = (first.stage, later.stage);
            let cohort = Cohort::of(first);
            let bucket = gap_bucket(later.at - first.at);
            out.push((Measure::Converted { from, to }, cohort.clone()));
            out.push((Measure::Gap { from, to, bucket }, cohort));
        }
    }
    out
}

/// What changes in the counts when a path goes from `before` to `after`: each count's
/// difference, without the ones that do not change.
pub fn difference(before: &Path, after: &Path) -> Vec<Change> {
    // Both sorted and walked side by side: a path's contributions are a few dozen, and the
    // sorting costs less than hashing each key's texts (this runs for every customer of every
    // batch, on the writer).
    let (mut gone, mut came) = (contributions(before), contributions(after));
    gone.sort_unstable();
    came.sort_unstable();
    let (mut gone, mut came) = (gone.into_iter().peekable(), came.into_iter().peekable());
    let mut out: Vec<Change> = Vec::new();
    loop {
        let (key, delta) = match (gone.peek(), came.peek()) {
            (None, None) => break,
            (Some(a), Some(b)) if a == b => {
                came.next();
                (gone.next(), 0)
            }
            (Some(a), Some(b)) if a < b => (gone.next(), -1),
            (Some(_), None) => (gone.next(), -1),
            _ => (came.next(), 1),
        };
        let Some(key) = key else { break };
        match out.last_mut() {
            Some((last, d)) if *last == key => *d += delta,
            _ => out.push((key, delta)),
        }
    }
    out.retain(|(_, d)| *d != 0);
    out
}

/// The bucket of a gap of `ms` milliseconds.
pub fn gap_bucket(ms: Millis) -> u16 {
    if ms < 1_000 {
        return 0;
    }
    let seconds = ms as f64 / 1_000.0;
    let bucket = 1.0 + (seconds.ln() / GAP_GROWTH.ln()).floor();
    // Guard the float against its edges: an exact power of 1.1 may round either way.
    let mut bucket = (bucket as i64).clamp(1, i64::from(GAP_BUCKETS) - 1) as u16;
    while bucket > 1 && seconds < bucket_start(bucket) {
        bucket -= 1;
    }
    while bucket < GAP_BUCKETS - 1 && seconds >= bucket_start(bucket + 1) {
        bucket += 1;
    }
    bucket
}

/// Where bucket `k` (≥ 1) starts, in seconds.
fn bucket_start(bucket: u16) -> f64 {
    GAP_GROWTH.powi(i32::from(bucket) - 1)
}

/// The figure a bucket stands for, in milliseconds: its geometric middle (half a second for
/// the first).
pub fn bucket_millis(bucket: u16) -> Millis {
    if bucket == 0 {
        return 500;
    }
    (bucket_start(bucket) * GAP_GROWTH.sqrt() * 1_000.0).round() as Millis
}

/// The `q`-quantile (0 < q ≤ 1, nearest rank) of gaps counted by bucket.
pub fn quantile(buckets: &BTreeMap<u16, u64>, q: f64) -> Option<Millis> {
    let n: u64 = buckets.values().sum();
    if n == 0 {
        return None;
    }
    let rank = ((q * n as f64).ceil() as u64).clamp(1, n);
    let mut seen = 0;
    for (&bucket, &count) in buckets {
        seen += count;
        if seen >= rank {
            return Some(bucket_millis(bucket));
        }
    }
    None
}

/// Counts summed over a filter's cohorts.
pub type Counts = HashMap<Measure, u64>;

/// The measured journey over a map's stages, in their order on the map: what the map shows
/// under each stage's name. (Touchpoints' figures are `touchpoints`, for the panels that show
/// them, so the map's page does not carry them.)
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Funnel {
    /// Customers counted: those who reached any stage.
    pub customers: u64,
    pub stages: Vec<StageFigures>,
    /// The stage whose conversion to the next is significantly lower than the others'.
    pub drop_off: Option<StageId>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageFigures {
    pub stage: StageId,
    pub reach: u64,
    /// To the next stage on the map; absent for the last stage.
    pub next: Option<Conversion>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Conversion {
    pub to: StageId,
    pub converted: u64,
    /// Percent of the stage's customers who went on, with its Wilson interval; absent when
    /// nobody reached the stage.
    pub rate: Option<Estimate>,
    pub time: Option<Durations>,
}

/// Time from one stage to the next, of the customers who went on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Durations {
    pub median: Millis,
    pub p90: Millis,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TouchFigures {
    pub card: CardId,
    pub reach: u64,
    /// Percent of its stage's customers, with its Wilson interval.
    pub share: Option<Estimate>,
    /// The most common next touchpoints, most first, with how many moves went there.
    pub next: Vec<(CardId, u64)>,
}

/// How many next steps each touchpoint lists.
const NEXT_SHOWN: usize = 3;

impl Funnel {
    /// Of the customers who reached the first stage, the share who reached the last, with its
    /// Wilson interval: the map's headline funnel figure.
    pub fn end_to_end(&self) -> Option<Estimate> {
        let first = self.stages.first()?.reach;
        let last = self.stages.last()?.reach;
        stats::wilson(last, first)
    }

    /// Reads the counts in `map`'s current order; stages no longer on the map are left out.
    pub fn new(map: &JourneyMap, counts: &Counts) -> Funnel {
        let reach = |stage| reach_of(counts, stage);
        let mut gaps: HashMap<(StageId, StageId), BTreeMap<u16, u64>> = HashMap::new();
        for (measure, &n) in counts {
            if let Measure::Gap { from, to, bucket } = measure {
                *gaps
                    .entry((*from, *to))
                    .or_default()
                    .entry(*bucket)
                    .or_default() += n;
            }
        }
        let stages = map.stages();
        let figures: Vec<StageFigures> = stages
            .iter()
            .enumerate()
            .map(|(i, stage)| {
                let from = stage.id;
                let next = stages.get(i + 1).map(|to| {
                    let to = to.id;
                    let converted = counts
                        .get(&Measure::Converted { from, to })
                        .copied()
                        .unwrap_or_default();
                    let n = reach(from);
                    // A next stage nobody reached at all is not measured (its events may not
                    // be sent), rather than a conversion of 0%.
                    let measured = converted > 0 || reach(to) > 0;
                    let time = gaps.get(&(from, to)).and_then(|b| {
                        Some(Durations {
                            median: quantile(b, 0.5)?,
                            p90: quantile(b, 0.9)?,
                        })
                    });
                    Conversion {
                        to,
                        converted,
                        // Cohorts of a date range may count a conversion whose start fell
                        // outside; a rate never passes 100%.
                        rate: stats::wilson(converted.min(n), n).filter(|_| measured),
                        time,
                    }
                });
                StageFigures {
                    stage: from,
                    reach: reach(from),
                    next,
                }
            })
            .collect();
        Funnel {
            customers: counts.get(&Measure::Customer).copied().unwrap_or_default(),
            drop_off: drop_off(&figures),
            stages: figures,
        }
    }

    pub fn stage(&self, id: StageId) -> Option<&StageFigures> {
        self.stages.iter().find(|s| s.stage == id)
    }
}

/// A stage in two periods: its reach, its conversion to the next stage, and which way that
/// moved when the move is significant.
#[derive(Clone, Debug, PartialEq)]
pub struct StageChange {
    pub stage: StageId,
    pub reach: (u64, u64),
    pub rate: (Option<Estimate>, Option<Estimate>),
    pub direction: Option<Direction>,
}

/// Each stage of `after` against `before` (two funnels of the same map, say two date ranges).
/// A conversion moved only if the two are significantly different (95%, a two-proportion test:
/// the two periods' cohorts are different customers), as score trends are shown.
pub fn compare(before: &Funnel, after: &Funnel) -> Vec<StageChange> {
    // The customers who reached the stage, and of them those who went on.
    let cohort = |s: &StageFigures| {
        let next = s.next.as_ref().filter(|n| n.rate.is_some())?;
        Some((next.converted.min(s.reach), s.reach))
    };
    after
        .stages
        .iter()
        .map(|now| {
            let then = before.stage(now.stage);
            let (a, b) = (then.and_then(cohort), cohort(now));
            let direction = match (a, b) {
                (Some(a), Some(b)) if stats::proportions_differ(a, b) => {
                    // Rates compared without division: hits_b / n_b > hits_a / n_a.
                    Some(if b.0 * a.1 > a.0 * b.1 {
                        Direction::Up
                    } else {
                        Direction::Down
                    })
                }
                _ => None,
            };
            let rate = |s: Option<&StageFigures>| s?.next.as_ref()?.rate;
            StageChange {
                stage: now.stage,
                reach: (then.map_or(0, |s| s.reach), now.reach),
                rate: (rate(then), rate(Some(now))),
                direction,
            }
        })
        .collect()
}

/// Each stage's customers by outcome, most first.
pub fn outcomes(counts: &Counts) -> HashMap<StageId, Vec<(String, u64)>> {
    let mut outcomes: HashMap<StageId, Vec<(String, u64)>> = HashMap::new();
    for (measure, &n) in counts {
        if let Measure::Outcome { stage, outcome } = measure {
            outcomes
                .entry(*stage)
                .or_default()
                .push((outcome.clone(), n));
        }
    }
    for list in outcomes.values_mut() {
        list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    }
    outcomes
}

/// Each touchpoint of `map` someone reached: how many, their share of the stage, and where
/// they went next.
pub fn touchpoints(map: &JourneyMap, counts: &Counts) -> Vec<TouchFigures> {
    let cards: HashSet<CardId> = map.cards().iter().map(|c| c.id).collect();
    let mut next: HashMap<CardId, Vec<(CardId, u64)>> = HashMap::new();
    for (measure, &n) in counts {
        if let Measure::Next { from, to } = measure {
            if cards.contains(to) {
                next.entry(*from).or_default().push((*to, n));
            }
        }
    }
    map.cards()
        .iter()
        .filter_map(|card| {
            let reach = counts.get(&Measure::Touch { card: card.id }).copied()?;
            let stage_reach = reach_of(counts, card.stage);
            let mut next = next.remove(&card.id).unwrap_or_default();
            next.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            next.truncate(NEXT_SHOWN);
            Some(TouchFigures {
                card: card.id,
                reach,
                // A range's cohorts may count a touch whose stage was first reached before it.
                share: stats::wilson(reach.min(stage_reach), stage_reach),
                next,
            })
        })
        .collect()
}

fn reach_of(counts: &Counts, stage: StageId) -> u64 {
    counts
        .get(&Measure::Reach { stage })
        .copied()
        .unwrap_or_default()
}

/// The stage whose conversion to the next is the lowest, if it is significantly lower (95%)
/// than the conversion of all the other adjacent stages taken together. Without another
/// conversion to compare with, nothing is flagged: a funnel always loses people somewhere.
fn drop_off(stages: &[StageFigures]) -> Option<StageId> {
    let measured: Vec<(StageId, u64, u64, Estimate)> = stages
        .iter()
        .filter_map(|s| {
            let next = s.next.as_ref()?;
            Some((s.stage, next.converted.min(s.reach), s.reach, next.rate?))
        })
        .collect();
    let (worst, _, _, rate) = measured
        .iter()
        .min_by(|a, b| a.3.value().total_cmp(&b.3.value()))
        .copied()?;
    let (others_hits, others_n) = measured
        .iter()
        .filter(|m| m.0 != worst)
        .fold((0, 0), |(h, t), m| (h + m.1, t + m.2));
    let others = stats::wilson(others_hits, others_n)?;
    (rate.value() < others.value() && stats::differs(&rate, &others)).then_some(worst)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixture::sample_map;
    use proptest::prelude::*;

    const HOUR: Millis = 3_600_000;
    const T0: Millis = 1_767_225_600_000; // 2026-01-01

    fn step(at: Millis, stage: StageId, card: Option<CardId>) -> Step {
        Step {
            at,
            stage,
            card,
            channel: "web".into(),
            segment: String::new(),
            outcome: String::new(),
        }
    }

    fn counts_of(paths: &[Vec<Step>]) -> Counts {
        let mut counts = Counts::new();
        for path in paths {
            for (measure, _) in contributions(&Path::from(path.clone())) {
                *counts.entry(measure).or_default() += 1;
            }
        }
        counts
    }

    #[track_caller]
    fn close(actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() < 0.01,
            "{actual} is not {expected}"
        );
    }

    #[test]
    fn a_path_counts_its_firsts_its_moves_and_its_conversions() {
        let map = sample_map();
        let (s0, s1, s2) = (map.stages()[0].id, map.stages()[1].id, map.stages()[2].id);
        let a = map.cards().iter().find(|c| c.stage == s0).unwrap().id;
        let b = map.cards().iter().find(|c| c.stage == s1).unwrap().id;
        let path = vec![
            step(T0, s0, Some(a)),
            step(T0 + HOUR, s0, None),
            step(T0 + 2 * HOUR, s0, Some(a)),
            step(T0 + 26 * HOUR, s1, Some(b)),
            step(T0 + 27 * HOUR, s1, Some(b)),
            step(T0 + 28 * HOUR, s2, None),
        ];
        let mut measures: Vec<(Measure, Day)> = contributions(&Path::from(path))
            .into_iter()
            .map(|(m, c)| (m, c.day))
            .collect();
        measures.sort();
        let day = day_of(T0);
        let mut expected = vec![
            (Measure::Customer, day),
            (Measure::Reach { stage: s0 }, day),
            (Measure::Reach { stage: s1 }, day + 1),
            (Measure::Reach { stage: s2 }, day + 1),
            (Measure::Converted { from: s0, to: s1 }, day),
            (Measure::Converted { from: s0, to: s2 }, day),
            (Measure::Converted { from: s1, to: s2 }, day + 1),
            (
                Measure::Gap {
                    from: s0,
                    to: s1,
                    bucket: gap_bucket(26 * HOUR),
                },
                day,
            ),
            (
                Measure::Gap {
                    from: s0,
                    to: s2,
                    bucket: gap_bucket(28 * HOUR),
                },
                day,
            ),
            (
                Measure::Gap {
                    from: s1,
                    to: s2,
                    bucket: gap_bucket(2 * HOUR),
                },
                day + 1,
            ),
            (Measure::Touch { card: a }, day),
            (Measure::Touch { card: b }, day + 1),
            // a → a is no move; the move a → b is filed under the step at a before it.
            (Measure::Next { from: a, to: b }, day),
        ];
        expected.sort();
        assert_eq!(measures, expected);
    }

    #[test]
    fn gaps_are_bucketed_within_the_stated_error() {
        assert_eq!(gap_bucket(0), 0);
        assert_eq!(gap_bucket(999), 0);
        assert_eq!(gap_bucket(1_000), 1);
        let stepped: Vec<Millis> = (1_000..).step_by(7_919).take(2_000).collect();
        assert!(stepped
            .windows(2)
            .all(|w| gap_bucket(w[0]) <= gap_bucket(w[1])));
        let long = [HOUR, 24 * HOUR, 90 * 24 * HOUR, 3_650 * 24 * HOUR];
        for ms in stepped.into_iter().chain(long) {
            let bucket = gap_bucket(ms);
            let error = (bucket_millis(bucket) - ms).abs() as f64 / ms as f64;
            assert!(
                error <= GAP_ERROR + 0.001,
                "{ms} ms read as {}",
                bucket_millis(bucket)
            );
        }
        // Every bucket's figure falls in it.
        for bucket in 1..GAP_BUCKETS - 1 {
            assert_eq!(gap_bucket(bucket_millis(bucket)), bucket);
        }
    }

    #[test]
    fn quantiles_take_the_nearest_rank() {
        // Ten gaps: four in bucket 10, five in bucket 20, one in bucket 30.
        let buckets = BTreeMap::from([(10, 4), (20, 5), (30, 1)]);
        // Median: rank 5 of 10, the first of bucket 20. 90th: rank 9, still bucket 20.
        assert_eq!(quantile(&buckets, 0.5), Some(bucket_millis(20)));
        assert_eq!(quantile(&buckets, 0.9), Some(bucket_millis(20)));
        assert_eq!(quantile(&buckets, 1.0), Some(bucket_millis(30)));
        assert_eq!(quantile(&buckets, 0.4), Some(bucket_millis(10)));
        assert_eq!(quantile(&BTreeMap::new(), 0.5), None);
        // Bucket k is seconds [1.1^(k-1), 1.1^k): bucket 20's middle is 1.1^19.5 s = 6.414 s.
        assert_eq!(bucket_millis(20), 6_414);
    }

    /// 100 customers reach stage 1, 40 of them stage 2 (two hours later for 20, ten for the
    /// other 20), 30 of those stage 3.
    fn hundred_customers(map: &JourneyMap) -> Vec<Vec<Step>> {
        let s: Vec<StageId> = map.stages().iter().map(|s| s.id).collect();
        (0..100)
            .map(|i| {
                let mut path = vec![step(T0 + i, s[0], None)];
                if i < 40 {
                    let gap = if i < 20 { 2 * HOUR } else { 10 * HOUR };
                    path.push(step(T0 + i + gap, s[1], None));
                }
                if i < 30 {
                    path.push(step(T0 + i + 20 * HOUR, s[2], None));
                }
                path
            })
            .collect()
    }

    #[test]
    fn conversion_has_its_wilson_interval_and_times_their_quantiles() {
        let map = sample_map();
        let funnel = Funnel::new(&map, &counts_of(&hundred_customers(&map)));
        assert_eq!(funnel.customers, 100);
        let first = &funnel.stages[0];
        assert_eq!(first.reach, 100);
        let next = first.next.as_ref().unwrap();
        assert_eq!(next.converted, 40);
        // Wilson for 40/100: centre (0.4 + 1.96²/200) / (1 + 1.96²/100) = 0.40370, half-width
        // 1.96 √(0.0024 + 1.96²/40000) / 1.038415 = 0.09430: 30.94% to 49.80%.
        let rate = next.rate.unwrap();
        close(rate.value(), 40.0);
        close(rate.low(), 30.94);
        close(rate.high(), 49.80);
        // Gaps: 20 of 2 h, 20 of 10 h. Median (rank 20) is 2 h, the 90th (rank 36) 10 h, each
        // within the buckets' error.
        let time = next.time.unwrap();
        let near =
            |read: Millis, exact: Millis| ((read - exact).abs() as f64 / exact as f64) <= GAP_ERROR;
        assert!(near(time.median, 2 * HOUR), "{}", time.median);
        assert!(near(time.p90, 10 * HOUR), "{}", time.p90);
        // Stage 2 → 3: 30 of 40.
        let second = funnel.stages[1].next.as_ref().unwrap();
        assert_eq!((funnel.stages[1].reach, second.converted), (40, 30));
        close(second.rate.unwrap().value(), 75.0);
        // Nobody reached stage 4: not measured rather than 0%, and the last stage has no next.
        assert_eq!(funnel.stages[3].reach, 0);
        assert_eq!(funnel.stages[2].next.as_ref().unwrap().rate, None);
        assert_eq!(funnel.stages[3].next.as_ref().unwrap().rate, None);
        assert!(funnel.stages.last().unwrap().next.is_none());
    }

    #[test]
    fn the_significantly_worst_conversion_is_the_drop_off() {
        let map = sample_map();
        let s: Vec<StageId> = map.stages().iter().map(|s| s.id).collect();
        let mut counts = Counts::new();
        let mut set = |m: Measure, n: u64| {
            counts.insert(m, n);
        };
        // 1000 → 800 (80%) → 200 (25%) → 150 (75%).
        for (stage, reach) in s.iter().zip([1000, 800, 200, 150]) {
            set(Measure::Reach { stage: *stage }, reach);
        }
        set(
            Measure::Converted {
                from: s[0],
                to: s[1],
            },
            800,
        );
        set(
            Measure::Converted {
                from: s[1],
                to: s[2],
            },
            200,
        );
        set(
            Measure::Converted {
                from: s[2],
                to: s[3],
            },
            150,
        );
        let funnel = Funnel::new(&map, &counts);
        assert_eq!(funnel.drop_off, Some(s[1]));

        // 10 → 8 → 6 → 5: the lowest (75% of 8) is no different from the rest.
        let mut counts = Counts::new();
        for (stage, reach) in s.iter().zip([10, 8, 6, 5]) {
            counts.insert(Measure::Reach { stage: *stage }, reach);
        }
        for (i, converted) in [8, 6, 5].into_iter().enumerate() {
            counts.insert(
                Measure::Converted {
                    from: s[i],
                    to: s[i + 1],
                },
                converted,
            );
        }
        assert_eq!(Funnel::new(&map, &counts).drop_off, None);

        // One conversion alone has nothing to be worse than.
        let mut counts = Counts::new();
        counts.insert(Measure::Reach { stage: s[0] }, 1000);
        counts.insert(Measure::Reach { stage: s[1] }, 10);
        counts.insert(
            Measure::Converted {
                from: s[0],
                to: s[1],
            },
            10,
        );
        assert_eq!(Funnel::new(&map, &counts).drop_off, None);
    }

    /// A funnel of two stages: `reach` customers, `converted` of them went on.
    fn two_stages(map: &JourneyMap, reach: u64, converted: u64) -> Funnel {
        let s: Vec<StageId> = map.stages().iter().map(|s| s.id).collect();
        let mut counts = Counts::new();
        counts.insert(Measure::Reach { stage: s[0] }, reach);
        counts.insert(Measure::Reach { stage: s[1] }, converted);
        counts.insert(
            Measure::Converted {
                from: s[0],
                to: s[1],
            },
            converted,
        );
        Funnel::new(map, &counts)
    }

    #[test]
    fn a_change_between_periods_shows_only_when_significant() {
        let map = sample_map();
        let first = map.stages()[0].id;
        let change = |before: &Funnel, after: &Funnel| {
            let all = compare(before, after);
            let stage = all.into_iter().find(|c| c.stage == first).unwrap();
            (stage.reach, stage.direction)
        };
        // 40% of 200 → 60% of 200: z = 4.0, significant.
        let (a, b) = (two_stages(&map, 200, 80), two_stages(&map, 200, 120));
        assert_eq!(change(&a, &b), ((200, 200), Some(Direction::Up)));
        assert_eq!(change(&b, &a), ((200, 200), Some(Direction::Down)));
        // 40% of 20 → 60% of 20: z = 1.26, not significant.
        let (a, b) = (two_stages(&map, 20, 8), two_stages(&map, 20, 12));
        assert_eq!(change(&a, &b), ((20, 20), None));
        // 1 of 50 went on, then all of 50 (a rate of 100% has no spread of its own).
        let (a, b) = (two_stages(&map, 50, 1), two_stages(&map, 50, 50));
        assert_eq!(change(&a, &b).1, Some(Direction::Up));
        // A stage with no data in one period shows no move.
        let empty = Funnel::new(&map, &Counts::new());
        assert_eq!(change(&empty, &b), ((0, 50), None));
    }

    #[test]
    fn touchpoints_show_reach_share_and_next_steps() {
        let map = sample_map();
        let s0 = map.stages()[0].id;
        let cards: Vec<CardId> = map
            .cards()
            .iter()
            .filter(|c| c.stage == s0)
            .map(|c| c.id)
            .collect();
        let s1 = map.stages()[1].id;
        let later = map.cards().iter().find(|c| c.stage == s1).unwrap().id;
        let (a, b) = (cards[0], later);
        // Four customers at a; three of them then at b, one goes back to a stage-only step.
        let paths: Vec<Vec<Step>> = (0..4)
            .map(|i| {
                let mut path = vec![step(T0 + i, s0, Some(a))];
                if i < 3 {
                    path.push(step(T0 + HOUR + i, s1, Some(b)));
                } else {
                    path.push(step(T0 + HOUR + i, s0, None));
                }
                path
            })
            .collect();
        let figures = touchpoints(&map, &counts_of(&paths));
        let at = |card: CardId| figures.iter().find(|t| t.card == card);
        let at_a = at(a).unwrap();
        assert_eq!(at_a.reach, 4);
        close(at_a.share.unwrap().value(), 100.0);
        assert_eq!(at_a.next, vec![(b, 3)]);
        close(at(b).unwrap().share.unwrap().value(), 100.0);
        assert!(at(cards[1]).is_none(), "nobody was there");
    }

    #[test]
    fn events_are_checked_against_the_map() {
        let map = sample_map();
        let places = Places::of(&map);
        let now = T0 + 100 * HOUR;
        let card = &map.cards()[0];
        let other_stage = map.stages().iter().find(|s| s.id != card.stage).unwrap().id;
        let input = |json: serde_json::Value| -> Result<Event, ResponseError> {
            serde_json::from_value::<EventInput>(json)
                .map_err(|e| refuse("body", e.to_string()))?
                .check(&places, now)
        };
        let ok = input(serde_json::json!({
            "customer": " c-1 ", "touchpoint": card.id.to_string(), "at": T0, "outcome": "converted"
        }))
        .unwrap();
        assert_eq!(ok.customer, "c-1");
        assert_eq!((ok.step.stage, ok.step.card), (card.stage, Some(card.id)));
        assert_eq!(ok.step.outcome, "converted");
        let staged = input(serde_json::json!({"customer": "c", "stage": other_stage.to_string()}));
        assert_eq!(staged.unwrap().step.at, now, "no time: now");
        let refused = |json, field: &str| assert_eq!(input(json).unwrap_err().field, field);
        refused(
            serde_json::json!({"customer": "", "stage": other_stage.to_string()}),
            "customer",
        );
        refused(
            serde_json::json!({"customer": "x".repeat(201), "stage": other_stage.to_string()}),
            "customer",
        );
        refused(serde_json::json!({"customer": "c"}), "touchpoint");
        refused(
            serde_json::json!({"customer": "c", "touchpoint": "nope"}),
            "touchpoint",
        );
        refused(
            serde_json::json!({"customer": "c", "stage": "nope"}),
            "stage",
        );
        refused(
            serde_json::json!({"customer": "c", "touchpoint": card.id.to_string(), "stage": other_stage.to_string()}),
            "stage",
        );
        refused(
            serde_json::json!({"customer": "c", "stage": other_stage.to_string(), "at": now + 2 * 24 * HOUR}),
            "at",
        );
        refused(
            serde_json::json!({"customer": "c", "stage": other_stage.to_string(), "at": "yesterday"}),
            "at",
        );
        refused(
            serde_json::json!({"customer": "c", "stage": other_stage.to_string(), "bogus": 1}),
            "body",
        );
    }

    #[test]
    fn a_path_holds_each_step_once_in_time_order() {
        let s = sample_map().stages()[0].id;
        let mut path = Path::default();
        assert_eq!(path.extend([step(T0 + 2, s, None), step(T0, s, None)]), 2);
        assert_eq!(path.extend([step(T0, s, None), step(T0 + 1, s, None)]), 1);
        assert_eq!(
            path.steps.iter().map(|s| s.at - T0).collect::<Vec<_>>(),
            [0, 1, 2]
        );
    }

    fn arbitrary_steps(map: &JourneyMap) -> impl Strategy<Value = Vec<Step>> {
        let stages: Vec<StageId> = map.stages().iter().map(|s| s.id).collect();
        // A few cards in two stages, so that paths come back to the same ones.
        let cards: Vec<(CardId, StageId)> = map
            .cards()
            .iter()
            .filter(|c| c.stage == stages[0] || c.stage == stages[1])
            .take(4)
            .map(|c| (c.id, c.stage))
            .collect();
        let one = (
            0..20i64,
            0..stages.len(),
            proptest::option::of(0..cards.len()),
            0..2usize,
            0..2usize,
        )
            .prop_map(move |(hours, stage, card, channel, outcome)| {
                let (stage, card) = match card {
                    Some(i) => (cards[i].1, Some(cards[i].0)),
                    None => (stages[stage], None),
                };
                Step {
                    at: T0 + hours * 7 * HOUR,
                    stage,
                    card,
                    channel: ["web", "app"][channel].into(),
                    segment: String::new(),
                    outcome: ["", "converted"][outcome].into(),
                }
            });
        proptest::collection::vec(one, 0..12)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1_000))]

        /// However a path's events arrive, in whatever batches, the differences added up are
        /// the contributions of the whole path: late events and resent ones never skew a count.
        #[test]
        fn differences_add_up_to_the_whole_path(
            steps in arbitrary_steps(&sample_map()),
            cuts in proptest::collection::vec(0..12usize, 0..4),
        ) {
            let mut path = Path::default();
            let mut counts: HashMap<(Measure, Cohort), i64> = HashMap::new();
            let mut batches: Vec<&[Step]> = Vec::new();
            let mut start = 0;
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(steps.len())).collect();
            cuts.sort();
            for cut in cuts.into_iter().chain([steps.len()]) {
                batches.push(&steps[start..cut.max(start)]);
                start = cut.max(start);
            }
            // Every batch twice: the resend changes nothing.
            for batch in batches.iter().flat_map(|b| [*b, *b]) {
                let before = path.clone();
                path.extend(batch.iter().cloned());
                for (key, delta) in difference(&before, &path) {
                    *counts.entry(key).or_default() += delta;
                }
            }
            counts.retain(|_, n| *n != 0);
            let mut whole: HashMap<(Measure, Cohort), i64> = HashMap::new();
            for key in contributions(&path) {
                *whole.entry(key).or_default() += 1;
            }
            prop_assert_eq!(counts, whole);
        }

        /// Expiring a path's old events keeps its counts: the shrunk path and what it set
        /// apart count what the whole path did, and go on doing so whatever comes later.
        #[test]
        fn an_expired_path_counts_what_the_whole_path_would(
            steps in arbitrary_steps(&sample_map()),
            later in arbitrary_steps(&sample_map()),
            cuts in proptest::collection::vec(0..21i64, 1..3),
        ) {
            let tally = |path: &Path, apart: &[((Measure, Cohort), i64)]| {
                let mut all: HashMap<(Measure, Cohort), i64> = HashMap::new();
                for key in contributions(path) {
                    *all.entry(key).or_default() += 1;
                }
                for (key, n) in apart {
                    *all.entry(key.clone()).or_default() += n;
                }
                all.retain(|_, n| *n != 0);
                all
            };
            let whole = Path::from(steps);
            let (mut path, mut apart) = (whole.clone(), Vec::new());
            let mut cuts = cuts;
            cuts.sort();
            let mut cutoff = T0;
            for cut in cuts {
                cutoff = T0 + cut * 7 * HOUR - 1;
                let (shrunk, kept) = path.expire(cutoff);
                prop_assert_eq!(path.expires_by(cutoff), shrunk.as_ref() != Some(&path));
                apart.extend(kept);
                prop_assert!(shrunk.iter().all(|p| p.steps[p.remnant..].iter().all(|s| s.at >= cutoff)));
                match shrunk {
                    Some(shrunk) => path = shrunk,
                    None => {
                        // Nobody left to recognise: everything the path counted stays.
                        prop_assert!(whole.steps.iter().all(|s| s.at < cutoff));
                        prop_assert_eq!(tally(&Path::default(), &apart), tally(&whole, &[]));
                        return Ok(());
                    }
                }
                prop_assert!(path.remnant <= path.steps.len());
            }
            let later: Vec<Step> = later.into_iter().filter(|s| s.at >= cutoff).collect();
            let mut whole = whole;
            whole.extend(later.iter().cloned());
            path.extend(later);
            prop_assert_eq!(tally(&path, &apart), tally(&whole, &[]));
        }
    }

    #[test]
    fn an_expired_path_keeps_only_the_firsts() {
        let map = sample_map();
        let (s0, s1) = (map.stages()[0].id, map.stages()[1].id);
        let a = map.cards().iter().find(|c| c.stage == s0).unwrap().id;
        let b = map.cards().iter().find(|c| c.stage == s1).unwrap().id;
        let path = Path::from(vec![
            step(T0, s0, Some(a)),
            step(T0 + HOUR, s0, Some(b)),
            step(T0 + 2 * HOUR, s0, Some(a)),
            step(T0 + 3 * HOUR, s0, Some(b)),
            step(T0 + 4 * HOUR, s1, None),
            step(T0 + 30 * HOUR, s1, Some(b)),
        ]);
        let (shrunk, kept) = path.expire(T0 + 24 * HOUR);
        let shrunk = shrunk.expect("a step is left");
        // The first of each stage and card, and the last card; the repeat of a is gone.
        let kept_at: Vec<Millis> = shrunk.steps.iter().map(|s| (s.at - T0) / HOUR).collect();
        assert_eq!((kept_at, shrunk.remnant), (vec![0, 1, 3, 4, 30], 4));
        // Three moves were made among the old steps (a→b, b→a, a→b); they stay counted apart.
        let moves: i64 = kept
            .iter()
            .filter(|((m, _), _)| matches!(m, Measure::Next { .. }))
            .map(|(_, n)| n)
            .sum();
        assert_eq!((moves, kept.len()), (3, 2));
        let (gone, all) = shrunk.expire(T0 + 31 * HOUR);
        assert!(gone.is_none());
        assert_eq!(all.len(), contributions(&shrunk).len());
    }

    #[test]
    fn events_older_than_the_map_keeps_them_are_refused() {
        let map = sample_map();
        let places = Places::of(&map).keeping(Some(30));
        let input = |days_ago: i64| EventInput {
            customer: "c-1".into(),
            touchpoint: None,
            stage: Some(map.stages()[0].id.to_string()),
            at: Some(When::Millis(T0 - days_ago * 24 * HOUR)),
            channel: None,
            segment: None,
            outcome: None,
        };
        assert!(input(29).check(&places, T0).is_ok());
        let refused = input(31).check(&places, T0).unwrap_err();
        assert_eq!(refused.field, "at");
        assert!(refused.message.contains("30 days"), "{}", refused.message);
    }
}
