//! Where the map sits among the others (`domain::hierarchy`): the breadcrumb of the maps above
//! it over its title, and under each stage's name (or on each card) the sub-journeys that
//! detail that stage (or card), each a link with its headline score and funnel figure. Loaded
//! with the map (`load_map`), so it is in the server's HTML; share links and embeds show none.
//!
//! The links load the other map as a new page (`rel="external"`): the router would otherwise
//! swap one editor for another in place, live connection, history and all.

use leptos::prelude::*;

use crate::api::hierarchy::{family, Linked};
use crate::domain::ids::{CardId, MapId, StageId};
use crate::ui::map::scores::{describe, on_news, tone};

/// The maps above this one (top first) and its sub-journeys, as context for the editor.
#[derive(Clone, Debug, Default)]
pub struct Lineage {
    pub above: Vec<Linked>,
    pub below: Vec<Linked>,
}

fn lineage() -> Option<RwSignal<Lineage>> {
    use_context::<RwSignal<Lineage>>()
}

/// Fetches map `map`'s lineage again after the server's news (`news`): a link to or from it
/// may have changed, so the other editors of either map follow without a reload.
pub fn follow(map: MapId, lineage: RwSignal<Lineage>, news: RwSignal<u32>) {
    on_news(news, move || {
        leptos::task::spawn_local(async move {
            if let Some(fresh) = fetch(map).await {
                lineage.try_set(fresh);
            }
        });
    });
}

/// Map `map`'s lineage from the server. In a chunk of its own, loaded with the first news: in
/// the editor's main module, the server function's client and decoder cost 4.5 KB of brotli.
#[lazy]
async fn fetch(map: MapId) -> Option<Lineage> {
    let (above, below) = family(map).await.ok()?;
    Some(Lineage { above, below })
}

/// "Part of: Retention › Onboarding", over the map's title.
#[component]
pub fn Breadcrumb() -> impl IntoView {
    let lineage = lineage();
    move || {
        let above = lineage
            .map(|l| l.with(|l| l.above.clone()))
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
}

/// The sub-journeys detailing card `card` or, without one, stage `stage` as a whole, each with
/// its headline score and funnel figure.
#[component]
pub fn SubJourneys(stage: Option<StageId>, card: Option<CardId>) -> impl IntoView {
    let lineage = lineage();
    move || {
        let here: Vec<Linked> = lineage
            .map(|l| {
                l.with(|l| {
                    l.below
                        .iter()
                        .filter(|m| m.card == card && (card.is_some() || m.stage == stage))
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
                            let conversion = m.conversion.map(|c| {
                                let title = format!("95% interval {:.0}–{:.0}%, of {}", c.low(), c.high(), c.n());
                                view! { <span class="chip" title=title>{format!("{:.0}% to the end", c.value())}</span> }
                            });
                            view! {
                                <li>
                                    <a rel="external" href=format!("/maps/{}", m.id)>{m.title}</a>
                                    {score}
                                    {conversion}
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            }
        })
    }
}
