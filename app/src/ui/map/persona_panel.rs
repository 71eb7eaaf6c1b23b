//! The personas of the map: who the journey is about.

use leptos::prelude::*;

use crate::domain::edit::Edit;
use crate::domain::map::{Persona, PersonaField};
use crate::domain::moves::after_last;
use crate::domain::text::{Name, Text, MAX_TEXT_CHARS};
use crate::ui::editor::{fresh, use_editor};
use crate::ui::icons::{Icon, IconButton, Svg};
use crate::ui::inline_text::InlineText;

#[component]
pub fn PersonaPanel() -> impl IntoView {
    let editor = use_editor();
    let personas = Memo::new(move |_| editor.map.with(|m| m.personas().to_vec()));
    let only_one = Signal::derive(move || personas.with(|p| p.len() <= 1));
    let add = move |_| {
        let position = editor
            .map
            .with_untracked(|m| after_last(m.personas().iter().map(|p| &p.position)));
        let Ok(name) = Name::parse("New persona") else {
            return;
        };
        editor.edit(Edit::AddPersona {
            persona: Persona {
                id: fresh(),
                name,
                position,
                role: Text::default(),
                goals: Text::default(),
                motivations: Text::default(),
                frustrations: Text::default(),
            },
        });
    };
    let controls = editor.shows_controls();
    view! {
        <section class="personas" aria-labelledby="personas-heading">
            <h2 id="personas-heading">"Personas"</h2>
            <For
                each=move || personas.get()
                key=|p| p.clone()
                children=move |persona| view! { <PersonaCard persona only_one/> }
            />
            {controls.then(|| view! {
                <button type="button" class="button dashed edit-only" on:click=add>
                    <Svg icon=Icon::Plus/>
                    "Add persona"
                </button>
            })}
        </section>
    }
}

#[component]
fn PersonaCard(persona: Persona, only_one: Signal<bool>) -> impl IntoView {
    let editor = use_editor();
    let id = persona.id;
    let rename = Callback::new(move |raw: String| match Name::parse(&raw) {
        Ok(name) => editor.edit(Edit::RenamePersona { id, name }),
        Err(err) => editor
            .notice
            .set(Some(format!("Persona not renamed: {err}."))),
    });
    let fields = PersonaField::ALL.map(|field| {
        let value = persona.field(field).to_string();
        let commit = Callback::new(move |raw: String| match Text::parse(&raw) {
            Ok(text) => editor.edit(Edit::SetPersonaField { id, field, text }),
            Err(err) => editor
                .notice
                .set(Some(format!("Persona not changed: {err}."))),
        });
        view! {
            <div class="persona-field">
                <h4>{field.label()}</h4>
                <InlineText
                    value=Signal::stored(value)
                    label=format!("{} of {}", field.label(), persona.name)
                    multiline=true
                    max_len=MAX_TEXT_CHARS
                    placeholder="Not written yet"
                    on_commit=commit
                />
            </div>
        }
    });
    view! {
        <article class="persona">
            <header class="persona-header">
                <h3>
                    <InlineText
                        value=Signal::stored(persona.name.to_string())
                        label="Persona name"
                        on_commit=rename
                    />
                </h3>
                {editor.shows_controls().then(|| view! {
                    <IconButton
                        icon=Icon::Trash
                        label=format!("Delete persona {}", persona.name)
                        class="edit-only"
                        disabled=only_one
                        on_click=Callback::new(move |()| editor.edit(Edit::RemovePersona { id }))
                    />
                })}
            </header>
            {fields.into_iter().collect_view()}
        </article>
    }
}
