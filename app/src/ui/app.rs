//! The HTML shell and the router.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::ui::icons::IconSprite;
use crate::ui::pages::admin::AdminPage;
use crate::ui::pages::auth_pages::{AccountPage, InvitePage, LoginPage, SetupPage};
use crate::ui::pages::feedback_form::{FeedbackFormPage, FeedbackThanksPage};
use crate::ui::pages::home::HomePage;
use crate::ui::pages::map_page::MapPage;
use crate::ui::pages::not_found::NotFound;
use crate::ui::pages::shared::{EmbedPage, SharePage};

/// The document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    crate::api::ctx::page_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="stylesheet" id="leptos" href="/pkg/waymark.css"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|title: String| {
            let full = if title.is_empty() { "Waymark".to_owned() } else { format!("{title} · Waymark") };
            crate::api::ctx::page_title(full)
        }/>
        <a class="skip-link" href="#main">"Skip to content"</a>
        <IconSprite/>
        <Router>
            // Async mode: the whole page, data included, is in the first response, so a visitor
            // without JavaScript sees everything.
            <Routes fallback=|| view! { <NotFound/> }>
                <Route path=path!("/") view=HomePage ssr=SsrMode::Async/>
                <Route path=path!("/maps/:id") view=MapPage ssr=SsrMode::Async/>
                <Route path=path!("/setup") view=SetupPage ssr=SsrMode::Async/>
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async/>
                <Route path=path!("/admin") view=AdminPage ssr=SsrMode::Async/>
                <Route path=path!("/invite/:token") view=InvitePage ssr=SsrMode::Async/>
                <Route path=path!("/s/:token") view=SharePage ssr=SsrMode::Async/>
                <Route path=path!("/embed/:token") view=EmbedPage ssr=SsrMode::Async/>
                <Route path=path!("/f/:token") view=FeedbackFormPage ssr=SsrMode::Async/>
                <Route path=path!("/f/:token/thanks") view=FeedbackThanksPage/>
            </Routes>
        </Router>
    }
}
