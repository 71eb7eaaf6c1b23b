//! One touchpoint's feedback panel: its survey and public form (for editors), what customers
//! did there (journey analytics: how many reached it, their share of the stage, where they went
//! next), then what they said: scores with margins, distributions, the trend, sentiment, themes
//! and comments.

use leptos::prelude::*;

use super::charts::{Distribution, TrendView};
use super::comments::{QuoteList, Themes};
use super::survey::SurveySettings;
use crate::api::feedback::{get_touchpoint_feedback, TouchpointFeedback};
use crate::api::journey::get_journey;
use crate::domain::feedback::{Metric, Period};
use crate::domain::ids::CardId;
use crate::domain::journey::TouchFigures;
use crate::ui::editor::use_editor;
use crate::ui::erase::Erase;
use crate::ui::feedback::card_name;
use crate::ui::format::thousands;
use crate::ui::map::feedback_filter::FilterBar;
use crate::ui::map::scores::{use_scores, ScoreLine};

/// The side panel of one touchpoint card's feedback.
#[component]
pub(crate) fn TouchpointPanel(card: CardId) -> impl IntoView {
    let editor = use_editor();
    let scores = use_scores();
    let name = move || {
        editor.map.with(|m| {
            m.card(card)
                .map(|c| c.text.as_str().lines().next().unwrap_or("").to_owned())
        })
    };
    let period = RwSignal::new(Period::Week);
    let share = editor.access.with_value(|a| a.share_token.clone());
    let detail = LocalResource::new(move || {
        let (filter, period, share) = (scores.filter.get(), period.get(), share.clone());
        // Reload with the map's scores (every minute, after imports).
        scores.data.track();
        async move { get_touchpoint_feedback(editor.id, card, filter, period, share).await }
    });

    view! {
        <section class="touchpoint-feedback" aria-labelledby="touchpoint-heading">
            {move || match name() {
                None => view! {
                    <h2 id="touchpoint-heading">"Feedback"</h2>
                    <p class="empty-note">"This card was removed."</p>
                }
                .erase(),
                Some(title) => view! {
                    <h2 id="touchpoint-heading">
                        <span class="muted">"Feedback · "</span>
                        {if title.is_empty() { "Untitled touchpoint".to_owned() } else { title }}
                    </h2>
                }
                .erase(),
            }}
            {editor.can_edit().then(|| view! { <SurveySettings card/> })}
            <FilterBar/>
            <label class="field inline">
                <span>"Trend by"</span>
                <select on:change=move |ev| {
                    period.set(if event_target_value(&ev) == "month" { Period::Month } else { Period::Week });
                }>
                    <option value="week">"Week"</option>
                    <option value="month">"Month"</option>
                </select>
            </label>
            <TouchJourney card/>
            <Suspense fallback=|| view! { <p class="loading">"Loading feedback…"</p> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(detail) => view! { <Detail detail/> }.erase(),
                        Err(err) => view! { <p class="notice error" role="alert">{err.to_string()}</p> }.erase(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// What customers did at the touchpoint under the panel's filter: how many reached it, as a
/// share of its stage (with its interval), and where they went next. Nothing when no events
/// were sent, or a share link does not show the measured journey.
#[component]
fn TouchJourney(card: CardId) -> impl IntoView {
    let editor = use_editor();
    let scores = use_scores();
    let share = editor.access.with_value(|a| a.share_token.clone());
    let figures = LocalResource::new(move || {
        let (filter, share) = (scores.filter.get(), share.clone());
        scores.data.track();
        async move { get_journey(editor.id, filter, share).await }
    });
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let Ok(figures) = figures.await else { return ().erase() };
                if figures.funnel.customers == 0 {
                    return ().erase();
                }
                let here = figures.touchpoints.into_iter().find(|t| t.card == card);
                view! {
                    <h3>"Measured journey"</h3>
                    <p>{reached(here.as_ref())}</p>
                    {here.filter(|t| !t.next.is_empty()).map(|t| {
                        let next = t.next.iter()
                            .map(|(to, n)| format!("{} ({})", card_name(editor, *to), thousands(*n)))
                            .collect::<Vec<_>>()
                            .join(", ");
                        view! { <p>{format!("Next, most often: {next}.")}</p> }
                    })}
                }
                .erase()
            })}
        </Suspense>
    }
}

/// "120 customers reached this touchpoint: 60% of its stage's (95% interval 53–67%)."
fn reached(here: Option<&TouchFigures>) -> String {
    let Some(here) = here else {
        return "No customer reached this touchpoint under these filters.".to_owned();
    };
    let mut text = format!(
        "{} customers reached this touchpoint",
        thousands(here.reach)
    );
    if let Some(share) = here.share {
        text.push_str(&format!(
            ": {:.0}% of its stage's (95% interval {:.0}–{:.0}%)",
            share.value(),
            share.low(),
            share.high()
        ));
    }
    text.push('.');
    text
}

/// The scores, charts and comments for the chosen filters, or a note that there are none.
#[component]
fn Detail(detail: TouchpointFeedback) -> impl IntoView {
    let TouchpointFeedback {
        summary,
        trend,
        comments_shown,
        comment_minimum,
        themes,
        suggested,
        quotes,
        latest,
    } = detail;
    if summary.responses == 0 {
        return view! {
            <p class="empty-note">
                "No answers yet for these filters. Share the form link or QR code, send answers through the API, or import a CSV file from the Feedback panel."
            </p>
        }
        .erase();
    }
    let scores: Vec<_> = [
        summary.nps.clone(),
        summary.csat.clone(),
        summary.ces.clone(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let csat_mean = summary.csat_mean.clone();
    view! {
        <h3>"Scores"</h3>
        <p class="muted">{format!("{} answers · {} comments", summary.responses, summary.comments)}</p>
        {scores
            .into_iter()
            .map(|score| {
                let mean = (score.metric == Metric::Csat)
                    .then(|| csat_mean.clone())
                    .flatten();
                view! { <ScoreLine score mean/> }
            })
            .collect_view()}
        {summary.distribution.clone().map(|tally| view! { <Distribution tally/> })}
        <TrendView trend/>
        <h3>"Comments"</h3>
        {if comments_shown {
            view! {
                <p>
                    {summary.negative_share().map(|share| format!(
                        "{share:.0}% of {} comments read negative.",
                        summary.comments
                    ))}
                </p>
                <Themes themes suggested/>
                {(!quotes.is_empty()).then(|| view! {
                    <h3>"Representative quotes"</h3>
                    <QuoteList quotes/>
                })}
                <h3>"Latest comments"</h3>
                <QuoteList quotes=latest/>
            }
            .erase()
        } else {
            view! {
                <p class="empty-note">
                    {format!(
                        "Comments appear once there are at least {comment_minimum}, so no one can be singled out ({} so far).",
                        summary.comments
                    )}
                </p>
            }
            .erase()
        }}
    }
    .erase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::stats;

    #[test]
    fn a_touchpoint_reads_as_its_reach_and_share() {
        let mut here = TouchFigures {
            card: CardId::from_uuid(uuid::Uuid::nil()),
            reach: 1_200,
            share: stats::wilson(1_200, 2_000),
            next: vec![],
        };
        let share = here.share.unwrap();
        assert_eq!(
            reached(Some(&here)),
            format!(
                "1,200 customers reached this touchpoint: 60% of its stage's (95% interval {:.0}–{:.0}%).",
                share.low(),
                share.high()
            )
        );
        here.share = None;
        assert_eq!(
            reached(Some(&here)),
            "1,200 customers reached this touchpoint."
        );
        assert!(reached(None).starts_with("No customer"));
    }
}
