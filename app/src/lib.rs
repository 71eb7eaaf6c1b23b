//! Waymark's shared crate: the journey-map domain, the server functions and the Leptos UI.
//! Compiled natively into the server (`ssr`) and to wasm for the browser (`hydrate`).

// Leptos view types nest deeply; the default limit is too low for the editor page.
#![recursion_limit = "512"]

pub mod api;
pub mod domain;
pub mod ui;

/// The browser entry point: takes over the server-rendered page. Asynchronously, since the
/// page's own code is a chunk of the bundle that loads first (lazy routes, see `ui::pages`).
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    use leptos::prelude::document;

    console_error_panic_hook::set_once();
    wasm_bindgen_futures::spawn_local(async {
        let Some(body) = document().body() else {
            return;
        };
        leptos::mount::hydrate_from_async(body, ui::app::App)
            .await
            .forget();
        // Editing controls are hidden until the page is interactive (see style/main.css).
        if let Some(root) = document().document_element() {
            let _ = root.class_list().add_1("hydrated");
        }
    });
}
