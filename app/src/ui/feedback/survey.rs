//! A touchpoint's survey, for editors: switching it on and off, the questions it asks and
//! their wording, and its public form link with the QR code.

use leptos::prelude::*;

use crate::api::feedback::form_token;
use crate::domain::edit::Edit;
use crate::domain::feedback::Survey;
use crate::domain::ids::CardId;
use crate::domain::text::Name;
use crate::ui::editor::use_editor;
use crate::ui::erase::Erase;
use crate::ui::pages::admin::{site_origin, CopyField};

/// What the touchpoint asks, its public form link and QR code.
#[component]
pub(super) fn SurveySettings(card: CardId) -> impl IntoView {
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
                .erase(),
                Some(current) => view! {
                    <SurveyEditor survey=current on_change=Callback::new(move |s| set(Some(s)))/>
                    <FormLink card/>
                    <button type="button" class="button small danger" on:click=move |_| set(None)>
                        "Stop collecting"
                    </button>
                }
                .erase(),
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
                        .erase()
                    }
                    Err(err) => view! { <p class="notice error">{err.to_string()}</p> }.erase(),
                }
            })}
        </Suspense>
    }
}
