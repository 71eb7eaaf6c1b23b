//! The bar above the map: back to the list, undo/redo, evidence filter, panels, presence,
//! save status.

use leptos::prelude::*;

use crate::domain::map::Evidence;
use crate::ui::account_menu::AccountMenu;
use crate::ui::editor::use_editor;
use crate::ui::erase::shown;
use crate::ui::icons::{Icon, IconButton, Svg};
use crate::ui::map::panel_state::{use_side_panel, Panel};
use crate::ui::map::presence::PresenceBar;
use crate::ui::map::save_status::SaveStatusView;

#[component]
pub fn Toolbar() -> impl IntoView {
    let editor = use_editor();
    let panel = use_side_panel();
    // Share-link visitors have no account: no exports, no account menu.
    let signed_in = editor.access.with_value(|a| a.share_token.is_none());
    let filter_value = move || match editor.evidence_filter.get() {
        None => "all".to_owned(),
        Some(None) => "none".to_owned(),
        Some(Some(e)) => e.key().to_owned(),
    };
    let set_filter = move |value: String| {
        let filter = match value.as_str() {
            "all" => None,
            "none" => Some(None),
            key => Evidence::from_key(key).map(Some),
        };
        editor.evidence_filter.set(filter);
    };
    let open_threads = move || {
        editor.map.with(|m| {
            m.comments()
                .iter()
                .filter(|c| c.thread.is_none() && !c.resolved)
                .count()
        })
    };
    let panel_button = move |which: Panel, label: &'static str, icon: Icon| {
        view! {
            <button
                type="button"
                class="button ghost"
                aria-pressed=move || (panel.0.get() == which).to_string()
                on:click=move |_| panel.toggle(which)
            >
                <Svg icon/>
                {label}
            </button>
        }
    };

    view! {
        <header class="topbar toolbar">
            <a class="brand" href="/">"Waymark"</a>
            <a class="back-link" href="/">
                <Svg icon=Icon::Back/>
                "All maps"
            </a>
            <div class="toolbar-group edit-only" role="group" aria-label="History">
                <IconButton
                    icon=Icon::Undo
                    label="Undo (Ctrl+Z)"
                    disabled=Signal::derive(move || !editor.can_undo.get())
                    on_click=Callback::new(move |()| editor.undo())
                />
                <IconButton
                    icon=Icon::Redo
                    label="Redo (Ctrl+Shift+Z)"
                    disabled=Signal::derive(move || !editor.can_redo.get())
                    on_click=Callback::new(move |()| editor.redo())
                />
            </div>
            <label class="toolbar-field edit-only">
                <span>"Evidence"</span>
                <select
                    aria-label="Show cards by evidence"
                    prop:value=filter_value
                    on:change=move |ev| set_filter(event_target_value(&ev))
                >
                    <option value="all">"All cards"</option>
                    {Evidence::ALL
                        .into_iter()
                        .map(|e| view! { <option value=e.key()>{e.label()}</option> })
                        .collect_view()}
                    <option value="none">"No evidence level"</option>
                </select>
            </label>
            <div class="toolbar-group panels edit-only" role="group" aria-label="Panels">
                {panel_button(Panel::Personas, "Personas", Icon::People)}
                <button
                    type="button"
                    class="button ghost"
                    aria-pressed=move || matches!(panel.0.get(), Panel::Comments(_)).to_string()
                    on:click=move |_| panel.toggle(Panel::Comments(None))
                >
                    <Svg icon=Icon::Comment/>
                    "Comments"
                    {shown(move || open_threads() != 0, move || view! {
                        <span class="badge" aria-label=move || format!("{} open", open_threads())>
                            {open_threads}
                        </span>
                    })}
                </button>
                {panel_button(Panel::Feedback, "Feedback", Icon::Chart)}
                {panel_button(Panel::Journey, "Journey", Icon::Right)}
                {panel_button(Panel::History, "History", Icon::Clock)}
                {editor.can_share().then(|| panel_button(Panel::Share, "Share", Icon::People))}
            </div>
            {signed_in.then(|| view! { <ExportMenu/> })}
            <PresenceBar/>
            <SaveStatusView/>
            {editor.access.with_value(|a| a.account.clone()).map(|user| view! { <AccountMenu user/> })}
        </header>
    }
}

/// Downloads of the map in every format, and printing.
#[component]
fn ExportMenu() -> impl IntoView {
    let editor = use_editor();
    let base = format!("/maps/{}/export", editor.id);
    let mut formats = vec![
        (
            "json",
            "Map file (JSON)",
            "To move or back up this map; import it on the home page",
        ),
        ("svg", "Picture (SVG)", "Sharp at any size"),
        ("png", "Picture (PNG)", "For slides and chats"),
        ("pdf", "PDF", "For printing and sharing"),
        ("mermaid", "Mermaid diagram", "For docs that render Mermaid"),
        ("csv", "Cards (CSV)", "For spreadsheets"),
    ];
    // Customers' answers are for the people who work on the map, not its viewers.
    if editor.can_edit() {
        formats.insert(
            1,
            (
                "json?feedback=true",
                "Map file with feedback (JSON)",
                "The map and every customer response, to move or back up both",
            ),
        );
        formats.push((
            "responses",
            "Feedback responses (CSV)",
            "Every customer response, for spreadsheets",
        ));
    }
    view! {
        <details class="menu">
            <summary class="button ghost">"Export"</summary>
            <ul class="menu-items" role="list">
                {formats
                    .into_iter()
                    .map(|(format, label, hint)| {
                        view! {
                            <li>
                                <a href=format!("{base}/{format}") download="">
                                    <span>{label}</span>
                                    <small>{hint}</small>
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
                <li>
                    <button type="button" class="link edit-only" on:click=move |_| {
                        let _ = window().print();
                    }>
                        <span>"Print…"</span>
                        <small>"Uses the print layout of this page"</small>
                    </button>
                </li>
            </ul>
        </details>
    }
}
