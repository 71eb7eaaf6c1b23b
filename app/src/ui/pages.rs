//! One module per page. Pages own their data: they load it and hand plain values down.

pub mod admin;
pub mod audit_log;
pub mod auth_pages;
pub mod backlog;
pub mod compare;
pub mod definitions;
pub mod feedback_form;
pub mod home;
pub mod landscape;
pub mod library;
pub mod map_page;
pub mod not_found;
pub mod notifications;
pub mod present;
pub mod recovery;
pub mod shared;

use admin::AdminPage;
use auth_pages::{AccountPage, InvitePage, LoginPage, SetupPage};
use home::HomePage;

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::{lazy_route, LazyRoute};

use crate::api::error::AppError;

/// The styles of the pages other than the map editor (`public/pages.css`), which link them
/// themselves so the editor's first load does not carry them. Revalidated rather than kept for
/// good, as the editor's panels' styles are (see `map::side_panel::PANEL_STYLES`).
pub const PAGE_STYLES: &str = "/v/pages/pages.css";
use crate::ui::account_menu::CurrentAccountMenu;
use crate::ui::erase::{any_view, Erase, Erased};

/// Declares `$route`, the router's lazily loaded form of the page `$page`: in the browser
/// bundle, split with `cargo leptos build --split`, each page's code is a chunk of its own
/// that loads when the page is shown, so the editor does not wait for the admin page's code.
///
/// The map editor is not one of them: it is the app's main module. Lazy, it loaded as 150 or
/// so chunks (wasm-split makes one for every set of split points that shares code), which cost
/// it 145 KB (brotli) and 150 requests more than the same code in one module; the other pages
/// pay for it with a bigger first load instead.
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
                any_view(view! { <$page/> })
            }
        }
    )*};
}

lazy_page! {
    HomeRoute => HomePage,
    SetupRoute => SetupPage,
    LoginRoute => LoginPage,
    AccountRoute => AccountPage,
    AdminRoute => AdminPage,
    InviteRoute => InvitePage,
}

/// The route's view of a page the browser never runs (the share link, the embed, the
/// customer's form and its thanks page load no app, see `Bundle`): the server renders `page`,
/// and the browser's bundle carries none of its code. Should the app's router ever reach one,
/// it asks the server for the page, as a link from outside the app would.
pub fn server_only<F, V>(page: F) -> impl Fn() -> Erased + Clone + Send + 'static
where
    F: Fn() -> V + Clone + Send + 'static,
    V: IntoView + 'static,
{
    #[cfg(feature = "hydrate")]
    {
        let _ = page;
        || {
            // The router asks for the view before it moves the address bar, so the page's
            // address is taken from the route, not from `window.location`.
            let location = leptos_router::hooks::use_location();
            let href = format!(
                "{}{}{}",
                location.pathname.get_untracked(),
                location.search.get_untracked(),
                location.hash.get_untracked()
            );
            Effect::new(move |_| {
                let _ = window().location().set_href(&href);
            });
            ().erase()
        }
    }
    #[cfg(not(feature = "hydrate"))]
    move || page().erase()
}

/// `/maps/{id}/{view}`: a map's pages outside the editor, both server-rendered only:
/// presentation mode and the as-is/to-be comparison. (One route for both: each route costs the
/// editor's first load a little.)
#[component]
pub fn MapSubPage() -> impl IntoView {
    let params = leptos_router::hooks::use_params_map();
    let view = params.read_untracked().get("view");
    match view.as_deref() {
        Some("present") => view! { <present::PresentPage/> }.erase(),
        Some("compare") => view! { <compare::ComparePage/> }.erase(),
        _ => view! { <not_found::NotFound/> }.erase(),
    }
}

/// A page that only says something: why a map cannot be shown here, say. `title` names the
/// tab; what follows the heading is the page's children.
#[component]
pub fn MessagePage(
    title: &'static str,
    heading: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <crate::ui::app::PageTitle text=title/>
        <main id="main" class="message-page">
            <h1>{heading}</h1>
            {children()}
        </main>
    }
}

/// The bar across the top of the pages outside a map: the brand, and the account menu.
#[component]
pub fn TopBar() -> impl IntoView {
    view! {
        <header class="topbar">
            <a class="brand" href="/">"Waymark"</a>
            <span class="spacer"></span>
            <CurrentAccountMenu/>
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

/// Empties one of the libraries' "New …" forms and closes it once what it added is saved
/// (`added` turns true), so that the next one starts blank rather than as a copy.
pub(crate) fn clear_once_added(
    added: impl Fn() -> bool + Send + Sync + 'static,
    form: NodeRef<leptos::html::Form>,
) {
    Effect::new(move |_| {
        if !added() {
            return;
        }
        if let Some(form) = form.get_untracked() {
            form.reset();
            if let Ok(Some(details)) = form.closest("details") {
                let _ = details.remove_attribute("open");
            }
        }
    });
}
