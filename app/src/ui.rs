//! The Leptos user interface: the app shell, pages, and the map editor's components.
//!
//! Pages load data through resources and render fully on the server; components take plain data
//! or the `Editor` handle. User text is always rendered as text: the two `inner_html`s (a
//! select's options, the emotion curve's drawing) escape all they hold (`options::escape_into`).

pub mod account_menu;
pub mod app;
pub mod editor;
pub mod erase;
pub mod feedback;
pub mod format;
pub mod icons;
pub mod identity;
pub mod inline_text;
pub mod journey;
pub mod map;
pub mod options;
pub mod pages;
pub mod resource;
pub mod upload;
