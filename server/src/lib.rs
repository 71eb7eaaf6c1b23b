//! The Waymark server: configuration, storage, map rooms and the axum router.
//! `main.rs` only wires these together; tests build the same router over a temporary database.

pub mod backend;
pub mod clock;
pub mod config;
pub mod db;
pub mod rooms;
pub mod router;
