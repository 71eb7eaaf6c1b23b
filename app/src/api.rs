//! Server functions: the HTTP endpoints the pages call, and the wire types they exchange.
//!
//! Every `#[server]` function is a public endpoint, so each one parses its own input into domain
//! types before it acts. The bodies run only on the server, where they reach storage through the
//! `ctx::Backend` port that the `server` crate provides; no SQL appears here.

pub mod audit;
pub mod auth;
pub mod backlog;
pub mod ctx;
pub mod definitions;
pub mod error;
pub mod feedback;
pub mod hierarchy;
pub mod history;
pub mod journey;
pub mod landscape;
pub mod library;
pub mod maps;
pub mod notifications;
pub mod recovery;
pub mod reviews;
pub mod sharing;
pub mod targets;
