//! The touchpoint panel's charts: how many gave each score (bars per question) and the
//! headline score's trend (a sparkline, with its table).

use leptos::prelude::*;

use crate::domain::feedback::{Direction, Period, Tally, Trend};
use crate::ui::erase::Erase;

/// One bar: the score, how many gave it, and its NPS group (a CSS class; empty elsewhere).
type Bar = (String, u64, &'static str);

/// Bars of how many answered each score, one row per question asked.
#[component]
pub(super) fn Distribution(tally: Tally) -> impl IntoView {
    let rows: Vec<(&str, Vec<Bar>)> = [
        (
            "NPS",
            tally
                .nps
                .iter()
                .enumerate()
                .map(|(s, n)| {
                    let group = match s {
                        0..=6 => "detractor",
                        7 | 8 => "passive",
                        _ => "promoter",
                    };
                    (s.to_string(), *n, group)
                })
                .collect::<Vec<_>>(),
        ),
        (
            "CSAT",
            tally
                .csat
                .iter()
                .enumerate()
                .map(|(s, n)| ((s + 1).to_string(), *n, ""))
                .collect(),
        ),
        (
            "CES",
            tally
                .ces
                .iter()
                .enumerate()
                .map(|(s, n)| ((s + 1).to_string(), *n, ""))
                .collect(),
        ),
    ]
    .into_iter()
    .filter(|(_, bars)| bars.iter().any(|(_, n, _)| *n > 0))
    .collect();
    view! {
        <h3>"Distribution"</h3>
        {rows
            .into_iter()
            .map(|(label, bars)| {
                let most = bars.iter().map(|(_, n, _)| *n).max().unwrap_or(1).max(1);
                let described = bars
                    .iter()
                    .map(|(s, n, _)| format!("{s}: {n}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                view! {
                    <figure class="distribution" role="img" aria-label=format!("{label} answers by score: {described}")>
                        <figcaption>{label}</figcaption>
                        <div class="bars">
                            {bars
                                .into_iter()
                                .map(|(score, n, group)| {
                                    let height = (n as f64 / most as f64 * 100.0).round();
                                    let title = format!("{score}: {n}");
                                    view! {
                                        <div class=format!("bar {group}") title=title>
                                            <span class="bar-fill" style=format!("height: {height}%")></span>
                                            <span class="bar-label">{score}</span>
                                        </div>
                                    }
                                })
                                .collect_view()}
                        </div>
                    </figure>
                }
            })
            .collect_view()}
    }
}

/// The headline score per period as a sparkline, with an arrow only for a significant change.
#[component]
pub(super) fn TrendView(trend: Trend) -> impl IntoView {
    let metric = trend
        .points
        .iter()
        .rev()
        .find_map(|p| p.summary.headline().map(|s| s.metric));
    let Some(metric) = metric else {
        return ().erase();
    };
    let values: Vec<(String, Option<f64>, u64)> = trend
        .points
        .iter()
        .map(|p| {
            let score = p.summary.score(metric);
            (
                p.label.clone(),
                score.and_then(|s| s.value()),
                p.summary.responses,
            )
        })
        .collect();
    let (width, height) = (260.0, 48.0);
    let step = width / values.len().max(2).saturating_sub(1) as f64;
    let points: Vec<String> = values
        .iter()
        .enumerate()
        .filter_map(|(i, (_, v, _))| {
            v.map(|v| {
                format!(
                    "{:.1},{:.1}",
                    i as f64 * step,
                    height - metric.normalise(v) * height
                )
            })
        })
        .collect();
    let arrow = trend.direction.map(|d| match d {
        Direction::Up => ("▲", "up", "Significantly up since the period before"),
        Direction::Down => ("▼", "down", "Significantly down since the period before"),
    });
    view! {
        <h3>"Trend"</h3>
        <div class="trend">
            <svg class="sparkline" viewBox=format!("-4 -4 {} {}", width + 8.0, height + 8.0) role="img"
                aria-label=format!("{} by {}", metric.label(), if trend.period == Period::Week { "week" } else { "month" })>
                <polyline points=points.join(" ")></polyline>
            </svg>
            {arrow.map(|(symbol, class, text)| view! {
                <span class=format!("trend-arrow {class}") title=text aria-label=text>{symbol}</span>
            })}
        </div>
        <details class="trend-table">
            <summary>"As a table"</summary>
            <table>
                <thead><tr><th>"Period"</th><th>{metric.label()}</th><th>"Answers"</th></tr></thead>
                <tbody>
                    {values
                        .into_iter()
                        .map(|(label, value, n)| view! {
                            <tr>
                                <td>{label}</td>
                                <td>{value.map_or_else(|| "—".to_owned(), |v| metric.format(v))}</td>
                                <td>{n}</td>
                            </tr>
                        })
                        .collect_view()}
                </tbody>
            </table>
        </details>
    }
    .erase()
}
