//! Journey maps and the operations on them.
//!
//! Pure: no I/O, no clock, no randomness (ids and times are passed in), no Leptos and no
//! `cfg(feature)`. It compiles unchanged for the browser and the server, which is how both apply
//! an edit with the same code.

pub mod access;
pub mod account;
pub mod backlog;
pub mod beside;
pub mod catalog;
pub mod compare;
pub mod definitions;
pub mod edit;
pub mod event_table;
pub mod feedback;
pub mod hierarchy;
pub mod history;
pub mod ids;
pub mod import;
pub mod journey;
pub mod lenient;
pub mod library;
pub mod map;
pub mod moves;
pub mod position;
pub mod protocol;
pub mod response_table;
pub mod review;
pub mod stats;
pub mod sync;
pub mod table;
pub mod targets;
pub mod template;
pub mod text;
pub mod time;

/// Test support: this crate's tests, and the server's through the `fixture` feature.
#[cfg(any(test, feature = "fixture"))]
#[allow(clippy::unwrap_used)]
pub mod fixture;
