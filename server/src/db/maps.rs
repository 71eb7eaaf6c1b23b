//! Maps and their operation logs.

use app::api::maps::MapSummary;
use app::domain::access::Role;
use app::domain::catalog::{parse_tags, Catalog, Status};
use app::domain::edit::{apply, Edit, Op};
use app::domain::ids::{MapId, OpId, Rev, UserId};
use app::domain::map::JourneyMap;
use app::domain::review::Review;
use app::domain::sync::Logged;
use rusqlite::{params, Connection, OptionalExtension};

use crate::db::{parse_id, rev_column, rev_param, Db, StoreError};

/// A map as loaded from storage: its current state and what the room needs to continue its log.
pub struct StoredMap {
    pub map: JourneyMap,
    pub rev: Rev,
    /// The revision of the stored snapshot; the log after it is replayed on load.
    pub snapshot_rev: Rev,
    /// The size of that snapshot in bytes.
    pub snapshot_bytes: u64,
    /// Every operation id in the log, so a resent operation is recognised.
    pub op_ids: Vec<(OpId, Rev)>,
}

/// The columns of `maps` that mirror the map's state after a write.
pub struct MapRecord {
    pub id: MapId,
    pub title: String,
    pub stage_count: u32,
    pub updated_at: i64,
    pub rev: Rev,
}

impl MapRecord {
    pub fn of(map: &JourneyMap, rev: Rev) -> MapRecord {
        MapRecord {
            id: map.id,
            title: map.title.to_string(),
            stage_count: u32::try_from(map.stages().len()).unwrap_or(u32::MAX),
            updated_at: map.updated_at,
            rev,
        }
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(StoreError::internal)
}

/// Inserts a new map at revision 0, owned by `owner` when given.
pub fn insert_map(
    conn: &Connection,
    map: &JourneyMap,
    owner: Option<UserId>,
) -> Result<(), StoreError> {
    let record = MapRecord::of(map, Rev(0));
    conn.execute(
        "INSERT INTO maps (id, title, stage_count, rev, created_at, updated_at)
         VALUES (?1, ?2, ?3, 0, ?4, ?5)",
        params![
            record.id.to_string(),
            record.title,
            record.stage_count,
            map.created_at,
            map.updated_at,
        ],
    )?;
    conn.execute(
        "INSERT INTO snapshots (map_id, rev, map) VALUES (?1, 0, ?2)",
        params![record.id.to_string(), to_json(map)?],
    )?;
    if let Some(owner) = owner {
        crate::db::accounts::set_member(conn, map.id, owner, Some(Role::Owner))?;
    }
    Ok(())
}

/// An applied operation as the log keeps it: who made it, and when.
pub struct LogEntry<'a> {
    pub logged: &'a Logged,
    pub author: &'a str,
    /// The signed-in account behind `author`, if any.
    pub author_id: Option<&'a str>,
    pub at: i64,
}

/// Appends applied operations to a map's log and updates its listing columns to `record`.
pub fn append_ops<'a>(
    conn: &Connection,
    record: &MapRecord,
    log: impl IntoIterator<Item = LogEntry<'a>>,
) -> Result<(), StoreError> {
    let id = record.id.to_string();
    let mut insert = conn.prepare_cached(
        "INSERT INTO ops (map_id, rev, op_id, edit, created_at, author, author_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for entry in log {
        insert.execute(params![
            id,
            rev_param(entry.logged.rev),
            entry.logged.op.id.to_string(),
            to_json(&entry.logged.op.edit)?,
            entry.at,
            entry.author,
            entry.author_id
        ])?;
    }
    let changed = conn
        .prepare_cached(
            "UPDATE maps SET title = ?2, stage_count = ?3, rev = ?4, updated_at = ?5 WHERE id = ?1",
        )?
        .execute(params![
            id,
            record.title,
            record.stage_count,
            rev_param(record.rev),
            record.updated_at
        ])?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Stores `json`, the map as of `rev`, as a history snapshot, then thins out the older ones
/// (see `snapshots_to_drop`; `interval` is the map's snapshot interval now).
pub fn store_snapshot(
    conn: &Connection,
    id: MapId,
    rev: Rev,
    json: &str,
    interval: u64,
) -> Result<(), StoreError> {
    let id = id.to_string();
    // A map deleted meanwhile has nothing to snapshot (and the foreign key would refuse it).
    conn.execute(
        "INSERT OR IGNORE INTO snapshots (map_id, rev, map)
         SELECT id, ?2, ?3 FROM maps WHERE id = ?1",
        params![id, rev_param(rev), json],
    )?;
    let revs: Vec<u64> = conn
        .prepare_cached("SELECT rev FROM snapshots WHERE map_id = ?1 ORDER BY rev")?
        .query_map([&id], |row| row.get::<_, i64>(0))?
        .map(|rev| rev.map(|rev| rev_column(rev).0))
        .collect::<Result<_, _>>()?;
    let mut drop = conn.prepare_cached("DELETE FROM snapshots WHERE map_id = ?1 AND rev = ?2")?;
    for rev in snapshots_to_drop(&revs, interval) {
        drop.execute(params![id, rev_param(Rev(rev))])?;
    }
    Ok(())
}

/// Which of the snapshots at `revs` (ascending) to drop so that they thin out exponentially
/// back in time. Revisions fall in buckets `interval` wide near the present, twice as wide past
/// `PER_LEVEL` buckets of age, four times past twice that, and so on; each bucket keeps its
/// oldest snapshot (and the newest stays). A wider bucket is two narrower ones, and its oldest
/// is the older one's oldest: so what a snapshot must be to stay only gets stricter as it ages,
/// and no age is ever left without one. A map with N edits keeps about
/// `PER_LEVEL · log2(N / interval)` snapshots, and rebuilding a revision replays at most about
/// as many edits as lie between it and the present.
pub fn snapshots_to_drop(revs: &[u64], interval: u64) -> Vec<u64> {
    const PER_LEVEL: u64 = 2;
    let Some(&newest) = revs.last() else {
        return Vec::new();
    };
    let interval = interval.max(1);
    let bucket = |rev: u64| {
        let age = (newest - rev) / interval;
        let level = (age / PER_LEVEL)
            .checked_ilog2()
            .map_or(0, |level| level + 1);
        (level, (rev / interval) >> level)
    };
    let mut seen = std::collections::HashSet::new();
    revs.iter()
        .copied()
        .filter(|&rev| rev != newest && !seen.insert(bucket(rev)))
        .collect()
}

/// The maps `user` may see (every map with `None`), most recently edited first.
pub fn list_maps(
    conn: &Connection,
    user: Option<UserId>,
    now: i64,
) -> Result<Vec<MapSummary>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, title, stage_count, updated_at, created_at, review_days, reviewed_at, reviewed_by, status, tags,
           (SELECT json_group_array(u.name) FROM map_members mm JOIN users u ON u.id = mm.user_id
            WHERE mm.map_id = maps.id AND mm.role = 'owner')
         FROM maps
         WHERE ?1 IS NULL OR id IN (SELECT map_id FROM map_members WHERE user_id = ?1)
         ORDER BY updated_at DESC, id",
    )?;
    let rows = stmt.query_map([user.map(|u| u.to_string())], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, u32>(2)?,
            row.get::<_, i64>(3)?,
            row.get::<_, i64>(4)?,
            row.get::<_, Option<u16>>(5)?,
            row.get::<_, Option<i64>>(6)?,
            row.get::<_, Option<String>>(7)?,
            row.get::<_, String>(8)?,
            row.get::<_, String>(9)?,
            row.get::<_, String>(10)?,
        ))
    })?;
    let mut maps = Vec::new();
    for row in rows {
        let (
            id,
            title,
            stage_count,
            updated_at,
            created_at,
            days,
            reviewed_at,
            reviewed_by,
            status,
            tags,
            owners,
        ) = row?;
        let mut owners: Vec<String> = serde_json::from_str(&owners).unwrap_or_default();
        owners.sort();
        let review = days.map(|days| {
            let last = reviewed_at.map(|at| (at, reviewed_by.unwrap_or_default()));
            Review::new(days, created_at, last)
        });
        maps.push(MapSummary {
            id: parse_id(&id)?,
            title,
            stage_count,
            updated_at,
            review_due: review.as_ref().is_some_and(|r| r.is_due(now)),
            review,
            owners,
            catalog: catalog_from(&status, &tags),
        });
    }
    Ok(maps)
}

/// A map's catalog as stored (a status key and a JSON array of tags); anything unreadable reads
/// as the default rather than hiding the map.
fn catalog_from(status: &str, tags: &str) -> Catalog {
    let tags: Vec<String> = serde_json::from_str(tags).unwrap_or_default();
    Catalog {
        status: Status::from_key(status).unwrap_or_default(),
        tags: parse_tags(&tags.join(",")).unwrap_or_default(),
    }
}

/// Map `id`'s status and tags.
pub fn catalog(conn: &Connection, id: MapId) -> Result<Catalog, StoreError> {
    let (status, tags): (String, String) = conn
        .query_row(
            "SELECT status, tags FROM maps WHERE id = ?1",
            [id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or(StoreError::NotFound)?;
    Ok(catalog_from(&status, &tags))
}

/// Sets map `id`'s status and tags (checked by the caller).
pub fn set_catalog(conn: &Connection, id: MapId, catalog: &Catalog) -> Result<(), StoreError> {
    let tags: Vec<&str> = catalog.tags.iter().map(|t| t.as_str()).collect();
    let changed = conn.execute(
        "UPDATE maps SET status = ?2, tags = ?3 WHERE id = ?1",
        params![id.to_string(), catalog.status.key(), to_json(&tags)?],
    )?;
    found(changed)
}

/// Sets the days between reviews of map `id` (`None`: no reviews). A new interval counts from
/// the last review, so it may be due at once; its reminder goes again.
pub fn set_review_interval(
    conn: &Connection,
    id: MapId,
    days: Option<u16>,
) -> Result<(), StoreError> {
    let changed = conn.execute(
        "UPDATE maps SET review_days = ?2, review_reminded_at = NULL WHERE id = ?1",
        params![id.to_string(), days],
    )?;
    found(changed)
}

/// Records that `by` (their name) reviewed map `id` at `at`.
pub fn mark_reviewed(conn: &Connection, id: MapId, by: &str, at: i64) -> Result<(), StoreError> {
    let changed = conn.execute(
        "UPDATE maps SET reviewed_at = ?2, reviewed_by = ?3, review_reminded_at = NULL
         WHERE id = ?1",
        params![id.to_string(), at, by],
    )?;
    found(changed)
}

fn found(changed: usize) -> Result<(), StoreError> {
    if changed == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

pub fn delete_map(conn: &Connection, id: MapId) -> Result<(), StoreError> {
    found(conn.execute("DELETE FROM maps WHERE id = ?1", [id.to_string()])?)
}

/// Loads a map: its latest snapshot, with the log after it replayed on top.
pub fn load_map(conn: &Connection, id: MapId) -> Result<StoredMap, StoreError> {
    let (rev, updated_at): (i64, i64) = conn
        .query_row(
            "SELECT rev, updated_at FROM maps WHERE id = ?1",
            [id.to_string()],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?
        .ok_or(StoreError::NotFound)?;
    let rev = rev_column(rev);
    let Rebuilt {
        mut map,
        snapshot_rev,
        snapshot_bytes,
    } = rebuild(conn, id, rev)?;
    // The log records what changed, not when; the last-edited time lives on the map's row.
    map.updated_at = updated_at;
    let mut stmt = conn.prepare_cached("SELECT op_id, rev FROM ops WHERE map_id = ?1")?;
    let op_ids = stmt
        .query_map([id.to_string()], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
        })?
        .map(|row| {
            let (op, rev) = row?;
            Ok((parse_id(&op)?, rev_column(rev)))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(StoredMap {
        map,
        rev,
        snapshot_rev,
        snapshot_bytes,
        op_ids,
    })
}

/// A map rebuilt as of some revision, and the snapshot it was rebuilt from.
pub struct Rebuilt {
    pub map: JourneyMap,
    pub snapshot_rev: Rev,
    pub snapshot_bytes: u64,
}

/// The map as it was at revision `rev`: the nearest snapshot at or before it, replayed forward.
pub fn rebuild(conn: &Connection, id: MapId, rev: Rev) -> Result<Rebuilt, StoreError> {
    let (json, snapshot_rev): (String, i64) = conn
        .query_row(
            "SELECT map, rev FROM snapshots WHERE map_id = ?1 AND rev <= ?2
             ORDER BY rev DESC LIMIT 1",
            params![id.to_string(), rev_param(rev)],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?
        .ok_or(StoreError::NotFound)?;
    let mut map: JourneyMap = serde_json::from_str(&json).map_err(StoreError::internal)?;
    map.normalize();
    let snapshot_rev = rev_column(snapshot_rev);
    for logged in log_between(conn, id, snapshot_rev, rev)? {
        apply(&mut map, &logged.op.edit).map_err(|err| {
            StoreError::internal(format!(
                "map {id}: logged revision {} fails: {err}",
                logged.rev
            ))
        })?;
    }
    Ok(Rebuilt {
        map,
        snapshot_rev,
        snapshot_bytes: json.len() as u64,
    })
}

/// The operations of a map's log after `since`, in order.
pub fn log_since(conn: &Connection, id: MapId, since: Rev) -> Result<Vec<Logged>, StoreError> {
    log_between(conn, id, since, Rev(u64::MAX >> 1))
}

/// The operations after `since` up to and including `until`, in order.
fn log_between(
    conn: &Connection,
    id: MapId,
    since: Rev,
    until: Rev,
) -> Result<Vec<Logged>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT rev, op_id, edit FROM ops WHERE map_id = ?1 AND rev > ?2 AND rev <= ?3
         ORDER BY rev",
    )?;
    let rows = stmt.query_map(
        params![id.to_string(), rev_param(since), rev_param(until)],
        |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
            ))
        },
    )?;
    let mut log = Vec::new();
    for row in rows {
        let (rev, op_id, edit) = row?;
        let edit: Edit = serde_json::from_str(&edit).map_err(StoreError::internal)?;
        log.push(Logged {
            rev: rev_column(rev),
            op: Op {
                id: parse_id(&op_id)?,
                edit,
            },
        });
    }
    Ok(log)
}

impl Db {
    /// The maps `user` may see (every map with `None`).
    pub async fn list_maps(&self, user: Option<UserId>) -> Result<Vec<MapSummary>, StoreError> {
        let now = crate::clock::now_millis();
        self.read(move |conn| list_maps(conn, user, now)).await
    }

    pub async fn load_map(&self, id: MapId) -> Result<StoredMap, StoreError> {
        self.read(move |conn| load_map(conn, id)).await
    }

    pub async fn log_since(&self, id: MapId, since: Rev) -> Result<Vec<Logged>, StoreError> {
        self.read(move |conn| log_since(conn, id, since)).await
    }

    pub async fn insert_map(
        &self,
        map: JourneyMap,
        owner: Option<UserId>,
    ) -> Result<(), StoreError> {
        self.writer()
            .write(move |conn| insert_map(conn, &map, owner))
            .await
    }

    pub async fn catalog(&self, id: MapId) -> Result<Catalog, StoreError> {
        self.read(move |conn| catalog(conn, id)).await
    }

    pub async fn set_catalog(&self, id: MapId, catalog: Catalog) -> Result<(), StoreError> {
        self.writer()
            .write(move |conn| set_catalog(conn, id, &catalog))
            .await
    }

    pub async fn set_review_interval(
        &self,
        id: MapId,
        days: Option<u16>,
    ) -> Result<(), StoreError> {
        self.writer()
            .write(move |conn| set_review_interval(conn, id, days))
            .await
    }

    /// Records that user `by` (called `name`) reviewed map `id` now, in its side log too.
    pub async fn mark_reviewed(
        &self,
        id: MapId,
        by: UserId,
        name: String,
    ) -> Result<(), StoreError> {
        let at = crate::clock::now_millis();
        self.writer()
            .write(move |conn| {
                mark_reviewed(conn, id, &name, at)?;
                let note = crate::db::beside::Note {
                    by,
                    what: "Reviewed".into(),
                    at,
                };
                crate::db::beside::record(conn, id, &note)
            })
            .await
    }

    pub async fn map_at(&self, id: MapId, rev: Rev) -> Result<JourneyMap, StoreError> {
        self.read(move |conn| rebuild(conn, id, rev).map(|rebuilt| rebuilt.map))
            .await
    }

    /// Stores a history snapshot (see `store_snapshot`), in the bulk lane: a big map's snapshot
    /// is not worth making anyone's edit wait.
    pub async fn store_snapshot(
        &self,
        id: MapId,
        rev: Rev,
        json: String,
        interval: u64,
    ) -> Result<(), StoreError> {
        self.writer()
            .enqueue_bulk(move |conn| store_snapshot(conn, id, rev, &json, interval))
            .await?
            .committed()
            .await
    }

    /// Deletes a map. Its responses, tallies and customers' paths (a million, say) go first, in bounded chunks
    /// on the writer's bulk lane, so live writes keep flowing meanwhile; then the map itself,
    /// in one small job, so for its users it disappears at once. Meanwhile the map's room is
    /// locked by the caller (`Rooms::delete`): nobody edits it, and its summaries only shrink.
    pub async fn delete_map(&self, id: MapId) -> Result<(), StoreError> {
        self.journey_pending().discard(id);
        self.feedback_waiting().discard(id);
        while self
            .writer()
            .enqueue_bulk(move |conn| {
                let feedback = crate::db::feedback::delete_some(conn, id)?;
                Ok(crate::db::journey::delete_some(conn, id)? || feedback)
            })
            .await?
            .committed()
            .await?
        {}
        self.writer().write(move |conn| delete_map(conn, id)).await
    }
}

#[cfg(test)]
mod tests {
    use super::snapshots_to_drop;

    /// Snapshots taken every `interval` edits for `edits` edits, thinned after each one.
    fn kept(edits: u64, interval: u64) -> Vec<u64> {
        let mut revs = Vec::new();
        for rev in (interval..=edits).step_by(interval as usize) {
            revs.push(rev);
            let dropped = snapshots_to_drop(&revs, interval);
            revs.retain(|rev| !dropped.contains(rev));
        }
        revs
    }

    #[test]
    fn snapshots_thin_out_exponentially_back_in_time() {
        let interval = 256;
        for edits in [256, 1_000, 10_000, 100_000, 1_000_000] {
            let revs = kept(edits, interval);
            let newest = *revs.last().unwrap();
            // The oldest and the newest stay...
            assert_eq!(revs[0], interval);
            assert!(edits - newest < interval);
            // ...and there are a few for each doubling of age, not one per interval.
            let doublings = u64::from((edits / interval).max(1).ilog2());
            assert!(
                revs.len() as u64 <= 2 * doublings + 4,
                "{edits} edits keep {revs:?}"
            );
            // Any revision is rebuilt from a snapshot no farther back than about its age.
            for rev in (interval..=edits).step_by(97) {
                let from = revs.iter().rev().find(|&&kept| kept <= rev).unwrap();
                let age = newest.saturating_sub(rev);
                assert!(
                    rev - from <= 2 * age + 2 * interval,
                    "{edits} edits: rev {rev} replays from {from} ({revs:?})"
                );
            }
        }
    }

    #[test]
    fn nothing_to_thin_out_in_none_or_one_or_two() {
        assert!(snapshots_to_drop(&[], 256).is_empty());
        assert!(snapshots_to_drop(&[256], 256).is_empty());
        assert!(snapshots_to_drop(&[256, 512], 256).is_empty());
    }
}
