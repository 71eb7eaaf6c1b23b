//! One touchpoint's feedback: its survey and public form (for editors), then what customers
//! said: scores with margins, distributions, the trend, sentiment, themes and comments.

use leptos::prelude::*;

use crate::api::feedback::{form_token, get_touchpoint_feedback, Quote, TouchpointFeedback};
use crate::domain::edit::Edit;
use crate::domain::feedback::{Direction, FeedbackSettings, Period, Survey, Tally, Theme, Trend};
use crate::domain::ids::CardId;
use crate::domain::text::Name;
use crate::ui::editor::use_editor;
use crate::ui::format::date_time;
use crate::ui::map::feedback_filter::FilterBar;
use crate::ui::map::scores::{use_scores, ScoreLine};
use crate::ui::pages::admin::{site_origin, CopyField};

#[component]
pub fn TouchpointPanel(card: CardId) -> impl IntoView {
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
                .into_any(),
                Some(title) => view! {
                    <h2 id="touchpoint-heading">
                        <span class="muted">"Feedback · "</span>
                        {if title.is_empty() { "Untitled touchpoint".to_owned() } else { title }}
                    </h2>
                }
                .into_any(),
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
            <Suspense fallback=|| view! { <p class="loading">"Loading feedback…"</p> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(detail) => view! { <Detail detail/> }.into_any(),
                        Err(err) => view! { <p class="notice error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// What the touchpoint asks, its public form link and QR code.
#[component]
fn SurveySettings(card: CardId) -> impl IntoView {
    let editor = use_editor();
    let survey = Memo::new(move |_| {
        editor
            .map
            .with(|m| m.card(card).and_then(|c| c.survey.clone()))
    });
    let set = move |survey: Option<Survey>| editor.edit(Edit::SetCardSurvey { id: card, survey });
    let start = move |_| {
        let text = editor
            .map
            .with_untracked(|m| m.card(card).map(|c| c.text.to_string()))
            .unwrap_or_default();
        set(Some(Survey::default_for(&text)));
    };
    view! {
        // Open at first when there is nothing to show yet; after that the user decides.
        <details class="survey-settings" open=survey.with_untracked(Option::is_none)>
            <summary>"Survey and form link"</summary>
            {move || match survey.get() {
                None => view! {
                    <p class="empty-note">"This touchpoint doesn't ask customers anything yet."</p>
                    <button type="button" class="button primary small" on:click=start>"Collect feedback here"</button>
                }
                .into_any(),
                Some(current) => view! {
                    <SurveyEditor survey=current on_change=Callback::new(move |s| set(Some(s)))/>
                    <FormLink card/>
                    <button type="button" class="button small danger" on:click=move |_| set(None)>
                        "Stop collecting"
                    </button>
                }
                .into_any(),
            }}
        </details>
    }
}

/// The questions, each on or off with its wording.
#[component]
fn SurveyEditor(survey: Survey, on_change: Callback<Survey>) -> impl IntoView {
    let notice = RwSignal::new(None::<String>);
    let current = StoredValue::new(survey);
    type Slot = fn(&mut Survey) -> &mut Option<Name>;
    let questions: [(&str, &str, &str, Slot); 4] = [
        (
            "NPS (0–10)",
            "How likely are you to recommend us to a friend or colleague?",
            "nps",
            |s| &mut s.nps,
        ),
        ("CSAT (1–5)", "How satisfied were you?", "csat", |s| {
            &mut s.csat
        }),
        ("CES (1–7)", "How easy was it?", "ces", |s| &mut s.ces),
        (
            "Comment box",
            "Anything you would like to tell us?",
            "comment",
            |s| &mut s.comment,
        ),
    ];
    let apply = move |change: &dyn Fn(&mut Survey)| {
        let mut next = current.get_value();
        change(&mut next);
        match Survey::new(
            next.nps.clone(),
            next.csat.clone(),
            next.ces.clone(),
            next.comment.clone(),
        ) {
            Ok(next) => {
                notice.set(None);
                current.set_value(next.clone());
                on_change.run(next);
            }
            Err(err) => notice.set(Some(err.message)),
        }
    };
    view! {
        <fieldset class="survey-questions">
            <legend>"Questions"</legend>
            {questions
                .into_iter()
                .map(|(label, default, key, slot)| {
                    let asked = slot(&mut current.get_value()).clone();
                    let wording = asked.as_ref().map(Name::to_string).unwrap_or_default();
                    view! {
                        <div class="survey-question">
                            <label class="check">
                                <input
                                    type="checkbox"
                                    checked=asked.is_some()
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        apply(&|s: &mut Survey| {
                                            *slot(s) = on.then(|| Name::parse(default).ok()).flatten();
                                        });
                                    }
                                />
                                {label}
                            </label>
                            <input
                                type="text"
                                aria-label=format!("Wording of the {key} question")
                                value=wording
                                maxlength="200"
                                disabled=asked.is_none()
                                on:change=move |ev| {
                                    let raw = event_target_value(&ev);
                                    match Name::parse(&raw) {
                                        Ok(text) => apply(&|s: &mut Survey| *slot(s) = Some(text.clone())),
                                        Err(err) => notice.set(Some(format!("Wording not changed: {err}"))),
                                    }
                                }
                            />
                        </div>
                    }
                })
                .collect_view()}
            {move || notice.get().map(|n| view! { <p class="notice error" role="alert">{n}</p> })}
        </fieldset>
    }
}

/// The public form's link, its QR code, and replacing the link.
#[component]
fn FormLink(card: CardId) -> impl IntoView {
    let editor = use_editor();
    let map = editor.id;
    let renewals = RwSignal::new(0u32);
    let token = LocalResource::new(move || {
        let renew = renewals.get() > 0;
        async move { form_token(map, card, renew).await }
    });
    let renew = move |_| {
        let sure = window()
            .confirm_with_message(
                "Replace the link? The old link and printed QR codes stop working.",
            )
            .unwrap_or(false);
        if sure {
            renewals.update(|n| *n += 1);
        }
    };
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Making the form link…"</p> }>
            {move || Suspend::new(async move {
                match token.await {
                    Ok(token) => {
                        let url = format!("{}/f/{token}", site_origin());
                        let qr = format!("/f/{token}/qr.svg");
                        view! {
                            <CopyField
                                label="Public form"
                                value=url.clone()
                                note="Anyone with this link can answer; they see only these questions. Add ?c=store&s=vip to tag answers with a channel and segment."
                            />
                            <div class="form-link-actions">
                                <a class="button small" href=url target="_blank" rel="noopener">"Open form"</a>
                                <a class="button small" href=qr.clone() download="feedback-qr.svg">"Download QR code"</a>
                                <button type="button" class="button small" on:click=renew>"Replace link"</button>
                            </div>
                            <img class="qr" src=qr alt="QR code of the form link" width="120" height="120"/>
                        }
                        .into_any()
                    }
                    Err(err) => view! { <p class="notice error">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

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
        .into_any();
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
                let mean = (score.metric == crate::domain::feedback::Metric::Csat)
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
            .into_any()
        } else {
            view! {
                <p class="empty-note">
                    {format!(
                        "Comments appear once there are at least {comment_minimum}, so no one can be singled out ({} so far).",
                        summary.comments
                    )}
                </p>
            }
            .into_any()
        }}
    }
    .into_any()
}

/// Bars of how many answered each score, one row per question asked.
/// One bar: the score, how many gave it, and its NPS group (a CSS class; empty elsewhere).
type Bar = (String, u64, &'static str);

#[component]
fn Distribution(tally: Tally) -> impl IntoView {
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
fn TrendView(trend: Trend) -> impl IntoView {
    let metric = trend
        .points
        .iter()
        .rev()
        .find_map(|p| p.summary.headline().map(|s| s.metric));
    let Some(metric) = metric else {
        return ().into_any();
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
    .into_any()
}

/// The team's themes with their counts, and suggested keywords that can become themes.
#[component]
fn Themes(
    themes: Vec<crate::api::feedback::ThemeCount>,
    suggested: Vec<(String, usize)>,
) -> impl IntoView {
    let editor = use_editor();
    let add_theme = move |keyword: String| {
        let (Ok(name), Ok(word)) = (Name::parse(&keyword), Name::parse(&keyword)) else {
            return;
        };
        let mut settings: FeedbackSettings = editor.map.with_untracked(|m| m.feedback.clone());
        if settings.themes.iter().any(|t| t.name == name) {
            return;
        }
        settings.themes.push(Theme {
            name,
            keywords: vec![word],
        });
        editor.edit(Edit::SetFeedbackSettings { settings });
    };
    view! {
        {(!themes.is_empty()).then(|| view! {
            <h3>"Themes"</h3>
            <ul class="themes">
                {themes.into_iter().map(|t| view! {
                    <li><span>{t.name}</span><span class="count">{t.comments}</span></li>
                }).collect_view()}
            </ul>
        })}
        {(!suggested.is_empty()).then(|| view! {
            <h3>"Suggested keywords"</h3>
            <ul class="keywords">
                {suggested.into_iter().map(|(keyword, n)| {
                    let word = keyword.clone();
                    view! {
                        <li>
                            <span>{keyword.clone()}</span>
                            <span class="count" title="comments mentioning it">{n}</span>
                            {editor.can_edit().then(|| view! {
                                <button type="button" class="link small" on:click=move |_| add_theme(word.clone())
                                    title="Track this keyword as a theme">"+ theme"</button>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        })}
    }
}

#[component]
pub fn QuoteList(quotes: Vec<Quote>) -> impl IntoView {
    view! {
        <ul class="quotes">
            {quotes
                .into_iter()
                .map(|q| {
                    let mood = if q.sentiment <= -0.05 {
                        "negative"
                    } else if q.sentiment >= 0.05 {
                        "positive"
                    } else {
                        "neutral"
                    };
                    view! {
                        <li class=format!("quote {mood}")>
                            <blockquote>{q.text}</blockquote>
                            <small class="muted">{format!("{} · reads {mood}", date_time(q.at))}</small>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}
