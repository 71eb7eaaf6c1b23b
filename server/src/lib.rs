//! The Waymark server: configuration, storage, map rooms and the axum router.
//! `main.rs` only wires these together; tests build the same router over a temporary database.

// Leptos view types nest deeply; the default limit is too low for the editor page.
#![recursion_limit = "256"]

pub mod accounts;
pub mod analysis;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod backend;
pub mod clock;
pub mod config;
pub mod connections;
pub mod csv_import;
pub mod db;
pub mod export;
pub mod feedback;
pub mod http;
pub mod hub;
pub mod journey;
pub mod mail;
pub mod notify;
pub mod oidc;
pub mod places;
pub mod proxies;
pub mod pseudonyms;
pub mod recovery;
pub mod rooms;
pub mod router;
pub mod secrets;
pub mod service;
pub mod state;
pub mod telemetry;
pub mod throttle;
pub mod verification;

/// Locks a standard mutex. Nothing here panics while holding one, and if something did, the data
/// it guards is still usable: so a poisoned lock is taken as it is rather than failing a request.
pub(crate) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
