//! A delete button for stages and lanes that asks once more when cards would go with them.

use leptos::prelude::*;

use crate::ui::erase::shown;
use crate::ui::format::count as plural;
use crate::ui::icons::{Icon, Svg};

/// A delete button that asks once more when the item still holds cards.
#[component]
pub fn DeleteButton(
    #[prop(into)] label: String,
    /// How many cards go with the item.
    contents: Signal<usize>,
    on_delete: Callback<()>,
) -> impl IntoView {
    let armed = RwSignal::new(false);
    let click = move |_| {
        if contents.get_untracked() == 0 || armed.get_untracked() {
            armed.set(false);
            on_delete.run(());
        } else {
            armed.set(true);
        }
    };
    let aria = {
        let label = label.clone();
        move || {
            if armed.get() {
                format!(
                    "Confirm: {label} and its {}",
                    plural(contents.get(), "card", "cards")
                )
            } else {
                label.clone()
            }
        }
    };
    view! {
        <button
            type="button"
            class="icon-button danger"
            class:armed=move || armed.get()
            aria-label=aria.clone()
            title=aria
            on:click=click
            on:blur=move |_| armed.set(false)
        >
            <Svg icon=Icon::Trash/>
            {shown(move || armed.get(), move || view! {
                <span class="armed-text">{move || format!("Delete {}?", plural(contents.get(), "card", "cards"))}</span>
            })}
        </button>
    }
}
