//! As-is and to-be, side by side (`/maps/{id}/compare`, for a to-be map): stage by stage, each
//! card of either map with what became of it (added, removed, changed, or the same), and beside
//! the as-is touchpoints what customers measurably said of them. Server-rendered and never
//! hydrated, like presentation mode: it is a page to read.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::error::AppError;
use crate::api::hierarchy::{compare_with_as_is, AsIsToBe};
use crate::domain::compare::{Change, Comparison};
use crate::domain::ids::MapId;
use crate::domain::map::{Card, JourneyMap, LaneKind};
use crate::ui::app::PageTitle;
use crate::ui::erase::Erase;
use crate::ui::map::scores::describe;
use crate::ui::pages::MessagePage;
use crate::ui::resource::resource;

#[component]
pub fn ComparePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let loaded = resource(id, |id| async move {
        let id: MapId = id.parse().map_err(|_| AppError::NotFound)?;
        compare_with_as_is(id).await
    });
    view! {
        <link rel="stylesheet" href=crate::ui::pages::PAGE_STYLES/>
        <Suspense fallback=|| view! { <p class="loading page-loading">"Loading maps…"</p> }>
            {move || Suspend::new(async move {
                match loaded.await {
                    Ok(both) => view! { <SideBySide both/> }.erase(),
                    Err(AppError::Unauthenticated) => view! {
                        <MessagePage title="Sign in to compare" heading="Sign in to compare these maps">
                            <p><a class="button primary" href="/login">"Sign in"</a></p>
                        </MessagePage>
                    }
                        .erase(),
                    Err(_) => view! {
                        <MessagePage title="Nothing to compare" heading="Nothing to compare">
                            <p>"This map was not made from an as-is map, the as-is map was deleted, or you cannot see both."</p>
                        </MessagePage>
                    }
                        .erase(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SideBySide(both: AsIsToBe) -> impl IntoView {
    let AsIsToBe {
        as_is,
        to_be,
        measured,
    } = both;
    let comparison = Comparison::new(&as_is, &to_be);
    let summary = format!(
        "{} added, {} removed, {} changed",
        comparison.added, comparison.removed, comparison.changed
    );
    let measured_score = |card: &Card| {
        let lane = as_is.lane(card.lane)?;
        if lane.kind != LaneKind::Touchpoints {
            return None;
        }
        let summary = measured.as_ref()?.touchpoint(card.id)?;
        summary
            .headline()
            .filter(|s| s.estimate.is_some())
            .map(describe)
    };
    let sections = comparison
        .stages(&as_is, &to_be)
        .into_iter()
        .map(|(stage, name)| {
            let rows = comparison
                .rows
                .iter()
                .filter(|r| r.card.stage == stage)
                .map(|row| {
                    let lane = lane_name(&to_be, &as_is, row.card);
                    let before = row.before.map(|b| {
                        let score = measured_score(b);
                        view! {
                            <span>{b.text.to_string()}</span>
                            {score.map(|s| view! { <span class="measured">{format!("As-is measured: {s}")}</span> })}
                        }
                    });
                    let (after, badge) = match row.change {
                        Change::Removed => (None, "Removed".to_owned()),
                        Change::Added => (Some(row.card.text.to_string()), "Added".to_owned()),
                        Change::Changed(fields) => (
                            Some(row.card.text.to_string()),
                            format!("Changed: {}", fields.describe()),
                        ),
                        Change::Same => (Some(row.card.text.to_string()), String::new()),
                    };
                    let class = match row.change {
                        Change::Added => "change-added",
                        Change::Removed => "change-removed",
                        Change::Changed(_) => "change-changed",
                        Change::Same => "change-same",
                    };
                    view! {
                        <tr class=class>
                            <th scope="row">{lane}</th>
                            <td>{before.map(|b| b.erase()).unwrap_or_else(|| view! { <span class="muted">"—"</span> }.erase())}</td>
                            <td>
                                {after.map(|a| view! { <span>{a}</span> }.erase()).unwrap_or_else(|| view! { <span class="muted">"—"</span> }.erase())}
                                {(!badge.is_empty()).then(|| view! { <span class="change-badge">{badge}</span> })}
                            </td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <section class="compare-stage" aria-labelledby=format!("stage-{stage}")>
                    <h2 id=format!("stage-{stage}")>{name}</h2>
                    <table class="compare-table">
                        <thead>
                            <tr>
                                <th scope="col">"Lane"</th>
                                <th scope="col">"As-is"</th>
                                <th scope="col">"To-be"</th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                </section>
            }
        })
        .collect_view();
    let (as_is_title, to_be_title) = (as_is.title.to_string(), to_be.title.to_string());
    view! {
        <PageTitle text=format!("Compare {to_be_title}")/>
        <main id="main" class="compare">
            <nav class="present-bar" aria-label="Maps">
                <a class="button ghost" href=format!("/maps/{}", to_be.id)>"Open the to-be map"</a>
                <a class="button ghost" href=format!("/maps/{}", as_is.id)>"Open the as-is map"</a>
            </nav>
            <h1>"As-is and to-be"</h1>
            <p class="compare-summary">
                <strong>{as_is_title}</strong>" → "<strong>{to_be_title}</strong>": "{summary}
            </p>
            {measured.is_none().then(|| view! {
                <p class="muted">"The as-is map's feedback is not shown: you may not read its answers."</p>
            })}
            {sections}
        </main>
    }
}

/// The lane a row's card is in, named by the map it is in now.
fn lane_name(to_be: &JourneyMap, as_is: &JourneyMap, card: &Card) -> String {
    to_be
        .lane(card.lane)
        .or_else(|| as_is.lane(card.lane))
        .map_or_else(String::new, |l| l.name.to_string())
}
