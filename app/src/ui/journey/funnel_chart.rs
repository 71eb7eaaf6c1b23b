//! The funnel as a horizontal bar chart: each stage's reach as a bar, and between stages how
//! many went on (with its interval) and how long that took; the significant drop-off marked;
//! and, against an earlier period, each conversion that moved significantly.

use leptos::prelude::*;

use crate::api::feedback::Filter;
use crate::domain::feedback::Direction;
use crate::domain::journey::{compare, Conversion, Funnel, StageChange};
use crate::domain::time::format_day;
use crate::ui::editor::use_editor;
use crate::ui::format::{duration, thousands};

#[component]
pub(super) fn FunnelChart(
    funnel: Funnel,
    /// An earlier period (its filter) and its funnel, to compare with.
    before: Option<(Filter, Funnel)>,
) -> impl IntoView {
    let editor = use_editor();
    let changes: Vec<StageChange> = before
        .as_ref()
        .map(|(_, earlier)| compare(earlier, &funnel))
        .unwrap_or_default();
    let period = before.as_ref().map(|(filter, _)| period(filter));
    let moved = changes.iter().any(|c| c.direction.is_some());
    let widest = funnel
        .stages
        .iter()
        .map(|s| s.reach)
        .max()
        .unwrap_or(0)
        .max(1);
    let drop_off = funnel.drop_off;
    let rows = editor.map.with_untracked(|m| {
        funnel
            .stages
            .into_iter()
            .map(|figures| {
                let name = m.stage(figures.stage).map(|s| s.name.to_string());
                (name.unwrap_or_default(), figures)
            })
            .collect::<Vec<_>>()
    });
    view! {
        <h3 id="journey-funnel-heading">"Funnel"</h3>
        <p class="hint">{format!("{} customers", thousands(funnel.customers))}</p>
        {period.map(|period| {
            let said = if moved {
                format!("Against {period}: conversions that moved significantly are marked.")
            } else {
                format!("Against {period}: no conversion moved significantly.")
            };
            view! { <p class="hint" role="status">{said}</p> }
        })}
        <ol class="funnel-chart" aria-labelledby="journey-funnel-heading">
            {rows.into_iter().map(|(name, figures)| {
                let dropping = drop_off == Some(figures.stage);
                let change = changes.iter().find(|c| c.stage == figures.stage).and_then(moved_by);
                let width = figures.reach as f64 / widest as f64 * 100.0;
                view! {
                    <li class="funnel-stage" class:drop-off=dropping>
                        <span class="funnel-name">{name}</span>
                        <span class="funnel-bar" aria-hidden="true">
                            <span class="funnel-fill" style=format!("width: {width:.1}%")></span>
                        </span>
                        <span class="funnel-reach">{format!("{} reached", thousands(figures.reach))}</span>
                        {figures.next.as_ref().map(|next| view! {
                            <p class="funnel-step">
                                <span aria-hidden="true">"↓ "</span>
                                {went_on(next)}
                            </p>
                        })}
                        {change.map(|(up, text)| view! {
                            <p class="funnel-step trend-arrow" class:up=up class:down=!up>{text}</p>
                        })}
                        {dropping.then(|| view! {
                            <p class="funnel-step">
                                <span class="chip pain-point">"Drop-off"</span>
                                " Significantly fewer customers go on from here than anywhere else on the map"
                            </p>
                        })}
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

/// "2026-08-02 to 2026-08-31".
fn period(filter: &Filter) -> String {
    let day = |d: Option<i64>| d.map(format_day).unwrap_or_default();
    format!("{} to {}", day(filter.from), day(filter.to))
}

/// A conversion's significant move, as whether it went up and "↑ Up from 48% before".
fn moved_by(change: &StageChange) -> Option<(bool, String)> {
    let up = change.direction? == Direction::Up;
    let before = change.rate.0?;
    let arrow = if up { "↑ Up" } else { "↓ Down" };
    Some((
        up,
        format!("{arrow} from {:.0}% before (significant)", before.value()),
    ))
}

/// "62% went on (95% interval 55–69%), after a median of 2.1 h (90% within 9.0 h)".
fn went_on(next: &Conversion) -> String {
    let Some(rate) = next.rate else {
        return "Going on to the next stage is not measured: nobody reached it".to_owned();
    };
    let mut text = format!(
        "{:.0}% went on (95% interval {:.0}–{:.0}%)",
        rate.value(),
        rate.low(),
        rate.high()
    );
    if let Some(time) = next.time {
        text.push_str(&format!(
            ", after a median of {} (90% within {})",
            duration(time.median),
            duration(time.p90)
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::StageId;
    use crate::domain::journey::Durations;
    use crate::domain::stats;

    #[test]
    fn a_conversion_reads_as_a_rate_with_its_interval_and_time() {
        let mut next = Conversion {
            to: StageId::from_uuid(uuid::Uuid::nil()),
            converted: 40,
            rate: stats::wilson(40, 160),
            time: None,
        };
        let rate = next.rate.unwrap();
        let plain = format!(
            "25% went on (95% interval {:.0}–{:.0}%)",
            rate.low(),
            rate.high()
        );
        assert_eq!(went_on(&next), plain);
        next.time = Some(Durations {
            median: 7_560_000,
            p90: 32_400_000,
        });
        assert_eq!(
            went_on(&next),
            format!("{plain}, after a median of 2.1 h (90% within 9.0 h)")
        );
        next.rate = None;
        assert!(went_on(&next).contains("not measured"));
    }
}
