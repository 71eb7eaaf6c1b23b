//! The shared persona library (`app::domain::library`, migration 023).

use app::domain::ids::{LibraryId, MapId, PersonaId};
use app::domain::library::{LibraryPersona, PersonaLink};
use app::domain::text::{Name, Text};
use rusqlite::{params, Connection};

use crate::db::{parse_id, Db, StoreError};

/// A stored text field: read back through its constructor, so a row edited outside Waymark
/// cannot bring in what the map's own checks would refuse.
fn text(raw: &str) -> Result<Text, StoreError> {
    Text::parse(raw).map_err(|e| StoreError::internal(e.message))
}

pub fn personas(conn: &Connection) -> Result<Vec<LibraryPersona>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT id, name, role, goals, motivations, frustrations FROM library_personas
         ORDER BY name COLLATE NOCASE, id",
    )?;
    let rows = statement.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
        ))
    })?;
    let mut found = Vec::new();
    for row in rows {
        let (id, name, role, goals, motivations, frustrations) = row?;
        found.push(LibraryPersona {
            id: parse_id(&id)?,
            name: Name::parse(&name).map_err(|e| StoreError::internal(e.message))?,
            role: text(&role)?,
            goals: text(&goals)?,
            motivations: text(&motivations)?,
            frustrations: text(&frustrations)?,
        });
    }
    Ok(found)
}

/// Creates or replaces library persona `persona.id`.
pub fn save(conn: &Connection, persona: &LibraryPersona, now: i64) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO library_personas (id, name, role, goals, motivations, frustrations, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role,
             goals = excluded.goals, motivations = excluded.motivations,
             frustrations = excluded.frustrations, updated_at = excluded.updated_at",
        params![
            persona.id.to_string(),
            persona.name.as_str(),
            persona.role.as_str(),
            persona.goals.as_str(),
            persona.motivations.as_str(),
            persona.frustrations.as_str(),
            now,
        ],
    )?;
    Ok(())
}

/// Deletes library persona `id` and its links; the maps keep their copies.
pub fn delete(conn: &Connection, id: LibraryId) -> Result<(), StoreError> {
    let changed = conn.execute(
        "DELETE FROM library_personas WHERE id = ?1",
        [id.to_string()],
    )?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub fn links(conn: &Connection) -> Result<Vec<PersonaLink>, StoreError> {
    let mut statement =
        conn.prepare_cached("SELECT map_id, persona_id, library_id FROM persona_links")?;
    let rows = statement.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut found = Vec::new();
    for row in rows {
        let (map, persona, library) = row?;
        found.push(PersonaLink {
            map: parse_id(&map)?,
            persona: parse_id(&persona)?,
            library: parse_id(&library)?,
        });
    }
    Ok(found)
}

pub fn link(conn: &Connection, link: &PersonaLink) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO persona_links (map_id, persona_id, library_id) VALUES (?1, ?2, ?3)
         ON CONFLICT (map_id, persona_id) DO UPDATE SET library_id = excluded.library_id",
        params![
            link.map.to_string(),
            link.persona.to_string(),
            link.library.to_string()
        ],
    )?;
    Ok(())
}

pub fn unlink(conn: &Connection, map: MapId, persona: PersonaId) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM persona_links WHERE map_id = ?1 AND persona_id = ?2",
        params![map.to_string(), persona.to_string()],
    )?;
    Ok(())
}

impl Db {
    pub async fn library(&self) -> Result<(Vec<LibraryPersona>, Vec<PersonaLink>), StoreError> {
        self.read(|conn| Ok((personas(conn)?, links(conn)?))).await
    }

    pub async fn save_library_persona(&self, persona: LibraryPersona) -> Result<(), StoreError> {
        let now = crate::clock::now_millis();
        self.writer()
            .write(move |conn| save(conn, &persona, now))
            .await
    }

    pub async fn delete_library_persona(&self, id: LibraryId) -> Result<(), StoreError> {
        self.writer().write(move |conn| delete(conn, id)).await
    }

    pub async fn link_persona(&self, to: PersonaLink) -> Result<(), StoreError> {
        self.writer().write(move |conn| link(conn, &to)).await
    }

    pub async fn unlink_persona(&self, map: MapId, persona: PersonaId) -> Result<(), StoreError> {
        self.writer()
            .write(move |conn| unlink(conn, map, persona))
            .await
    }
}
