//! A map's targets (`app::domain::targets`, migration 022), kept as JSON with its listing.

use app::domain::ids::MapId;
use app::domain::targets::Target;
use rusqlite::{params, Connection, OptionalExtension};

use crate::db::{Db, StoreError};

pub fn targets(conn: &Connection, id: MapId) -> Result<Vec<Target>, StoreError> {
    let json: String = conn
        .query_row(
            "SELECT targets FROM maps WHERE id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
        .optional()?
        .ok_or(StoreError::NotFound)?;
    serde_json::from_str(&json).map_err(StoreError::internal)
}

/// Sets map `id`'s targets (checked by the caller).
pub fn set_targets(conn: &Connection, id: MapId, targets: &[Target]) -> Result<(), StoreError> {
    let json = serde_json::to_string(targets).map_err(StoreError::internal)?;
    let changed = conn.execute(
        "UPDATE maps SET targets = ?2 WHERE id = ?1",
        params![id.to_string(), json],
    )?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

impl Db {
    pub async fn targets(&self, id: MapId) -> Result<Vec<Target>, StoreError> {
        self.read(move |conn| targets(conn, id)).await
    }

    pub async fn set_targets(&self, id: MapId, targets: Vec<Target>) -> Result<(), StoreError> {
        self.writer()
            .write(move |conn| set_targets(conn, id, &targets))
            .await
    }
}
