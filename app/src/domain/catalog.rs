//! How a map is catalogued among the team's maps (the journey landscape on the home page): its
//! status in the life of a journey map, and a few tags to find it by. Kept with the map's
//! listing rather than in the map itself (`api::landscape::set_catalog`, recorded in the audit
//! log), so the map editor, whose every byte is budgeted, carries none of it; map files carry
//! it beside the map (`import`, version 2).

use serde::{Deserialize, Serialize};

use crate::domain::text::{FieldError, Name};

/// Most tags on one map.
pub const MAX_TAGS: usize = 10;
/// Longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 40;

/// Where a map is in its life.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Being drawn; not yet to be relied on.
    #[default]
    Draft,
    /// Drawn, and being checked against research and data.
    InReview,
    /// Checked: the team's agreed picture of the journey.
    Validated,
    /// Kept for the record; no longer current.
    Archived,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Draft,
        Status::InReview,
        Status::Validated,
        Status::Archived,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::InReview => "in_review",
            Status::Validated => "validated",
            Status::Archived => "archived",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Draft => "Draft",
            Status::InReview => "In review",
            Status::Validated => "Validated",
            Status::Archived => "Archived",
        }
    }

    pub fn from_key(key: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.key() == key)
    }
}

/// A map's status and tags.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Catalog {
    #[serde(default)]
    pub status: Status,
    /// Sorted, without duplicates (ignoring case).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Name>,
}

impl Catalog {
    /// Whether the tags keep the limits and the order (a catalog from outside is checked).
    pub fn check(&self) -> Result<(), FieldError> {
        if self.tags.len() > MAX_TAGS {
            return Err(FieldError::new(format!("at most {MAX_TAGS} tags")));
        }
        if let Some(long) = self
            .tags
            .iter()
            .find(|t| t.as_str().chars().count() > MAX_TAG_CHARS)
        {
            return Err(FieldError::new(format!(
                "the tag “{long}” is longer than {MAX_TAG_CHARS} characters"
            )));
        }
        if parse_tags(
            &self
                .tags
                .iter()
                .map(Name::as_str)
                .collect::<Vec<_>>()
                .join(","),
        )? != self.tags
        {
            return Err(FieldError::new("tags must be sorted and unique"));
        }
        Ok(())
    }
}

/// Tags as a person types them: separated by commas, trimmed, duplicates (in any case) once,
/// sorted (case-insensitively). Empty text is no tags.
pub fn parse_tags(text: &str) -> Result<Vec<Name>, FieldError> {
    let mut tags: Vec<Name> = Vec::new();
    for raw in text.split(',') {
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        if raw.chars().count() > MAX_TAG_CHARS {
            return Err(FieldError::new(format!(
                "the tag “{raw}” is longer than {MAX_TAG_CHARS} characters"
            )));
        }
        let tag = Name::parse(raw)?;
        if !tags
            .iter()
            .any(|t| t.as_str().to_lowercase() == tag.as_str().to_lowercase())
        {
            tags.push(tag);
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(FieldError::new(format!("at most {MAX_TAGS} tags")));
    }
    tags.sort_by_key(|t| t.as_str().to_lowercase());
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(tags: &[Name]) -> Vec<&str> {
        tags.iter().map(Name::as_str).collect()
    }

    #[test]
    fn tags_are_trimmed_unique_and_sorted_within_limits() {
        let tags = parse_tags(" retention, Onboarding ,, onboarding,B2B ").unwrap();
        assert_eq!(names(&tags), ["B2B", "Onboarding", "retention"]);
        assert!(parse_tags("").unwrap().is_empty());
        let many = (0..=MAX_TAGS)
            .map(|i| format!("t{i}"))
            .collect::<Vec<_>>()
            .join(",");
        assert!(parse_tags(&many).is_err());
        assert!(parse_tags(&"x".repeat(MAX_TAG_CHARS + 1)).is_err());
        let catalog = Catalog {
            status: Status::Validated,
            tags,
        };
        assert_eq!(catalog.check(), Ok(()));
    }

    #[test]
    fn a_catalog_from_outside_is_checked() {
        let unsorted = Catalog {
            status: Status::Draft,
            tags: vec![Name::parse("b").unwrap(), Name::parse("a").unwrap()],
        };
        assert!(unsorted.check().is_err());
        let twice = Catalog {
            status: Status::Draft,
            tags: vec![Name::parse("a").unwrap(), Name::parse("A").unwrap()],
        };
        assert!(twice.check().is_err());
        for status in Status::ALL {
            assert_eq!(Status::from_key(status.key()), Some(status));
        }
        let old: Catalog = serde_json::from_str("{}").unwrap();
        assert_eq!(old, Catalog::default());
    }
}
