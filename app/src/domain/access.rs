//! Who may do what with a map. Pure rules; the server looks up the facts (is this person an
//! admin, what role do they hold, is this share link valid) and asks here.

use serde::{Deserialize, Serialize};

/// A person's role on one map, weakest first (so roles compare by strength).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads the map and follows it live.
    Viewer,
    /// Also edits it and comments.
    Editor,
    /// Also shares it, manages its members and links, and deletes it.
    Owner,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Editor, Role::Owner];

    pub fn label(self) -> &'static str {
        match self {
            Role::Viewer => "Viewer",
            Role::Editor => "Editor",
            Role::Owner => "Owner",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Owner => "owner",
        }
    }

    pub fn from_key(key: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.key() == key)
    }
}

/// What the server knows about a caller's relation to one map.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Standing {
    /// Signed in as an instance admin, who may do anything.
    pub admin: bool,
    /// The caller's own role on the map, if they were given one.
    pub member: Option<Role>,
    /// Holds a valid read-only share link to this map.
    pub share_link: bool,
}

/// The role the caller acts with on the map; `None` means no access at all.
pub fn effective_role(standing: Standing) -> Option<Role> {
    if standing.admin {
        return Some(Role::Owner);
    }
    // A share link only ever lets someone read, whatever else it says.
    let shared = standing.share_link.then_some(Role::Viewer);
    standing.member.max(shared)
}

/// Something a person may do with one map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Capability {
    /// Open it, follow it live, read its history, its feedback scores and their summaries;
    /// export its picture, file (without customers' answers) and cards; duplicate it.
    View,
    /// Change it: edit live, comment, rename, name versions.
    Edit,
    /// Read customers' answers one by one: the inbox, follow-ups, and exports that carry them.
    ReadResponses,
    /// Collect answers: public form links, API keys, CSV import.
    CollectFeedback,
    /// Decide who sees it: members and roles, share links, invitations to it.
    Share,
    /// Delete it.
    Delete,
}

impl Capability {
    pub const ALL: [Capability; 6] = [
        Capability::View,
        Capability::Edit,
        Capability::ReadResponses,
        Capability::CollectFeedback,
        Capability::Share,
        Capability::Delete,
    ];

    /// The weakest role that may do this: the whole table of what each role may do.
    pub fn least_role(self) -> Role {
        match self {
            Capability::View => Role::Viewer,
            Capability::Edit | Capability::ReadResponses | Capability::CollectFeedback => {
                Role::Editor
            }
            Capability::Share | Capability::Delete => Role::Owner,
        }
    }
}

impl Role {
    /// Whether someone acting with this role may do `capability`.
    pub fn may(self, capability: Capability) -> bool {
        self >= capability.least_role()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(standing: Standing, expected: Option<Role>) {
        assert_eq!(effective_role(standing), expected);
    }

    #[test]
    fn roles_combine_as_expected() {
        let none = Standing::default();
        check(none, None);
        check(
            Standing {
                admin: true,
                ..none
            },
            Some(Role::Owner),
        );
        check(
            Standing {
                share_link: true,
                ..none
            },
            Some(Role::Viewer),
        );
        check(
            Standing {
                member: Some(Role::Editor),
                share_link: true,
                ..none
            },
            Some(Role::Editor),
        );
        check(
            Standing {
                member: Some(Role::Viewer),
                ..none
            },
            Some(Role::Viewer),
        );
    }

    #[test]
    fn each_role_may_do_what_the_weaker_ones_may_and_more() {
        use Capability::*;
        let may = |role: Role| -> Vec<Capability> {
            Capability::ALL
                .into_iter()
                .filter(|c| role.may(*c))
                .collect()
        };
        assert_eq!(may(Role::Viewer), [View]);
        assert_eq!(
            may(Role::Editor),
            [View, Edit, ReadResponses, CollectFeedback]
        );
        assert_eq!(may(Role::Owner), Capability::ALL);
        assert_eq!(Role::from_key("editor"), Some(Role::Editor));
        assert_eq!(Role::from_key("root"), None);
    }
}
