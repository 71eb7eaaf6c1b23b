//! The shared persona library (`domain::library`): the personas every signed-in person can
//! use, where each is used, and the server functions that add, edit, use, detach and delete
//! them. An edit reaches every map using the persona as edits of that map, so it needs the
//! right to edit each of them.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::error::AppError;
use crate::domain::ids::{LibraryId, MapId, PersonaId};
use crate::domain::library::LibraryPersona;

/// A map using a library persona.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Use {
    pub map: MapId,
    pub title: String,
    pub persona: PersonaId,
    /// Whether the caller may edit that map (and so detach its copy).
    pub editable: bool,
}

/// A library persona with the maps (the caller can see) that use it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Shared {
    pub persona: LibraryPersona,
    pub used_on: Vec<Use>,
    /// Maps the caller cannot see use it too (their count): editing it changes them as well.
    pub hidden_uses: usize,
}

/// A persona of a map the caller may edit, not yet in the library.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub map: MapId,
    pub title: String,
    pub persona: PersonaId,
    pub name: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Library {
    pub personas: Vec<Shared>,
    /// Maps the caller may edit, which can take a library persona.
    pub maps: Vec<(MapId, String)>,
    pub candidates: Vec<Candidate>,
}

/// The library, as the caller sees it.
#[server]
pub async fn persona_library() -> Result<Library, AppError> {
    use crate::api::ctx::{accounts, backend, require_user};
    use crate::domain::access::Capability;

    let user = require_user()?;
    let (backend, accounts) = (backend()?, accounts()?);
    let (personas, links) = backend.persona_library().await?;
    let mut library = Library::default();
    let mut seen = Vec::new();
    for listed in backend.list_maps(&user).await? {
        let editable = accounts
            .role(&user, listed.id)
            .await?
            .is_some_and(|r| r.may(Capability::Edit));
        seen.push((listed.id, listed.title.clone(), editable));
        if !editable {
            continue;
        }
        library.maps.push((listed.id, listed.title.clone()));
        let Ok(snapshot) = backend.load_map(listed.id).await else {
            continue;
        };
        for persona in snapshot.map.personas() {
            let linked = links
                .iter()
                .any(|l| l.map == listed.id && l.persona == persona.id);
            if !linked {
                library.candidates.push(Candidate {
                    map: listed.id,
                    title: listed.title.clone(),
                    persona: persona.id,
                    name: persona.name.to_string(),
                });
            }
        }
    }
    for persona in personas {
        let uses: Vec<_> = links.iter().filter(|l| l.library == persona.id).collect();
        let used_on: Vec<Use> = uses
            .iter()
            .filter_map(|l| {
                let (_, title, editable) = seen.iter().find(|(id, _, _)| *id == l.map)?;
                Some(Use {
                    map: l.map,
                    title: title.clone(),
                    persona: l.persona,
                    editable: *editable,
                })
            })
            .collect();
        library.personas.push(Shared {
            hidden_uses: uses.len() - used_on.len(),
            persona,
            used_on,
        });
    }
    Ok(library)
}

/// Parses a persona's name and fields as a form sends them.
#[cfg(feature = "ssr")]
fn parse(id: LibraryId, fields: [String; 5]) -> Result<LibraryPersona, AppError> {
    use crate::domain::text::{Name, Text};
    let [name, role, goals, motivations, frustrations] = fields;
    let text =
        |field: &str, raw: String| Text::parse(&raw).map_err(|e| AppError::invalid(field, e));
    Ok(LibraryPersona {
        id,
        name: Name::parse(&name).map_err(|e| AppError::invalid("name", e))?,
        role: text("role", role)?,
        goals: text("goals", goals)?,
        motivations: text("motivations", motivations)?,
        frustrations: text("frustrations", frustrations)?,
    })
}

/// Checks the caller may edit every map using library persona `id`.
#[cfg(feature = "ssr")]
async fn may_change(id: LibraryId) -> Result<Vec<crate::domain::library::PersonaLink>, AppError> {
    use crate::api::ctx::{accounts, backend, require_user};
    use crate::domain::access::Capability;

    let user = require_user()?;
    let (_, links) = backend()?.persona_library().await?;
    let uses: Vec<_> = links.into_iter().filter(|l| l.library == id).collect();
    for link in &uses {
        let role = accounts()?.role(&user, link.map).await?;
        if !role.is_some_and(|r| r.may(Capability::Edit)) {
            return Err(AppError::Invalid {
                field: String::new(),
                message: "this persona is used on maps you may not edit; ask their owners".into(),
            });
        }
    }
    Ok(uses)
}

/// Adds a persona to the library (`id` empty) or edits one, and brings every map's copy into
/// step through that map's log. Returns the persona's id.
#[server]
pub async fn save_library_persona(
    #[server(default)] id: String,
    name: String,
    #[server(default)] role: String,
    #[server(default)] goals: String,
    #[server(default)] motivations: String,
    #[server(default)] frustrations: String,
) -> Result<LibraryId, AppError> {
    use crate::api::ctx::{author_name, backend, require_user};
    use crate::domain::edit::Op;
    use crate::domain::ids::OpId;
    use crate::domain::library::MAX_LIBRARY;

    require_user()?;
    let backend = backend()?;
    let (existing, _) = backend.persona_library().await?;
    let id = match id.as_str() {
        "" => {
            if existing.len() >= MAX_LIBRARY {
                return Err(AppError::Invalid {
                    field: String::new(),
                    message: format!("the library holds at most {MAX_LIBRARY} personas"),
                });
            }
            LibraryId::from_uuid(uuid::Uuid::new_v4())
        }
        raw => raw
            .parse::<LibraryId>()
            .ok()
            .filter(|id| existing.iter().any(|p| p.id == *id))
            .ok_or(AppError::NotFound)?,
    };
    let persona = parse(id, [name, role, goals, motivations, frustrations])?;
    let uses = may_change(id).await?;
    backend.save_library_persona(persona.clone()).await?;
    let author = author_name();
    for link in uses {
        let Ok(snapshot) = backend.load_map(link.map).await else {
            continue;
        };
        let Some(copy) = snapshot.map.persona(link.persona) else {
            // The map removed its copy: it no longer follows.
            backend.unlink_persona(link.map, link.persona).await?;
            continue;
        };
        for edit in persona.sync(copy) {
            let op = Op {
                id: OpId::from_uuid(uuid::Uuid::now_v7()),
                edit,
            };
            backend.apply(link.map, op, author.clone()).await?;
        }
    }
    Ok(id)
}

/// Adds a copy of library persona `id` to map `map`, following it.
#[server]
pub async fn use_library_persona(id: LibraryId, map: MapId) -> Result<(), AppError> {
    use crate::api::ctx::{author_name, authorize, backend};
    use crate::domain::access::Capability;
    use crate::domain::edit::{Edit, Op};
    use crate::domain::ids::OpId;
    use crate::domain::library::PersonaLink;

    authorize(map, Capability::Edit).await?;
    let backend = backend()?;
    let (personas, _) = backend.persona_library().await?;
    let persona = personas
        .into_iter()
        .find(|p| p.id == id)
        .ok_or(AppError::NotFound)?;
    let current = backend.load_map(map).await?.map;
    let copy = persona.copy(
        PersonaId::from_uuid(uuid::Uuid::new_v4()),
        current.personas().last().map(|p| &p.position),
    );
    let persona_id = copy.id;
    let op = Op {
        id: OpId::from_uuid(uuid::Uuid::now_v7()),
        edit: Edit::AddPersona { persona: copy },
    };
    backend.apply(map, op, author_name()).await?;
    backend
        .link_persona(PersonaLink {
            map,
            persona: persona_id,
            library: id,
        })
        .await
}

/// Puts persona `persona` of map `map` into the library; the map's persona follows it.
#[server]
pub async fn share_persona(map: MapId, persona: PersonaId) -> Result<LibraryId, AppError> {
    use crate::api::ctx::{authorize, backend};
    use crate::domain::access::Capability;
    use crate::domain::library::{PersonaLink, MAX_LIBRARY};

    authorize(map, Capability::Edit).await?;
    let backend = backend()?;
    let (existing, _) = backend.persona_library().await?;
    if existing.len() >= MAX_LIBRARY {
        return Err(AppError::Invalid {
            field: String::new(),
            message: format!("the library holds at most {MAX_LIBRARY} personas"),
        });
    }
    let current = backend.load_map(map).await?.map;
    let found = current.persona(persona).ok_or(AppError::NotFound)?;
    let id = LibraryId::from_uuid(uuid::Uuid::new_v4());
    backend
        .save_library_persona(LibraryPersona::from_persona(id, found))
        .await?;
    backend
        .link_persona(PersonaLink {
            map,
            persona,
            library: id,
        })
        .await?;
    Ok(id)
}

/// Map `map`'s copy `persona` stops following the library; it stays on the map as it is.
#[server]
pub async fn detach_persona(map: MapId, persona: PersonaId) -> Result<(), AppError> {
    use crate::api::ctx::{authorize, backend};
    use crate::domain::access::Capability;

    authorize(map, Capability::Edit).await?;
    backend()?.unlink_persona(map, persona).await
}

/// Deletes library persona `id`; the maps using it keep their copies, detached.
#[server]
pub async fn delete_library_persona(id: LibraryId) -> Result<(), AppError> {
    use crate::api::ctx::backend;
    may_change(id).await?;
    backend()?.delete_library_persona(id).await
}
