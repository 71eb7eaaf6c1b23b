//! The library's metric definitions and channels (`app::domain::definitions`, migration 024):
//! each row the definition as JSON. Saving a metric definition brings the targets maps took
//! from it into step, and deleting one leaves those targets as the maps' own, in the same
//! transaction.

use app::domain::beside::Beside;
use app::domain::definitions::{check_channels, ChannelNames, LibraryChannel, MetricDefinition};
use app::domain::ids::{LibraryId, MapId, UserId};
use app::domain::targets::{check, Target};
use rusqlite::{params, Connection};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::db::beside::{self, Note};
use crate::db::targets::targets;
use crate::db::{parse_id, Db, StoreError};

/// The two tables, so that no other name reaches the SQL below.
#[derive(Clone, Copy)]
enum Shelf {
    Metrics,
    Channels,
}

impl Shelf {
    fn table(self) -> &'static str {
        match self {
            Shelf::Metrics => "library_metrics",
            Shelf::Channels => "library_channels",
        }
    }
}

fn all<T: DeserializeOwned>(conn: &Connection, shelf: Shelf) -> Result<Vec<T>, StoreError> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT body FROM {} ORDER BY updated_at, id",
        shelf.table()
    ))?;
    let rows = statement.query_map([], |r| r.get::<_, String>(0))?;
    let mut found = Vec::new();
    for body in rows {
        // Read back through the domain's own checks (names, texts), as every stored text is.
        found.push(serde_json::from_str(&body?).map_err(StoreError::internal)?);
    }
    Ok(found)
}

fn put<T: Serialize>(
    conn: &Connection,
    shelf: Shelf,
    id: LibraryId,
    item: &T,
    now: i64,
) -> Result<(), StoreError> {
    let body = serde_json::to_string(item).map_err(StoreError::internal)?;
    conn.execute(
        &format!(
            "INSERT INTO {} (id, body, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET body = excluded.body",
            shelf.table()
        ),
        params![id.to_string(), body, now],
    )?;
    Ok(())
}

fn remove(conn: &Connection, shelf: Shelf, id: LibraryId) -> Result<(), StoreError> {
    let changed = conn.execute(
        &format!("DELETE FROM {} WHERE id = ?1", shelf.table()),
        [id.to_string()],
    )?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Each metric definition with a map that took a target from it, by map.
pub fn metric_uses(conn: &Connection) -> Result<Vec<(LibraryId, MapId)>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT DISTINCT t.value ->> '$.metric', maps.id FROM maps, json_each(maps.targets) AS t
         WHERE t.value ->> '$.metric' IS NOT NULL ORDER BY maps.id",
    )?;
    let rows = statement.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    rows.map(|row| {
        let (metric, map) = row?;
        Ok((parse_id(&metric)?, parse_id(&map)?))
    })
    .collect()
}

/// The maps with a target taken from metric definition `id`, in order.
pub fn maps_using(conn: &Connection, id: LibraryId) -> Result<Vec<MapId>, StoreError> {
    let uses = metric_uses(conn)?.into_iter();
    Ok(uses
        .filter_map(|(m, map)| (m == id).then_some(map))
        .collect())
}

/// Adds or replaces `metric`, and brings every target taken from it into step; refused whole
/// when a map would then hold two targets for one stage and measure. Returns the maps whose
/// targets changed.
pub fn save_metric(
    conn: &Connection,
    metric: &MetricDefinition,
    note: &Note,
) -> Result<Vec<MapId>, StoreError> {
    put(conn, Shelf::Metrics, metric.id, metric, note.at)?;
    let mut changed = Vec::new();
    for map in maps_using(conn, metric.id)? {
        if let Some(synced) = metric.sync(&targets(conn, map)?) {
            if check(&synced).is_err() {
                let title: String = conn.query_row(
                    "SELECT title FROM maps WHERE id = ?1",
                    [map.to_string()],
                    |r| r.get(0),
                )?;
                return Err(StoreError::Conflict(format!(
                    "the map \u{201c}{title}\u{201d} already has a {} target where it uses this metric",
                    metric.measure.label()
                )));
            }
            beside::change(conn, map, &Beside::Targets(synced), note)?;
            changed.push(map);
        }
    }
    Ok(changed)
}

/// Deletes metric definition `id`; the targets maps took from it stay, as their own.
pub fn delete_metric(conn: &Connection, id: LibraryId, note: &Note) -> Result<(), StoreError> {
    remove(conn, Shelf::Metrics, id)?;
    for map in maps_using(conn, id)? {
        let kept: Vec<Target> = targets(conn, map)?
            .into_iter()
            .map(|t| Target {
                metric: t.metric.filter(|m| *m != id),
                ..t
            })
            .collect();
        beside::change(conn, map, &Beside::Targets(kept), note)?;
    }
    Ok(())
}

/// Adds or replaces `channel`; refused when one of its labels already means another channel
/// (checked here, in the writer's transaction, so two changes at once cannot both pass).
pub fn save_channel(
    conn: &Connection,
    channel: &LibraryChannel,
    now: i64,
) -> Result<(), StoreError> {
    let mut channels: Vec<LibraryChannel> = all(conn, Shelf::Channels)?;
    channels.retain(|c| c.id != channel.id);
    channels.push(channel.clone());
    check_channels(&channels).map_err(|e| StoreError::Conflict(e.message))?;
    put(conn, Shelf::Channels, channel.id, channel, now)
}

impl Db {
    pub async fn metric_library(&self) -> Result<Vec<MetricDefinition>, StoreError> {
        self.read(|conn| all(conn, Shelf::Metrics)).await
    }

    pub async fn metric_uses(&self) -> Result<Vec<(LibraryId, MapId)>, StoreError> {
        self.read(metric_uses).await
    }

    /// Saves `metric`; each map whose targets follow records the change by `by` as `what`.
    pub async fn save_metric(
        &self,
        metric: MetricDefinition,
        by: UserId,
        what: String,
    ) -> Result<Vec<MapId>, StoreError> {
        let note = Note::now(by, what);
        self.writer()
            .write(move |conn| save_metric(conn, &metric, &note))
            .await
    }

    pub async fn delete_metric(
        &self,
        id: LibraryId,
        by: UserId,
        what: String,
    ) -> Result<(), StoreError> {
        let note = Note::now(by, what);
        self.writer()
            .write(move |conn| delete_metric(conn, id, &note))
            .await
    }

    pub async fn channel_library(&self) -> Result<Vec<LibraryChannel>, StoreError> {
        self.read(|conn| all(conn, Shelf::Channels)).await
    }

    /// What incoming channel labels are stored as: read where a batch, a file or an answer
    /// arrives, so a change to the library applies from the next one.
    pub async fn channel_names(&self) -> Result<ChannelNames, StoreError> {
        Ok(ChannelNames::new(&self.channel_library().await?))
    }

    pub async fn save_channel(&self, channel: LibraryChannel) -> Result<(), StoreError> {
        let now = crate::clock::now_millis();
        self.writer()
            .write(move |conn| save_channel(conn, &channel, now))
            .await
    }

    pub async fn delete_channel(&self, id: LibraryId) -> Result<(), StoreError> {
        self.writer()
            .write(move |conn| remove(conn, Shelf::Channels, id))
            .await
    }
}
