//! The home page's persona library (`/?view=personas`): personas defined once and used on many
//! maps (`api::library`). Part of the home page's code, like the backlog.

use leptos::prelude::*;

use crate::api::library::{
    persona_library, DeleteLibraryPersona, DetachPersona, Library, SaveLibraryPersona,
    SharePersona, Shared, UseLibraryPersona,
};
use crate::domain::library::LibraryPersona;
use crate::domain::text::{MAX_NAME_CHARS, MAX_TEXT_CHARS};
use crate::ui::erase::Erase;
use crate::ui::pages::clear_once_added;
use crate::ui::resource::resource;

/// Every action of the page; the library reloads after any of them.
#[derive(Clone, Copy)]
struct Actions {
    save: ServerAction<SaveLibraryPersona>,
    use_on: ServerAction<UseLibraryPersona>,
    share: ServerAction<SharePersona>,
    detach: ServerAction<DetachPersona>,
    delete: ServerAction<DeleteLibraryPersona>,
}

#[component]
pub fn LibraryView() -> impl IntoView {
    let actions = Actions {
        save: ServerAction::new(),
        use_on: ServerAction::new(),
        share: ServerAction::new(),
        detach: ServerAction::new(),
        delete: ServerAction::new(),
    };
    let library = resource(
        move || {
            (
                actions.save.version().get(),
                actions.use_on.version().get(),
                actions.share.version().get(),
                actions.detach.version().get(),
                actions.delete.version().get(),
            )
        },
        |_| persona_library(),
    );
    let failure = move || {
        let error =
            |value: Option<Result<(), crate::api::error::AppError>>| value.and_then(Result::err);
        error(actions.save.value().get().map(|r| r.map(|_| ())))
            .or_else(|| error(actions.use_on.value().get()))
            .or_else(|| error(actions.share.value().get().map(|r| r.map(|_| ()))))
            .or_else(|| error(actions.detach.value().get()))
            .or_else(|| error(actions.delete.value().get()))
    };
    view! {
        <section class="map-list library" aria-labelledby="library-heading">
            <h2 id="library-heading">"Persona library"</h2>
            <p class="muted">
                "Personas defined once and used on many maps. Saving one here changes it on every \
                 map that uses it, as an edit in each map's history; a map can detach its copy \
                 to keep its own."
            </p>
            <Show when=move || failure().is_some()>
                <p class="notice error" role="alert">{move || failure().map(|e| format!("Not saved: {e}"))}</p>
            </Show>
            <Transition fallback=|| view! { <p class="loading">"Loading the library…"</p> }>
                {move || Suspend::new(async move {
                    match library.await {
                        Ok(library) => view! { <Contents library actions/> }.erase(),
                        Err(err) => view! {
                            <p class="notice error" role="alert">{format!("Couldn't load the library: {err}")}</p>
                        }
                            .erase(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Contents(library: Library, actions: Actions) -> impl IntoView {
    let Library {
        personas,
        maps,
        candidates,
    } = library;
    let empty = personas.is_empty();
    view! {
        {empty.then(|| view! {
            <div class="empty-state">
                <p class="empty-title">"No shared personas yet"</p>
                <p>"Create one below, or put a persona of one of your maps into the library."</p>
            </div>
        })}
        <ul class="library-personas">
            {personas
                .into_iter()
                .map(|shared| view! { <SharedPersona shared maps=maps.clone() actions/> })
                .collect_view()}
        </ul>
        <details class="library-new">
            <summary class="button">"New persona"</summary>
            <PersonaForm persona=None action=actions.save/>
        </details>
        {(!candidates.is_empty()).then(|| {
            let pair = RwSignal::new(candidates.first().map(|c| (c.map, c.persona)));
            let submit = move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                if let Some((map, persona)) = pair.get_untracked() {
                    actions.share.dispatch(SharePersona { map, persona });
                }
            };
            let options = candidates.clone();
            view! {
                <form class="inline-form library-share" on:submit=submit>
                    <label class="field">
                        <span>"Put a map's persona into the library"</span>
                        <select on:change=move |ev| {
                            let index = event_target_value(&ev).parse::<usize>().ok();
                            pair.set(index.and_then(|i| options.get(i)).map(|c| (c.map, c.persona)));
                        }>
                            {candidates
                                .iter()
                                .enumerate()
                                .map(|(i, c)| view! { <option value=i.to_string()>{format!("{} — {}", c.name, c.title)}</option> })
                                .collect_view()}
                        </select>
                    </label>
                    <button type="submit" class="button">"Share it"</button>
                </form>
            }
        })}
    }
}

/// One library persona: its fields (editable), where it is used, and using it on another map.
#[component]
fn SharedPersona(
    shared: Shared,
    maps: Vec<(crate::domain::ids::MapId, String)>,
    actions: Actions,
) -> impl IntoView {
    let Shared {
        persona,
        used_on,
        hidden_uses,
    } = shared;
    let id = persona.id;
    let name = persona.name.to_string();
    let (edit_label, delete_label) = (
        format!("Edit {name}"),
        format!("Delete {name} from the library"),
    );
    let use_label = format!("Use {name} on");
    let unused: Vec<_> = maps
        .into_iter()
        .filter(|(m, _)| !used_on.iter().any(|u| u.map == *m))
        .collect();
    let hidden = (hidden_uses > 0).then(|| {
        view! { <li class="muted">{crate::ui::format::count(hidden_uses, "map you cannot see", "maps you cannot see")}</li> }
    });
    view! {
        <li class="library-persona">
            <h3>{name.clone()}</h3>
            <p class="muted">{persona.role.to_string()}</p>
            <details class="library-edit">
                <summary class="button ghost" aria-label=edit_label>"Edit"</summary>
                <PersonaForm persona=Some(persona) action=actions.save/>
            </details>
            <h4>"Used on"</h4>
            <ul class="library-uses">
                {used_on
                    .into_iter()
                    .map(|u| {
                    let detach = format!("Detach {name} on {}", u.title);
                    view! {
                        <li>
                            <a href=format!("/maps/{}", u.map)>{u.title.clone()}</a>
                            {u.editable.then(|| view! {
                                <ActionForm action=actions.detach>
                                    <input type="hidden" name="map" value=u.map.to_string()/>
                                    <input type="hidden" name="persona" value=u.persona.to_string()/>
                                    <button type="submit" class="button small ghost" aria-label=detach>"Detach"</button>
                                </ActionForm>
                            })}
                        </li>
                    }
                })
                .collect_view()}
                {hidden}
            </ul>
            {(!unused.is_empty()).then(|| view! {
                <ActionForm action=actions.use_on attr:class="inline-form">
                    <input type="hidden" name="id" value=id.to_string()/>
                    <label class="field">
                        <span>{use_label}</span>
                        <select name="map">
                            {unused.into_iter().map(|(m, title)| view! { <option value=m.to_string()>{title}</option> }).collect_view()}
                        </select>
                    </label>
                    <button type="submit" class="button small">"Add to map"</button>
                </ActionForm>
            })}
            <ActionForm action=actions.delete>
                <input type="hidden" name="id" value=id.to_string()/>
                <button type="submit" class="button small ghost danger" aria-label=delete_label>"Delete from library"</button>
            </ActionForm>
        </li>
    }
}

/// A persona's name and fields; saving an existing one changes every map using it.
#[component]
fn PersonaForm(
    persona: Option<LibraryPersona>,
    action: ServerAction<SaveLibraryPersona>,
) -> impl IntoView {
    let value = |f: fn(&LibraryPersona) -> String| persona.as_ref().map(f).unwrap_or_default();
    let button = if persona.is_some() {
        "Save everywhere"
    } else {
        "Add to library"
    };
    let id = value(|p| p.id.to_string());
    let name = value(|p| p.name.to_string());
    let fields = [
        ("role", "Role", value(|p| p.role.to_string())),
        ("goals", "Goals", value(|p| p.goals.to_string())),
        (
            "motivations",
            "Motivations",
            value(|p| p.motivations.to_string()),
        ),
        (
            "frustrations",
            "Frustrations",
            value(|p| p.frustrations.to_string()),
        ),
    ];
    let form = NodeRef::new();
    if persona.is_none() {
        clear_once_added(move || matches!(action.value().get(), Some(Ok(_))), form);
    }
    view! {
        <ActionForm action node_ref=form attr:class="library-form">
            <input type="hidden" name="id" value=id/>
            <label class="field">
                <span>"Name"</span>
                <input type="text" name="name" required maxlength=MAX_NAME_CHARS value=name/>
            </label>
            {fields
                .into_iter()
                .map(|(key, label, text)| view! {
                    <label class="field">
                        <span>{label}</span>
                        <textarea name=key maxlength=MAX_TEXT_CHARS rows="2">{text}</textarea>
                    </label>
                })
                .collect_view()}
            <button type="submit" class="button primary">{button}</button>
        </ActionForm>
    }
}
