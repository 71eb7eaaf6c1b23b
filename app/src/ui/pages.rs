//! One module per page. Pages own their data: they load it and hand plain values down.

pub mod admin;
pub mod auth_pages;
pub mod feedback_form;
pub mod home;
pub mod map_page;
pub mod not_found;
pub mod shared;

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::api::error::AppError;
use crate::ui::account_menu::AccountMenu;

/// The bar across the top of the pages outside a map: the brand, and the account menu.
#[component]
pub fn TopBar() -> impl IntoView {
    view! {
        <header class="topbar">
            <a class="brand" href="/">"Waymark"</a>
            <span class="spacer"></span>
            <AccountMenu/>
        </header>
    }
}

/// The message of a form action's last failure, for the form to show.
pub fn action_error<S>(action: ServerAction<S>) -> Signal<Option<String>>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    })
}
