//! The public feedback form's two plain routes: the form's submission, which works without
//! JavaScript (a form post answered with a redirect), and its QR code for print. The form page
//! itself is a Leptos page (`app::ui::pages::feedback_form`).

use std::time::Duration;

use app::api::auth::ClientAddress;
use app::domain::account::FormToken;
use app::domain::feedback::ResponseInput;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use serde::Deserialize;

use crate::feedback::{IngestError, ServerFeedback};
use crate::http::HttpError;
use crate::state::{AppState, SiteConfig};
use crate::throttle::{network, Rule};

/// Answers one address may send through one form in 15 minutes: plenty for people sharing an
/// office's address, too few for one sender to flood a touchpoint. Counted per form and
/// address, so a flood at one form or from one network turns away nobody else.
const ANSWERS_PER_FORM_AND_ADDRESS: Rule = Rule::Limit {
    limit: 30,
    window: Duration::from_secs(15 * 60),
};

pub const SUBMIT: &str = "/f/{token}";
pub const QR_CODE: &str = "/f/{token}/qr.svg";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(SUBMIT, post(submit))
        .route(QR_CODE, get(qr_code))
}

/// The form's fields, as posted. Scores arrive as text: blank means unanswered.
#[derive(Debug, Default, Deserialize)]
pub struct Answers {
    #[serde(default)]
    nps: String,
    #[serde(default)]
    csat: String,
    #[serde(default)]
    ces: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    segment: String,
    /// The honeypot: hidden from people, filled in by bots.
    #[serde(default)]
    website: String,
}

/// Where the form page shows `message` above the form.
fn back_with(token: &FormToken, message: &str) -> Response {
    let query: String = url_escape(message);
    Redirect::to(&format!("/f/{}?error={query}", token.as_str())).into_response()
}

fn no_such_form() -> Response {
    HttpError::not_found("This feedback form no longer exists.").into_page("Form not available")
}

fn url_escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn score(field: &str, raw: &str) -> Result<Option<i64>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse()
        .map(Some)
        .map_err(|_| format!("{field}: choose one of the numbers"))
}

/// `POST /f/{token}`: stores one response and shows the thanks page, or goes back to the
/// form with what to fix. Answers to questions the survey does not ask are refused.
async fn submit(
    State(feedback): State<ServerFeedback>,
    Path(raw_token): Path<String>,
    address: Option<Extension<ClientAddress>>,
    answers: Result<Form<Answers>, FormRejection>,
) -> Response {
    let Some(token) = FormToken::parse(&raw_token) else {
        return no_such_form();
    };
    let address = address.map(|Extension(a)| network(a.0)).unwrap_or_default();
    let key = feedback.submissions.key("form", (token.as_str(), address));
    // Counted before anything is looked up: a burst cannot slip past the limit.
    if let Err(wait) = feedback
        .submissions
        .attempt(&[(key, ANSWERS_PER_FORM_AND_ADDRESS)])
    {
        let minutes = wait.seconds().div_ceil(60);
        return back_with(
            &token,
            &format!("Too many answers from your network; please try again in {minutes} minutes."),
        );
    }
    let Ok((map, card, form)) = feedback.open_form(&token).await else {
        return no_such_form();
    };
    // A body no form of ours sends (a field twice, say): back to the form, not an error page.
    let Ok(Form(answers)) = answers else {
        return back_with(
            &token,
            "Your answers could not be read. Please choose them again.",
        );
    };
    // A bot filled the hidden field: thank it (after a pause, which slows it down) and keep
    // nothing.
    if !answers.website.trim().is_empty() {
        tokio::time::sleep(crate::auth::REFUSAL_DELAY).await;
        return Redirect::to(&format!("/f/{}/thanks", token.as_str())).into_response();
    }
    let input = match read(&answers, &form.survey) {
        Ok(input) => ResponseInput {
            touchpoint: card.to_string(),
            ..input
        },
        Err(message) => return back_with(&token, &message),
    };
    match feedback.answer(map, card, input).await {
        Ok(_) => Redirect::to(&format!("/f/{}/thanks", token.as_str())).into_response(),
        Err(IngestError::Rejected(rejections)) => {
            let message = rejections
                .first()
                .map_or_else(String::new, |r| friendly(&r.field, &r.message));
            back_with(&token, &message)
        }
        Err(err) => {
            tracing::error!(%err, "cannot store a form response");
            back_with(
                &token,
                "Sorry, your answer could not be saved. Please try again.",
            )
        }
    }
}

/// The form's answers as a response, refusing answers to questions not asked.
fn read(
    answers: &Answers,
    survey: &app::domain::feedback::Survey,
) -> Result<ResponseInput, String> {
    let asked = |asked: bool, field: &str, raw: &str| -> Result<Option<i64>, String> {
        let value = score(field, raw)?;
        if value.is_some() && !asked {
            return Err(format!("{field}: this form does not ask that"));
        }
        Ok(value)
    };
    let comment = answers.comment.trim();
    if !comment.is_empty() && survey.comment.is_none() {
        return Err("comment: this form does not ask for a comment".into());
    }
    let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    Ok(ResponseInput {
        nps: asked(survey.nps.is_some(), "nps", &answers.nps)?,
        csat: asked(survey.csat.is_some(), "csat", &answers.csat)?,
        ces: asked(survey.ces.is_some(), "ces", &answers.ces)?,
        comment: text(comment),
        channel: text(&answers.channel),
        segment: text(&answers.segment),
        ..ResponseInput::default()
    })
}

/// A message for a respondent, not a developer.
fn friendly(field: &str, message: &str) -> String {
    match field {
        "nps" if message.contains("needs a score") => {
            "Please answer at least one question before sending.".into()
        }
        "comment" => format!("Your comment is too long: {message}."),
        _ => format!("Please check your answer ({field}: {message})."),
    }
}

/// `GET /f/{token}/qr.svg`: a QR code of the form's address, for posters and receipts.
async fn qr_code(
    State(feedback): State<ServerFeedback>,
    State(site): State<std::sync::Arc<SiteConfig>>,
    Path(raw_token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(token) = FormToken::parse(&raw_token) else {
        return HttpError::not_found("no such form").into_response();
    };
    if feedback.open_form(&token).await.is_err() {
        return HttpError::not_found("no such form").into_response();
    }
    let origin = site.public_origin.clone().unwrap_or_else(|| {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        format!("http://{host}")
    });
    let url = format!("{origin}/f/{}", token.as_str());
    match qrcode::QrCode::new(url.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(240, 240)
                .quiet_zone(true)
                .build();
            ([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response()
        }
        Err(err) => HttpError::internal(format!("cannot make a QR code: {err}")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::feedback::Survey;
    use app::domain::text::Name;

    fn survey() -> Survey {
        Survey::new(Some(Name::parse("Recommend?").unwrap()), None, None, None).unwrap()
    }

    #[test]
    fn answers_to_questions_not_asked_are_refused() {
        let answers = Answers {
            nps: "9".into(),
            ..Answers::default()
        };
        assert_eq!(read(&answers, &survey()).unwrap().nps, Some(9));
        let sneaky = Answers {
            csat: "5".into(),
            ..answers
        };
        assert!(read(&sneaky, &survey()).unwrap_err().starts_with("csat"));
        let comment = Answers {
            comment: "hi".into(),
            ..Answers::default()
        };
        assert!(read(&comment, &survey())
            .unwrap_err()
            .starts_with("comment"));
        let words = Answers {
            nps: "ten".into(),
            ..Answers::default()
        };
        assert!(read(&words, &survey()).is_err());
    }

    #[test]
    fn messages_are_escaped_into_the_query() {
        assert_eq!(url_escape("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }
}
