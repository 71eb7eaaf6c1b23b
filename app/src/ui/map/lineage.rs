//! Where the map sits among the others (`domain::hierarchy`): the breadcrumb of the maps above
//! it over its title, and under each stage's name the sub-journeys that detail that stage, each
//! a link with its headline score. Loaded with the map (`load_map`), so it is in the server's
//! HTML; share links and embeds show none.
//!
//! The links load the other map as a new page (`rel="external"`): the router would otherwise
//! swap one editor for another in place, live connection, history and all.

use leptos::prelude::*;

use crate::api::hierarchy::Linked;
use crate::domain::ids::StageId;
use crate::ui::map::scores::{describe, tone};

/// The maps above this one (top first) and its sub-journeys, as context for the editor.
#[derive(Clone, Debug, Default)]
pub struct Lineage {
    pub above: Vec<Linked>,
    pub below: Vec<Linked>,
}

fn lineage() -> Option<StoredValue<Lineage>> {
    use_context::<StoredValue<Lineage>>()
}

/// "Part of: Retention › Onboarding", over the map's title.
#[component]
pub fn Breadcrumb() -> impl IntoView {
    let above = lineage()
        .map(|l| l.with_value(|l| l.above.clone()))
        .unwrap_or_default();
    (!above.is_empty()).then(|| {
        view! {
            <nav class="breadcrumb" aria-label="Part of">
                {above
                    .into_iter()
                    .map(|m| view! { <a rel="external" href=format!("/maps/{}", m.id)>{m.title}</a> })
                    .collect_view()}
            </nav>
        }
    })
}

/// The sub-journeys detailing `stage`, each with its headline score.
#[component]
pub fn SubJourneys(stage: StageId) -> impl IntoView {
    let here: Vec<Linked> = lineage()
        .map(|l| {
            l.with_value(|l| {
                l.below
                    .iter()
                    .filter(|m| m.stage == Some(stage))
                    .cloned()
                    .collect()
            })
        })
        .unwrap_or_default();
    (!here.is_empty()).then(|| {
        view! {
            <ul class="sub-journeys" aria-label="Sub-journeys">
                {here
                    .into_iter()
                    .map(|m| {
                        let score = m.headline.as_ref().and_then(|s| {
                            let e = s.estimate?;
                            Some(view! {
                                <span class=format!("score-chip tone-{}", tone(s.metric, e.value())) title=describe(s)>
                                    {format!("{} {}", s.metric.label(), s.metric.format(e.value()))}
                                </span>
                            })
                        });
                        view! {
                            <li>
                                <a rel="external" href=format!("/maps/{}", m.id)>{m.title}</a>
                                {score}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
    })
}
