//! The HTML shell and the router.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, Lazy, SsrMode};

use crate::ui::erase::Erase;
use crate::ui::icons::IconSprite;
use crate::ui::pages::feedback_form::{FeedbackFormPage, FeedbackThanksPage};
use crate::ui::pages::map_page::MapPage;
use crate::ui::pages::not_found::NotFound;
use crate::ui::pages::present::SharedPresentPage;
use crate::ui::pages::shared::{EmbedPage, SharePage};
use crate::ui::pages::{
    server_only, AccountRoute, AdminRoute, HomeRoute, InviteRoute, LoginRoute, MapSubPage,
    SetupRoute,
};

/// The document around the app, rendered on the server only. Each page loads only what it
/// runs (see [`Bundle`]), from under [`AssetRoot`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    crate::api::ctx::page_policy();
    let root = use_context::<AssetRoot>().map(|r| r.0).unwrap_or_default();
    let bundle =
        crate::api::ctx::request_path().map_or(Bundle::App, |path| Bundle::for_path(&path));
    let scripts = match bundle {
        Bundle::App => {
            view! { <HydrationScripts options=options.clone() root=root.to_string()/> }.erase()
        }
        Bundle::Follow => {
            view! { <script type="module" src=format!("{root}/follow.js")></script> }.erase()
        }
        Bundle::Present => {
            view! { <script type="module" src=format!("{root}/present.js")></script> }.erase()
        }
        Bundle::Nothing => ().erase(),
    };
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="stylesheet" id="leptos" href=format!("{root}/pkg/waymark.css")/>
                <link rel="icon" href=format!("{root}/favicon.svg") type="image/svg+xml"/>
                <AutoReload options/>
                {scripts}
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Where the built site's files are served from: `/v/{fingerprint}`, a prefix that changes with
/// their contents, so browsers may keep them for ever (the server sends them as immutable).
/// Provided by the server per request; without it (in tests) the files are at the site's root.
#[derive(Clone, Debug, Default)]
pub struct AssetRoot(pub std::sync::Arc<str>);

/// What a page loads into the browser besides its HTML and styles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bundle {
    /// The app, hydrated: the editor and the pages of people with an account.
    App,
    /// A few lines of plain script that follow a read-only map live (`public/follow.js`):
    /// share links and embeds, where nobody edits.
    Follow,
    /// A few lines of plain script that step through a presentation's slides
    /// (`public/present.js`): presentation mode, for the team and through share links.
    Present,
    /// Nothing: the customer's feedback form and its thanks page are plain HTML forms, and
    /// the as-is/to-be comparison is a page to read.
    Nothing,
}

impl Bundle {
    pub fn for_path(path: &str) -> Bundle {
        if path.starts_with("/f/") || path.ends_with("/compare") {
            Bundle::Nothing
        } else if path.ends_with("/present") {
            Bundle::Present
        } else if path.starts_with("/s/") || path.starts_with("/embed/") {
            Bundle::Follow
        } else {
            Bundle::App
        }
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let served = held_title("Waymark");
    view! {
        // Until a page sets its title, and between pages, the title stays what it was: a page
        // whose code loads lazily sets its title only once that code has arrived. (leptos_meta
        // blanks the title as the first `<Title>` hydrates, before it takes its text: hence the
        // one the server sent, kept from before hydration.)
        <Title text=move || held_title(&served)/>
        <a class="skip-link" href="#main">"Skip to content"</a>
        <IconSprite/>
        <Router>
            // Async mode: the whole page, data included, is in the first response, so a visitor
            // without JavaScript sees everything.
            <Routes fallback=|| view! { <NotFound/> }>
                <Route path=path!("/") view={Lazy::<HomeRoute>::new()} ssr=SsrMode::Async/>
                // Not lazy: the editor is the main module (see `ui::pages`).
                <Route path=path!("/maps/:id") view=MapPage ssr=SsrMode::Async/>
                <Route path=path!("/setup") view={Lazy::<SetupRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/login") view={Lazy::<LoginRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/account") view={Lazy::<AccountRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/admin") view={Lazy::<AdminRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/invite/:token") view={Lazy::<InviteRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/maps/:id/:view") view=server_only(MapSubPage) ssr=SsrMode::Async/>
                <Route path=path!("/s/:token") view=server_only(SharePage) ssr=SsrMode::Async/>
                <Route path=path!("/s/:token/present") view=server_only(SharedPresentPage) ssr=SsrMode::Async/>
                <Route path=path!("/embed/:token") view=server_only(EmbedPage) ssr=SsrMode::Async/>
                <Route path=path!("/f/:token") view=server_only(FeedbackFormPage) ssr=SsrMode::Async/>
                <Route path=path!("/f/:token/thanks") view=server_only(FeedbackThanksPage)/>
            </Routes>
        </Router>
    }
}

/// The document's title as it is now, or `otherwise` while it is blank (and on the server,
/// for a page that sets none).
fn held_title(otherwise: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        Some(document().title())
            .filter(|title| !title.is_empty())
            .unwrap_or_else(|| otherwise.to_owned())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        otherwise.to_owned()
    }
}

/// A page's title, as tabs and history show it: "{text} · Waymark".
#[component]
pub fn PageTitle(#[prop(into)] text: Signal<String>) -> impl IntoView {
    // `try_get`: the head outlives the page that set the title, whose signals may be gone.
    let title = move || {
        crate::api::ctx::page_title(format!("{} · Waymark", text.try_get().unwrap_or_default()))
    };
    // The server writes the head after the body, by which time the rendering that set the
    // title may have been disposed, and with it the signals its text reads: reading one then
    // panicked the request (seen once in the end-to-end suite, on a map page). So the server
    // takes the title's text now; the browser keeps it live.
    #[cfg(not(feature = "hydrate"))]
    let title = untrack(title);
    view! { <Title text=title/> }
}

#[cfg(test)]
mod tests {
    use super::Bundle;

    #[test]
    fn customers_and_viewers_never_load_the_app() {
        assert_eq!(Bundle::for_path("/f/abc"), Bundle::Nothing);
        assert_eq!(Bundle::for_path("/f/abc/thanks"), Bundle::Nothing);
        assert_eq!(Bundle::for_path("/maps/3/compare"), Bundle::Nothing);
        assert_eq!(Bundle::for_path("/maps/3/present"), Bundle::Present);
        assert_eq!(Bundle::for_path("/s/abc"), Bundle::Follow);
        assert_eq!(Bundle::for_path("/embed/abc"), Bundle::Follow);
        for path in [
            "/",
            "/maps/3",
            "/login",
            "/setup",
            "/account",
            "/admin",
            "/invite/x",
            "/fx",
        ] {
            assert_eq!(Bundle::for_path(path), Bundle::App, "{path}");
        }
    }
}
