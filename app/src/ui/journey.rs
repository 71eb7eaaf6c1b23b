//! The Journey panel: what customers did on the map (journey analytics), under the filter the
//! map's feedback views share: the funnel over the stages as a bar chart (`funnel_chart`) and
//! the path flows between touchpoints (`flows`, drawn by `sankey`).
//!
//! A lazily loaded chunk of its own (see `map::side_panel`): the map's page carries only each
//! stage's figures, with its summaries.

use leptos::prelude::*;

use crate::api::journey::get_journey;
use crate::domain::ids::MapId;
use crate::ui::editor::use_editor;
use crate::ui::erase::Erase;
use crate::ui::map::feedback_filter::FilterBar;
use crate::ui::map::panel_state::{use_side_panel, Panel};
use crate::ui::map::scores::use_scores;
use crate::ui::resource::resource;

mod downloads;
mod flows;
mod funnel_chart;
pub mod sankey;

use downloads::Downloads;
use flows::PathFlows;
use funnel_chart::FunnelChart;

#[component]
pub(crate) fn JourneyPanel() -> impl IntoView {
    let editor = use_editor();
    let scores = use_scores();
    let map = editor.id;
    let share = editor.access.with_value(|a| a.share_token.clone());
    // Read again whenever the summaries are (a filter chosen, events arrived, every minute), and
    // under their filter, so the panel and the figures on the map agree.
    let loads = RwSignal::new(0u32);
    Effect::new(move |seen: Option<()>| {
        scores.data.track();
        scores.error.track();
        if seen.is_some() {
            loads.update(|n| *n += 1);
        }
    });
    let figures = {
        let share = share.clone();
        resource(
            move || (scores.filter.get_untracked(), loads.get()),
            move |(filter, _)| get_journey(map, filter, share.clone()),
        )
    };
    // The period before the filter's date range, when asked to compare with it.
    let compare = RwSignal::new(false);
    let earlier = resource(
        move || {
            let before = compare
                .get()
                .then(|| scores.filter.get_untracked().period_before());
            (before.flatten(), loads.get())
        },
        move |(before, _)| {
            let share = share.clone();
            async move {
                match before {
                    Some(filter) => get_journey(map, filter.clone(), share)
                        .await
                        .map(|figures| Some((filter, figures.funnel))),
                    None => Ok(None),
                }
            }
        },
    );
    let ranged = move || scores.filter.with(|f| f.period_before().is_some());
    view! {
        <section class="journey-panel" aria-labelledby="journey-heading">
            <h2 id="journey-heading">"Journey analytics"</h2>
            <p class="hint">"What customers did, from the events sent for this map."</p>
            <FilterBar/>
            <label class="check">
                <input type="checkbox" prop:disabled=move || !ranged() prop:checked=compare
                    on:change=move |ev| compare.set(event_target_checked(&ev))/>
                "Compare with the period before"
            </label>
            <Show when=move || !ranged()>
                <p class="hint">"Choose a date range (From and To) to compare it with as many days before it."</p>
            </Show>
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading the journey…"</p> }>
                {move || Suspend::new(async move {
                    // A comparison that cannot be read leaves the funnel shown without it.
                    let before = earlier.await.ok().flatten().filter(|_| compare.get_untracked());
                    match figures.await {
                        Err(err) => view! { <p class="notice error" role="alert">{err.to_string()}</p> }.erase(),
                        Ok(figures) if figures.funnel.customers == 0 => view! { <NoCustomers map/> }.erase(),
                        Ok(figures) => view! {
                            <FunnelChart funnel=figures.funnel before/>
                            <PathFlows touchpoints=figures.touchpoints/>
                            <Downloads/>
                        }
                        .erase(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Nobody counted: under a filter, that; otherwise how events reach the map.
#[component]
fn NoCustomers(map: MapId) -> impl IntoView {
    let scores = use_scores();
    let panel = use_side_panel();
    if !scores.filter.with_untracked(|f| f.is_everything()) {
        return view! { <p class="empty-note">"No customers' events match this filter."</p> }
            .erase();
    }
    view! {
        <div class="empty-note journey-empty">
            <p>"No journey events yet. Each event says a customer was at a touchpoint (a card) or in a stage, and when; the funnel and path flows are counted from them."</p>
            <p>
                "Send them from your product or analytics tool to "
                <code>{format!("POST /api/v1/maps/{map}/events")}</code>
                " with one of the map's API keys, or import a CSV file of events. Both are in the "
                <button type="button" class="link" on:click=move |_| panel.show(Panel::Feedback)>"Feedback panel"</button>
                " (API and Import CSV)."
            </p>
        </div>
    }
    .erase()
}
