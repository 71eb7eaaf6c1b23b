//! One module per page. Pages own their data: they load it and hand plain values down.

pub mod admin;
pub mod auth_pages;
pub mod feedback_form;
pub mod home;
pub mod map_page;
pub mod not_found;
pub mod shared;

use admin::AdminPage;
use auth_pages::{AccountPage, InvitePage, LoginPage, SetupPage};
use feedback_form::{FeedbackFormPage, FeedbackThanksPage};
use home::HomePage;
use map_page::MapPage;
use shared::{EmbedPage, SharePage};

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::{lazy_route, LazyRoute};

use crate::api::error::AppError;
use crate::ui::account_menu::AccountMenu;

/// Declares `$route`, the router's lazily loaded form of the page `$page`: in the browser
/// bundle, split with `cargo leptos build --split`, each page's code is a chunk of its own
/// that loads when the page is shown, so the editor does not wait for the admin page's code,
/// nor the sign-in page for the editor's.
macro_rules! lazy_page {
    ($($route:ident => $page:ident),* $(,)?) => {$(
        #[doc = concat!("The page [`", stringify!($page), "`], loaded on demand.")]
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(this: Self) -> AnyView {
                let $route = this;
                view! { <$page/> }.into_any()
            }
        }
    )*};
}

lazy_page! {
    HomeRoute => HomePage,
    MapRoute => MapPage,
    SetupRoute => SetupPage,
    LoginRoute => LoginPage,
    AccountRoute => AccountPage,
    AdminRoute => AdminPage,
    InviteRoute => InvitePage,
    // These three are never hydrated (see `Bundle`); as chunks of their own they cost the
    // app's bundle nothing.
    ShareRoute => SharePage,
    EmbedRoute => EmbedPage,
    FormRoute => FeedbackFormPage,
    ThanksRoute => FeedbackThanksPage,
}

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
