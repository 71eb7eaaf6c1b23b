//! Feedback scores on the map: the summaries of every touchpoint and stage, loaded in the
//! browser and refreshed every minute, the filter they are computed under, and the small views
//! that show a score (the chip on a card, a score with its margin in the panels).

use leptos::prelude::*;

use crate::api::feedback::{get_map_feedback, Filter, MapFeedback};
use crate::domain::feedback::{Metric, Score, Summary};
use crate::domain::ids::{CardId, MapId, StageId};
use crate::domain::journey::StageFigures;
use crate::domain::stats::Confidence;
use crate::ui::erase::Erase;
use crate::ui::format::{duration, thousands};
use crate::ui::map::panel_state::{use_side_panel, Panel};

/// How often the map's scores are fetched again while it is open.
const REFRESH: std::time::Duration = std::time::Duration::from_secs(60);
/// How long news of arriving feedback waits before the scores are fetched: a busy API
/// integration sends many batches, and each open map should fetch once for all of them.
const NEWS_DELAY: std::time::Duration = std::time::Duration::from_secs(2);

/// The map's feedback summaries, shared through context.
#[derive(Clone, Copy)]
pub struct Scores {
    /// Which responses count, for the chips and every panel.
    pub filter: RwSignal<Filter>,
    pub data: RwSignal<Option<MapFeedback>>,
    pub error: RwSignal<Option<String>>,
    version: RwSignal<u32>,
}

impl Scores {
    pub fn new() -> Scores {
        Scores {
            filter: RwSignal::new(Filter::default()),
            data: RwSignal::new(None),
            error: RwSignal::new(None),
            version: RwSignal::new(0),
        }
    }

    /// Loads the summaries again (after an import, say).
    pub fn refresh(&self) {
        self.version.update(|v| *v += 1);
    }

    pub fn touchpoint(&self, card: CardId) -> Option<Summary> {
        self.data
            .with(|d| d.as_ref().and_then(|d| d.touchpoint(card).cloned()))
    }

    pub fn stage(&self, stage: StageId) -> Option<Summary> {
        self.data
            .with(|d| d.as_ref().and_then(|d| d.stage(stage).cloned()))
    }

    /// What customers did at a stage, when events were sent: its figures, and whether its
    /// conversion to the next is the map's significant drop-off.
    pub fn stage_funnel(&self, stage: StageId) -> Option<(StageFigures, bool)> {
        self.data.with(|d| {
            let funnel = d.as_ref()?.funnel.as_ref()?;
            let figures = funnel.stage(stage)?.clone();
            (figures.reach > 0).then_some((figures, funnel.drop_off == Some(stage)))
        })
    }

    pub fn is_pain_point(&self, card: CardId) -> bool {
        self.data
            .with(|d| d.as_ref().is_some_and(|d| d.pain_points.contains(&card)))
    }

    /// Fetches the summaries whenever the filter changes or a refresh is asked for, shortly
    /// after the server says feedback arrived (`news` counts its messages), and every minute.
    /// The work happens in effects, so only in the browser.
    pub fn start(self, map: MapId, share: Option<String>, news: RwSignal<u32>) {
        // Requests can overlap (a filter changed twice, a refresh while a slow summary is still
        // computed) and their replies can come back in any order; a late reply to an older
        // request must not overwrite a newer one's. So each request takes the next number and
        // its reply is applied only if no request was made since. `try_get_value` also drops a
        // reply that arrives after the map is gone.
        let latest = StoredValue::new(0u64);
        Effect::new(move |_| {
            let filter = self.filter.get();
            self.version.track();
            let share = share.clone();
            let request = latest.get_value() + 1;
            latest.set_value(request);
            leptos::task::spawn_local(async move {
                let reply = get_map_feedback(map, filter, share).await;
                if latest.try_get_value() != Some(request) {
                    return;
                }
                match reply {
                    Ok(data) => {
                        self.data.set(Some(data));
                        self.error.set(None);
                    }
                    Err(err) => self.error.set(Some(err.to_string())),
                }
            });
        });
        // Effects run only in the browser, so the timer is made there; this one tracks
        // nothing, so it runs once, and its cleanup stops the timer with the map.
        Effect::new(move |_| {
            if let Ok(timer) = set_interval_with_handle(move || self.refresh(), REFRESH) {
                on_cleanup(move || timer.clear());
            }
        });
        on_news(news, move || self.refresh());
    }
}

/// Runs `then` `NEWS_DELAY` after the server's news (`news` counts its `Refetch` messages):
/// once for a burst of them. The work happens in an effect, so only in the browser.
pub fn on_news(news: RwSignal<u32>, then: impl Fn() + Copy + Send + Sync + 'static) {
    let waiting = StoredValue::new(false);
    Effect::new(move |seen: Option<()>| {
        news.track();
        // The first run is the effect starting, not news.
        if seen.is_some() && !waiting.get_value() {
            waiting.set_value(true);
            set_timeout(
                move || {
                    waiting.set_value(false);
                    then();
                },
                NEWS_DELAY,
            );
        }
    });
}

impl Default for Scores {
    fn default() -> Scores {
        Scores::new()
    }
}

pub fn use_scores() -> Scores {
    expect_context::<Scores>()
}

/// A colour step from red (0) to green (4) for a score's place on its scale.
pub fn tone(metric: Metric, value: f64) -> u8 {
    (metric.normalise(value) * 4.999).floor() as u8
}

/// "NPS +32 ±12 · n=140", for titles and screen readers.
pub fn describe(score: &Score) -> String {
    match score.estimate {
        None => format!(
            "{}: {} answers, too few to show a score",
            score.metric.label(),
            score.n
        ),
        Some(e) => {
            let low = if score.confidence == Confidence::Low {
                ", low confidence"
            } else {
                ""
            };
            format!(
                "{} {} (95% interval {} to {}), {} answers{low}",
                score.metric.label(),
                score.metric.format(e.value()),
                score.metric.format(e.low()),
                score.metric.format(e.high()),
                e.n()
            )
        }
    }
}

/// The chip a touchpoint card shows: its headline score, coloured, with the answer count. It
/// opens the touchpoint's feedback panel.
#[component]
pub fn ScoreChip(card: CardId) -> impl IntoView {
    let scores = use_scores();
    let panel = use_side_panel();
    let summary = Memo::new(move |_| scores.touchpoint(card));
    let pain = Memo::new(move |_| scores.is_pain_point(card));
    move || {
        let summary = summary.get()?;
        Some(view! {
            <SummaryChip
                summary
                opens="the feedback panel"
                on_click=Callback::new(move |()| panel.show(Panel::Touchpoint(card)))
            />
            {pain.get().then(|| view! {
                <span class="chip pain-point" title="Scores significantly below the rest of this map">"Pain point"</span>
            })}
        })
    }
}

/// A stage's headline score, over all its touchpoints, under the stage's name. It opens the
/// map's feedback panel, which lists every stage.
#[component]
pub fn StageScore(stage: StageId) -> impl IntoView {
    let scores = use_scores();
    let panel = use_side_panel();
    let summary = Memo::new(move |_| scores.stage(stage));
    move || {
        summary.get().map(|summary| {
            view! {
                <SummaryChip
                    summary
                    opens="the map's feedback"
                    on_click=Callback::new(move |()| panel.show(Panel::Feedback))
                />
            }
        })
    }
}

/// What customers did at a stage, under its name: how many reached it, how many of them went
/// on to the next stage and how long that took; "Drop-off" where the map loses significantly
/// more people than anywhere else.
#[component]
pub fn StageFunnel(stage: StageId) -> impl IntoView {
    let scores = use_scores();
    let figures = Memo::new(move |_| scores.stage_funnel(stage));
    move || {
        let (figures, drop_off) = figures.get()?;
        let next = figures.next.as_ref();
        let rate = next.and_then(|n| n.rate);
        let time = next.and_then(|n| n.time);
        // One sentence for the title, so the figures' intervals are a hover away.
        let went_on = rate.map(|r| {
            format!(
                "; {:.1}% (95% interval {:.1}–{:.1}%) went on to the next stage",
                r.value(),
                r.low(),
                r.high()
            )
        });
        let took = time.map(|t| {
            format!(
                ", after a median of {} (90% within {})",
                duration(t.median),
                duration(t.p90)
            )
        });
        let title = format!(
            "{} customers reached this stage{}{}",
            thousands(figures.reach),
            went_on.unwrap_or_default(),
            took.unwrap_or_default()
        );
        Some(view! {
            <p class="stage-funnel" title=title>
                <span class="reach">{format!("{} reached", thousands(figures.reach))}</span>
                {rate.map(|r| view! { <span class="went-on">{format!("{:.0}% went on", r.value())}</span> })}
                {time.map(|t| view! { <span class="gap">{format!("in {}", duration(t.median))}</span> })}
            </p>
            {drop_off.then(|| view! {
                <span class="chip pain-point" title="Significantly fewer customers go on from here than anywhere else on the map">"Drop-off"</span>
            })}
        })
    }
}

/// A summary's headline score as a coloured button, with its count and confidence.
#[component]
fn SummaryChip(summary: Summary, opens: &'static str, on_click: Callback<()>) -> impl IntoView {
    let headline = summary.headline().cloned();
    let (text, tone_class, title) = match &headline {
        Some(score) => match score.estimate {
            Some(e) => (
                format!(
                    "{} {}",
                    score.metric.label(),
                    score.metric.format(e.value())
                ),
                format!("tone-{}", tone(score.metric, e.value())),
                describe(score),
            ),
            None => (
                format!("n={}", summary.responses),
                "tone-none".to_owned(),
                describe(score),
            ),
        },
        None => (
            format!("{} comments", summary.comments),
            "tone-none".to_owned(),
            "Comments only, no scores".to_owned(),
        ),
    };
    let low = headline
        .as_ref()
        .is_some_and(|s| s.confidence == Confidence::Low);
    let shows_score = headline.as_ref().is_some_and(|s| s.estimate.is_some());
    let n = summary.responses;
    let contents = view! {
        <span class="score-value">{text}</span>
        {shows_score.then(|| view! { <span class="score-n">{format!("n={n}")}</span> })}
        {low.then(|| view! { <span class="low-confidence" title="Fewer than 30 answers: low confidence">"~"</span> })}
    };
    // A display-only map has nothing to open: the same chip, as text.
    if use_context::<crate::ui::editor::Editor>().is_some_and(|e| !e.shows_controls()) {
        return view! {
            <span class=format!("chip score-chip {tone_class}") title=title>{contents}</span>
        }
        .erase();
    }
    view! {
        <button
            type="button"
            class=format!("chip score-chip {tone_class}")
            title=title.clone()
            aria-label=format!("Feedback: {title}. Open {opens}")
            on:click=move |_| on_click.run(())
        >
            {contents}
        </button>
    }
    .erase()
}

/// A score with its margin of error, interval, count and confidence, for the panels.
#[component]
pub fn ScoreLine(score: Score, #[prop(optional_no_strip)] mean: Option<Score>) -> impl IntoView {
    let label = score.metric.label();
    match score.estimate {
        None => view! {
            <div class="score-line hidden-score">
                <span class="score-label">{label}</span>
                <span class="score-value">"—"</span>
                <span class="score-detail">{format!("{} answers; a score shows from the map's minimum", score.n)}</span>
            </div>
        }
        .erase(),
        Some(e) => {
            let metric = score.metric;
            let low = score.confidence == Confidence::Low;
            let mean = mean
                .and_then(|m| m.estimate)
                .map(|m| format!(" · mean {:.2} of 5", m.value()));
            view! {
                <div class=format!("score-line tone-{}", tone(metric, e.value()))>
                    <span class="score-label">{label}</span>
                    <span class="score-value">{metric.format(e.value())}</span>
                    <span class="score-detail">
                        {format!(
                            "±{:.1} · 95% interval {} to {} · n={}",
                            e.margin(),
                            metric.format(e.low()),
                            metric.format(e.high()),
                            e.n()
                        )}
                        {mean}
                        {low.then(|| view! { <span class="low-confidence-label">" · low confidence"</span> })}
                    </span>
                </div>
            }
            .erase()
        }
    }
}
