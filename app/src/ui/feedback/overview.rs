//! The Feedback panel's Overview tab: the whole map's scores, each stage's headline score and
//! the pain points found in the data, each opening its touchpoint's panel.

use leptos::prelude::*;

use super::card_name;
use crate::api::targets::map_targets;
use crate::ui::editor::use_editor;
use crate::ui::erase::Erase;
use crate::ui::map::feedback_filter::FilterBar;
use crate::ui::map::panel_state::{use_side_panel, Panel};
use crate::ui::map::scores::{use_scores, ScoreLine};

#[component]
pub(super) fn Overview() -> impl IntoView {
    let editor = use_editor();
    let scores = use_scores();
    let panel = use_side_panel();
    view! {
        <FilterBar/>
        {move || scores.error.get().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        <AgainstTargets/>
        {move || match scores.data.get() {
            None => view! { <p class="loading">"Loading feedback…"</p> }.erase(),
            Some(data) if data.map.responses == 0 => view! {
                <p class="empty-note">
                    "No answers yet. Open a touchpoint card's score chip or its feedback panel (the chart button) to switch on its survey and get a form link and QR code; or import a CSV file or use the API."
                </p>
            }
            .erase(),
            Some(data) => {
                let stages = editor.map.with(|m| {
                    m.stages()
                        .iter()
                        .filter_map(|s| data.stage(s.id).map(|sum| (s.name.to_string(), sum.clone())))
                        .collect::<Vec<_>>()
                });
                let headline = data.map.headline().cloned();
                view! {
                    <h3>"Whole map"</h3>
                    <p class="muted">{format!("{} answers · {} comments", data.map.responses, data.map.comments)}</p>
                    {[data.map.nps.clone(), data.map.csat.clone(), data.map.ces.clone()]
                        .into_iter()
                        .flatten()
                        .map(|score| view! { <ScoreLine score/> })
                        .collect_view()}
                    <h3>"By stage"</h3>
                    <ul class="stage-scores">
                        {stages.into_iter().map(|(name, summary)| {
                            let score = headline.as_ref().and_then(|h| summary.score(h.metric).cloned())
                                .or_else(|| summary.headline().cloned());
                            view! {
                                <li>
                                    <span class="stage-label">{name}</span>
                                    {score.map(|score| view! { <ScoreLine score/> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                    <h3>"Pain points found in the data"</h3>
                    {if data.pain_points.is_empty() {
                        view! { <p class="empty-note">"No touchpoint scores significantly below the rest of the map."</p> }.erase()
                    } else {
                        view! {
                            <ul class="pain-points">
                                {data.pain_points.iter().map(|card| {
                                    let card = *card;
                                    view! {
                                        <li>
                                            <button type="button" class="link" on:click=move |_| panel.show(Panel::Touchpoint(card))>
                                                {card_name(editor, card)}
                                            </button>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.erase()
                    }}
                }
                .erase()
            }
        }}
    }
}

/// The map's targets (set in Settings), each against its measured figure under the panel's
/// filter: on target only when the whole 95% interval is at or above it. Read again whenever
/// the figures are.
#[component]
fn AgainstTargets() -> impl IntoView {
    let editor = use_editor();
    let scores = use_scores();
    let lines = LocalResource::new(move || {
        scores.data.track();
        let filter = scores.filter.get();
        map_targets(editor.id, filter, None)
    });
    move || {
        let lines = lines.get()?.ok()?;
        if lines.is_empty() {
            return None;
        }
        let rows = lines
            .into_iter()
            .map(|line| {
                let scope = editor.map.with(|m| target_scope(m, line.target.stage));
                let class = line
                    .standing
                    .map(|s| format!("standing-{}", s.key()))
                    .unwrap_or_default();
                view! {
                    <li class=class>
                        <span class="stage-label">{scope}</span>
                        <span>{line.text}</span>
                    </li>
                }
            })
            .collect_view();
        Some(view! {
            <h3>"Against target"</h3>
            <ul class="stage-scores targets">{rows}</ul>
        })
    }
}

/// "Whole map", or the stage's name.
pub(super) fn target_scope(
    map: &crate::domain::map::JourneyMap,
    stage: Option<crate::domain::ids::StageId>,
) -> String {
    match stage {
        None => "Whole map".to_owned(),
        Some(id) => map
            .stage(id)
            .map_or_else(|| "A removed stage".to_owned(), |s| s.name.to_string()),
    }
}
