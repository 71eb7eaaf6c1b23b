//! Presentation mode, for workshops and read-outs: a map as slides, one per stage after a title
//! slide, each with its cards by lane and what was measured there (the stage's score, its
//! touchpoints' scores, its reach and conversion to the next stage, the time that takes, and
//! the pain points and drop-off found). At `/maps/{id}/present` for the team and
//! `/s/{token}/present` through a share link, which shows only what the link shows.
//!
//! Server-rendered and never hydrated: without script it is one readable page of slides;
//! `public/present.js` (plain script) shows one slide at a time, full screen on request, driven
//! by the keyboard (arrows, Page Up/Down, space, Home/End, F for full screen).

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::error::AppError;
use crate::api::feedback::{get_map_feedback, Filter, MapFeedback};
use crate::api::hierarchy::{family, Linked};
use crate::api::maps::load_map;
use crate::api::sharing::open_share;
use crate::api::targets::{map_targets, TargetLine};
use crate::domain::ids::{MapId, StageId};
use crate::domain::journey::StageFigures;
use crate::domain::map::{JourneyMap, LaneKind};
use crate::ui::app::PageTitle;
use crate::ui::erase::{Erase, Erased};
use crate::ui::format::{count, duration};
use crate::ui::map::scores::describe;
use crate::ui::pages::MessagePage;
use crate::ui::resource::resource;

/// The team's presentation of map `:id`.
#[component]
pub fn PresentPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let deck = resource(id, |id| async move {
        let id: MapId = id.parse().map_err(|_| AppError::NotFound)?;
        let opened = load_map(id).await?;
        let feedback = get_map_feedback(id, Filter::default(), None).await.ok();
        let targets = map_targets(id, Filter::default(), None)
            .await
            .unwrap_or_default();
        let family = family(id).await.unwrap_or_default();
        let deck = (opened.snapshot.map, feedback, targets, family);
        Ok::<_, AppError>((deck, format!("/maps/{id}")))
    });
    view! { <Deck deck/> }
}

/// A share link's presentation.
#[component]
pub fn SharedPresentPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let deck = resource(token, |token| async move {
        let shared = open_share(token.clone()).await?;
        let map = shared.snapshot.map;
        let feedback = get_map_feedback(map.id, Filter::default(), Some(token.clone()))
            .await
            .ok();
        let targets = map_targets(map.id, Filter::default(), Some(token.clone()))
            .await
            .unwrap_or_default();
        // Links to other maps stay with the team: a share link shows one map.
        let family = Default::default();
        Ok::<_, AppError>(((map, feedback, targets, family), format!("/s/{token}")))
    });
    view! { <Deck deck/> }
}

/// The maps above a map and its sub-journeys (`api::hierarchy::family`).
type Family = (Vec<Linked>, Vec<Linked>);

/// A map, its figures, its targets against them and its family, and where "Leave" goes.
type Loaded = Result<
    (
        (JourneyMap, Option<MapFeedback>, Vec<TargetLine>, Family),
        String,
    ),
    AppError,
>;

#[component]
fn Deck(deck: Resource<Loaded, crate::ui::resource::Json>) -> impl IntoView {
    view! {
        <Suspense fallback=|| view! { <p class="loading page-loading">"Loading map…"</p> }>
            {move || Suspend::new(async move {
                match deck.await {
                    Ok(((map, feedback, targets, family), back)) => {
                        view! { <Slides map feedback targets family back/> }.erase()
                    }
                    Err(AppError::Unauthenticated) => view! {
                        <MessagePage title="Sign in to present" heading="Sign in to present this map">
                            <p><a class="button primary" href="/login">"Sign in"</a></p>
                        </MessagePage>
                    }
                        .erase(),
                    Err(_) => view! {
                        <MessagePage title="Map not available" heading="This map can't be presented">
                            <p>"It may have been deleted, or you may not have access to it."</p>
                        </MessagePage>
                    }
                        .erase(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Slides(
    map: JourneyMap,
    feedback: Option<MapFeedback>,
    targets: Vec<TargetLine>,
    family: Family,
    back: String,
) -> impl IntoView {
    let (above, below) = family;
    let crumbs = (!above.is_empty()).then(|| {
        let names: Vec<String> = above.iter().map(|l| l.title.clone()).collect();
        view! { <p class="muted">{format!("Part of {}", names.join(" › "))}</p> }
    });
    let stages = map.stages().to_vec();
    let total = stages.len() + 1;
    let personas: Vec<String> = map.personas().iter().map(|p| p.name.to_string()).collect();
    let headline = feedback.as_ref().and_then(|f| {
        f.map
            .headline()
            .filter(|s| s.estimate.is_some())
            .map(describe)
    });
    let customers = feedback
        .as_ref()
        .and_then(|f| f.funnel.as_ref())
        .map(|f| format!("{} customers measured on this journey", f.customers));
    let title = map.title.to_string();
    let on_map = against_targets(&targets, None);
    view! {
        <PageTitle text=format!("Presenting {title}")/>
        <link rel="stylesheet" href=crate::ui::pages::PAGE_STYLES/>
        <main id="main" class="present" data-present data-slides=total>
            <nav class="present-bar" aria-label="Presentation">
                <a class="button ghost" href=back>"Leave"</a>
                <button type="button" class="button ghost" data-prev>"Previous"</button>
                <p class="present-where" role="status" data-where>{format!("{total} slides")}</p>
                <button type="button" class="button ghost" data-next>"Next"</button>
                <button type="button" class="button ghost" data-fullscreen>"Full screen"</button>
            </nav>
            <section class="slide title-slide" id="slide-1" aria-label=format!("Slide 1 of {total}: {title}")>
                {crumbs}
                <h1>{title.clone()}</h1>
                {(!map.scenario.as_str().is_empty()).then(|| view! { <p class="scenario">{map.scenario.to_string()}</p> })}
                {(!map.goals.as_str().is_empty()).then(|| view! { <p><strong>"Goals: "</strong>{map.goals.to_string()}</p> })}
                <p><strong>"Personas: "</strong>{personas.join(", ")}</p>
                <p>{count(stages.len(), "stage", "stages")}</p>
                {headline.map(|h| view! { <p class="figure">{h}</p> })}
                {customers.map(|c| view! { <p class="figure">{c}</p> })}
                {on_map}
                <p class="muted hint">"Use the arrow keys or space to move, F for full screen."</p>
            </section>
            {stages
                .iter()
                .enumerate()
                .map(|(i, stage)| {
                    let targets = against_targets(&targets, Some(stage.id));
                    let subs = sub_journeys(&below, stage.id);
                    view! { <StageSlide map=map.clone() stage=stage.id number=i + 2 total feedback=feedback.clone() targets subs/> }
                })
                .collect_view()}
        </main>
    }
}

/// The targets on `stage` (or on the whole map), each against its figure.
fn against_targets(targets: &[TargetLine], stage: Option<StageId>) -> Erased {
    targets
        .iter()
        .filter(|t| t.target.stage == stage)
        .map(|t| {
            let below = t.standing == Some(crate::domain::targets::Standing::Below);
            view! { <p class="figure" class:pain=below>{t.text.clone()}</p> }
        })
        .collect_view()
        .erase()
}

/// The sub-journeys that detail `stage`, each with its headline figure.
fn sub_journeys(below: &[Linked], stage: StageId) -> Erased {
    let here: Vec<String> = below
        .iter()
        .filter(|l| l.stage == Some(stage))
        .map(|l| match &l.headline {
            Some(score) => format!("{} — {}", l.title, describe(score)),
            None => l.title.clone(),
        })
        .collect();
    if here.is_empty() {
        return ().erase();
    }
    view! { <p class="figure">{format!("Sub-journeys: {}", here.join("; "))}</p> }.erase()
}

/// What was measured at `stage`: its funnel row, if the funnel is shown.
fn funnel_row(feedback: Option<&MapFeedback>, stage: StageId) -> Option<&StageFigures> {
    feedback?
        .funnel
        .as_ref()?
        .stages
        .iter()
        .find(|s| s.stage == stage)
}

#[component]
fn StageSlide(
    map: JourneyMap,
    stage: StageId,
    number: usize,
    total: usize,
    feedback: Option<MapFeedback>,
    /// Its targets against their figures, drawn.
    targets: Erased,
    /// Its sub-journeys with their figures, drawn.
    subs: Erased,
) -> impl IntoView {
    let Some(name) = map.stage(stage).map(|s| s.name.to_string()) else {
        return ().erase();
    };
    let summary = feedback.as_ref().and_then(|f| {
        f.stages
            .iter()
            .find(|(id, _)| *id == stage)
            .and_then(|(_, s)| s.headline().filter(|s| s.estimate.is_some()).map(describe))
    });
    let mut measured = Vec::new();
    if let Some(row) = funnel_row(feedback.as_ref(), stage) {
        measured.push(format!("{} customers reached this stage", row.reach));
        if let Some(next) = &row.next {
            let to = map
                .stage(next.to)
                .map_or_else(String::new, |s| s.name.to_string());
            if let Some(rate) = next.rate {
                measured.push(format!(
                    "{:.0}% went on to {to} (95% interval {:.0}–{:.0}%)",
                    rate.value(),
                    rate.low(),
                    rate.high()
                ));
            }
            if let Some(time) = next.time {
                measured.push(format!(
                    "taking {} (median), {} for 9 in 10",
                    duration(time.median),
                    duration(time.p90)
                ));
            }
        }
    }
    let label = format!("Slide {number} of {total}: {name}");
    let drop_off = feedback
        .as_ref()
        .and_then(|f| f.funnel.as_ref())
        .is_some_and(|f| f.drop_off == Some(stage));
    let pain: Vec<crate::domain::ids::CardId> = feedback
        .as_ref()
        .map(|f| f.pain_points.clone())
        .unwrap_or_default();
    let lanes = map
        .lanes()
        .iter()
        .filter_map(|lane| {
            let cards: Vec<_> = map
                .cards_in(stage, lane.id)
                .map(|card| {
                    let score = (lane.kind == LaneKind::Touchpoints)
                        .then(|| {
                            feedback.as_ref().and_then(|f| {
                                f.touchpoints
                                    .iter()
                                    .find(|(id, _)| *id == card.id)
                                    .and_then(|(_, s)| {
                                        s.headline().filter(|s| s.estimate.is_some()).map(describe)
                                    })
                            })
                        })
                        .flatten();
                    let painful = pain.contains(&card.id);
                    (card.text.to_string(), score, painful)
                })
                .collect();
            (!cards.is_empty()).then(|| (lane.name.to_string(), cards))
        })
        .collect::<Vec<_>>();
    view! {
        <section class="slide" id=format!("slide-{number}") aria-label=label>
            <p class="muted">{format!("Stage {} of {}", number - 1, total - 1)}</p>
            <h2>{name}</h2>
            {summary.map(|s| view! { <p class="figure">{s}</p> })}
            {targets}
            {subs}
            {(!measured.is_empty()).then(|| view! { <p class="figure">{measured.join(" · ")}</p> })}
            {drop_off.then(|| view! { <p class="pain">"The largest significant drop-off of the journey is after this stage."</p> })}
            <div class="slide-lanes">
                {lanes
                    .into_iter()
                    .map(|(lane, cards)| view! {
                        <div class="slide-lane">
                            <h3>{lane}</h3>
                            <ul>
                                {cards
                                    .into_iter()
                                    .map(|(text, score, painful)| view! {
                                        <li class:pain=painful>
                                            {text}
                                            {score.map(|s| view! { <span class="figure">{format!(" — {s}")}</span> })}
                                            {painful.then(|| view! { <span class="pain">" (pain point: scores significantly low)"</span> })}
                                        </li>
                                    })
                                    .collect_view()}
                            </ul>
                        </div>
                    })
                    .collect_view()}
            </div>
        </section>
    }
    .erase()
}
