//! The public feedback form of a touchpoint, at `/f/{token}`, and its thanks page.
//!
//! Made for customers on a phone: one column, large targets, native radio buttons (so it works
//! with a keyboard, a screen reader and without JavaScript). It is a plain form posted to the
//! server, which answers with a redirect to the thanks page or back here with `?error=…`. It
//! shows the touchpoint's name and questions, nothing else of the map.
//!
//! A link may carry `?c=<channel>&s=<segment>` (say, on a QR code printed for one store), which
//! the form passes on with the answers.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::ctx::respond_not_found;
use crate::api::feedback::get_public_form;
use crate::domain::text::Name;
use crate::ui::app::PageTitle;
use crate::ui::erase::Erase;
use crate::ui::resource::resource;

/// The form's styles (`public/form.css`), which no other page needs (see `PAGE_STYLES`).
const FORM_STYLES: &str = "/v/form/form.css";

#[component]
pub fn FeedbackFormPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let form = resource(token, get_public_form);
    let error = move || query.read().get("error").filter(|e| !e.is_empty());
    let channel = move || query.read().get("c").unwrap_or_default();
    let segment = move || query.read().get("s").unwrap_or_default();

    view! {
        <Suspense fallback=|| view! { <p class="loading page-loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match form.await {
                    Ok(form) => view! {
                        <PageTitle text=form.touchpoint.clone()/>
                        <link rel="stylesheet" href=FORM_STYLES/>
                        <main id="main" class="survey-page">
                            <form class="survey" method="post" action=format!("/f/{}", token())>
                                <h1>{form.touchpoint.clone()}</h1>
                                <p class="hint">"Your answers help us improve. It takes under a minute."</p>
                                {error().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
                                {form.survey.nps.map(|q| view! {
                                    <Scale
                                        name="nps"
                                        question=q
                                        scores=(0..=10).collect()
                                        low="Not at all likely"
                                        high="Extremely likely"
                                    />
                                })}
                                {form.survey.csat.map(|q| view! {
                                    <Scale
                                        name="csat"
                                        question=q
                                        scores=(1..=5).collect()
                                        low="Very dissatisfied"
                                        high="Very satisfied"
                                    />
                                })}
                                {form.survey.ces.map(|q| view! {
                                    <Scale
                                        name="ces"
                                        question=q
                                        scores=(1..=7).collect()
                                        low="Very difficult"
                                        high="Very easy"
                                    />
                                })}
                                {form.survey.comment.map(|q| view! {
                                    <label class="field">
                                        <span class="question">{q.to_string()}</span>
                                        <textarea name="comment" rows="4" maxlength="2000"></textarea>
                                    </label>
                                })}
                                // Hidden from people (and from assistive technology); bots fill
                                // it in, and the server then keeps nothing.
                                <div class="honeypot" aria-hidden="true">
                                    <label>
                                        "Leave this empty"
                                        <input type="text" name="website" tabindex="-1" autocomplete="off"/>
                                    </label>
                                </div>
                                <input type="hidden" name="channel" value=channel()/>
                                <input type="hidden" name="segment" value=segment()/>
                                <button type="submit" class="button primary">"Send feedback"</button>
                                <p class="hint">"We don't ask for your name. Please don't include personal details in your comment."</p>
                            </form>
                        </main>
                    }
                        .erase(),
                    Err(_) => {
                        respond_not_found();
                        view! {
                            <PageTitle text="Form not available"/>
                            <main id="main" class="message-page">
                                <h1>"This feedback form isn't available"</h1>
                                <p>"The link may have been replaced. Thank you for wanting to tell us!"</p>
                            </main>
                        }
                            .erase()
                    }
                }
            })}
        </Suspense>
    }
}

/// One question answered on a scale of radio buttons, with its two ends labelled.
#[component]
fn Scale(
    name: &'static str,
    question: Name,
    scores: Vec<u8>,
    low: &'static str,
    high: &'static str,
) -> impl IntoView {
    let legend_id = format!("{name}-legend");
    view! {
        <fieldset class="scale" aria-describedby=format!("{name}-ends")>
            <legend id=legend_id class="question">{question.to_string()}</legend>
            <div class="scale-options" role="presentation">
                {scores
                    .into_iter()
                    .map(|score| {
                        view! {
                            <label class="scale-option">
                                <input type="radio" name=name value=score.to_string()/>
                                <span>{score}</span>
                            </label>
                        }
                    })
                    .collect_view()}
            </div>
            <p class="scale-ends" id=format!("{name}-ends")>
                <span>{low}</span>
                <span>{high}</span>
            </p>
        </fieldset>
    }
}

#[component]
pub fn FeedbackThanksPage() -> impl IntoView {
    view! {
        <PageTitle text="Thank you"/>
        <link rel="stylesheet" href=FORM_STYLES/>
        <main id="main" class="survey-page">
            <div class="survey thanks" role="status">
                <h1>"Thank you!"</h1>
                <p>"Your feedback has been received. It helps us make things better."</p>
            </div>
        </main>
    }
}
