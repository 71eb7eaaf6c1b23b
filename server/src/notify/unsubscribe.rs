//! Unsubscribe links: every notification mail carries one that switches the kinds it is about
//! off without signing in, as mail programs expect (RFC 8058's one-click `POST`, or a page with
//! one button for a person who opens the link; opening it alone changes nothing, so a mail
//! scanner that follows links unsubscribes nobody). The link is the account and the kinds,
//! signed with a key derived from the instance's (`Pseudonyms::derive`): nobody can make one
//! for someone else, and it works for as long as the instance's key does.

use app::api::notifications::Kind;
use app::domain::ids::UserId;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::http::HttpError;
use crate::mail::letters::escape;
use crate::pseudonyms::Pseudonyms;
use crate::state::AppState;

/// The route; `{token}` is the signed account and kinds.
pub const PATH: &str = "/notifications/unsubscribe/{token}";
const PREFIX: &str = "/notifications/unsubscribe/";
/// Bytes of the signature kept (128 bits).
const SIGNATURE_BYTES: usize = 16;

/// Where the unsubscribe link with `token` points.
pub fn path(token: &str) -> String {
    format!("{PREFIX}{token}")
}

/// Whether `path` is an unsubscribe link: its authority is its signature, not a cookie, so
/// it is posted to from mail programs on other sites (`auth::same_origin`).
pub fn is_unsubscribe(path: &str) -> bool {
    path.starts_with(PREFIX)
}

/// Signs and checks unsubscribe tokens.
#[derive(Clone)]
pub struct Signer {
    key: [u8; 32],
}

fn letter(kind: Kind) -> char {
    match kind {
        Kind::Mention => 'm',
        Kind::Reply => 'r',
        Kind::Detractor => 'd',
        Kind::Review => 'v',
    }
}

impl Signer {
    pub fn new(pseudonyms: &Pseudonyms) -> Signer {
        Signer {
            key: pseudonyms.derive("unsubscribe"),
        }
    }

    fn mac(&self, body: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(body.as_bytes());
        mac
    }

    /// `user` stops getting `kinds`: `<account>.<kinds>.<signature>`, URL-safe.
    pub fn token(&self, user: UserId, kinds: &[Kind]) -> String {
        let letters: String = kinds.iter().map(|k| letter(*k)).collect();
        let body = format!("{}.{letters}", user.as_uuid().simple());
        let signature = self.mac(&body).finalize().into_bytes();
        let hex: String = signature[..SIGNATURE_BYTES]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("{body}.{hex}")
    }

    /// The account and kinds a token signed here names; `None` for anything else.
    pub fn check(&self, token: &str) -> Option<(UserId, Vec<Kind>)> {
        let (body, hex) = token.rsplit_once('.')?;
        let signature = decode_hex(hex)?;
        if signature.len() != SIGNATURE_BYTES {
            return None;
        }
        self.mac(body).verify_truncated_left(&signature).ok()?;
        let (user, letters) = body.split_once('.')?;
        let user = UserId::from_uuid(uuid::Uuid::try_parse(user).ok()?);
        let mut kinds = Vec::new();
        for c in letters.chars() {
            let kind = Kind::ALL.into_iter().find(|k| letter(*k) == c)?;
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        (!kinds.is_empty()).then_some((user, kinds))
    }
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) || !hex.is_ascii() {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
        .collect()
}

/// "mentions and replies": the kinds as a mail's footer and the page name them.
pub fn describe(kinds: &[Kind]) -> String {
    let names: Vec<&str> = kinds
        .iter()
        .map(|k| match k {
            Kind::Mention => "mentions of you in comments",
            Kind::Reply => "replies in your comment threads",
            Kind::Detractor => "unhappy answers on maps you own",
            Kind::Review => "maps of yours due for review",
        })
        .collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [first @ .., last] => format!("{} and {last}", first.join(", ")),
    }
}

pub fn routes() -> Router<AppState> {
    Router::new().route(PATH, get(confirm).post(unsubscribe))
}

fn checked(state: &AppState, token: &str) -> Option<(UserId, Vec<Kind>)> {
    Signer::new(state.backend.db.pseudonyms()).check(token)
}

fn bad_link() -> Response {
    HttpError::not_found(
        "This unsubscribe link is not one Waymark made, or was cut short: copy the whole link \
         from the email, or choose which emails you get on your account page.",
    )
    .into_page("This link does not work")
}

/// The page a person who opens the link sees: what it stops, and one button.
async fn confirm(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let Some((_, kinds)) = checked(&state, &token) else {
        return bad_link();
    };
    let body = format!(
        "<p>Stop the emails about {}?</p>\
         <form method=\"post\"><button type=\"submit\" class=\"button primary\">Unsubscribe</button></form>\
         <p>You can switch them back on from <a href=\"/account\">your account page</a>.</p>",
        escape(&describe(&kinds))
    );
    page("Unsubscribe", &body)
}

/// The button, or a mail program's one-click request: switches the kinds off.
async fn unsubscribe(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let Some((user, kinds)) = checked(&state, &token) else {
        return bad_link();
    };
    let off = kinds.clone();
    let done = state
        .backend
        .db
        .writer()
        .write(move |conn| crate::db::notify::switch(conn, user, &off, false))
        .await;
    match done {
        Ok(()) => {
            tracing::info!(%user, kinds = %describe(&kinds), "unsubscribed by link");
            let body = format!(
                "<p role=\"status\">You will no longer get emails about {}.</p>\
                 <p>Changed your mind? Switch them back on from <a href=\"/account\">your account page</a>.</p>",
                escape(&describe(&kinds))
            );
            page("Unsubscribed", &body)
        }
        Err(crate::db::StoreError::NotFound) => {
            HttpError::not_found("This account no longer exists, so it gets no email.")
                .into_page("Nothing to stop")
        }
        Err(err) => HttpError::from(err).into_page("Not unsubscribed yet"),
    }
}

fn page(heading: &str, body: &str) -> Response {
    Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{heading} · Waymark</title><link rel=\"stylesheet\" href=\"/pkg/waymark.css\">\
         </head><body><main id=\"main\" class=\"message-page\"><h1>{heading}</h1>{body}</main></body></html>"
    ))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> Signer {
        Signer { key: [7; 32] }
    }

    #[test]
    fn a_token_names_its_account_and_kinds_and_nothing_else_passes() {
        let user = UserId::from_uuid(uuid::Uuid::from_u128(42));
        let token = signer().token(user, &[Kind::Mention, Kind::Review]);
        assert_eq!(
            signer().check(&token),
            Some((user, vec![Kind::Mention, Kind::Review]))
        );
        let other = Signer { key: [8; 32] };
        assert_eq!(other.check(&token), None);
        // Changing the kinds or the account breaks the signature.
        let forged = token.replacen(".mv.", ".mvdr.", 1);
        assert_eq!(signer().check(&forged), None);
        let someone = UserId::from_uuid(uuid::Uuid::from_u128(43));
        let swapped = token.replacen(
            &user.as_uuid().simple().to_string(),
            &someone.as_uuid().simple().to_string(),
            1,
        );
        assert_eq!(signer().check(&swapped), None);
        for bad in ["", ".", "a.b.c", "x.m.zz", &token[..token.len() - 2]] {
            assert_eq!(signer().check(bad), None, "{bad}");
        }
        assert_eq!(signer().check(&signer().token(user, &[])), None);
    }

    #[test]
    fn kinds_read_as_a_list() {
        assert_eq!(describe(&[Kind::Mention]), "mentions of you in comments");
        assert_eq!(
            describe(&[Kind::Mention, Kind::Reply, Kind::Review]),
            "mentions of you in comments, replies in your comment threads and maps of yours due for review"
        );
    }
}
