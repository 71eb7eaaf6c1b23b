//! The smallest Leptos page that hydrates: a heading and a button that counts its clicks.

use leptos::prelude::*;

/// The document, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <title>"Floor"</title>
                <HydrationScripts options/>
            </head>
            <body>
                <Floor/>
            </body>
        </html>
    }
}

#[component]
pub fn Floor() -> impl IntoView {
    let clicks = RwSignal::new(0);
    view! {
        <main>
            <h1>"A minimal Leptos page"</h1>
            <button on:click=move |_| clicks.update(|n| *n += 1)>
                "Clicked " {move || clicks.get()} " times"
            </button>
        </main>
    }
}

/// The browser entry point. Marks `<html>` `hydrated` when done, as Waymark does, which is
/// what the bench waits for.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    leptos::mount::hydrate_body(Floor);
    if let Some(root) = document().document_element() {
        let _ = root.class_list().add_1("hydrated");
    }
}
