//! Identifiers. Every id is a random UUID: maps are shared by link, so their ids must be
//! unguessable, and browsers name new stages, lanes and cards before the server has seen them.
//!
//! Pure: nothing here makes an id. Callers (`ui`, `server`) pass in `Uuid::new_v4()`, or for
//! operations `Uuid::now_v7()` (see `OpId`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// A journey map. Appears in URLs, so it must never be sequential.
    MapId
);
id_type!(
    /// A persona of the shared library (`domain::library`).
    LibraryId
);
id_type!(
    /// A key of the feedback API (not its secret: the id names it in lists and logs).
    ApiKeyId
);
id_type!(
    /// A stage (a column of the grid).
    StageId
);
id_type!(
    /// A lane (a row of the grid).
    LaneId
);
id_type!(
    /// A card in one cell of the grid.
    CardId
);
id_type!(
    /// A persona of a map.
    PersonaId
);
id_type!(
    /// A comment; a thread is named by its first comment.
    CommentId
);
id_type!(
    /// A person with an account.
    UserId
);
id_type!(
    /// A read-only share link.
    LinkId
);
id_type!(
    /// An operation. Lets the server recognise a resent operation and apply it only once.
    /// Made time-ordered (`Uuid::now_v7()`): the log's index of operation ids then grows at its
    /// end, so a commit of many people's edits writes a few pages instead of one per edit.
    OpId
);

/// A map's revision: the number of operations applied to it since it was created.
/// The server assigns revisions in the order it applies operations; that order decides conflicts.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Rev(pub u64);

impl Rev {
    pub fn next(self) -> Rev {
        Rev(self.0 + 1)
    }
}

impl fmt::Display for Rev {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
