//! Who is on the map: a coloured initial per person, with this browser's user first. Someone
//! signed in is shown by their account's name; a visitor may choose a name.

use leptos::prelude::*;

use crate::domain::protocol::{clean_name, Peer, PALETTE};
use crate::ui::editor::use_editor;
use crate::ui::erase::Erase;
use crate::ui::identity::remember_name;
use crate::ui::inline_text::InlineText;

/// The first letters of a name's first two words; shown in capitals by the stylesheet
/// (`.avatar`), since Rust's own case mapping would bring its Unicode tables into the editor's
/// first load.
fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect()
}

pub fn colour(peer: &Peer) -> &'static str {
    PALETTE[usize::from(peer.colour) % PALETTE.len()]
}

#[component]
pub fn PresenceBar() -> impl IntoView {
    let editor = use_editor();
    let others = move || {
        let me = editor.me.get();
        editor.peers.with(|peers| {
            peers
                .iter()
                .filter(|p| Some(p.session) != me)
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let my_colour = move || {
        let me = editor.me.get();
        editor
            .peers
            .with(|peers| peers.iter().find(|p| Some(p.session) == me).map(colour))
            .unwrap_or("#868e96")
    };
    let rename = Callback::new(move |raw: String| {
        let name = clean_name(&raw);
        remember_name(&name);
        editor.rename_me(name);
    });
    view! {
        <div class="presence edit-only" role="group" aria-label="People on this map">
            <span class="avatar me" style=move || format!("--peer: {}", my_colour()) aria-hidden="true">
                {move || initials(&editor.name.get())}
            </span>
            <span class="my-name">
                {if editor.access.with_value(|a| a.account.is_some()) {
                    view! { <span>{move || editor.name.get()}</span> }.erase()
                } else {
                    view! { <InlineText value=editor.name label="Your name" on_commit=rename max_len=60/> }.erase()
                }}
            </span>
            // A plain list, redrawn whole when someone comes or goes: a few people, and a keyed
            // <For> of its own costs the bundle more.
            <ul class="peers" aria-label="Also here">
                {move || others().into_iter().map(|peer| {
                    let label = match peer.focus {
                        Some(_) => format!("{} (editing)", peer.name),
                        None => peer.name.clone(),
                    };
                    view! {
                        <li
                            class="avatar"
                            style=format!("--peer: {}", colour(&peer))
                            title=label.clone()
                            aria-label=label
                        >
                            {initials(&peer.name)}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </div>
    }
}

/// The name of whoever else is editing an item (`peer`), shown on its outline.
pub fn peer_tag(peer: impl Fn() -> Option<Peer> + Send + Sync + 'static) -> impl IntoView {
    // A closure rather than <Show>: no owner of its own on each of a big map's cards.
    move || {
        peer().map(|p| {
            let text = format!("{} is editing", p.name);
            view! { <span class="peer-tag" aria-live="polite">{text}</span> }
        })
    }
}
