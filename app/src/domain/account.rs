//! What people sign in with, as values checked once where they arrive: an email address, a
//! password, and the secret tokens the server hands to browsers (sessions, share links, share
//! grants, invitations, feedback forms).
//!
//! Tokens are only ever strings of hex digits of a fixed length, because that is all the server
//! makes; anything else a client sends is refused before it is looked up, hashed, logged or kept.
//! Passwords and tokens print as `…` in debug output, so they cannot end up in a log by accident.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::text::FieldError;

/// Shortest new password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted (argon2 takes longer on longer input; nobody types more).
pub const MAX_PASSWORD_CHARS: usize = 256;
/// Longest email address (RFC 5321's limit on a path).
pub const MAX_EMAIL_CHARS: usize = 254;

/// An email address, normalised: trimmed, lower-case, one `@` with text on both sides and a dot
/// in the domain, no whitespace.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, FieldError> {
        let email = raw.trim().to_lowercase();
        let valid = email.chars().count() <= MAX_EMAIL_CHARS
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.contains('@')
            })
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if !valid {
            return Err(FieldError::new(
                "enter an email address like name@example.com",
            ));
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = FieldError;
    fn try_from(raw: String) -> Result<Email, FieldError> {
        Email::parse(&raw)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> String {
        email.0
    }
}

/// A password as typed. Never serialized, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// A new password: long enough to resist guessing, short enough to hash quickly.
    pub fn new(raw: &str) -> Result<Password, FieldError> {
        let count = raw.chars().count();
        if count < MIN_PASSWORD_CHARS {
            return Err(FieldError::new(format!(
                "use at least {MIN_PASSWORD_CHARS} characters"
            )));
        }
        Password::attempt(raw)
    }

    /// A password to check against a stored one: any length up to the longest accepted.
    pub fn attempt(raw: &str) -> Result<Password, FieldError> {
        if raw.chars().count() > MAX_PASSWORD_CHARS {
            return Err(FieldError::new(format!(
                "use at most {MAX_PASSWORD_CHARS} characters"
            )));
        }
        Ok(Password(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(…)")
    }
}

macro_rules! token_type {
    ($(#[$doc:meta])* $name:ident, $digits:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// How many hex digits the token has.
            pub const DIGITS: usize = $digits;

            /// The token in `raw`, or `None` when `raw` is not one the server could have made.
            pub fn parse(raw: &str) -> Option<$name> {
                let hex = raw.len() == Self::DIGITS
                    && raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
                hex.then(|| $name(raw.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(…)"))
            }
        }

        impl TryFrom<String> for $name {
            type Error = FieldError;
            fn try_from(raw: String) -> Result<$name, FieldError> {
                $name::parse(&raw).ok_or_else(|| FieldError::new("that link is not valid"))
            }
        }

        impl From<$name> for String {
            fn from(token: $name) -> String {
                token.0
            }
        }
    };
}

token_type!(
    /// A secret handed to a browser: a session, a share link, a share link's grant, or an
    /// invitation. 256 bits as 64 hex digits.
    Token,
    64
);
token_type!(
    /// A touchpoint's public feedback form: 128 bits as 32 hex digits, short enough for a small
    /// QR code (the form is public by design; the token only keeps it from being enumerated).
    FormToken,
    32
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse(" Ana@Example.COM ").unwrap().as_str(),
            "ana@example.com"
        );
        for bad in [
            "",
            "ana",
            "@example.com",
            "ana@example",
            "a na@example.com",
            "ana@.example.com",
            "ana@x@example.com",
            "ana\u{7}@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
        assert!(serde_json::from_str::<Email>("\"nope\"").is_err());
    }

    #[test]
    fn passwords_have_limits_and_never_print() {
        assert!(Password::new("short").is_err());
        assert!(Password::new("long enough!").is_ok());
        assert!(Password::attempt("short").is_ok());
        assert!(Password::attempt(&"x".repeat(MAX_PASSWORD_CHARS + 1)).is_err());
        let secret = Password::new("correct horse battery").unwrap();
        assert_eq!(format!("{secret:?}"), "Password(…)");
    }

    #[test]
    fn tokens_are_only_what_the_server_makes() {
        let good = "ab".repeat(32);
        assert_eq!(Token::parse(&good).unwrap().as_str(), good);
        for bad in [
            "",
            "AB".repeat(32).as_str(),
            &"ab".repeat(31),
            &format!("{}\n", "a".repeat(63)),
            &"é".repeat(32),
        ] {
            assert!(Token::parse(bad).is_none(), "{bad:?}");
        }
        assert!(FormToken::parse(&"0f".repeat(16)).is_some());
        assert!(FormToken::parse(&good).is_none());
        assert_eq!(format!("{:?}", Token::parse(&good).unwrap()), "Token(…)");
    }
}
