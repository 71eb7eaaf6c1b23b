//! The map's Feedback panel: the overview (map and stage scores, pain points) for everyone;
//! for editors also the inbox of responses, CSV import, API keys and the summary settings.

use leptos::prelude::*;

use crate::api::feedback::{
    api_keys, create_api_key, feedback_inbox, revoke_api_key, set_followed_up, InboxItem,
};
use crate::domain::edit::Edit;
use crate::domain::feedback::{FeedbackSettings, Theme};
use crate::domain::ids::CardId;
use crate::domain::map::LaneKind;
use crate::domain::response_table::{preview, Field, Mapping, Preview};
use crate::domain::text::Name;
use crate::ui::editor::use_editor;
use crate::ui::format::date_time;
use crate::ui::map::feedback_filter::FilterBar;
use crate::ui::map::panel_state::{use_side_panel, Panel};
use crate::ui::map::scores::{use_scores, ScoreLine};
use crate::ui::pages::admin::{site_origin, CopyField};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tab {
    Overview,
    Inbox,
    Import,
    Api,
    Settings,
}

impl Tab {
    fn label(self) -> &'static str {
        match self {
            Tab::Overview => "Overview",
            Tab::Inbox => "Inbox",
            Tab::Import => "Import CSV",
            Tab::Api => "API",
            Tab::Settings => "Settings",
        }
    }
}

#[component]
pub fn FeedbackPanel() -> impl IntoView {
    let editor = use_editor();
    let tab = RwSignal::new(Tab::Overview);
    let tabs: Vec<Tab> = if editor.can_edit() {
        vec![
            Tab::Overview,
            Tab::Inbox,
            Tab::Import,
            Tab::Api,
            Tab::Settings,
        ]
    } else {
        vec![Tab::Overview]
    };
    view! {
        <section class="feedback-panel" aria-labelledby="feedback-heading">
            <h2 id="feedback-heading">"Customer feedback"</h2>
            {(tabs.len() > 1).then(|| view! {
                <div class="tabs" role="tablist" aria-label="Feedback">
                    {tabs.into_iter().map(|t| view! {
                        <button
                            type="button"
                            role="tab"
                            class="tab"
                            aria-selected=move || (tab.get() == t).to_string()
                            on:click=move |_| tab.set(t)
                        >
                            {t.label()}
                        </button>
                    }).collect_view()}
                </div>
            })}
            <div role="tabpanel">
                {move || match tab.get() {
                    Tab::Overview => view! { <Overview/> }.into_any(),
                    Tab::Inbox => view! { <Inbox/> }.into_any(),
                    Tab::Import => view! { <Import/> }.into_any(),
                    Tab::Api => view! { <ApiKeys/> }.into_any(),
                    Tab::Settings => view! { <Settings/> }.into_any(),
                }}
            </div>
        </section>
    }
}

/// The first line of a card's text, for lists.
fn card_name(editor: crate::ui::editor::Editor, card: CardId) -> String {
    editor.map.with_untracked(|m| {
        m.card(card)
            .map(|c| c.text.as_str().lines().next().unwrap_or("").to_owned())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "A removed touchpoint".to_owned())
    })
}

#[component]
fn Overview() -> impl IntoView {
    let editor = use_editor();
    let scores = use_scores();
    let panel = use_side_panel();
    view! {
        <FilterBar/>
        {move || scores.error.get().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        {move || match scores.data.get() {
            None => view! { <p class="loading">"Loading feedback…"</p> }.into_any(),
            Some(data) if data.map.responses == 0 => view! {
                <p class="empty-note">
                    "No answers yet. Open a touchpoint card's score chip or its feedback panel (the chart button) to switch on its survey and get a form link and QR code; or import a CSV file or use the API."
                </p>
            }
            .into_any(),
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
                        view! { <p class="empty-note">"No touchpoint scores significantly below the rest of the map."</p> }.into_any()
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
                        }.into_any()
                    }}
                }
                .into_any()
            }
        }}
    }
}

#[component]
fn Inbox() -> impl IntoView {
    let editor = use_editor();
    let map = editor.id;
    let unhappy = RwSignal::new(false);
    let items = RwSignal::new(Vec::<InboxItem>::new());
    let next = RwSignal::new(None::<i64>);
    let loading = RwSignal::new(true);
    let error = RwSignal::new(None::<String>);
    let load = move |before: Option<i64>| {
        loading.set(true);
        let only = unhappy.get_untracked();
        leptos::task::spawn_local(async move {
            match feedback_inbox(map, only, before).await {
                Ok(page) => {
                    items.update(|list| {
                        if before.is_none() {
                            list.clear();
                        }
                        list.extend(page.items);
                    });
                    next.set(page.next);
                    error.set(None);
                }
                Err(err) => error.set(Some(err.to_string())),
            }
            loading.set(false);
        });
    };
    Effect::new(move |_| {
        unhappy.track();
        load(None);
    });
    let follow = move |id: i64, done: bool| {
        leptos::task::spawn_local(async move {
            match set_followed_up(map, id, done).await {
                Ok(()) => items.update(|list| {
                    if let Some(item) = list.iter_mut().find(|i| i.id == id) {
                        item.followed_up = done;
                    }
                }),
                Err(err) => error.set(Some(err.to_string())),
            }
        });
    };
    view! {
        <label class="check">
            <input type="checkbox" on:change=move |ev| unhappy.set(event_target_checked(&ev))/>
            "Only unhappy answers (NPS 0–6, CSAT 1–2, CES 1–3)"
        </label>
        {move || error.get().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        <Show when=move || !loading.get() && items.with(Vec::is_empty)>
            <p class="empty-note">"No answers here yet."</p>
        </Show>
        <ul class="inbox">
            <For
                each=move || items.get()
                key=|item| (item.id, item.followed_up)
                children=move |item| {
                    let id = item.id;
                    let r = &item.response;
                    let scores = [("NPS", r.nps), ("CSAT", r.csat), ("CES", r.ces)]
                        .into_iter()
                        .filter_map(|(label, s)| s.map(|s| format!("{label} {s}")))
                        .collect::<Vec<_>>()
                        .join(" · ");
                    let meta = [r.channel.clone(), r.segment.clone(), r.respondent.clone().unwrap_or_default()]
                        .into_iter()
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(" · ");
                    view! {
                        <li class="inbox-item" class:done=item.followed_up>
                            <p class="inbox-head">
                                <strong>{card_name(editor, item.response.touchpoint)}</strong>
                                <span class="muted">{format!(" · {} · via {}", date_time(item.response.at), item.source.key())}</span>
                            </p>
                            {(!scores.is_empty()).then(|| view! { <p class="inbox-scores">{scores}</p> })}
                            {item.response.comment.clone().map(|c| view! { <blockquote>{c}</blockquote> })}
                            {(!meta.is_empty()).then(|| view! { <p class="muted">{meta}</p> })}
                            <label class="check">
                                <input type="checkbox" checked=item.followed_up on:change=move |ev| follow(id, event_target_checked(&ev))/>
                                "Followed up"
                            </label>
                        </li>
                    }
                }
            />
        </ul>
        <Show when=move || loading.get()>
            <p class="loading">"Loading…"</p>
        </Show>
        <Show when=move || next.get().is_some() && !loading.get()>
            <button type="button" class="button small" on:click=move |_| load(next.get_untracked())>"Older answers"</button>
        </Show>
    }
}

/// Where an import stands.
#[derive(Clone, Debug, PartialEq)]
enum Progress {
    Idle,
    Sending(f64),
    Working,
    Done(String),
    Refused {
        message: String,
        rows: Vec<(u64, String, String)>,
    },
}

/// How many refused rows the report lists before summing up the rest.
const ROWS_LISTED: usize = 200;

#[component]
fn Import() -> impl IntoView {
    let editor = use_editor();
    let scores = use_scores();
    let file = StoredValue::new_local(None::<web_sys::File>);
    let file_name = RwSignal::new(None::<(String, f64)>);
    let head = RwSignal::new(None::<Preview>);
    let mapping = RwSignal::new(Mapping::default());
    let progress = RwSignal::new(Progress::Idle);
    let problem = RwSignal::new(None::<String>);
    let touchpoints = Memo::new(move |_| {
        editor.map.with(|m| {
            let lanes: Vec<_> = m
                .lanes()
                .iter()
                .filter(|l| l.kind == LaneKind::Touchpoints)
                .map(|l| l.id)
                .collect();
            m.cards()
                .iter()
                .filter(|c| lanes.contains(&c.lane) || c.survey.is_some())
                .map(|c| {
                    (
                        c.id,
                        c.text.as_str().lines().next().unwrap_or("").to_owned(),
                    )
                })
                .collect::<Vec<_>>()
        })
    });

    let choose = move |ev: leptos::ev::Event| {
        use leptos::wasm_bindgen::JsCast;
        let chosen = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|input| input.files())
            .and_then(|files| files.get(0));
        progress.set(Progress::Idle);
        problem.set(None);
        let Some(chosen) = chosen else { return };
        file_name.set(Some((chosen.name(), chosen.size())));
        crate::ui::upload::read_start(&chosen, 64.0 * 1024.0, move |text| match text {
            Ok(text) => {
                let parsed = preview(&text, 5);
                if parsed.headers.is_empty() {
                    problem.set(Some(
                        "The file looks empty: it needs a header row and answers below it.".into(),
                    ));
                    head.set(None);
                } else {
                    mapping.set(Mapping::guess(&parsed.headers));
                    head.set(Some(parsed));
                }
            }
            Err(err) => problem.set(Some(err)),
        });
        file.set_value(Some(chosen));
    };
    let send = move |dry_run: bool| {
        let Some(chosen) = file.get_value() else {
            return;
        };
        let current = mapping.get_untracked();
        if let Err(err) = current.check() {
            problem.set(Some(err));
            return;
        }
        problem.set(None);
        let (Ok(form), Ok(json)) = (web_sys::FormData::new(), serde_json::to_string(&current))
        else {
            return;
        };
        let _ = form.append_with_blob_and_filename("file", &chosen, &chosen.name());
        let _ = form.append_with_str("mapping", &json);
        if dry_run {
            let _ = form.append_with_str("dry_run", "1");
        }
        progress.set(Progress::Sending(0.0));
        let url = format!("/maps/{}/feedback/import", editor.id);
        crate::ui::upload::post_form(&url, &form, move |report| {
            use crate::ui::upload::Upload;
            progress.set(match report {
                Upload::Sending(part) => Progress::Sending(part),
                Upload::Waiting => Progress::Working,
                Upload::Answered(status, body) => {
                    let reply: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                    let text = |key: &str| reply[key].as_str().unwrap_or_default().to_owned();
                    match status {
                        200 if dry_run => Progress::Done(format!(
                            "All {} rows are fine. Nothing was imported yet.",
                            reply["checked"]
                        )),
                        200 => {
                            scores.refresh();
                            Progress::Done(format!("Imported {} answers.", reply["imported"]))
                        }
                        422 => Progress::Refused {
                            message: text("error"),
                            rows: reply["rejected"]
                                .as_array()
                                .map(|rows| {
                                    rows.iter()
                                        .map(|r| {
                                            (
                                                r["line"].as_u64().unwrap_or(0),
                                                r["field"].as_str().unwrap_or_default().to_owned(),
                                                r["message"]
                                                    .as_str()
                                                    .unwrap_or_default()
                                                    .to_owned(),
                                            )
                                        })
                                        .collect()
                                })
                                .unwrap_or_default(),
                        },
                        0 => Progress::Refused {
                            message: "The upload failed: check your connection and try again."
                                .into(),
                            rows: vec![],
                        },
                        _ => Progress::Refused {
                            message: if text("error").is_empty() {
                                format!("The server answered {status}.")
                            } else {
                                text("error")
                            },
                            rows: vec![],
                        },
                    }
                }
            });
        });
    };
    let busy = move || matches!(progress.get(), Progress::Sending(_) | Progress::Working);

    view! {
        <p class="hint">"A CSV file with a header row: one answer per row. Nothing is imported unless every row is fine."</p>
        <label class="field">
            <span>"CSV file"</span>
            <input type="file" accept=".csv,text/csv" on:change=choose/>
        </label>
        {move || problem.get().map(|p| view! { <p class="notice error" role="alert">{p}</p> })}
        {move || head.get().map(|preview| {
            let Preview { headers, rows } = preview;
            view! {
                <h3>"Columns"</h3>
                <div class="mapping-table">
                    <table>
                        <thead>
                            <tr>
                                {headers.iter().enumerate().map(|(i, h)| view! {
                                    <th>
                                        <span>{h.clone()}</span>
                                        <select aria-label=format!("Column {h} holds") on:change=move |ev| {
                                            let field = Field::from_key(&event_target_value(&ev));
                                            mapping.update(|m| if let Some(slot) = m.columns.get_mut(i) { *slot = field; });
                                        }>
                                            <option value="" selected=move || mapping.with(|m| m.columns.get(i).copied().flatten().is_none())>"Ignore"</option>
                                            {Field::ALL.into_iter().map(|f| view! {
                                                <option value=f.key() selected=move || mapping.with(|m| m.columns.get(i).copied().flatten() == Some(f))>{f.label()}</option>
                                            }).collect_view()}
                                        </select>
                                    </th>
                                }).collect_view()}
                            </tr>
                        </thead>
                        <tbody>
                            {rows.into_iter().map(|row| view! {
                                <tr>{row.into_iter().map(|cell| view! { <td>{cell}</td> }).collect_view()}</tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                <Show when=move || !mapping.with(|m| m.columns.contains(&Some(Field::Touchpoint)))>
                    <label class="field">
                        <span>"Touchpoint of every row"</span>
                        <select on:change=move |ev| {
                            let card = event_target_value(&ev).parse().ok();
                            mapping.update(|m| m.touchpoint = card);
                        }>
                            <option value="">"Choose…"</option>
                            {move || touchpoints.get().into_iter().map(|(id, name)| view! {
                                <option value=id.to_string()>{name}</option>
                            }).collect_view()}
                        </select>
                    </label>
                </Show>
                <p class="hint">"A touchpoint column may hold a card's id or its title (the first line of its text)."</p>
                <div class="form-actions">
                    <button type="button" class="button" disabled=busy on:click=move |_| send(true)>"Check file"</button>
                    <button type="button" class="button primary" disabled=busy on:click=move |_| send(false)>"Import"</button>
                </div>
            }
        })}
        {move || match progress.get() {
            Progress::Idle => ().into_any(),
            Progress::Sending(part) => {
                let size = file_name.get().map_or(0.0, |(_, s)| s);
                view! {
                    <label class="field">
                        <span>{format!("Uploading… {:.0}% of {:.1} MB", part * 100.0, size / 1_048_576.0)}</span>
                        <progress max="1" value=part></progress>
                    </label>
                }.into_any()
            }
            Progress::Working => view! {
                <label class="field">
                    <span>"Checking every row and saving…"</span>
                    <progress></progress>
                </label>
            }.into_any(),
            Progress::Done(message) => view! { <p class="notice success" role="status">{message}</p> }.into_any(),
            Progress::Refused { message, rows } => {
                let more = rows.len().saturating_sub(ROWS_LISTED);
                view! {
                    <div class="notice error" role="alert">
                        <p>{message}</p>
                        {(!rows.is_empty()).then(|| view! {
                            <table class="rejections">
                                <thead><tr><th>"Line"</th><th>"Field"</th><th>"Problem"</th></tr></thead>
                                <tbody>
                                    {rows.into_iter().take(ROWS_LISTED).map(|(line, field, message)| view! {
                                        <tr><td>{line}</td><td>{field}</td><td>{message}</td></tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        })}
                        {(more > 0).then(|| view! { <p>{format!("…and {more} more rows.")}</p> })}
                    </div>
                }.into_any()
            }
        }}
    }
}

#[component]
fn ApiKeys() -> impl IntoView {
    let editor = use_editor();
    let map = editor.id;
    let changed = RwSignal::new(0u32);
    let keys = LocalResource::new(move || {
        changed.track();
        async move { api_keys(map).await }
    });
    let label = RwSignal::new(String::new());
    let secret = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = label.get_untracked();
        leptos::task::spawn_local(async move {
            match create_api_key(map, name).await {
                Ok(made) => {
                    secret.set(Some(made.secret));
                    label.set(String::new());
                    error.set(None);
                    changed.update(|n| *n += 1);
                }
                Err(err) => error.set(Some(err.to_string())),
            }
        });
    };
    let revoke = move |key: crate::domain::ids::ApiKeyId| {
        leptos::task::spawn_local(async move {
            match revoke_api_key(map, key).await {
                Ok(()) => changed.update(|n| *n += 1),
                Err(err) => error.set(Some(err.to_string())),
            }
        });
    };
    let touchpoints = move || {
        editor.map.with(|m| {
            m.cards()
                .iter()
                .filter(|c| c.survey.is_some())
                .map(|c| {
                    (
                        c.id,
                        c.text.as_str().lines().next().unwrap_or("").to_owned(),
                    )
                })
                .collect::<Vec<_>>()
        })
    };
    view! {
        <p class="hint">
            "Send answers from other tools: "
            <code>{format!("POST /api/v1/maps/{map}/responses")}</code>
            " with a key below. "
            <a href="/api/v1/openapi.json" target="_blank" rel="noopener">"OpenAPI description"</a>
        </p>
        <pre class="example">{move || format!(
            "curl -X POST {}/api/v1/maps/{map}/responses \\\n  -H 'Authorization: Bearer <key>' \\\n  -H 'Content-Type: application/json' \\\n  -d '{{\"touchpoint\": \"<touchpoint id>\", \"nps\": 9, \"comment\": \"Quick checkout\"}}'",
            if cfg!(feature = "hydrate") { site_origin() } else { String::new() }
        )}</pre>
        {move || error.get().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        {move || secret.get().map(|s| view! {
            <CopyField label="New key (shown only now)" value=s note="Store it in the other tool now; Waymark keeps only a fingerprint."/>
        })}
        <form class="inline-form" on:submit=create>
            <input type="text" required maxlength="200" placeholder="What uses it, e.g. Zendesk" aria-label="Key label"
                prop:value=label on:input=move |ev| label.set(event_target_value(&ev))/>
            <button type="submit" class="button small">"Create key"</button>
        </form>
        <h3>"Keys"</h3>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match keys.await {
                    Ok(list) if list.is_empty() => view! { <p class="empty-note">"No keys yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="api-keys">
                            {list.into_iter().map(|k| {
                                let id = k.id;
                                view! {
                                    <li>
                                        <span>{k.label.clone()}</span>
                                        <small class="muted">{format!(
                                            "made {} · {}",
                                            date_time(k.created_at),
                                            k.last_used_at.map_or_else(|| "never used".to_owned(), |t| format!("last used {}", date_time(t)))
                                        )}</small>
                                        <button type="button" class="button small danger" on:click=move |_| revoke(id)>"Revoke"</button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(err) => view! { <p class="notice error">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
        <h3>"Touchpoint ids"</h3>
        <table class="touchpoint-ids">
            <thead><tr><th>"Touchpoint"</th><th>"Id"</th></tr></thead>
            <tbody>
                {move || touchpoints().into_iter().map(|(id, name)| view! {
                    <tr><td>{name}</td><td><code>{id.to_string()}</code></td></tr>
                }).collect_view()}
            </tbody>
        </table>
        <Show when=move || touchpoints().is_empty()>
            <p class="empty-note">"No touchpoint collects feedback yet: switch on a survey in a touchpoint's feedback panel."</p>
        </Show>
    }
}

#[component]
fn Settings() -> impl IntoView {
    let editor = use_editor();
    let error = RwSignal::new(None::<String>);
    let settings = Memo::new(move |_| editor.map.with(|m| m.feedback.clone()));
    let save = move |change: &dyn Fn(&mut FeedbackSettings) -> Result<(), String>| {
        let mut next = settings.get_untracked();
        if let Err(err) = change(&mut next).and_then(|()| next.check().map_err(|e| e.message)) {
            error.set(Some(err));
            return;
        }
        error.set(None);
        editor.edit(Edit::SetFeedbackSettings { settings: next });
    };
    let number = |raw: String| {
        raw.trim()
            .parse::<u32>()
            .map_err(|_| "enter a whole number".to_owned())
    };
    let keywords = |raw: &str| -> Result<Vec<Name>, String> {
        raw.split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| Name::parse(k).map_err(|e| e.message))
            .collect()
    };
    let new_name = RwSignal::new(String::new());
    let new_words = RwSignal::new(String::new());
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save(&|s| {
            let name = Name::parse(&new_name.get_untracked()).map_err(|e| e.message)?;
            let words = keywords(&new_words.get_untracked())?;
            if words.is_empty() {
                return Err("give the theme at least one keyword".into());
            }
            s.themes.push(Theme {
                name,
                keywords: words,
            });
            Ok(())
        });
        if error.get_untracked().is_none() {
            new_name.set(String::new());
            new_words.set(String::new());
        }
    };
    view! {
        {move || error.get().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        <label class="field">
            <span>"Fewest answers before a score shows"</span>
            <input type="number" min="1" max="10000" prop:value=move || settings.get().minimum
                on:change=move |ev| save(&|s| { s.minimum = number(event_target_value(&ev))?; Ok(()) })/>
        </label>
        <label class="field">
            <span>"Fewest comments before any is shown (anonymity)"</span>
            <input type="number" min="1" max="10000" prop:value=move || settings.get().comment_minimum
                on:change=move |ev| save(&|s| { s.comment_minimum = number(event_target_value(&ev))?; Ok(()) })/>
        </label>
        <h3>"Themes"</h3>
        <p class="hint">"A comment belongs to a theme when it mentions one of its keywords. End a keyword with * to match words starting with it (deliver* finds delivery and delivered)."</p>
        <ul class="theme-rules">
            {move || settings.get().themes.into_iter().enumerate().map(|(i, theme)| {
                let words = theme.keywords.iter().map(Name::to_string).collect::<Vec<_>>().join(", ");
                view! {
                    <li>
                        <strong>{theme.name.to_string()}</strong>
                        <input type="text" aria-label=format!("Keywords of {}", theme.name) value=words
                            on:change=move |ev| save(&|s| {
                                let words = keywords(&event_target_value(&ev))?;
                                if let Some(t) = s.themes.get_mut(i) { t.keywords = words; }
                                Ok(())
                            })/>
                        <button type="button" class="button small danger" on:click=move |_| save(&|s| {
                            if i < s.themes.len() { s.themes.remove(i); }
                            Ok(())
                        })>"Remove"</button>
                    </li>
                }
            }).collect_view()}
        </ul>
        <form class="inline-form" on:submit=add>
            <input type="text" required maxlength="200" placeholder="Theme, e.g. Delivery" aria-label="New theme"
                prop:value=new_name on:input=move |ev| new_name.set(event_target_value(&ev))/>
            <input type="text" required placeholder="Keywords, comma separated" aria-label="Its keywords"
                prop:value=new_words on:input=move |ev| new_words.set(event_target_value(&ev))/>
            <button type="submit" class="button small">"Add theme"</button>
        </form>
    }
}
