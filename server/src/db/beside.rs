//! The side log (`app::domain::beside`, migration 025): each change to a value kept beside a
//! map is written in the same transaction as the value, with the value before and after, so
//! the two never disagree; an undo checks, in its own transaction, that the value it would
//! replace is still the one the change wrote.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use app::domain::beside::{Beside, SideEntry, Slot, UndoError};
use app::domain::hierarchy::{check_sub_journey, LinkKind};
use app::domain::ids::{MapId, UserId};
use rusqlite::{params, Connection, OptionalExtension};

use crate::db::{backlog, links, maps, parse_id, targets, Db, StoreError};

/// The value `slot` of map `map` holds now.
pub fn current(conn: &Connection, map: MapId, slot: Slot) -> Result<Beside, StoreError> {
    Ok(match slot {
        Slot::Catalog => Beside::Catalog(maps::catalog(conn, map)?),
        Slot::Targets => Beside::Targets(targets::targets(conn, map)?),
        Slot::Triage(card) => Beside::Triage(
            card,
            backlog::triage_of(conn, map)?
                .into_iter()
                .find_map(|(c, t)| (c == card).then_some(t)),
        ),
        Slot::Parent => Beside::Parent(
            links::links(conn)?
                .into_iter()
                .find(|l| l.map == map && l.kind == LinkKind::SubJourney),
        ),
    })
}

fn put(conn: &Connection, map: MapId, value: &Beside) -> Result<(), StoreError> {
    match value {
        Beside::Catalog(catalog) => maps::set_catalog(conn, map, catalog),
        Beside::Targets(list) => targets::set_targets(conn, map, list),
        Beside::Triage(card, Some(triage)) => backlog::set_triage(conn, map, *card, triage),
        Beside::Triage(card, None) => backlog::clear_triage(conn, map, *card),
        Beside::Parent(Some(link)) => links::set_link(conn, link),
        Beside::Parent(None) => links::unlink(conn, map, LinkKind::SubJourney),
    }
}

/// Who made a change and how it reads in the map's history.
pub struct Note {
    pub by: UserId,
    pub what: String,
    pub at: i64,
}

impl Note {
    pub fn now(by: UserId, what: String) -> Note {
        Note {
            by,
            what,
            at: crate::clock::now_millis(),
        }
    }
}

/// Writes `after` (checked by the caller) and records the change; records nothing when it
/// changes nothing. Returns the other maps it shows on (`neighbours`).
pub fn change(
    conn: &Connection,
    map: MapId,
    after: &Beside,
    note: &Note,
) -> Result<Vec<MapId>, StoreError> {
    let before = current(conn, map, after.slot())?;
    if &before == after {
        return Ok(Vec::new());
    }
    put(conn, map, after)?;
    append(conn, map, note, Some((&before, after)))?;
    Ok(neighbours(&before, after))
}

/// The other maps a change from `before` to `after` shows on: the parents a sub-journey link
/// left or joined, whose editors list their sub-journeys.
fn neighbours(before: &Beside, after: &Beside) -> Vec<MapId> {
    [before, after]
        .into_iter()
        .filter_map(|value| match value {
            Beside::Parent(Some(link)) => Some(link.parent),
            _ => None,
        })
        .collect()
}

/// Records an event that changes no value kept here (a review).
pub fn record(conn: &Connection, map: MapId, note: &Note) -> Result<(), StoreError> {
    append(conn, map, note, None)
}

fn append(
    conn: &Connection,
    map: MapId,
    note: &Note,
    change: Option<(&Beside, &Beside)>,
) -> Result<(), StoreError> {
    let json = |value: &Beside| serde_json::to_string(value).map_err(StoreError::internal);
    let (before, after) = match change {
        Some((before, after)) => (Some(json(before)?), Some(json(after)?)),
        None => (None, None),
    };
    conn.execute(
        "INSERT INTO side_log (map_id, at, actor, what, before, after)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            map.to_string(),
            note.at,
            note.by.to_string(),
            note.what,
            before,
            after
        ],
    )?;
    Ok(())
}

const COLUMNS: &str = "id, at, actor, what, before, after, undone";

fn entry_from(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawEntry> {
    Ok(RawEntry {
        id: row.get(0)?,
        at: row.get(1)?,
        actor: row.get(2)?,
        what: row.get(3)?,
        before: row.get(4)?,
        after: row.get(5)?,
        undone: row.get(6)?,
    })
}

struct RawEntry {
    id: i64,
    at: i64,
    actor: Option<String>,
    what: String,
    before: Option<String>,
    after: Option<String>,
    undone: bool,
}

impl RawEntry {
    fn parse(self) -> Result<SideEntry, StoreError> {
        let value = |raw: &str| serde_json::from_str::<Beside>(raw).map_err(StoreError::internal);
        let change = match (self.before, self.after) {
            (Some(before), Some(after)) => Some((value(&before)?, value(&after)?)),
            _ => None,
        };
        Ok(SideEntry {
            id: self.id,
            at: self.at,
            // An actor that is no id (none are written) reads as nobody known.
            by: self.actor.as_deref().and_then(|a| parse_id(a).ok()),
            what: self.what,
            change,
            undone: self.undone,
        })
    }
}

/// Up to `limit` entries of map `map`'s side log, newest first, each with whether undoing it
/// would be taken now.
pub fn entries(
    conn: &Connection,
    map: MapId,
    limit: u32,
) -> Result<Vec<(SideEntry, bool)>, StoreError> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM side_log WHERE map_id = ?1 ORDER BY id DESC LIMIT ?2"
    ))?;
    let rows = statement.query_map(params![map.to_string(), limit], entry_from)?;
    let mut now: HashMap<Slot, Beside> = HashMap::new();
    let mut listed = Vec::new();
    for row in rows {
        let entry = row?.parse()?;
        let undoable = match entry.slot() {
            Some(slot) => {
                let value = match now.entry(slot) {
                    Entry::Occupied(known) => known.into_mut(),
                    Entry::Vacant(unknown) => unknown.insert(current(conn, map, slot)?),
                };
                entry.undo(value).is_ok()
            }
            None => false,
        };
        listed.push((entry, undoable));
    }
    Ok(listed)
}

/// Entry `id` of map `map`'s side log.
pub fn entry(conn: &Connection, map: MapId, id: i64) -> Result<SideEntry, StoreError> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM side_log WHERE id = ?1 AND map_id = ?2"),
        params![id, map.to_string()],
        entry_from,
    )
    .optional()?
    .ok_or(StoreError::NotFound)?
    .parse()
}

/// Undoes entry `id` of map `map`'s side log: puts its value before back, marks it undone and
/// records the undo as a change of its own. Refused (a conflict saying why) when the value has
/// changed since, or when the sub-journey link it would restore is no longer possible. Returns
/// the other maps the change shows on (`neighbours`).
pub fn undo(
    conn: &Connection,
    map: MapId,
    id: i64,
    by: UserId,
    at: i64,
) -> Result<Vec<MapId>, StoreError> {
    let entry = entry(conn, map, id)?;
    let conflict = |e: &dyn std::fmt::Display| StoreError::Conflict(e.to_string());
    let slot = entry
        .slot()
        .ok_or_else(|| conflict(&UndoError::RecordOnly))?;
    let now = current(conn, map, slot)?;
    let mut before = entry.undo(&now).map_err(|e| conflict(&e))?;
    // An owner whose account is gone is left out, as deleting the account left it out of the
    // triage it owned then.
    if let Beside::Triage(_, Some(triage)) = &mut before {
        if let Some(owner) = triage.owner {
            let exists: bool = conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM users WHERE id = ?1)",
                [owner.to_string()],
                |r| r.get(0),
            )?;
            if !exists {
                triage.owner = None;
            }
        }
    }
    if let Beside::Parent(Some(link)) = &before {
        let parent_exists: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM maps WHERE id = ?1)",
            [link.parent.to_string()],
            |r| r.get(0),
        )?;
        if !parent_exists {
            return Err(conflict(
                &"the map it was a sub-journey of has been deleted",
            ));
        }
        check_sub_journey(&links::links(conn)?, map, link.parent).map_err(|e| conflict(&e))?;
    }
    put(conn, map, &before)?;
    conn.execute("UPDATE side_log SET undone = 1 WHERE id = ?1", [id])?;
    let note = Note {
        by,
        what: entry.undo_what(),
        at,
    };
    append(conn, map, &note, Some((&now, &before)))?;
    Ok(neighbours(&now, &before))
}

impl Db {
    /// Writes `after` beside map `map` and records the change by `by` as `what`; returns the
    /// other maps it shows on.
    pub async fn change_beside(
        &self,
        map: MapId,
        after: Beside,
        by: UserId,
        what: String,
    ) -> Result<Vec<MapId>, StoreError> {
        let note = Note::now(by, what);
        self.writer()
            .write(move |conn| change(conn, map, &after, &note))
            .await
    }

    pub async fn side_log(
        &self,
        map: MapId,
        limit: u32,
    ) -> Result<Vec<(SideEntry, bool)>, StoreError> {
        self.read(move |conn| entries(conn, map, limit)).await
    }

    pub async fn side_entry(&self, map: MapId, id: i64) -> Result<SideEntry, StoreError> {
        self.read(move |conn| entry(conn, map, id)).await
    }

    /// Undoes entry `id` of map `map`'s side log, as `by`; returns the other maps it shows on.
    pub async fn undo_beside(
        &self,
        map: MapId,
        id: i64,
        by: UserId,
    ) -> Result<Vec<MapId>, StoreError> {
        let at = crate::clock::now_millis();
        self.writer()
            .write(move |conn| undo(conn, map, id, by, at))
            .await
    }
}
