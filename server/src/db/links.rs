//! Links between maps (`app::domain::hierarchy`, migration 021).

use app::domain::hierarchy::{LinkKind, MapLink};
use app::domain::ids::MapId;
use rusqlite::{params, Connection};

use crate::db::{parse_id, Db, StoreError};

/// Every link between maps.
pub fn links(conn: &Connection) -> Result<Vec<MapLink>, StoreError> {
    let mut statement =
        conn.prepare_cached("SELECT map_id, kind, parent_id, stage_id, card_id FROM map_links")?;
    let rows = statement.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, Option<String>>(4)?,
        ))
    })?;
    let mut found = Vec::new();
    for row in rows {
        let (map, kind, parent, stage, card) = row?;
        let kind = LinkKind::from_key(&kind)
            .ok_or_else(|| StoreError::internal(format!("unknown map link kind {kind:?}")))?;
        found.push(MapLink {
            map: parse_id(&map)?,
            kind,
            parent: parse_id(&parent)?,
            stage: stage.as_deref().map(parse_id).transpose()?,
            card: card.as_deref().map(parse_id).transpose()?,
        });
    }
    Ok(found)
}

/// Makes `link` (checked by the caller) the map's link of its kind, replacing any.
pub fn set_link(conn: &Connection, link: &MapLink) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO map_links (map_id, kind, parent_id, stage_id, card_id)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (map_id, kind) DO UPDATE
         SET parent_id = excluded.parent_id, stage_id = excluded.stage_id,
             card_id = excluded.card_id",
        params![
            link.map.to_string(),
            link.kind.key(),
            link.parent.to_string(),
            link.stage.map(|s| s.to_string()),
            link.card.map(|c| c.to_string()),
        ],
    )?;
    Ok(())
}

/// Removes map `map`'s link of `kind`, if it has one.
pub fn unlink(conn: &Connection, map: MapId, kind: LinkKind) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM map_links WHERE map_id = ?1 AND kind = ?2",
        params![map.to_string(), kind.key()],
    )?;
    Ok(())
}

/// The maps that show `map`'s figures beside their own: the map its sub-journey details, and
/// the to-be maps made from it (which show the as-is map's measured scores).
pub fn shown_on(conn: &Connection, map: MapId) -> Result<Vec<MapId>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT parent_id FROM map_links WHERE map_id = ?1 AND kind = ?2
         UNION SELECT map_id FROM map_links WHERE parent_id = ?1 AND kind = ?3",
    )?;
    let rows = statement.query_map(
        params![
            map.to_string(),
            LinkKind::SubJourney.key(),
            LinkKind::ToBe.key()
        ],
        |r| r.get::<_, String>(0),
    )?;
    let mut found = Vec::new();
    for row in rows {
        found.push(parse_id(&row?)?);
    }
    Ok(found)
}

impl Db {
    pub async fn links(&self) -> Result<Vec<MapLink>, StoreError> {
        self.read(links).await
    }

    pub async fn set_link(&self, link: MapLink) -> Result<(), StoreError> {
        self.writer().write(move |conn| set_link(conn, &link)).await
    }
}
