//! User-written text with its limits: short names and longer free text.
//!
//! Both types deserialize through their constructors, so a value that arrives over the network
//! or from the database is checked exactly like one typed in the editor.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Longest title, stage, lane or persona name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest card text or other free text, in characters.
pub const MAX_TEXT_CHARS: usize = 5_000;

/// A rejected field value, with a message a person can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{message}")]
pub struct FieldError {
    pub message: String,
}

impl FieldError {
    pub fn new(message: impl Into<String>) -> FieldError {
        FieldError {
            message: message.into(),
        }
    }
}

/// A name: a map title, or the name of a stage, lane or persona.
/// Invariant: trimmed, 1..=MAX_NAME_CHARS characters, no line breaks.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Name(String);

impl Name {
    pub fn parse(raw: &str) -> Result<Name, FieldError> {
        // Line breaks would be invisible in a one-line field; fold them into spaces.
        let folded: String = raw
            .trim()
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let count = folded.chars().count();
        if count == 0 {
            return Err(FieldError::new("a name can't be empty"));
        }
        if count > MAX_NAME_CHARS {
            return Err(FieldError::new(format!(
                "a name can be at most {MAX_NAME_CHARS} characters (this one has {count})"
            )));
        }
        Ok(Name(folded))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The author of a change nobody signed: "Someone".
    pub fn someone() -> Name {
        Name("Someone".to_owned())
    }
}

impl TryFrom<String> for Name {
    type Error = FieldError;

    fn try_from(raw: String) -> Result<Name, FieldError> {
        Name::parse(&raw)
    }
}

impl From<Name> for String {
    fn from(name: Name) -> String {
        name.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Free text: a card, a scenario, a persona's goals. May be empty.
/// Invariant: at most MAX_TEXT_CHARS characters, no leading or trailing whitespace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Text(String);

impl Text {
    pub fn parse(raw: &str) -> Result<Text, FieldError> {
        let trimmed = raw.trim();
        let count = trimmed.chars().count();
        if count > MAX_TEXT_CHARS {
            return Err(FieldError::new(format!(
                "text can be at most {MAX_TEXT_CHARS} characters (this has {count})"
            )));
        }
        Ok(Text(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl TryFrom<String> for Text {
    type Error = FieldError;

    fn try_from(raw: String) -> Result<Text, FieldError> {
        Text::parse(&raw)
    }
}

impl From<Text> for String {
    fn from(text: Text) -> String {
        text.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(Name::parse("  Awareness ").unwrap().as_str(), "Awareness");
        assert_eq!(Name::parse("a\nb").unwrap().as_str(), "a b");
        assert!(Name::parse("   ").is_err());
        assert!(Name::parse(&"é".repeat(MAX_NAME_CHARS)).is_ok());
        assert!(Name::parse(&"é".repeat(MAX_NAME_CHARS + 1)).is_err());
    }

    #[test]
    fn text_may_be_empty_but_not_too_long() {
        assert!(Text::parse("").unwrap().is_empty());
        assert!(Text::parse(&"x".repeat(MAX_TEXT_CHARS)).is_ok());
        let err = Text::parse(&"x".repeat(MAX_TEXT_CHARS + 1)).unwrap_err();
        assert!(err.message.contains("5000"), "{err}");
    }

    #[test]
    fn deserializing_checks_the_limits() {
        assert!(serde_json::from_str::<Name>("\"\"").is_err());
        assert_eq!(
            serde_json::from_str::<Name>("\"Purchase\"")
                .unwrap()
                .as_str(),
            "Purchase"
        );
    }
}
