//! Which panel the side panel shows, shared through context by whatever opens one.

use leptos::prelude::*;

use crate::domain::ids::CardId;
use crate::domain::map::Target;

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
    /// What customers did: the measured funnel and the path flows.
    Journey,
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
