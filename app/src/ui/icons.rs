//! Small inline icons. Decorative: the buttons that hold them carry the accessible name.

use leptos::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Icon {
    Plus,
    Trash,
    Left,
    Right,
    Up,
    Down,
    Undo,
    Redo,
    Copy,
    Pencil,
    Back,
    People,
    Close,
    Comment,
    Clock,
    Check,
    Chart,
}

impl Icon {
    const ALL: [Icon; 17] = [
        Icon::Plus,
        Icon::Trash,
        Icon::Left,
        Icon::Right,
        Icon::Up,
        Icon::Down,
        Icon::Undo,
        Icon::Redo,
        Icon::Copy,
        Icon::Pencil,
        Icon::Back,
        Icon::People,
        Icon::Close,
        Icon::Comment,
        Icon::Clock,
        Icon::Check,
        Icon::Chart,
    ];

    /// The name its symbol goes by in the page.
    fn key(self) -> &'static str {
        match self {
            Icon::Plus => "plus",
            Icon::Trash => "trash",
            Icon::Left => "left",
            Icon::Right => "right",
            Icon::Up => "up",
            Icon::Down => "down",
            Icon::Undo => "undo",
            Icon::Redo => "redo",
            Icon::Copy => "copy",
            Icon::Pencil => "pencil",
            Icon::Back => "back",
            Icon::People => "people",
            Icon::Close => "close",
            Icon::Comment => "comment",
            Icon::Clock => "clock",
            Icon::Check => "check",
            Icon::Chart => "chart",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Icon::Plus => "M12 5v14M5 12h14",
            Icon::Trash => "M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3",
            Icon::Left => "M15 6l-6 6 6 6",
            Icon::Right => "M9 6l6 6-6 6",
            Icon::Up => "M6 15l6-6 6 6",
            Icon::Down => "M6 9l6 6 6-6",
            Icon::Undo => "M9 14L4 9l5-5M4 9h10a6 6 0 010 12h-3",
            Icon::Redo => "M15 14l5-5-5-5M20 9H10a6 6 0 000 12h3",
            Icon::Copy => "M8 8h12v12H8zM4 16V4h12",
            Icon::Pencil => "M4 20h4L19 9l-4-4L4 16v4zM14 6l4 4",
            Icon::Back => "M19 12H5M11 6l-6 6 6 6",
            Icon::People => {
                "M9 11a4 4 0 100-8 4 4 0 000 8zM2 21v-1a6 6 0 0112 0v1M17 11a3 3 0 100-6M22 21v-1a5 5 0 00-4-4.9"
            }
            Icon::Close => "M6 6l12 12M18 6L6 18",
            Icon::Comment => "M4 5h16v11H9l-5 4z",
            Icon::Clock => "M12 7v5l3 2M21 12a9 9 0 11-18 0 9 9 0 0118 0z",
            Icon::Check => "M5 12l5 5 9-10",
            Icon::Chart => "M4 20h16M7 16v-5M12 16V6M17 16v-8",
        }
    }
}

/// An icon: a reference to its symbol in the page's `IconSprite`, so that a map of thousands
/// of cards carries each icon's drawing once, not once per button (it was a third of a big
/// map page's bytes).
#[component]
pub fn Svg(icon: Icon) -> impl IntoView {
    view! {
        <svg class="icon" width="16" height="16" aria-hidden="true" focusable="false">
            <use href=format!("#icon-{}", icon.key())></use>
        </svg>
    }
}

/// Every icon's drawing, once per page, for `Svg` to refer to. Not shown itself.
#[component]
pub fn IconSprite() -> impl IntoView {
    view! {
        <svg class="icon-sprite" aria-hidden="true" focusable="false">
            {Icon::ALL
                .into_iter()
                .map(|icon| {
                    view! {
                        <symbol
                            id=format!("icon-{}", icon.key())
                            viewBox="0 0 24 24"
                            fill="none"
                            stroke="currentColor"
                            stroke-width="2"
                            stroke-linecap="round"
                            stroke-linejoin="round"
                        >
                            <path d=icon.path()></path>
                        </symbol>
                    }
                })
                .collect_view()}
        </svg>
    }
}

/// A button showing only an icon; `label` is its accessible name and tooltip.
#[component]
pub fn IconButton(
    icon: Icon,
    #[prop(into)] label: Signal<String>,
    on_click: Callback<()>,
    #[prop(optional, into)] disabled: Signal<bool>,
    #[prop(optional, into)] class: String,
) -> impl IntoView {
    view! {
        <button
            type="button"
            class=format!("icon-button {class}")
            aria-label=move || label.get()
            title=move || label.get()
            disabled=move || disabled.get()
            on:click=move |_| on_click.run(())
        >
            <Svg icon/>
        </button>
    }
}
