//! The shared persona library: personas defined once and used on many maps. Each map that uses
//! one holds an ordinary persona of its own, linked to the library's; editing the library's
//! brings every linked copy into step with edits through the map's own log (so history, undo
//! and everyone editing live see them), and a map can detach its copy to go its own way.

use serde::{Deserialize, Serialize};

use crate::domain::edit::Edit;
use crate::domain::ids::{LibraryId, MapId, PersonaId};
use crate::domain::map::{Persona, PersonaField};
use crate::domain::position::Position;
use crate::domain::text::{Name, Text};

/// Most personas in the library.
pub const MAX_LIBRARY: usize = 500;

/// A persona of the library.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LibraryPersona {
    pub id: LibraryId,
    pub name: Name,
    pub role: Text,
    pub goals: Text,
    pub motivations: Text,
    pub frustrations: Text,
}

/// A map's persona that follows a library persona.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonaLink {
    pub map: MapId,
    pub persona: PersonaId,
    pub library: LibraryId,
}

impl LibraryPersona {
    fn field(&self, field: PersonaField) -> &Text {
        match field {
            PersonaField::Role => &self.role,
            PersonaField::Goals => &self.goals,
            PersonaField::Motivations => &self.motivations,
            PersonaField::Frustrations => &self.frustrations,
        }
    }

    /// The library persona a map's persona becomes when shared.
    pub fn from_persona(id: LibraryId, persona: &Persona) -> LibraryPersona {
        LibraryPersona {
            id,
            name: persona.name.clone(),
            role: persona.role.clone(),
            goals: persona.goals.clone(),
            motivations: persona.motivations.clone(),
            frustrations: persona.frustrations.clone(),
        }
    }

    /// A new copy for a map, with the id `id`, placed after `last` (the map's last persona).
    pub fn copy(&self, id: PersonaId, last: Option<&Position>) -> Persona {
        Persona {
            id,
            name: self.name.clone(),
            position: Position::between(last, None).unwrap_or_else(Position::first),
            role: self.role.clone(),
            goals: self.goals.clone(),
            motivations: self.motivations.clone(),
            frustrations: self.frustrations.clone(),
        }
    }

    /// The edits that bring a map's copy into step with this persona: none when it already is.
    pub fn sync(&self, copy: &Persona) -> Vec<Edit> {
        let mut edits = Vec::new();
        if copy.name != self.name {
            edits.push(Edit::RenamePersona {
                id: copy.id,
                name: self.name.clone(),
            });
        }
        for field in PersonaField::ALL {
            if copy.field(field) != self.field(field) {
                edits.push(Edit::SetPersonaField {
                    id: copy.id,
                    field,
                    text: self.field(field).clone(),
                });
            }
        }
        edits
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::edit::apply;
    use crate::domain::fixture::{sample_map, text};

    #[test]
    fn a_copy_is_brought_into_step_by_edits_of_its_map() {
        let mut map = sample_map();
        let persona = map.personas()[0].clone();
        let mut library =
            LibraryPersona::from_persona(LibraryId::from_uuid(uuid::Uuid::from_u128(1)), &persona);
        assert!(library.sync(&persona).is_empty(), "a fresh copy is in step");

        library.goals = text("Shoes that last a year of commuting");
        library.name = crate::domain::fixture::name("Maya");
        let edits = library.sync(&persona);
        assert_eq!(edits.len(), 2);
        for edit in &edits {
            apply(&mut map, edit).unwrap();
        }
        let copy = &map.personas()[0];
        assert_eq!(copy.goals, library.goals);
        assert_eq!(copy.name.as_str(), "Maya");
        assert!(library.sync(copy).is_empty());

        // Another copy goes after the map's personas.
        let second = library.copy(
            PersonaId::from_uuid(uuid::Uuid::from_u128(2)),
            Some(&copy.position),
        );
        assert!(second.position > copy.position);
        apply(&mut map, &Edit::AddPersona { persona: second }).unwrap();
        assert_eq!(map.personas().len(), 2);
    }
}
