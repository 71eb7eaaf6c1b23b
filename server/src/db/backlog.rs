//! The opportunity backlog's triage rows (`app::domain::backlog`, migration 020).

use app::domain::backlog::{Level, Status, Triage};
use app::domain::ids::{CardId, MapId, UserId};
use rusqlite::{params, Connection};

use crate::db::{parse_id, Db, StoreError};

/// Every triage kept for map `id`'s cards (cards since removed included).
pub fn triage_of(conn: &Connection, id: MapId) -> Result<Vec<(CardId, Triage)>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT card_id, status, owner_id, impact, effort, links
         FROM opportunities WHERE map_id = ?1",
    )?;
    let rows = statement.query_map([id.to_string()], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, Option<String>>(4)?,
            r.get::<_, String>(5)?,
        ))
    })?;
    let mut found = Vec::new();
    for row in rows {
        let (card, status, owner, impact, effort, links) = row?;
        let links: Vec<String> = serde_json::from_str(&links).map_err(StoreError::internal)?;
        let level = |raw: Option<String>| raw.as_deref().and_then(Level::from_key);
        let triage = Triage {
            // The schema's CHECK keeps both to known keys.
            status: Status::from_key(&status).unwrap_or_default(),
            owner: owner.as_deref().map(parse_id::<UserId>).transpose()?,
            impact: level(impact),
            effort: level(effort),
            links: links
                .iter()
                .map(|l| parse_id(l))
                .collect::<Result<_, _>>()?,
        };
        found.push((parse_id(&card)?, triage));
    }
    Ok(found)
}

/// Keeps `triage` (checked by the caller) for card `card` of map `id`.
pub fn set_triage(
    conn: &Connection,
    id: MapId,
    card: CardId,
    triage: &Triage,
) -> Result<(), StoreError> {
    let links: Vec<String> = triage.links.iter().map(|l| l.to_string()).collect();
    conn.execute(
        "INSERT INTO opportunities (map_id, card_id, status, owner_id, impact, effort, links)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (map_id, card_id) DO UPDATE SET status = excluded.status,
             owner_id = excluded.owner_id, impact = excluded.impact,
             effort = excluded.effort, links = excluded.links",
        params![
            id.to_string(),
            card.to_string(),
            triage.status.key(),
            triage.owner.map(|o| o.to_string()),
            triage.impact.map(Level::key),
            triage.effort.map(Level::key),
            serde_json::to_string(&links).map_err(StoreError::internal)?,
        ],
    )?;
    Ok(())
}

/// Forgets the triage of card `card` of map `id`: as if it had never been triaged.
pub fn clear_triage(conn: &Connection, id: MapId, card: CardId) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM opportunities WHERE map_id = ?1 AND card_id = ?2",
        params![id.to_string(), card.to_string()],
    )?;
    Ok(())
}

impl Db {
    pub async fn triage_of(&self, id: MapId) -> Result<Vec<(CardId, Triage)>, StoreError> {
        self.read(move |conn| triage_of(conn, id)).await
    }

    pub async fn set_triage(
        &self,
        id: MapId,
        card: CardId,
        triage: Triage,
    ) -> Result<(), StoreError> {
        self.writer()
            .write(move |conn| set_triage(conn, id, card, &triage))
            .await
    }
}
