//! One module per page. Pages own their data: they load it and hand plain values down.

pub mod admin;
pub mod auth_pages;
pub mod feedback_form;
pub mod home;
pub mod map_page;
pub mod not_found;
pub mod shared;
