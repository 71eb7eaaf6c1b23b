//! The page for a path or map that doesn't exist.

use leptos::prelude::*;

use crate::api::ctx::respond_not_found;
use crate::ui::app::PageTitle;

#[component]
pub fn NotFound() -> impl IntoView {
    respond_not_found();
    view! {
        <PageTitle text="Not found"/>
        <main id="main" class="message-page">
            <h1>"Nothing here"</h1>
            <p>"This page or map doesn't exist. It may have been deleted."</p>
            <p>
                <a class="button primary" href="/">"Back to your maps"</a>
            </p>
        </main>
    }
}
