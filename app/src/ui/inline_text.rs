//! Click-to-edit text. Shows the value as text (so it reads well and works without JavaScript)
//! and turns into an input on click or Enter; Enter saves, Escape cancels, leaving saves.

use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;

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
    let editor = use_context::<crate::ui::editor::Editor>();
    let editing = editing.unwrap_or_else(|| RwSignal::new(false));
    let draft = RwSignal::new(String::new());
    let input_ref = NodeRef::<html::Input>::new();
    let area_ref = NodeRef::<html::Textarea>::new();
    let display_ref = NodeRef::<html::Button>::new();
    // Set when an edit ends by Enter or Escape, so the blur that follows does not end it again.
    let settled = StoredValue::new(false);

    // A viewer (or an editor whose rights were taken away live, or a display-only map) gets
    // text, not a control.
    let editable = move || editor.is_none_or(|e| e.editable.get());
    let start = move || {
        if !editable() {
            return;
        }
        draft.set(value.get_untracked());
        settled.set_value(false);
        editing.set(true);
    };
    let finish = move |save: bool| {
        // A commit re-renders the edited item, which can dispose this component before the
        // blur that follows arrives; then there is nothing left to do.
        if settled.try_get_value().unwrap_or(true) {
            return;
        }
        settled.set_value(true);
        let new = draft.get_untracked();
        let changed = save && new.trim() != value.get_untracked().trim();
        editing.set(false);
        // Give the keyboard user their place back, if this element outlives the commit.
        request_animation_frame(move || {
            if let Some(Some(el)) = display_ref.try_get_untracked() {
                let _ = el.focus();
            }
        });
        if changed {
            on_commit.run(new);
        }
    };
    Effect::new(move |_| {
        if editing.get() {
            settled.set_value(false);
            draft.set(value.get_untracked());
            request_animation_frame(move || {
                if let Some(Some(el)) = input_ref.try_get_untracked() {
                    let _ = el.focus();
                    el.select();
                } else if let Some(Some(el)) = area_ref.try_get_untracked() {
                    let _ = el.focus();
                }
            });
        }
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
    let label_for_display = label.clone();
    let display_class = format!("inline-text {class}");
    let editor_class = format!("inline-editor {class}");

    view! {
        <Show
            when=move || editing.get()
            fallback=move || {
                let label = label_for_display.clone();
                let placeholder = placeholder.clone();
                if !editable() {
                    return view! { <span class=display_class.clone()>{move || value.get()}</span> }.into_any();
                }
                view! {
                    <button
                        type="button"
                        class=display_class.clone()
                        node_ref=display_ref
                        title=format!("Edit {}", label.to_lowercase())
                        on:click=move |_| start()
                    >
                        {move || {
                            let text = value.get();
                            if text.is_empty() {
                                view! { <span class="placeholder">{placeholder.clone()}</span> }
                                    .into_any()
                            } else {
                                text.into_any()
                            }
                        }}
                    </button>
                }
                .into_any()
            }
        >
            {
                let label = label.clone();
                let class = editor_class.clone();
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
                        .into_any()
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
                        .into_any()
                }
            }
        </Show>
    }
    .into_any()
}
