//! The panel beside the grid: personas, comments, history, sharing, feedback or the measured
//! journey, one at a time (which one is `panel_state`, so that what opens a panel needs none of
//! them).
//!
//! Every panel but the personas (the one a page opens with, so it is in the server's HTML and
//! hydrated at once) is its own chunk of the browser bundle, loaded the first time it opens.

use leptos::prelude::*;

use crate::domain::ids::CardId;
use crate::domain::map::Target;
use crate::ui::erase::{shown, Erase, Erased};

use crate::ui::feedback::{FeedbackPanel, TouchpointPanel};
use crate::ui::icons::{Icon, IconButton};
use crate::ui::journey::JourneyPanel;
use crate::ui::map::comments_panel::CommentsPanel;
use crate::ui::map::history_panel::HistoryPanel;
use crate::ui::map::panel_state::{use_side_panel, Panel};
use crate::ui::map::persona_panel::PersonaPanel;
use crate::ui::map::share_panel::SharePanel;

#[component]
pub fn SidePanelView() -> impl IntoView {
    let panel = use_side_panel();
    view! {
        {shown(move || panel.0.get() != Panel::Closed, move || view! {
            <aside class="side-panel" aria-label="Side panel">
                <IconButton
                    icon=Icon::Close
                    label="Close panel"
                    class="panel-close"
                    on_click=Callback::new(move |()| panel.show(Panel::Closed))
                />
                {move || match panel.0.get() {
                    Panel::Personas => view! { <PersonaPanel/> }.erase(),
                    Panel::Comments(target) => on_demand(comments(target)),
                    Panel::History => on_demand(history()),
                    Panel::Share => on_demand(share()),
                    Panel::Feedback => on_demand(feedback()),
                    Panel::Touchpoint(card) => on_demand(touchpoint(card)),
                    Panel::Journey => on_demand(journey()),
                    Panel::Closed => ().erase(),
                }}
            </aside>
        })}
    }
}

/// The panels' styles. Any `/v/{version}/` path serves the current file (`server::assets`); the
/// browser does not know the page's fingerprint, so this one is revalidated on each first use
/// rather than kept for good (reading the fingerprint off the page cost more bytes of the
/// editor's bundle than the request costs time).
pub(crate) const PANEL_STYLES: &str = "/v/panels/panels.css";

/// A panel whose code is still loading: a line saying so, then the panel. The panels' styles
/// (`public/panels.css`) load with the first one, beside its code.
fn on_demand(panel: impl std::future::Future<Output = Erased> + Send + 'static) -> Erased {
    view! {
        <link rel="stylesheet" href=PANEL_STYLES/>
        <Suspense fallback=|| view! { <p class="muted" role="status">"Loading…"</p> }>
            {Suspend::new(panel)}
        </Suspense>
    }
    .erase()
}

#[lazy]
fn comments(target: Option<Target>) -> Erased {
    view! { <CommentsPanel target/> }.erase()
}

#[lazy]
fn history() -> Erased {
    view! { <HistoryPanel/> }.erase()
}

#[lazy]
fn share() -> Erased {
    view! { <SharePanel/> }.erase()
}

#[lazy]
fn feedback() -> Erased {
    view! { <FeedbackPanel/> }.erase()
}

#[lazy]
fn touchpoint(card: CardId) -> Erased {
    view! { <TouchpointPanel card/> }.erase()
}

#[lazy]
fn journey() -> Erased {
    view! { <JourneyPanel/> }.erase()
}
