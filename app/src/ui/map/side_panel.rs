//! The panel beside the grid: personas, comments, history, sharing or feedback, one at a time.

use leptos::prelude::*;

use crate::domain::ids::CardId;
use crate::domain::map::Target;
use crate::ui::icons::{Icon, IconButton};
use crate::ui::map::comments_panel::CommentsPanel;
use crate::ui::map::feedback_panel::FeedbackPanel;
use crate::ui::map::history_panel::HistoryPanel;
use crate::ui::map::persona_panel::PersonaPanel;
use crate::ui::map::share_panel::SharePanel;
use crate::ui::map::touchpoint_panel::TouchpointPanel;

/// What the side panel shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Panel {
    Closed,
    Personas,
    /// The threads on one item, or with `None` every open thread of the map.
    Comments(Option<Target>),
    History,
    /// Members, invitations and share links (owners).
    Share,
    /// The map's customer feedback: overview, inbox, import, API keys, settings.
    Feedback,
    /// One touchpoint's survey and feedback.
    Touchpoint(CardId),
}

/// The side panel's state, shared through context by whatever opens it.
#[derive(Clone, Copy)]
pub struct SidePanel(pub RwSignal<Panel>);

impl SidePanel {
    /// Shows `panel`, or closes it when it is already showing.
    pub fn toggle(&self, panel: Panel) {
        self.0
            .update(|p| *p = if *p == panel { Panel::Closed } else { panel });
    }

    pub fn show(&self, panel: Panel) {
        self.0.set(panel);
    }
}

pub fn use_side_panel() -> SidePanel {
    expect_context::<SidePanel>()
}

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
