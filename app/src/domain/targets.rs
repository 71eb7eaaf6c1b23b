//! Targets: what a team aims for on the whole map or on one stage (an NPS, CSAT or CES score,
//! or a conversion), and where the measured figure stands against each. A figure is "on
//! target" only when its whole 95% interval is at or above the target, and "below" only when
//! the whole interval is under it; otherwise the data cannot tell yet.
//!
//! Targets are kept with the map's listing (as its status and tags are), not in the map, so the
//! editor's first load carries none of them; each change is in the audit log, and map files
//! carry them. A target may be taken from a metric definition of the library
//! (`domain::definitions`), which then keeps its value in step.

use serde::{Deserialize, Serialize};

use crate::domain::feedback::{Metric, Summary};
use crate::domain::ids::{LibraryId, StageId};
use crate::domain::journey::Funnel;
use crate::domain::stats::{wilson, Estimate};
use crate::domain::text::FieldError;

/// Most targets on one map.
pub const MAX_TARGETS: usize = 200;

/// What a target is set on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    Nps,
    Csat,
    Ces,
    /// Of the customers who reached the stage, the percentage who went on to the next; on the
    /// whole map, from the first stage to the last.
    Conversion,
}

impl Measure {
    pub const ALL: [Measure; 4] = [
        Measure::Nps,
        Measure::Csat,
        Measure::Ces,
        Measure::Conversion,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Measure::Nps => "nps",
            Measure::Csat => "csat",
            Measure::Ces => "ces",
            Measure::Conversion => "conversion",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Measure::Nps => "NPS",
            Measure::Csat => "CSAT",
            Measure::Ces => "CES",
            Measure::Conversion => "Conversion",
        }
    }

    pub fn from_key(key: &str) -> Option<Measure> {
        Measure::ALL.into_iter().find(|m| m.key() == key)
    }

    /// The values a target may take, in the measure's own unit.
    pub fn range(self) -> (f64, f64) {
        match self {
            Measure::Nps => (-100.0, 100.0),
            Measure::Csat | Measure::Conversion => (0.0, 100.0),
            Measure::Ces => (1.0, 7.0),
        }
    }

    /// A value as people write it: "+20", "80%", "5.5".
    pub fn format(self, value: f64) -> String {
        match self {
            Measure::Nps => format!("{value:+.0}"),
            Measure::Csat | Measure::Conversion => format!("{value:.0}%"),
            Measure::Ces => format!("{value:.1}"),
        }
    }

    fn metric(self) -> Option<Metric> {
        match self {
            Measure::Nps => Some(Metric::Nps),
            Measure::Csat => Some(Metric::Csat),
            Measure::Ces => Some(Metric::Ces),
            Measure::Conversion => None,
        }
    }
}

/// One target: on a stage, or (without one) on the whole map.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Target {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<StageId>,
    pub measure: Measure,
    /// The value aimed for, in tenths of the measure's unit (NPS +20 is 200, CES 5.5 is 55),
    /// so that settings stay comparable exactly.
    pub tenths: i16,
    /// The library's metric definition it was taken from, which keeps it in step; a target set
    /// on the map itself has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<LibraryId>,
}

impl Target {
    pub fn new(stage: Option<StageId>, measure: Measure, value: f64) -> Result<Target, FieldError> {
        let (low, high) = measure.range();
        if !value.is_finite() || value < low || value > high {
            return Err(FieldError::new(format!(
                "a {} target is between {} and {}",
                measure.label(),
                measure.format(low),
                measure.format(high)
            )));
        }
        // Within ±1,000 by the check above, so it fits.
        let tenths = (value * 10.0).round() as i16;
        Ok(Target {
            stage,
            measure,
            tenths,
            metric: None,
        })
    }

    pub fn value(&self) -> f64 {
        f64::from(self.tenths) / 10.0
    }
}

/// Checks a map's targets: each in range, at most one per stage and measure, within the limit.
/// Every edit of the settings runs this in the editor, so it stays small: whole tenths and
/// fixed messages (a person entering a target gets `Target::new`'s fuller one first).
pub fn check(targets: &[Target]) -> Result<(), FieldError> {
    if targets.len() > MAX_TARGETS {
        return Err(FieldError::new("at most 200 targets on a map"));
    }
    for (i, t) in targets.iter().enumerate() {
        let (low, high) = t.measure.range();
        if f64::from(t.tenths) < low * 10.0 || f64::from(t.tenths) > high * 10.0 {
            return Err(FieldError::new("a target is outside its measure's range"));
        }
        if targets[..i]
            .iter()
            .any(|o| o.stage == t.stage && o.measure == t.measure)
        {
            return Err(FieldError::new("one target per stage and measure"));
        }
    }
    Ok(())
}

/// Where a measured figure stands against its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// The whole interval is at or above the target.
    On,
    /// The whole interval is under it.
    Below,
    /// The interval spans the target: not known yet.
    Unsure,
}

impl Standing {
    pub fn of(target: f64, actual: &Estimate) -> Standing {
        if actual.low() >= target {
            Standing::On
        } else if actual.high() < target {
            Standing::Below
        } else {
            Standing::Unsure
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Standing::On => "on",
            Standing::Below => "below",
            Standing::Unsure => "unsure",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Standing::On => "on target",
            Standing::Below => "below target",
            Standing::Unsure => "not yet known",
        }
    }
}

/// A target with its measured figure, when there is one to show.
#[derive(Clone, Debug, PartialEq)]
pub struct Assessment {
    pub target: Target,
    pub actual: Option<Estimate>,
    pub standing: Option<Standing>,
}

impl Assessment {
    /// A target with nothing measured to read it against.
    pub fn unmeasured(target: Target) -> Assessment {
        Assessment {
            target,
            actual: None,
            standing: None,
        }
    }

    /// "NPS target +20: +12 (95% interval -3 to +27), not yet known".
    pub fn describe(&self) -> String {
        let measure = self.target.measure;
        let goal = format!(
            "{} target {}",
            measure.label(),
            measure.format(self.target.value())
        );
        match (self.actual, self.standing) {
            (Some(e), Some(standing)) => format!(
                "{goal}: {} (95% interval {} to {}), {}",
                measure.format(e.value()),
                measure.format(e.low()),
                measure.format(e.high()),
                standing.label()
            ),
            _ => format!("{goal}: no figure yet"),
        }
    }
}

/// What the map measures, as targets are read against it.
pub struct Figures<'a> {
    pub map: &'a Summary,
    pub stages: &'a [(StageId, Summary)],
    pub funnel: Option<&'a Funnel>,
}

/// Each target against its figure: a score with its interval (hidden below the minimum, so
/// then unknown), or a conversion with its Wilson interval.
pub fn assess(targets: &[Target], figures: &Figures) -> Vec<Assessment> {
    targets
        .iter()
        .map(|target| {
            let actual = match target.measure.metric() {
                Some(metric) => {
                    let summary = match target.stage {
                        None => Some(figures.map),
                        Some(stage) => figures
                            .stages
                            .iter()
                            .find(|(s, _)| *s == stage)
                            .map(|(_, s)| s),
                    };
                    summary
                        .and_then(|s| s.score(metric))
                        .and_then(|s| s.estimate)
                }
                None => figures.funnel.and_then(|f| conversion(f, target.stage)),
            };
            Assessment {
                target: target.clone(),
                standing: actual.map(|a| Standing::of(target.value(), &a)),
                actual,
            }
        })
        .collect()
}

/// A stage's conversion to the next, or the map's from its first stage to its last.
fn conversion(funnel: &Funnel, stage: Option<StageId>) -> Option<Estimate> {
    match stage {
        Some(stage) => {
            funnel
                .stages
                .iter()
                .find(|s| s.stage == stage)?
                .next
                .as_ref()?
                .rate
        }
        None => wilson(funnel.stages.last()?.reach, funnel.stages.first()?.reach),
    }
}

#[cfg(test)]
mod tests;
