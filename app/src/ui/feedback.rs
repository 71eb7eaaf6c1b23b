//! The feedback side panels: the map's Feedback panel (its tab list is here, one file per tab)
//! and one touchpoint's feedback panel (`touchpoint`, with its survey, charts and comments).
//!
//! The overview is for everyone; editors also get the inbox of responses, CSV import, API keys
//! and the summary settings.

use leptos::prelude::*;

use crate::domain::ids::CardId;
use crate::ui::editor::{use_editor, Editor};
use crate::ui::erase::Erase;

mod api_keys;
mod charts;
mod comments;
mod import;
mod inbox;
mod overview;
mod settings;
mod survey;
mod touchpoint;

use api_keys::ApiKeys;
use import::Import;
use inbox::Inbox;
use overview::Overview;
use settings::Settings;

pub(crate) use touchpoint::TouchpointPanel;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tab {
    Overview,
    Inbox,
    Import,
    Api,
    Settings,
}

impl Tab {
    fn label(self) -> &'static str {
        match self {
            Tab::Overview => "Overview",
            Tab::Inbox => "Inbox",
            Tab::Import => "Import CSV",
            Tab::Api => "API",
            Tab::Settings => "Settings",
        }
    }
}

/// The map's Feedback panel: its tabs (only the overview for readers) and the open one.
#[component]
pub(crate) fn FeedbackPanel() -> impl IntoView {
    let editor = use_editor();
    let tab = RwSignal::new(Tab::Overview);
    let tabs: Vec<Tab> = if editor.can_edit() {
        vec![
            Tab::Overview,
            Tab::Inbox,
            Tab::Import,
            Tab::Api,
            Tab::Settings,
        ]
    } else {
        vec![Tab::Overview]
    };
    view! {
        <section class="feedback-panel" aria-labelledby="feedback-heading">
            <h2 id="feedback-heading">"Customer feedback"</h2>
            {(tabs.len() > 1).then(|| view! {
                <div class="tabs" role="tablist" aria-label="Feedback">
                    {tabs.into_iter().map(|t| view! {
                        <button
                            type="button"
                            role="tab"
                            class="tab"
                            aria-selected=move || (tab.get() == t).to_string()
                            on:click=move |_| tab.set(t)
                        >
                            {t.label()}
                        </button>
                    }).collect_view()}
                </div>
            })}
            <div role="tabpanel">
                {move || match tab.get() {
                    Tab::Overview => view! { <Overview/> }.erase(),
                    Tab::Inbox => view! { <Inbox/> }.erase(),
                    Tab::Import => view! { <Import/> }.erase(),
                    Tab::Api => view! { <ApiKeys/> }.erase(),
                    Tab::Settings => view! { <Settings/> }.erase(),
                }}
            </div>
        </section>
    }
}

/// The first line of a card's text, for lists.
pub(crate) fn card_name(editor: Editor, card: CardId) -> String {
    editor.map.with_untracked(|m| {
        m.card(card)
            .map(|c| c.text.as_str().lines().next().unwrap_or("").to_owned())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "A removed touchpoint".to_owned())
    })
}
