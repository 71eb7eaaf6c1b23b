//! Integration tests of the server: storage through the rooms against temporary SQLite files,
//! and the HTTP surface through the real router.

// Test code: a failed unwrap is a failed test, which is what we want.
#![allow(clippy::unwrap_used)]

mod access;
mod audit;
// The real binary as a child process (shared with the benchmarks).
mod backlog;
mod beside;
#[path = "../../benches/support/mod.rs"]
mod binary;
mod chaos;
mod definitions;
mod faults;
mod feedback;
mod guards;
mod hierarchy;
mod http;
mod journey;
mod journey_export;
mod journey_import;
mod journey_retention;
mod journey_sharing;
mod landscape;
mod library;
mod light_pages;
mod litestream;
mod live;
mod live_access;
mod mail;
mod metrics;
mod notify;
mod ops;
mod sso;
mod storage;
mod support;
mod transfer;
