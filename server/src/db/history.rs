//! A map's history as stored: the list of changes and named versions.

use app::api::history::{HistoryEntry, Version};
use app::domain::edit::Edit;
use app::domain::history::describe;
use app::domain::ids::{MapId, Rev};
use rusqlite::{params, Connection};

use crate::db::{rev_column, rev_param, Db, StoreError};

/// Up to `limit` changes before `before`, newest first.
pub fn history(
    conn: &Connection,
    id: MapId,
    before: Rev,
    limit: usize,
) -> Result<Vec<HistoryEntry>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT rev, created_at, author, edit FROM ops
         WHERE map_id = ?1 AND rev < ?2 ORDER BY rev DESC LIMIT ?3",
    )?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = stmt.query_map(params![id.to_string(), rev_param(before), limit], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, i64>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, String>(3)?,
        ))
    })?;
    let mut entries = Vec::new();
    for row in rows {
        let (rev, at, author, edit) = row?;
        let edit: Edit = serde_json::from_str(&edit).map_err(StoreError::internal)?;
        entries.push(HistoryEntry {
            rev: rev_column(rev),
            at,
            author,
            summary: describe(&edit),
        });
    }
    Ok(entries)
}

pub fn add_version(conn: &Connection, id: MapId, version: &Version) -> Result<(), StoreError> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM maps WHERE id = ?1 AND rev >= ?2)",
        params![id.to_string(), rev_param(version.rev)],
        |row| row.get(0),
    )?;
    if !exists {
        return Err(StoreError::NotFound);
    }
    conn.execute(
        "INSERT INTO versions (id, map_id, rev, name, author, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            uuid::Uuid::new_v4().to_string(),
            id.to_string(),
            rev_param(version.rev),
            version.name,
            version.author,
            version.created_at
        ],
    )?;
    Ok(())
}

/// Named versions of a map, newest revision first.
pub fn versions(conn: &Connection, id: MapId) -> Result<Vec<Version>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT rev, name, author, created_at FROM versions
         WHERE map_id = ?1 ORDER BY rev DESC, created_at DESC",
    )?;
    let rows = stmt.query_map([id.to_string()], |row| {
        Ok(Version {
            rev: rev_column(row.get(0)?),
            name: row.get(1)?,
            author: row.get(2)?,
            created_at: row.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

impl Db {
    pub async fn history(
        &self,
        id: MapId,
        before: Rev,
        limit: usize,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        self.read(move |conn| history(conn, id, before, limit))
            .await
    }

    pub async fn add_version(&self, id: MapId, version: Version) -> Result<Version, StoreError> {
        self.writer()
            .write(move |conn| add_version(conn, id, &version).map(|()| version))
            .await
    }

    pub async fn versions(&self, id: MapId) -> Result<Vec<Version>, StoreError> {
        self.read(move |conn| versions(conn, id)).await
    }
}
