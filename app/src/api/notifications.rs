//! Which notifications an account gets by email (`server::notify` sends them). Each mail's
//! unsubscribe link switches its kinds off without signing in; the account page switches
//! them back on.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::error::AppError;

/// What a notification is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Kind {
    /// Someone wrote `@name` in a comment.
    Mention,
    /// Someone answered a thread the account started or took part in.
    Reply,
    /// An unhappy answer (NPS 0–6, CSAT 1–2, CES 1–3) on a map the account owns.
    Detractor,
    /// A map the account owns is due for review.
    Review,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Mention, Kind::Reply, Kind::Detractor, Kind::Review];

    /// The stored name (also the form field's).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Mention => "mention",
            Kind::Reply => "reply",
            Kind::Detractor => "detractor",
            Kind::Review => "review",
        }
    }

    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// What the switch says.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Mention => "Someone mentions me in a comment (@name)",
            Kind::Reply => "Someone replies to a comment thread I started or answered",
            Kind::Detractor => "A customer gives an unhappy answer on a map I own",
            Kind::Review => "A map I own is due for review",
        }
    }
}

/// An account's notification switches, and whether this Waymark sends mail at all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// The kinds switched on.
    pub on: Vec<Kind>,
    pub mail_on: bool,
}

/// The signed-in account's switches.
#[server]
pub async fn my_notifications() -> Result<Settings, AppError> {
    use crate::api::ctx::{accounts, require_user};
    let user = require_user()?;
    accounts()?.notification_settings(user.id).await
}

/// Sets the signed-in account's switches, one checkbox per kind named by its `as_str`: a kind
/// whose box is sent is on, one left out is off.
#[server]
pub async fn set_notifications(
    mention: Option<String>,
    reply: Option<String>,
    detractor: Option<String>,
    review: Option<String>,
) -> Result<(), AppError> {
    use crate::api::ctx::{accounts, require_user};
    let user = require_user()?;
    let boxes = [
        (Kind::Mention, mention),
        (Kind::Reply, reply),
        (Kind::Detractor, detractor),
        (Kind::Review, review),
    ];
    let on = boxes
        .into_iter()
        .filter_map(|(kind, sent)| sent.map(|_| kind))
        .collect();
    accounts()?.set_notifications(user.id, on).await
}
