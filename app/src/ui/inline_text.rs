//! Click-to-edit text. Shows the value as text (so it reads well and works without JavaScript)
//! and turns into an input on click or Enter; Enter saves, Escape cancels, leaving saves.

use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;

use crate::ui::erase::Erase;

#[component]
pub fn InlineText(
    /// The current value.
    #[prop(into)]
    value: Signal<String>,
    /// What the text is, for assistive technology and the input's label ("Stage name").
    #[prop(into)]
    label: String,
    /// Called with the new value when it differs from the current one.
    on_commit: Callback<String>,
    /// A textarea instead of a one-line input; Shift+Enter adds a line break.
    #[prop(optional)]
    multiline: bool,
    /// Shown when the value is empty.
    #[prop(optional, into)]
    placeholder: String,
    /// Extra class for the displayed text.
    #[prop(optional, into)]
    class: String,
    /// Lets the owner open the editor (for a newly added item).
    #[prop(optional)]
    editing: Option<RwSignal<bool>>,
    /// Longest value the input accepts, in characters.
    #[prop(default = 200)]
    max_len: usize,
) -> impl IntoView {
    let editing = editing.unwrap_or_else(|| RwSignal::new(false));
    // A viewer (or an editor whose rights were taken away live, or a display-only map) gets
    // text, not a control. (Only the signal is captured: see `EditorRef`.)
    let rights = use_context::<crate::ui::editor::Editor>().map(|e| e.editable);
    let editable = move || rights.is_none_or(|r| r.get());
    let display_class = format!("inline-text {class}");
    let editor_class = format!("inline-editor {class}");
    // Labels are the app's own English words: ASCII.
    let title = format!("Edit {}", label.to_ascii_lowercase());
    let editor_title = title.clone();

    // Only the text is built up front: a big map shows hundreds of these and edits one at a
    // time, so the draft, the input and its handlers exist only while editing. A closure
    // rather than <Show>, which would give each one an owner and a memo of its own.
    let display = move || {
        if !editable() {
            return view! { <span class=display_class.clone()>{move || value.get()}</span> }
                .erase();
        }
        let placeholder = placeholder.clone();
        view! {
            <button
                type="button"
                class=display_class.clone()
                title=title.clone()
                on:click=move |_| {
                    if editable() {
                        editing.set(true);
                    }
                }
            >
                {move || {
                    let text = value.get();
                    if text.is_empty() {
                        view! { <span class="placeholder">{placeholder.clone()}</span> }.erase()
                    } else {
                        text.erase()
                    }
                }}
            </button>
        }
        .erase()
    };
    move || {
        if !editing.get() {
            return display();
        }
        view! {
            <TextEditor
                value
                label=label.clone()
                class=editor_class.clone()
                title=editor_title.clone()
                multiline
                max_len
                on_commit
                editing
            />
        }
        .erase()
    }
}

/// The input of an [`InlineText`] while it is open: it starts from the current value, and
/// closes `editing` when the edit ends.
#[component]
fn TextEditor(
    value: Signal<String>,
    label: String,
    class: String,
    /// The title of the text this input replaces, which finds it again when the edit ends.
    title: String,
    multiline: bool,
    max_len: usize,
    on_commit: Callback<String>,
    editing: RwSignal<bool>,
) -> impl IntoView {
    let draft = RwSignal::new(value.get_untracked());
    let input_ref = NodeRef::<html::Input>::new();
    let area_ref = NodeRef::<html::Textarea>::new();
    // Set when an edit ends by Enter or Escape, so the blur that follows does not end it again.
    let settled = StoredValue::new(false);
    let title = StoredValue::new(title);
    let finish = move |save: bool| {
        // A commit re-renders the edited item, which can dispose this component before the
        // blur that follows arrives; then there is nothing left to do.
        if settled.try_get_value().unwrap_or(true) {
            return;
        }
        settled.set_value(true);
        let new = draft.get_untracked();
        let changed = save && new.trim() != value.get_untracked().trim();
        // The text that replaces the input takes its place in the same parent: give the
        // keyboard user their place back there, if it outlives the commit.
        let parent = input_ref
            .get_untracked()
            .and_then(|el| el.parent_element())
            .or_else(|| area_ref.get_untracked().and_then(|el| el.parent_element()));
        // Read before `editing` closes, which takes this component away.
        let title = title.get_value();
        editing.set(false);
        request_animation_frame(move || {
            let Some(parent) = parent else { return };
            let children = parent.children();
            let shown = (0..children.length())
                .filter_map(|i| children.item(i))
                .find(|el| el.get_attribute("title").as_deref() == Some(title.as_str()));
            if let Some(el) = shown.and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok()) {
                let _ = el.focus();
            }
        });
        if changed {
            on_commit.run(new);
        }
    };
    // Focus the input once it is in the page.
    Effect::new(move |_| {
        request_animation_frame(move || {
            if let Some(Some(el)) = input_ref.try_get_untracked() {
                let _ = el.focus();
                el.select();
            } else if let Some(Some(el)) = area_ref.try_get_untracked() {
                let _ = el.focus();
            }
        });
    });
    let on_keydown = move |ev: KeyboardEvent| match ev.key().as_str() {
        "Enter" if !(multiline && ev.shift_key()) => {
            ev.prevent_default();
            finish(true);
        }
        "Escape" => {
            ev.prevent_default();
            ev.stop_propagation();
            finish(false);
        }
        _ => {}
    };
    if multiline {
        view! {
            <textarea
                class=class
                aria-label=label
                node_ref=area_ref
                maxlength=max_len
                prop:value=move || draft.get()
                on:input=move |ev| draft.set(event_target_value(&ev))
                on:keydown=on_keydown
                on:blur=move |_| finish(true)
            ></textarea>
        }
        .erase()
    } else {
        view! {
            <input
                type="text"
                class=class
                aria-label=label
                node_ref=input_ref
                maxlength=max_len
                prop:value=move || draft.get()
                on:input=move |ev| draft.set(event_target_value(&ev))
                on:keydown=on_keydown
                on:blur=move |_| finish(true)
            />
        }
        .erase()
    }
}
