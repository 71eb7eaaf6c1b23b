//! A map's targets (`domain::targets`): each read against the map's figures on the server, and
//! set one at a time. Kept with the map's listing rather than in the map (as its status and tags
//! are, `api::landscape`), so the editor's first load carries none of it; the audit log records
//! each change.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::api::error::AppError;
use crate::api::feedback::Filter;
use crate::domain::ids::MapId;
use crate::domain::targets::{Standing, Target};

/// A target, and where the figure it is set on stands against it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetLine {
    pub target: Target,
    pub standing: Option<Standing>,
    /// The name of the library's metric definition it was taken from.
    #[serde(default)]
    pub metric: Option<String>,
    /// "NPS target +20: +12 (95% interval -3 to +27), not yet known", after the metric's name
    /// when it has one.
    pub text: String,
}

/// The map's targets against its figures under `filter`; through a share link (`share`), only
/// what its figures show (its funnel only when the link shows it).
#[server(input = Json)]
pub async fn map_targets(
    map: MapId,
    filter: Filter,
    share: Option<String>,
) -> Result<Vec<TargetLine>, AppError> {
    use crate::api::ctx::backend;
    use crate::api::feedback::get_map_feedback;

    let figures = get_map_feedback(map, filter, share).await?;
    let backend = backend()?;
    let targets = backend.targets_of(map).await?;
    let metrics = match targets.iter().any(|t| t.metric.is_some()) {
        true => backend.metric_library().await?,
        false => Vec::new(),
    };
    Ok(figures
        .assess(&targets)
        .into_iter()
        .map(|a| {
            let (metric, text) = described(&a, &metrics);
            TargetLine {
                standing: a.standing,
                text,
                metric,
                target: a.target,
            }
        })
        .collect())
}

/// An assessed target's metric name (when it was taken from one of `metrics`) and its text:
/// "Checkout CSAT — CSAT target 80%: …", or without a metric "CSAT target 80%: …".
#[cfg(feature = "ssr")]
pub(crate) fn described(
    assessed: &crate::domain::targets::Assessment,
    metrics: &[crate::domain::definitions::MetricDefinition],
) -> (Option<String>, String) {
    let metric = assessed
        .target
        .metric
        .and_then(|id| metrics.iter().find(|m| m.id == id))
        .map(|m| m.name.to_string());
    let text = match &metric {
        Some(name) => format!("{name} \u{2014} {}", assessed.describe()),
        None => assessed.describe(),
    };
    (metric, text)
}

/// Sets map `map`'s target on `stage` (empty: the whole map) for `measure` (a `Measure` key)
/// to `value`, replacing any it had; an empty `value` removes it. Editors only; the audit log
/// records it.
#[server]
pub async fn set_target(
    map: MapId,
    #[server(default)] stage: String,
    measure: String,
    #[server(default)] value: String,
) -> Result<(), AppError> {
    use crate::api::ctx::{authorize, backend};
    use crate::api::history::keep_beside;
    use crate::domain::access::Capability;
    use crate::domain::beside::Beside;
    use crate::domain::targets::{check, Measure};

    let (user, _) = authorize(map, Capability::Edit).await?;
    let invalid = |field: &str, message: String| AppError::Invalid {
        field: field.into(),
        message,
    };
    let backend = backend()?;
    let current = backend.load_map(map).await?.map;
    let stage = match stage.as_str() {
        "" => None,
        raw => Some(
            raw.parse()
                .ok()
                .filter(|id| current.stage(*id).is_some())
                .ok_or_else(|| invalid("stage", "choose a stage of the map".into()))?,
        ),
    };
    let measure = Measure::from_key(&measure)
        .ok_or_else(|| invalid("measure", format!("no measure is called {measure:?}")))?;
    let target = match value.trim() {
        "" => None,
        raw => {
            let number = raw
                .parse::<f64>()
                .map_err(|_| invalid("value", "enter the target as a number".into()))?;
            Some(Target::new(stage, measure, number).map_err(|e| AppError::invalid("value", e))?)
        }
    };
    let mut targets = backend.targets_of(map).await?;
    targets.retain(|t| !(t.stage == stage && t.measure == measure));
    let scope = stage
        .and_then(|s| current.stage(s))
        .map_or("Whole map".to_owned(), |s| s.name.to_string());
    let detail = match &target {
        Some(t) => format!("{scope}: {} {}", measure.label(), measure.format(t.value())),
        None => format!("{scope}: {} removed", measure.label()),
    };
    targets.extend(target);
    check(&targets).map_err(|e| AppError::invalid("value", e))?;
    keep_beside(map, Beside::Targets(targets), user.id, detail).await?;
    Ok(())
}
