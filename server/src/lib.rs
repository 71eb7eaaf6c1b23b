//! The Waymark server: configuration, storage, map rooms and the axum router.
//! `main.rs` only wires these together; tests build the same router over a temporary database.

// Leptos view types nest deeply; the default limit is too low for the editor page.
#![recursion_limit = "256"]

pub mod accounts;
pub mod analysis;
pub mod auth;
pub mod backend;
pub mod clock;
pub mod config;
pub mod db;
pub mod export;
pub mod feedback;
pub mod hub;
pub mod rooms;
pub mod router;
pub mod service;
