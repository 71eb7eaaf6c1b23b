//! Waymark's shared crate: the journey-map domain, the server functions and the Leptos UI.
//! Compiled natively into the server (`ssr`) and to wasm for the browser (`hydrate`).

// Leptos view types nest deeply; the default limit is too low for the editor page.
#![recursion_limit = "512"]

pub mod api;
pub mod domain;
pub mod ui;

/// The browser entry point: takes over the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(ui::app::App);
    // Editing controls are hidden until the page is interactive (see style/main.css).
    if let Some(root) = leptos::prelude::document().document_element() {
        let _ = root.class_list().add_1("hydrated");
    }
}
