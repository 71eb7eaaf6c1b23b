//! The editor page body: toolbar, map header, grid and side panel, plus the editor's page-wide
//! keyboard shortcuts and its live connection.

use leptos::ev;
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;

use crate::api::feedback::MapFeedback;
use crate::api::maps::MapSnapshot;
use crate::ui::app::PageTitle;
use crate::ui::editor::{Access, Editor, EditorRef};
use crate::ui::erase::{shown, Erase};
use crate::ui::icons::{Icon, IconButton};
use crate::ui::identity::local_name;
use crate::ui::map::comments_panel::FixedThreads;
use crate::ui::map::grid::MapGrid;
use crate::ui::map::lineage::{self, Lineage};
use crate::ui::map::live;
use crate::ui::map::map_header::MapHeader;
use crate::ui::map::panel_state::{Panel, SidePanel};
use crate::ui::map::persona_panel::PersonaPanel;
use crate::ui::map::scores::Scores;
use crate::ui::map::side_panel::SidePanelView;
use crate::ui::map::toolbar::Toolbar;

/// The editor of a live map. `embedded` leaves out the app's own chrome (for the embed view).
/// A display-only map (see `Access`) is drawn once with `feedback` as its scores, without the
/// toolbar, panels to open or a connection; beside it, the personas and the team's threads.
#[component]
pub fn MapEditor(
    snapshot: MapSnapshot,
    access: Access,
    #[prop(optional)] embedded: bool,
    #[prop(optional_no_strip)] feedback: Option<MapFeedback>,
    /// The maps above this one and its sub-journeys; none through share links and embeds.
    #[prop(optional)]
    lineage: Lineage,
) -> impl IntoView {
    let id = snapshot.map.id;
    let access_share_token = access.share_token.clone();
    let account_name = access.account.as_ref().map(|user| user.name.clone());
    // Never in the browser (see `Editor::shows_controls`).
    let display_only = !cfg!(feature = "hydrate") && access.display_only;
    let editor = Editor::new(snapshot, access);
    provide_context(editor);
    provide_context(EditorRef::new(editor));
    let lineage = RwSignal::new(lineage);
    provide_context(lineage);
    let first_panel = if embedded {
        Panel::Closed
    } else {
        Panel::Personas
    };
    provide_context(SidePanel(RwSignal::new(first_panel)));
    let scores = Scores::new();
    provide_context(scores);
    if display_only {
        scores.data.set(feedback);
        return view! {
            <PageTitle text=editor.map.with_untracked(|m| m.title.to_string())/>
            <div class="editor read-only" class:embedded=embedded>
                <div class="editor-body">
                    <main id="main" class="map-area">
                        {view! { <MapHeader/> }.erase()}
                        {view! { <MapGrid/> }.erase()}
                    </main>
                    // What the side panel would show a reader: the personas, and the threads
                    // when the link shows them.
                    {(!embedded).then(|| view! {
                        <aside class="side-panel" aria-label="About this map">
                            <PersonaPanel/>
                            <FixedThreads/>
                        </aside>
                    }.erase())}
                </div>
            </div>
        }
        .erase();
    }
    if access_share_token.is_none() {
        lineage::follow(id, lineage, editor.news);
    }
    scores.start(id, access_share_token, editor.news);
    let title = move || editor.map.with(|m| m.title.to_string());

    // Effects run only in the browser, after hydration.
    Effect::new(move |_| {
        editor
            .name
            .set(account_name.clone().unwrap_or_else(local_name));
        live::start(editor, id);
        let keys = window_event_listener(ev::keydown, move |ev| on_shortcut(editor, &ev));
        let unload = window_event_listener(ev::beforeunload, move |ev| {
            if editor.has_unsaved() {
                // Asks the browser to confirm leaving while edits are still unsaved.
                ev.prevent_default();
                ev.set_return_value("unsaved changes");
            }
        });
        on_cleanup(move || {
            keys.remove();
            unload.remove();
        });
    });

    view! {
        <PageTitle text=title/>
        <div class="editor" class:read-only=move || !editor.editable.get() class:embedded=embedded>
            // Erasing the view types here keeps the page's type shallow enough to compile fast.
            {(!embedded).then(|| view! { <Toolbar/> }.erase())}
            <EndedBanner/>
            <Notice/>
            <div class="editor-body">
                <main id="main" class="map-area">
                    {view! { <MapHeader/> }.erase()}
                    {view! { <MapGrid/> }.erase()}
                </main>
                {(!embedded).then(|| view! { <SidePanelView/> }.erase())}
            </div>
        </div>
    }
    .erase()
}

/// Ctrl+Z undoes and Ctrl+Shift+Z (or Ctrl+Y) redoes, except while typing in a field, where
/// the browser's own text undo applies.
fn on_shortcut(editor: Editor, ev: &ev::KeyboardEvent) {
    if !(ev.ctrl_key() || ev.meta_key()) || ev.alt_key() {
        return;
    }
    let typing = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
    if typing {
        return;
    }
    // Shortcut keys are ASCII letters (and ASCII case mapping keeps Unicode's tables out of
    // the editor's bundle).
    match (ev.key().to_ascii_lowercase().as_str(), ev.shift_key()) {
        ("z", false) => {
            ev.prevent_default();
            editor.undo();
        }
        ("z", true) | ("y", false) => {
            ev.prevent_default();
            editor.redo();
        }
        _ => {}
    }
}

/// Why this browser may no longer follow the map, with the way on, once the server said so.
#[component]
fn EndedBanner() -> impl IntoView {
    let editor = crate::ui::editor::use_editor();
    let ended = move || match editor.connection.get() {
        crate::ui::editor::Connection::Ended(why) => Some(why),
        _ => None,
    };
    let signed_in = editor.access.with_value(|a| a.share_token.is_none());
    view! {
        {move || ended().map(|why| {
            let next = leptos::prelude::window().location().pathname().unwrap_or_default();
            let action = if why.asks_to_sign_in() {
                Some((format!("/login?next={next}"), "Sign in again"))
            } else if signed_in {
                Some(("/".to_owned(), "Your maps"))
            } else {
                None
            };
            let action = action.map(|(href, text)| view! { <a class="button small" href=href>{text}</a> });
            view! {
                <div class="notice error ended" role="alert">
                    <span>{why.message()}</span>
                    {action}
                </div>
            }
        })}
    }
}

/// The last thing that could not be done, until dismissed.
#[component]
fn Notice() -> impl IntoView {
    let editor = crate::ui::editor::use_editor();
    view! {
        {shown(move || editor.notice.with(Option::is_some), move || view! {
            <div class="notice warning" role="alert">
                <span>{move || editor.notice.get().unwrap_or_default()}</span>
                <IconButton
                    icon=Icon::Close
                    label="Dismiss"
                    on_click=Callback::new(move |()| editor.notice.set(None))
                />
            </div>
        })}
    }
}
