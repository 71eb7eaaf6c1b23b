//! The Feedback panel's Import CSV tab: what the file holds (survey answers or journey
//! events), choosing a file, a preview of its first rows to say which column holds which
//! field, then a check or an import with upload progress and the server's report
//! (`ImportReply`) of refused rows by line. Both kinds go the same way; `Holds` says what
//! differs.

use leptos::prelude::*;
use serde::Serialize;

use crate::api::feedback::{ImportReply, RefusedRow};
use crate::domain::event_table::EventField;
use crate::domain::map::LaneKind;
use crate::domain::response_table::Field;
use crate::domain::table::{preview, Column, Mapping, Preview};
use crate::ui::editor::use_editor;
use crate::ui::erase::Erase;
use crate::ui::map::scores::use_scores;

/// What a file holds, and so where it goes and what its rows are called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Holds {
    Answers,
    Events,
}

impl Holds {
    fn label(self) -> &'static str {
        match self {
            Holds::Answers => "Survey answers",
            Holds::Events => "Journey events",
        }
    }

    /// The import's route under the map's (`/maps/{id}/…`).
    fn route(self) -> &'static str {
        match self {
            Holds::Answers => "feedback/import",
            Holds::Events => "journey/import",
        }
    }

    fn intro(self) -> &'static str {
        match self {
            Holds::Answers => "A CSV file with a header row: one answer per row. Nothing is imported unless every row is fine.",
            Holds::Events => "A CSV file with a header row: one event per row, a customer at a touchpoint or in a stage. Nothing is imported unless every row is fine; events imported before are skipped.",
        }
    }

    fn naming(self) -> &'static str {
        match self {
            Holds::Answers => "A touchpoint column may hold a card's id or its title (the first line of its text).",
            Holds::Events => "A touchpoint column may hold a card's id or its title (the first line of its text), a stage column a stage's id or name. Rows without a time are dated now.",
        }
    }

    fn imported(self, count: usize) -> String {
        match self {
            Holds::Answers => format!("Imported {count} answers."),
            Holds::Events => format!("Imported {count} new events."),
        }
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
        rows: Vec<RefusedRow>,
    },
}

/// How many refused rows the report lists before summing up the rest.
const ROWS_LISTED: usize = 200;

#[component]
pub(super) fn Import() -> impl IntoView {
    let holds = RwSignal::new(Holds::Answers);
    view! {
        <fieldset class="import-kind">
            <legend>"The file holds"</legend>
            {[Holds::Answers, Holds::Events].map(|kind| view! {
                <label class="check">
                    <input
                        type="radio"
                        name="import-holds"
                        checked=move || holds.get() == kind
                        on:change=move |_| holds.set(kind)
                    />
                    {kind.label()}
                </label>
            }).collect_view()}
        </fieldset>
        {move || match holds.get() {
            Holds::Answers => importer::<Field>(Holds::Answers).erase(),
            Holds::Events => importer::<EventField>(Holds::Events).erase(),
        }}
    }
}

/// The file, its preview with a field chosen per column, and the check or import of it.
fn importer<F>(holds: Holds) -> impl IntoView
where
    F: Column + Serialize + Send + Sync,
{
    let editor = use_editor();
    let scores = use_scores();
    let file = StoredValue::new_local(None::<web_sys::File>);
    let file_name = RwSignal::new(None::<(String, f64)>);
    let head = RwSignal::new(None::<Preview>);
    let mapping = RwSignal::new(Mapping::<F>::default());
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
                        "The file looks empty: it needs a header row and rows below it.".into(),
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
        let url = format!("/maps/{}/{}", editor.id, holds.route());
        crate::ui::upload::post_form(&url, &form, move |report| {
            use crate::ui::upload::Upload;
            progress.set(match report {
                Upload::Sending(part) => Progress::Sending(part),
                Upload::Waiting => Progress::Working,
                Upload::Answered(status, body) => {
                    // Any body that is not a reply (a proxy's error page, say) reads as empty.
                    let reply: ImportReply =
                        serde_json::from_slice(body.as_bytes()).unwrap_or_default();
                    match status {
                        200 if dry_run => Progress::Done(format!(
                            "All {} rows are fine. Nothing was imported yet.",
                            reply.checked.unwrap_or_default()
                        )),
                        200 => {
                            scores.refresh();
                            Progress::Done(holds.imported(reply.imported.unwrap_or_default()))
                        }
                        422 => Progress::Refused {
                            message: reply.error.unwrap_or_default(),
                            rows: reply.rejected,
                        },
                        0 => Progress::Refused {
                            message: "The upload failed: check your connection and try again."
                                .into(),
                            rows: vec![],
                        },
                        _ => Progress::Refused {
                            message: reply
                                .error
                                .filter(|e| !e.is_empty())
                                .unwrap_or_else(|| format!("The server answered {status}.")),
                            rows: vec![],
                        },
                    }
                }
            });
        });
    };
    let busy = move || matches!(progress.get(), Progress::Sending(_) | Progress::Working);

    view! {
        <p class="hint">{holds.intro()}</p>
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
                                            let field = F::from_key(&event_target_value(&ev));
                                            mapping.update(|m| if let Some(slot) = m.columns.get_mut(i) { *slot = field; });
                                        }>
                                            <option value="" selected=move || mapping.with(|m| m.columns.get(i).copied().flatten().is_none())>"Ignore"</option>
                                            {F::ALL.iter().map(|&f| view! {
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
                <Show when=move || !mapping.with(|m| m.has(F::TOUCHPOINT))>
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
                <p class="hint">{holds.naming()}</p>
                <div class="form-actions">
                    <button type="button" class="button" disabled=busy on:click=move |_| send(true)>"Check file"</button>
                    <button type="button" class="button primary" disabled=busy on:click=move |_| send(false)>"Import"</button>
                </div>
            }
        })}
        {move || match progress.get() {
            Progress::Idle => ().erase(),
            Progress::Sending(part) => {
                let size = file_name.get().map_or(0.0, |(_, s)| s);
                view! {
                    <label class="field">
                        <span>{format!("Uploading… {:.0}% of {:.1} MB", part * 100.0, size / 1_048_576.0)}</span>
                        <progress max="1" value=part></progress>
                    </label>
                }.erase()
            }
            Progress::Working => view! {
                <label class="field">
                    <span>"Checking every row and saving…"</span>
                    <progress></progress>
                </label>
            }.erase(),
            Progress::Done(message) => view! { <p class="notice success" role="status">{message}</p> }.erase(),
            Progress::Refused { message, rows } => {
                let more = rows.len().saturating_sub(ROWS_LISTED);
                view! {
                    <div class="notice error" role="alert">
                        <p>{message}</p>
                        {(!rows.is_empty()).then(|| view! {
                            <table class="rejections">
                                <thead><tr><th>"Line"</th><th>"Field"</th><th>"Problem"</th></tr></thead>
                                <tbody>
                                    {rows.into_iter().take(ROWS_LISTED).map(|RefusedRow { line, field, message }| view! {
                                        <tr><td>{line}</td><td>{field}</td><td>{message}</td></tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        })}
                        {(more > 0).then(|| view! { <p>{format!("…and {more} more rows.")}</p> })}
                    </div>
                }.erase()
            }
        }}
    }
}
