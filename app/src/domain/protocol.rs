//! The live-editing protocol: the messages a browser and the server exchange over a map's
//! WebSocket, as JSON text frames. Closed and versioned: a client speaking another
//! `PROTOCOL_VERSION` is told so and disconnected.
//!
//! A session: the client sends `Hello` with the last revision it has; the server answers
//! `Welcome` (with the whole map when the client is too far behind) and then streams `Applied`
//! for every operation committed on the map, the client's own included, which is how the client
//! learns its operations were acknowledged. `Rejected` goes only to the operation's sender.
//! `NotSaved` says the database failed to store some of the client's operations: it sends them
//! again later. `Refetch` says what the map shows from outside its log (its scores, its
//! targets) is stale.
//! The server re-checks who may do what whenever that can change: `Role` tells a connection it
//! may now edit, or only view; `Ended` that it may no longer follow the map at all, and why, so
//! the browser says so instead of reconnecting.
//!
//! Every enum here is externally tagged (`{"applied":{"log":[…]}}`, `"pong"`): decoding an
//! internally tagged one (`{"type":"applied",…}`) buffers the whole message first, and the
//! browser's bundle then carries the decoding of every payload twice (about 60 KB of wasm).

use serde::{Deserialize, Serialize};

use crate::domain::edit::{EditError, Op};
use crate::domain::ids::{CardId, LaneId, OpId, Rev, StageId};
use crate::domain::map::JourneyMap;
use crate::domain::sync::Logged;

/// 4: `NotSaved`, which a browser of version 3 would ignore (and never send its edits again).
/// 5: messages and edits externally tagged (see above).
pub const PROTOCOL_VERSION: u32 = 5;
/// Largest message either side sends, in bytes of JSON.
pub const MAX_MESSAGE_BYTES: usize = 512 * 1024;
/// Most operations in one `Submit`.
pub const MAX_OPS_PER_MESSAGE: usize = 100;
/// Longest display name accepted in `Hello`, in characters.
pub const MAX_PEER_NAME_CHARS: usize = 60;

/// A connection's number within the server's lifetime; names a peer in presence lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SessionId(pub u64);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientMsg {
    /// The first message: the protocol spoken, the last revision held, a display name.
    Hello {
        protocol: u32,
        since: Rev,
        name: String,
    },
    /// Operations to apply, in order. Resending one already applied is harmless.
    Submit {
        ops: Vec<Op>,
    },
    /// What the user is editing now, shown to the others.
    Presence {
        focus: Option<Focus>,
    },
    Ping,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerMsg {
    /// The answer to `Hello`. With `map`, the client replaces its copy with it (it was too far
    /// behind for the log); without, `Applied` messages bring it up to date.
    Welcome {
        session: SessionId,
        rev: Rev,
        map: Option<Box<JourneyMap>>,
    },
    /// Operations committed on the map, in revision order.
    Applied {
        log: Vec<Logged>,
    },
    /// One of the client's operations was refused; it changed nothing.
    Rejected {
        op: OpId,
        error: EditError,
    },
    /// The database could not save these operations (it was busy, full, or failed): they
    /// changed nothing and nobody saw them. The client sends them again, with everything it
    /// sent after them, once `retry_ms` have passed; until then the server answers every
    /// `Submit` that does not include one of them with another `NotSaved`, so that a later
    /// operation never lands without an earlier one it may depend on.
    NotSaved {
        ops: Vec<OpId>,
        retry_ms: u32,
    },
    /// One of the client's operations had been applied before, as revision `rev` (a resend).
    Known {
        op: OpId,
        rev: Rev,
    },
    /// Everyone on the map now, the receiver included.
    Peers {
        peers: Vec<Peer>,
    },
    /// A message could not be accepted (malformed, too large, too many); nothing changed.
    Error {
        message: String,
    },
    /// The server is closing the connection; reconnect after `retry_ms`.
    Closing {
        reason: String,
        retry_ms: u32,
    },
    /// Something the map shows from outside its log changed: customer feedback or events
    /// arrived, or a value kept beside it (a target, its links) changed. Fetch them again.
    Refetch,
    /// What this connection may do changed: edit, or only follow the map.
    Role {
        can_edit: bool,
    },
    /// This connection may no longer follow the map; the server closes it. The browser says
    /// why and does not reconnect.
    Ended {
        why: Ended,
    },
    Pong,
}

/// Why a connection's access to a map ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ended {
    /// The person was removed from the map (or lost the admin rights it came through).
    Removed,
    /// Their account was deleted.
    AccountRemoved,
    /// Their session ended: they signed out, or their password was changed.
    SignedOut,
    /// Their session ran out.
    SessionExpired,
    /// The share link was revoked (or its maker's account removed).
    LinkRevoked,
    /// The share link expired.
    LinkExpired,
    /// The map was deleted.
    MapDeleted,
}

impl Ended {
    /// What the browser tells the person.
    pub fn message(self) -> &'static str {
        match self {
            Ended::Removed => "You were removed from this map.",
            Ended::AccountRemoved => "Your account was removed.",
            Ended::SignedOut => "You were signed out.",
            Ended::SessionExpired => "Your session has expired.",
            Ended::LinkRevoked => "This link was revoked.",
            Ended::LinkExpired => "This link has expired.",
            Ended::MapDeleted => "This map was deleted.",
        }
    }

    /// Whether signing in again may help.
    pub fn asks_to_sign_in(self) -> bool {
        matches!(self, Ended::SignedOut | Ended::SessionExpired)
    }
}

/// Something a person can be editing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Focus {
    Card(CardId),
    Stage(StageId),
    Lane(LaneId),
}

/// Someone on the map.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Peer {
    pub session: SessionId,
    pub name: String,
    /// Index into the presence palette.
    pub colour: u8,
    pub focus: Option<Focus>,
}

/// Colours for peers, distinct, each with white text on it readable (WCAG AA, 4.5:1).
pub const PALETTE: [&str; 8] = [
    "#c2410c", "#0b7285", "#5f3dc4", "#237a33", "#c2255c", "#1864ab", "#a85600", "#495057",
];

/// A display name made safe to show: trimmed, control characters removed, bounded; a blank
/// name becomes "Guest".
pub fn clean_name(raw: &str) -> String {
    let cleaned: String = raw
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_PEER_NAME_CHARS)
        .collect();
    match cleaned.trim() {
        "" => "Guest".to_owned(),
        name => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_have_a_stable_json_form() {
        let hello = ClientMsg::Hello {
            protocol: PROTOCOL_VERSION,
            since: Rev(7),
            name: "Ana".into(),
        };
        let json = serde_json::to_string(&hello).unwrap();
        assert_eq!(json, r#"{"hello":{"protocol":5,"since":7,"name":"Ana"}}"#);
        assert_eq!(serde_json::from_str::<ClientMsg>(&json).unwrap(), hello);
        let presence = ClientMsg::Presence {
            focus: Some(Focus::Card(CardId::from_uuid(uuid::Uuid::nil()))),
        };
        let json = serde_json::to_string(&presence).unwrap();
        assert!(json.contains(r#""focus":{"card":"00000000"#), "{json}");
        assert!(serde_json::from_str::<ClientMsg>(r#"{"launch":{}}"#).is_err());
        let not_saved = ServerMsg::NotSaved {
            ops: vec![OpId::from_uuid(uuid::Uuid::nil())],
            retry_ms: 1000,
        };
        let json = serde_json::to_string(&not_saved).unwrap();
        assert_eq!(
            json,
            r#"{"not_saved":{"ops":["00000000-0000-0000-0000-000000000000"],"retry_ms":1000}}"#
        );
        assert_eq!(serde_json::from_str::<ServerMsg>(&json).unwrap(), not_saved);
    }

    #[test]
    fn names_are_cleaned() {
        assert_eq!(clean_name("  Ana \n"), "Ana");
        assert_eq!(clean_name("\u{7}"), "Guest");
        assert_eq!(
            clean_name(&"x".repeat(100)).chars().count(),
            MAX_PEER_NAME_CHARS
        );
    }
}
