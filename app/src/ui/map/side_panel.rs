//! The panel beside the grid: personas, comments, history, sharing or feedback, one at a time
//! (which one is `panel_state`, so that what opens a panel needs none of them).

use leptos::prelude::*;

use crate::ui::feedback::{FeedbackPanel, TouchpointPanel};
use crate::ui::icons::{Icon, IconButton};
use crate::ui::map::comments_panel::CommentsPanel;
use crate::ui::map::history_panel::HistoryPanel;
use crate::ui::map::panel_state::{use_side_panel, Panel};
use crate::ui::map::persona_panel::PersonaPanel;
use crate::ui::map::share_panel::SharePanel;

#[component]
pub fn SidePanelView() -> impl IntoView {
    let panel = use_side_panel();
    view! {
        <Show when=move || panel.0.get() != Panel::Closed>
            <aside class="side-panel" aria-label="Side panel">
                <IconButton
                    icon=Icon::Close
                    label="Close panel"
                    class="panel-close"
                    on_click=Callback::new(move |()| panel.show(Panel::Closed))
                />
                {move || match panel.0.get() {
                    Panel::Personas => view! { <PersonaPanel/> }.into_any(),
                    Panel::Comments(target) => view! { <CommentsPanel target/> }.into_any(),
                    Panel::History => view! { <HistoryPanel/> }.into_any(),
                    Panel::Share => view! { <SharePanel/> }.into_any(),
                    Panel::Feedback => view! { <FeedbackPanel/> }.into_any(),
                    Panel::Touchpoint(card) => view! { <TouchpointPanel card/> }.into_any(),
                    Panel::Closed => ().into_any(),
                }}
            </aside>
        </Show>
    }
}
