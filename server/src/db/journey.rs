//! The SQL of journey analytics: each customer's path as one row, and the counts the paths add
//! up to (see `app::domain::journey` for what is counted, and migration 013 for the tables).
//!
//! Events are stored by customer: the customer's path is read, the new steps merged in, and
//! the counts changed by the difference of what the path contributes before and after. The
//! differences of a whole batch are summed first, so a count many customers touch (today's
//! reach of a stage, say) is written once per batch.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rustc_hash::FxHashMap;

use app::api::feedback::Filter;
use app::domain::ids::MapId;
use app::domain::journey::{contributions, difference, Cohort, Counts, Measure, Path, Step};
use rusqlite::{params, Connection, OptionalExtension, ToSql};

use crate::db::feedback::filter_sql;
use crate::db::{first_column, StoreError};

/// Rows deleted per writer job when a map goes (see `delete_some`).
const DELETE_CHUNK: i64 = 5_000;

/// The `kind` of an outcome's count, whose `b` is a label.
const OUTCOME: u8 = 6;

/// The grains a count is kept at (the `grain` column).
const ALL_TIME: u8 = 0;
const BY_DAY: u8 = 1;
const BY_LABEL: u8 = 2;
const BY_LABEL_AND_DAY: u8 = 3;

/// The changes a job makes to counts, summed per count row before any is written: a batch
/// touches a popular count (today's reach of a stage, say) hundreds of times and writes it once.
/// Keys are integers (ids as numbers, labels interned), which the summing compares millions of
/// times; texts are looked up only to write the distinct rows.
///
/// The maps hash with `FxHash`: the keys are the server's own, not a visitor's, and the
/// default hasher (SipHash, proof against chosen keys) took a tenth of the writer's time.
#[derive(Clone, Default)]
pub struct Changes {
    labels: Vec<String>,
    label_ids: FxHashMap<String, u32>,
    sums: FxHashMap<Key, i64>,
    /// The keys of `sums` in the table's order, when known (a part of `into_parts`); emptied
    /// by any change.
    ordered: Vec<Key>,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    grain: u8,
    channel: u32,
    segment: u32,
    day: i64,
    kind: u8,
    a: u128,
    /// An id, or for an outcome its label's number.
    b: u128,
    bucket: u16,
}

/// A count's row as written: its key after `map_id`, and the change.
struct Row<'a> {
    grain: i64,
    channel: &'a str,
    segment: &'a str,
    day: i64,
    kind: i64,
    a: Vec<u8>,
    b: Vec<u8>,
    bucket: i64,
    delta: i64,
}

impl Changes {
    /// How many count rows change.
    pub fn len(&self) -> usize {
        self.sums.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sums.is_empty()
    }

    /// Adds `other`'s changes to these.
    pub fn merge(&mut self, other: Changes) {
        let ids: Vec<u32> = other.labels.iter().map(|text| self.label(text)).collect();
        self.ordered.clear();
        for (mut key, delta) in other.sums {
            key.channel = ids[key.channel as usize];
            key.segment = ids[key.segment as usize];
            if key.kind == OUTCOME {
                key.b = u128::from(ids[key.b as usize]);
            }
            *self.sums.entry(key).or_default() += delta;
        }
    }

    /// The changes in parts of at most `max` rows each, in the table's key order: written one
    /// after the other, each part's rows share the pages they touch (taken at random, each row
    /// of a part dirtied a page of its own, and the commits wrote megabytes).
    pub fn into_parts(self, max: usize) -> Vec<Changes> {
        let keys = self.sorted_keys();
        keys.chunks(max.max(1))
            .map(|part| Changes {
                labels: self.labels.clone(),
                label_ids: self.label_ids.clone(),
                sums: part.iter().map(|k| (*k, self.sums[k])).collect(),
                ordered: part.to_vec(),
            })
            .collect()
    }

    fn label(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.label_ids.get(text) {
            return id;
        }
        let id = self.labels.len() as u32;
        self.labels.push(text.to_owned());
        self.label_ids.insert(text.to_owned(), id);
        id
    }

    /// Adds `delta` to the measure's count at each of the four grains.
    fn add(&mut self, measure: &Measure, cohort: &Cohort, delta: i64) {
        self.ordered.clear();
        let none = self.label("");
        let (channel, segment) = (self.label(&cohort.channel), self.label(&cohort.segment));
        let id = |uuid: uuid::Uuid| uuid.as_u128();
        let (kind, a, b, bucket) = match measure {
            Measure::Customer => (0, 0, 0, 0),
            Measure::Reach { stage } => (1, id(stage.as_uuid()), 0, 0),
            Measure::Converted { from, to } => (2, id(from.as_uuid()), id(to.as_uuid()), 0),
            Measure::Gap { from, to, bucket } => (3, id(from.as_uuid()), id(to.as_uuid()), *bucket),
            Measure::Touch { card } => (4, id(card.as_uuid()), 0, 0),
            Measure::Next { from, to } => (5, id(from.as_uuid()), id(to.as_uuid()), 0),
            Measure::Outcome { stage, outcome } => {
                let outcome = u128::from(self.label(outcome));
                (OUTCOME, id(stage.as_uuid()), outcome, 0)
            }
        };
        for (grain, channel, segment, day) in [
            (ALL_TIME, none, none, 0),
            (BY_DAY, none, none, cohort.day),
            (BY_LABEL, channel, segment, 0),
            (BY_LABEL_AND_DAY, channel, segment, cohort.day),
        ] {
            let key = Key {
                grain,
                channel,
                segment,
                day,
                kind,
                a,
                b,
                bucket,
            };
            *self.sums.entry(key).or_default() += delta;
        }
    }

    /// The changed keys in the table's key order: numbers as SQLite orders their blobs
    /// (big-endian), labels by their text.
    fn sorted_keys(&self) -> Vec<Key> {
        if self.ordered.len() == self.sums.len() {
            return self.ordered.clone();
        }
        // Each label's place in text order, so that keys sort as integers (comparing the
        // texts themselves was most of the sorting's time).
        let mut by_text: Vec<usize> = (0..self.labels.len()).collect();
        by_text.sort_unstable_by(|x, y| self.labels[*x].cmp(&self.labels[*y]));
        let mut rank = vec![0u32; self.labels.len()];
        for (place, id) in by_text.into_iter().enumerate() {
            rank[id] = place as u32;
        }
        let rank = |id: u32| rank[id as usize];
        let order = |k: &Key| {
            // An outcome's `b` is its label; only outcomes are compared with outcomes there.
            let b = if k.kind == OUTCOME {
                u128::from(rank(k.b as u32))
            } else {
                k.b
            };
            let (grain, channel, segment) = (k.grain, rank(k.channel), rank(k.segment));
            (grain, channel, segment, k.day, k.kind, k.a, b, k.bucket)
        };
        let mut keys: Vec<Key> = self.sums.keys().copied().collect();
        keys.sort_unstable_by_key(order);
        keys
    }

    /// The changed rows in the table's key order, so that neighbours share the pages they
    /// touch.
    fn rows(&self) -> Vec<Row<'_>> {
        self.sorted_keys()
            .into_iter()
            .filter_map(|key| {
                let delta = self.sums[&key];
                let id = |n: u128| n.to_be_bytes().to_vec();
                let (a, b) = match key.kind {
                    0 => (Vec::new(), Vec::new()),
                    1 | 4 => (id(key.a), Vec::new()),
                    OUTCOME => (id(key.a), self.labels[key.b as usize].as_bytes().to_vec()),
                    _ => (id(key.a), id(key.b)),
                };
                (delta != 0).then(|| Row {
                    grain: i64::from(key.grain),
                    channel: &self.labels[key.channel as usize],
                    segment: &self.labels[key.segment as usize],
                    day: key.day,
                    kind: i64::from(key.kind),
                    a,
                    b,
                    bucket: i64::from(key.bucket),
                    delta,
                })
            })
            .collect()
    }
}

/// The changes to counts that are committed with their events (or deletions) but not yet
/// written to `journey_counts`, by map. Writing a batch's changes with it cost a count row per
/// cohort day, label and measure the batch touched (most of the writer's time); summed here
/// over a second or so, a live feed's changes collapse onto the same rows, and are written
/// in bounded chunks on the bulk lane (`journey::flush`). Whoever reads counts flushes the map
/// first, so reads are exact. The changes die with the process: `mark_unflushed` leaves the
/// mark that makes the next start recount.
#[derive(Default)]
pub struct Pending {
    maps: std::sync::Mutex<HashMap<MapId, Changes>>,
    /// Held while flushing: one who flushed knows that no chunk is still on its way.
    pub turn: tokio::sync::Mutex<()>,
    /// Whether a flush is due soon (see `journey::schedule_flush`).
    pub scheduled: std::sync::atomic::AtomicBool,
}

impl Pending {
    fn maps(&self) -> std::sync::MutexGuard<'_, HashMap<MapId, Changes>> {
        self.maps
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn add(&self, map: MapId, changes: Changes) {
        if changes.is_empty() {
            return;
        }
        let mut maps = self.maps();
        match maps.get_mut(&map) {
            Some(waiting) => waiting.merge(changes),
            None => {
                maps.insert(map, changes);
            }
        }
    }

    /// All of `map`'s changes, taken out to be written.
    pub fn take(&self, map: MapId) -> Option<Changes> {
        self.maps().remove(&map).filter(|c| !c.is_empty())
    }

    /// The maps with changes waiting.
    pub fn waiting(&self) -> Vec<MapId> {
        self.maps().keys().copied().collect()
    }

    /// How many count rows are waiting to change, over every map.
    pub fn size(&self) -> usize {
        self.maps().values().map(Changes::len).sum()
    }

    /// Drops a deleted map's changes.
    pub fn discard(&self, map: MapId) {
        self.maps().remove(&map);
    }
}

/// Stores `events` of `map` (each with its customer's pseudonym); returns how many were new
/// (an event a customer's path already holds is not counted twice) and the changes they make
/// to the counts, for `Pending` once this is committed. The caller runs this in one
/// transaction, and answers once it commits: so a step an unfinished batch also carried now
/// stays, whatever becomes of that batch (`pin`).
pub fn store_events(
    conn: &Connection,
    map: MapId,
    events: Vec<(i64, Step)>,
) -> Result<(usize, Changes), StoreError> {
    let map_id = map.to_string();
    let batches: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM journey_batches WHERE map_id = ?1)")?
        .query_row([&map_id], |row| row.get(0))?;
    merge_events(conn, &map_id, events, |customer, _added, held| {
        if batches {
            for step in held {
                pin(conn, &map_id, customer, &step_key(step))?;
            }
        }
        Ok(())
    })
}

/// Opens a batch: a file of `map`'s events stored in several slices (`store_slice`), undone
/// whole (`undo_some`) unless finished (`finish_batch`).
pub fn begin_batch(conn: &Connection, map: MapId, now: i64) -> Result<i64, StoreError> {
    conn.execute(
        "INSERT INTO journey_batches (map_id, started_at) VALUES (?1, ?2)",
        params![map.to_string(), now],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Stores one slice of `batch`, as `store_events` does, noting each step it puts into a path
/// so that undoing the batch can take exactly those out again. A step the path already held
/// is noted too when some unfinished batch carried it (it is there only as long as one of
/// them may finish); one held for good is not, so an undo never removes it.
pub fn store_slice(
    conn: &Connection,
    map: MapId,
    batch: i64,
    events: Vec<(i64, Step)>,
) -> Result<(usize, Changes), StoreError> {
    let map_id = map.to_string();
    let mut note = conn.prepare_cached(
        "INSERT OR IGNORE INTO journey_batch_steps (batch, customer, step) VALUES (?1, ?2, ?3)",
    )?;
    merge_events(conn, &map_id, events, |customer, added, held| {
        for step in added {
            note.execute(params![batch, customer, step_key(step)])?;
        }
        for step in held {
            let key = step_key(step);
            if noted(conn, &map_id, customer, &key, None)? {
                note.execute(params![batch, customer, key])?;
            }
        }
        Ok(())
    })
}

/// The batch is complete and may be acknowledged: its steps stay. Its notes are cleared
/// afterwards, in bounded jobs (`clear_finished`).
pub fn finish_batch(conn: &Connection, batch: i64) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE journey_batches SET finished = 1 WHERE id = ?1")?
        .execute([batch])?;
    Ok(())
}

/// Notes of a batch handled per writer job when clearing or undoing it.
const BATCH_CHUNK: i64 = 2_000;

/// Up to `BATCH_CHUNK` of a batch's notes, in key order.
fn batch_notes(conn: &Connection, batch: i64) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT customer, step FROM journey_batch_steps WHERE batch = ?1
         ORDER BY customer, step LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![batch, BATCH_CHUNK], |row| {
        Ok((row.get(0)?, row.get(1)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The map of `batch`, or `None` once it is gone.
fn batch_map(conn: &Connection, batch: i64) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT map_id FROM journey_batches WHERE id = ?1")?
        .query_row([batch], |row| row.get(0))
        .optional()?)
}

/// Clears up to `BATCH_CHUNK` notes of a finished `batch`: each of its steps is now held for
/// good, so other batches' notes of it go too (their undoing must not remove it). `None`
/// once nothing is left, the batch row gone with the last chunk.
pub fn clear_finished(conn: &Connection, batch: i64) -> Result<Option<()>, StoreError> {
    let Some(map_id) = batch_map(conn, batch)? else {
        return Ok(None);
    };
    let notes = batch_notes(conn, batch)?;
    let Some((last_customer, last_step)) = notes.last() else {
        conn.execute("DELETE FROM journey_batches WHERE id = ?1", [batch])?;
        return Ok(None);
    };
    let others: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM journey_batches WHERE map_id = ?1 AND id != ?2)",
        )?
        .query_row(params![map_id, batch], |row| row.get(0))?;
    if others {
        for (customer, step) in &notes {
            pin(conn, &map_id, *customer, step)?;
        }
    }
    conn.prepare_cached(
        "DELETE FROM journey_batch_steps WHERE batch = ?1 AND (customer, step) <= (?2, ?3)",
    )?
    .execute(params![batch, last_customer, last_step])?;
    Ok(Some(()))
}

/// Takes up to `BATCH_CHUNK` of an unfinished `batch`'s steps out of their paths again, and
/// returns the changes that takes out of the counts (for `Pending`, once committed); a step
/// another unfinished batch also carried stays for that one to settle. `None` once nothing is
/// left, the batch row gone with the last chunk. A step that expired meanwhile, or whose
/// customer was forgotten, is simply no longer there.
pub fn undo_some(conn: &Connection, batch: i64) -> Result<Option<Changes>, StoreError> {
    let Some(map_id) = batch_map(conn, batch)? else {
        return Ok(None);
    };
    let notes = batch_notes(conn, batch)?;
    if notes.is_empty() {
        conn.execute("DELETE FROM journey_batches WHERE id = ?1", [batch])?;
        return Ok(None);
    }
    let mut forget_note = conn.prepare_cached(
        "DELETE FROM journey_batch_steps WHERE batch = ?1 AND customer = ?2 AND step = ?3",
    )?;
    let mut by_customer: BTreeMap<i64, Vec<Step>> = BTreeMap::new();
    for (customer, key) in notes {
        forget_note.execute(params![batch, customer, key])?;
        if !noted(conn, &map_id, customer, &key, Some(batch))? {
            by_customer
                .entry(customer)
                .or_default()
                .push(step_of_key(&key)?);
        }
    }
    let mut changes = Changes::default();
    for (customer, steps) in by_customer {
        let Some(before) = read_path(conn, &map_id, customer)? else {
            continue;
        };
        let after = without(&before, steps);
        if after == before {
            continue;
        }
        if after.steps.is_empty() {
            conn.prepare_cached("DELETE FROM journey_paths WHERE map_id = ?1 AND customer = ?2")?
                .execute(params![map_id, customer])?;
        } else {
            write_path(conn, &map_id, customer, &after)?;
        }
        for ((measure, cohort), delta) in difference(&before, &after) {
            changes.add(&measure, &cohort, delta);
        }
    }
    mark_unflushed(conn, &map_id)?;
    Ok(Some(changes))
}

/// Every batch a stopped server left behind, settled: a finished one's notes cleared first
/// (its steps stay for good), then each unfinished one undone, so a file that was never
/// acknowledged leaves nothing. Run at start, before `recount_unflushed`: undoing marks the
/// map, so its counts are recounted rather than changed here. Returns how many were undone.
pub fn undo_unfinished(conn: &Connection) -> Result<usize, StoreError> {
    let batches: Vec<(i64, bool)> = {
        let mut stmt =
            conn.prepare("SELECT id, finished FROM journey_batches ORDER BY finished DESC, id")?;
        let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let mut undone = 0;
    for (batch, finished) in batches {
        if finished {
            while clear_finished(conn, batch)?.is_some() {}
        } else {
            while undo_some(conn, batch)?.is_some() {}
            undone += 1;
        }
    }
    Ok(undone)
}

/// Whether some batch of the map other than `except` noted `customer`'s step `key`.
fn noted(
    conn: &Connection,
    map_id: &str,
    customer: i64,
    key: &[u8],
    except: Option<i64>,
) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM journey_batch_steps
                 WHERE batch IN (SELECT id FROM journey_batches WHERE map_id = ?1)
                 AND customer = ?2 AND step = ?3 AND batch IS NOT ?4)",
        )?
        .query_row(params![map_id, customer, key, except], |row| row.get(0))?)
}

/// The step `key` of `customer` is held for good (an acknowledged request or a finished batch
/// carried it): no batch's undoing may take it out, so every note of it goes.
fn pin(conn: &Connection, map_id: &str, customer: i64, key: &[u8]) -> Result<(), StoreError> {
    conn.prepare_cached(
        "DELETE FROM journey_batch_steps
         WHERE batch IN (SELECT id FROM journey_batches WHERE map_id = ?1)
         AND customer = ?2 AND step = ?3",
    )?
    .execute(params![map_id, customer, key])?;
    Ok(())
}

/// `path` without `steps` (those it does not hold are skipped). A step inside the remnant
/// shrinks it, so the steps after it keep their place in or out of it.
fn without(path: &Path, steps: Vec<Step>) -> Path {
    let mut out = path.clone();
    for step in steps {
        if let Ok(at) = out.steps.binary_search(&step) {
            out.steps.remove(at);
            if at < out.remnant {
                out.remnant -= 1;
            }
        }
    }
    out
}

fn read_path(conn: &Connection, map_id: &str, customer: i64) -> Result<Option<Path>, StoreError> {
    let blob: Option<Vec<u8>> = conn
        .prepare_cached("SELECT steps FROM journey_paths WHERE map_id = ?1 AND customer = ?2")?
        .query_row(params![map_id, customer], |row| row.get(0))
        .optional()?;
    blob.map(|blob| decode(&blob)).transpose()
}

fn write_path(
    conn: &Connection,
    map_id: &str,
    customer: i64,
    path: &Path,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO journey_paths (map_id, customer, steps) VALUES (?1, ?2, ?3)
         ON CONFLICT (map_id, customer) DO UPDATE SET steps = excluded.steps",
    )?
    .execute(params![map_id, customer, encode(path)])?;
    Ok(())
}

/// Merges `events` into their customers' paths (see `store_events`), and hands `settle` each
/// customer's steps that were added and those their path already held (each once, in order).
fn merge_events(
    conn: &Connection,
    map_id: &str,
    events: Vec<(i64, Step)>,
    mut settle: impl FnMut(i64, &[Step], &[Step]) -> Result<(), StoreError>,
) -> Result<(usize, Changes), StoreError> {
    let mut by_customer: BTreeMap<i64, Vec<Step>> = BTreeMap::new();
    // The channels and segments named, for the filters' menus (shared with feedback's).
    let mut labels: BTreeSet<(&str, String)> = BTreeSet::new();
    for (customer, step) in events {
        for (kind, value) in [("channel", &step.channel), ("segment", &step.segment)] {
            if !value.is_empty() {
                labels.insert((kind, value.clone()));
            }
        }
        by_customer.entry(customer).or_default().push(step);
    }
    let mut insert_label = conn.prepare_cached(
        "INSERT OR IGNORE INTO feedback_labels (map_id, kind, value) VALUES (?1, ?2, ?3)",
    )?;
    for (kind, value) in &labels {
        insert_label.execute(params![map_id, kind, value])?;
    }
    let mut changes = Changes::default();
    let mut added = 0;
    for (customer, mut steps) in by_customer {
        let before = read_path(conn, map_id, customer)?.unwrap_or_default();
        steps.sort();
        steps.dedup();
        let mut after = before.clone();
        let new = after.extend(steps.iter().cloned());
        // What became of each step: added, held already, or dropped (past `MAX_STEPS`).
        let (held, fresh): (Vec<Step>, Vec<Step>) = steps
            .into_iter()
            .filter(|s| after.steps.binary_search(s).is_ok())
            .partition(|s| before.steps.binary_search(s).is_ok());
        settle(customer, &fresh, &held)?;
        if new == 0 {
            continue;
        }
        added += new;
        for ((measure, cohort), delta) in difference(&before, &after) {
            changes.add(&measure, &cohort, delta);
        }
        write_path(conn, map_id, customer, &after)?;
    }
    mark_unflushed(conn, map_id)?;
    Ok((added, changes))
}

/// Deletes one customer's path; returns how many events it held and the changes that take it
/// out of the counts (for `Pending`, as `store_events`).
pub fn forget(
    conn: &Connection,
    map: MapId,
    customer: i64,
) -> Result<(usize, Changes), StoreError> {
    let map_id = map.to_string();
    let blob: Option<Vec<u8>> = conn
        .query_row(
            "DELETE FROM journey_paths WHERE map_id = ?1 AND customer = ?2 RETURNING steps",
            params![map_id, customer],
            |row| row.get(0),
        )
        .optional()?;
    // A batch still under way must not take the steps of a later path of this customer.
    conn.prepare_cached(
        "DELETE FROM journey_batch_steps
         WHERE batch IN (SELECT id FROM journey_batches WHERE map_id = ?1) AND customer = ?2",
    )?
    .execute(params![map_id, customer])?;
    let Some(blob) = blob else {
        return Ok((0, Changes::default()));
    };
    let path = decode(&blob)?;
    let mut changes = Changes::default();
    for ((measure, cohort), delta) in difference(&path, &Path::default()) {
        changes.add(&measure, &cohort, delta);
    }
    mark_unflushed(conn, &map_id)?;
    Ok((path.steps.len(), changes))
}

/// Paths a reader looks through at a time for events to delete (`expiring`).
const EXPIRE_SCAN: i64 = 20_000;

/// Which of up to `EXPIRE_SCAN` of `map`'s paths, those of the customers after `after` in
/// pseudonym order (all of them when `None`), hold events before `cutoff` to delete: on a
/// reader, so that the hourly round costs the writer only the paths that change. Returns the
/// last customer looked at, to go on from (`None` when there were none left), and those due.
pub fn expiring(
    conn: &Connection,
    map: MapId,
    cutoff: i64,
    after: Option<i64>,
) -> Result<(Option<i64>, Vec<i64>), StoreError> {
    let start = match after {
        None => i64::MIN,
        Some(customer) => match customer.checked_add(1) {
            Some(next) => next,
            None => return Ok((None, Vec::new())),
        },
    };
    let mut read = conn.prepare_cached(
        "SELECT customer, steps FROM journey_paths
         WHERE map_id = ?1 AND customer >= ?2 ORDER BY customer LIMIT ?3",
    )?;
    let mut rows = read.query(params![map.to_string(), start, EXPIRE_SCAN])?;
    let (mut last, mut due) = (None, Vec::new());
    while let Some(row) = rows.next()? {
        let customer: i64 = row.get(0)?;
        let blob: Vec<u8> = row.get(1)?;
        if decode(&blob)?.expires_by(cutoff) {
            due.push(customer);
        }
        last = Some(customer);
    }
    Ok((last, due))
}

/// Deletes the events before `cutoff` from the paths of `customers` on `map` (as they are now:
/// events may have come since `expiring` read them); returns how many paths lost events. The
/// counts stay as they are: what the deleted events counted that the paths no longer account
/// for goes to `journey_retained` (see `Path::expire`).
pub fn expire_customers(
    conn: &Connection,
    map: MapId,
    cutoff: i64,
    customers: &[i64],
) -> Result<usize, StoreError> {
    let map_id = map.to_string();
    let mut delete =
        conn.prepare_cached("DELETE FROM journey_paths WHERE map_id = ?1 AND customer = ?2")?;
    let mut retained = Changes::default();
    let mut changed = 0;
    for &customer in customers {
        let Some(path) = read_path(conn, &map_id, customer)? else {
            continue;
        };
        if !path.expires_by(cutoff) {
            continue;
        }
        let (shrunk, kept) = path.expire(cutoff);
        match shrunk {
            Some(shrunk) => write_path(conn, &map_id, customer, &shrunk)?,
            None => {
                delete.execute(params![map_id, customer])?;
            }
        }
        changed += 1;
        for ((measure, cohort), n) in kept {
            retained.add(&measure, &cohort, n);
        }
    }
    apply(conn, Table::Retained, &map_id, &retained)?;
    Ok(changed)
}

/// How many days `map` keeps its events (`None`: forever).
pub fn retention(conn: &Connection, map: MapId) -> Result<Option<u32>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT retention_days FROM journey_settings WHERE map_id = ?1")?
        .query_row([map.to_string()], |row| row.get(0))
        .optional()?)
}

pub fn set_retention(conn: &Connection, map: MapId, days: Option<u32>) -> Result<(), StoreError> {
    let map_id = map.to_string();
    match days {
        Some(days) => conn.execute(
            "INSERT INTO journey_settings (map_id, retention_days) VALUES (?1, ?2)
             ON CONFLICT (map_id) DO UPDATE SET retention_days = excluded.retention_days",
            params![map_id, days],
        )?,
        None => conn.execute("DELETE FROM journey_settings WHERE map_id = ?1", [map_id])?,
    };
    Ok(())
}

/// Every map that keeps its events for a limited time, with how many days.
pub fn retentions(conn: &Connection) -> Result<Vec<(MapId, u32)>, StoreError> {
    let mut stmt = conn.prepare("SELECT map_id, retention_days FROM journey_settings")?;
    let rows = stmt.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get(1)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (map, days) = row?;
        // A row naming no map this version can read is skipped, not fatal.
        if let Ok(map) = map.parse() {
            out.push((map, days));
        }
    }
    Ok(out)
}

/// Notes that `map` has changes not yet in its counts, so that a start after a crash recounts
/// them (`recount_unflushed`): the changes waiting in `Pending` die with the process.
fn mark_unflushed(conn: &Connection, map_id: &str) -> Result<(), StoreError> {
    conn.prepare_cached("INSERT OR IGNORE INTO journey_unflushed (map_id) VALUES (?1)")?
        .execute([map_id])?;
    Ok(())
}

/// Writes a chunk of `Pending`'s changes to `map`'s counts. A map deleted meanwhile takes its
/// changes with it.
pub fn write_counts(conn: &Connection, map: MapId, changes: &Changes) -> Result<(), StoreError> {
    let map_id = map.to_string();
    let exists: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM maps WHERE id = ?1)")?
        .query_row([&map_id], |row| row.get(0))?;
    if exists {
        apply(conn, Table::Counts, &map_id, changes)?;
    }
    Ok(())
}

/// Forgets the marks of `mark_unflushed`: for a server stopping with every change written.
pub fn clear_unflushed(conn: &Connection) -> Result<(), StoreError> {
    conn.execute("DELETE FROM journey_unflushed", [])?;
    Ok(())
}

/// Recounts the maps a stopped server left with changes unwritten: their counts deleted and
/// summed again from every path, on top of what expired events left (`expire_some`). Run at
/// start, before anyone reads; returns how many maps.
pub fn recount_unflushed(conn: &Connection) -> Result<usize, StoreError> {
    let maps: Vec<String> = first_column(conn, "SELECT map_id FROM journey_unflushed")?;
    for map_id in &maps {
        conn.execute("DELETE FROM journey_counts WHERE map_id = ?1", [map_id])?;
        conn.execute(
            "INSERT INTO journey_counts SELECT * FROM journey_retained WHERE map_id = ?1",
            [map_id],
        )?;
        let mut stmt = conn.prepare("SELECT steps FROM journey_paths WHERE map_id = ?1")?;
        let mut rows = stmt.query([map_id])?;
        let mut changes = Changes::default();
        while let Some(row) = rows.next()? {
            let blob: Vec<u8> = row.get(0)?;
            for (measure, cohort) in contributions(&decode(&blob)?) {
                changes.add(&measure, &cohort, 1);
            }
            // Written in parts, so memory stays bounded for a million customers.
            if changes.len() > RECOUNT_PART {
                apply(conn, Table::Counts, map_id, &std::mem::take(&mut changes))?;
            }
        }
        apply(conn, Table::Counts, map_id, &changes)?;
        conn.execute("DELETE FROM journey_unflushed WHERE map_id = ?1", [map_id])?;
    }
    Ok(maps.len())
}

/// Counts summed in memory before a recount writes them.
const RECOUNT_PART: usize = 200_000;

/// The tables of counts: what the paths add up to, and what expired events left.
#[derive(Clone, Copy)]
enum Table {
    Counts,
    Retained,
}

/// Adds each change to its count in `table`, in key order (neighbours share pages); a count
/// that drops to nothing is removed, so the tables hold only what some path contributes.
fn apply(
    conn: &Connection,
    table: Table,
    map_id: &str,
    changes: &Changes,
) -> Result<(), StoreError> {
    let table = match table {
        Table::Counts => "journey_counts",
        Table::Retained => "journey_retained",
    };
    let mut upsert = conn.prepare_cached(&format!(
        "INSERT INTO {table} (map_id, grain, channel, segment, day, kind, a, b, bucket, n)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (map_id, grain, channel, segment, day, kind, a, b, bucket)
         DO UPDATE SET n = n + excluded.n"
    ))?;
    let mut prune = conn.prepare_cached(&format!(
        "DELETE FROM {table} WHERE map_id = ?1 AND grain = ?2 AND channel = ?3
             AND segment = ?4 AND day = ?5 AND kind = ?6 AND a = ?7 AND b = ?8 AND bucket = ?9
             AND n <= 0"
    ))?;
    for row in changes.rows() {
        let Row {
            grain,
            channel,
            segment,
            day,
            kind,
            a,
            b,
            bucket,
            delta,
        } = row;
        upsert.execute(params![
            map_id, grain, channel, segment, day, kind, a, b, bucket, delta
        ])?;
        if delta < 0 {
            prune.execute(params![
                map_id, grain, channel, segment, day, kind, a, b, bucket
            ])?;
        }
    }
    Ok(())
}

/// The measure of a row, or `None` for one this version does not know.
fn measure_of(kind: i64, a: &[u8], b: &[u8], bucket: i64) -> Option<Measure> {
    let id = |bytes: &[u8]| uuid::Uuid::from_slice(bytes).ok();
    Some(match kind {
        0 => Measure::Customer,
        1 => Measure::Reach {
            stage: id(a)?.into(),
        },
        2 => Measure::Converted {
            from: id(a)?.into(),
            to: id(b)?.into(),
        },
        3 => Measure::Gap {
            from: id(a)?.into(),
            to: id(b)?.into(),
            bucket: u16::try_from(bucket).ok()?,
        },
        4 => Measure::Touch {
            card: id(a)?.into(),
        },
        5 => Measure::Next {
            from: id(a)?.into(),
            to: id(b)?.into(),
        },
        6 => Measure::Outcome {
            stage: id(a)?.into(),
            outcome: String::from_utf8(b.to_vec()).ok()?,
        },
        _ => return None,
    })
}

/// The counts of `map` under `filter`, summed from the grain that answers it with one range.
pub fn counts(conn: &Connection, map: MapId, filter: &Filter) -> Result<Counts, StoreError> {
    let dated = filter.from.is_some() || filter.to.is_some();
    let labelled = filter.channel.is_some() || filter.segment.is_some();
    let grain = match (labelled, dated) {
        (false, false) => ALL_TIME,
        (false, true) => BY_DAY,
        (true, false) => BY_LABEL,
        (true, true) => BY_LABEL_AND_DAY,
    };
    let (conditions, values) = filter_sql(filter, 3);
    let mut statement = conn.prepare_cached(&format!(
        "SELECT kind, a, b, bucket, sum(n) FROM journey_counts
         WHERE map_id = ?1 AND grain = ?2{conditions}
         GROUP BY kind, a, b, bucket"
    ))?;
    let map_id = map.to_string();
    let mut bound: Vec<&dyn ToSql> = vec![&map_id, &grain];
    bound.extend(values.iter().map(|v| v.as_ref() as &dyn ToSql));
    let mut rows = statement.query(bound.as_slice())?;
    let mut counts = Counts::new();
    while let Some(row) = rows.next()? {
        let (kind, a, b, bucket): (i64, Vec<u8>, Vec<u8>, i64) =
            (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
        let n: i64 = row.get(4)?;
        if let Some(measure) = measure_of(kind, &a, &b, bucket) {
            counts.insert(measure, u64::try_from(n).unwrap_or(0));
        }
    }
    Ok(counts)
}

/// Every customer's path on `map`, by pseudonym: the raw events, for exports and for checking
/// the counts against a recount.
pub fn paths(conn: &Connection, map: MapId) -> Result<Vec<(i64, Path)>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT customer, steps FROM journey_paths WHERE map_id = ?1")?;
    let mut rows = stmt.query(params![map.to_string()])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let blob: Vec<u8> = row.get(1)?;
        out.push((row.get(0)?, decode(&blob)?));
    }
    Ok(out)
}

/// Deletes up to `DELETE_CHUNK` paths and as many counts of `map`; `false` once there were
/// none. The chunks of deleting a big map, each one writer job.
pub fn delete_some(conn: &Connection, map: MapId) -> Result<bool, StoreError> {
    let map_id = map.to_string();
    let paths = conn
        .prepare_cached(
            "DELETE FROM journey_paths WHERE map_id = ?1 AND customer IN
                 (SELECT customer FROM journey_paths WHERE map_id = ?1 LIMIT ?2)",
        )?
        .execute(params![map_id, DELETE_CHUNK])?;
    let counts = conn
        .prepare_cached(
            "DELETE FROM journey_counts WHERE map_id = ?1
                 AND (grain, channel, segment, day, kind, a, b, bucket) IN
                 (SELECT grain, channel, segment, day, kind, a, b, bucket FROM journey_counts
                  WHERE map_id = ?1 LIMIT ?2)",
        )?
        .execute(params![map_id, DELETE_CHUNK])?;
    let retained = conn
        .prepare_cached(
            "DELETE FROM journey_retained WHERE map_id = ?1
                 AND (grain, channel, segment, day, kind, a, b, bucket) IN
                 (SELECT grain, channel, segment, day, kind, a, b, bucket FROM journey_retained
                  WHERE map_id = ?1 LIMIT ?2)",
        )?
        .execute(params![map_id, DELETE_CHUNK])?;
    // The notes of imports under way, before their batches go with the map all at once.
    let notes = conn
        .prepare_cached(
            "DELETE FROM journey_batch_steps WHERE (batch, customer, step) IN
                 (SELECT batch, customer, step FROM journey_batch_steps WHERE batch IN
                     (SELECT id FROM journey_batches WHERE map_id = ?1) LIMIT ?2)",
        )?
        .execute(params![map_id, DELETE_CHUNK])?;
    Ok(paths + counts + retained + notes > 0)
}

/// Format of a path's `steps`: a version byte, the length of its remnant (2 bytes, little
/// endian; see `Path`), then per step the time (8 bytes, little endian), the stage's id (16), a
/// card flag (1) and the card's id (16, when flagged), then channel, segment and outcome each
/// as a length byte and UTF-8 (labels are at most 60 characters, so at most 240 bytes).
/// Version 1 had no remnant.
const FORMAT: u8 = 2;

fn encode(path: &Path) -> Vec<u8> {
    let mut out = Vec::with_capacity(3 + path.steps.len() * 48);
    out.push(FORMAT);
    // At most MAX_STEPS (1,000) steps.
    out.extend_from_slice(
        &u16::try_from(path.remnant)
            .unwrap_or(u16::MAX)
            .to_le_bytes(),
    );
    for step in &path.steps {
        push_step(&mut out, step);
    }
    out
}

/// One step as a path's blob holds it: so equal steps have equal keys (a batch's notes).
fn step_key(step: &Step) -> Vec<u8> {
    let mut out = Vec::with_capacity(48);
    push_step(&mut out, step);
    out
}

fn step_of_key(key: &[u8]) -> Result<Step, StoreError> {
    let mut reader = Reader(key);
    match read_step(&mut reader) {
        Some(step) if reader.0.is_empty() => Ok(step),
        _ => Err(StoreError::internal(
            "a noted step of an import cannot be read",
        )),
    }
}

fn push_step(out: &mut Vec<u8>, step: &Step) {
    out.extend_from_slice(&step.at.to_le_bytes());
    out.extend_from_slice(step.stage.as_uuid().as_bytes());
    match step.card {
        Some(card) => {
            out.push(1);
            out.extend_from_slice(card.as_uuid().as_bytes());
        }
        None => out.push(0),
    }
    for label in [&step.channel, &step.segment, &step.outcome] {
        // Checked on arrival; a longer one would be cut at a character boundary.
        let mut end = label.len().min(255);
        while !label.is_char_boundary(end) {
            end -= 1;
        }
        out.push(end as u8);
        out.extend_from_slice(&label.as_bytes()[..end]);
    }
}

fn read_step(reader: &mut Reader<'_>) -> Option<Step> {
    let at = i64::from_le_bytes(reader.take(8)?.try_into().ok()?);
    let stage = uuid::Uuid::from_slice(reader.take(16)?).ok()?.into();
    let card = match reader.take(1)? {
        [1] => Some(uuid::Uuid::from_slice(reader.take(16)?).ok()?.into()),
        _ => None,
    };
    let mut label = || {
        let len = usize::from(reader.take(1)?[0]);
        String::from_utf8(reader.take(len)?.to_vec()).ok()
    };
    Some(Step {
        at,
        stage,
        card,
        channel: label()?,
        segment: label()?,
        outcome: label()?,
    })
}

fn decode(blob: &[u8]) -> Result<Path, StoreError> {
    let corrupt = || StoreError::internal("a customer's stored path cannot be read");
    let mut reader = Reader(blob);
    let remnant = match reader.take(1).ok_or_else(corrupt)? {
        [1] => 0,
        [FORMAT] => usize::from(u16::from_le_bytes(
            reader
                .take(2)
                .ok_or_else(corrupt)?
                .try_into()
                .map_err(|_| corrupt())?,
        )),
        _ => return Err(corrupt()),
    };
    let mut path = Vec::new();
    while !reader.0.is_empty() {
        path.push(read_step(&mut reader).ok_or_else(corrupt)?);
    }
    if remnant > path.len() {
        return Err(corrupt());
    }
    Ok(Path {
        steps: path,
        remnant,
    })
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::ids::StageId;

    fn step(at: i64) -> Step {
        Step {
            at,
            stage: StageId::from_uuid(uuid::Uuid::from_u128(1)),
            card: None,
            channel: "web".into(),
            segment: String::new(),
            outcome: String::new(),
        }
    }

    /// Parts are written in the order `sorted_keys` gives, which must be the table's own so
    /// that neighbours share pages: the same rows, put in a table of that key, come back out
    /// of SQLite in the same order.
    #[test]
    fn changes_sort_in_the_tables_key_order() {
        let id = |n: u128| uuid::Uuid::from_u128(n);
        let mut changes = Changes::default();
        let labels = ["", "web", "Web", "app", "é-mail", "zz", "a b"];
        for (i, channel) in labels.iter().enumerate() {
            for (j, segment) in labels.iter().rev().enumerate() {
                let cohort = Cohort {
                    day: (i as i64 * 7 + j as i64) % 5 - 2,
                    channel: (*channel).to_owned(),
                    segment: (*segment).to_owned(),
                };
                let stage = StageId::from_uuid(id((i as u128) << 120 | j as u128));
                let other = StageId::from_uuid(id(u128::MAX - j as u128));
                changes.add(&Measure::Customer, &cohort, 1);
                changes.add(&Measure::Reach { stage }, &cohort, 1);
                changes.add(
                    &Measure::Converted {
                        from: stage,
                        to: other,
                    },
                    &cohort,
                    1,
                );
                changes.add(
                    &Measure::Gap {
                        from: other,
                        to: stage,
                        bucket: (i * 40 + j) as u16,
                    },
                    &cohort,
                    1,
                );
                let outcome = labels[(i + j) % labels.len()].to_owned();
                changes.add(&Measure::Outcome { stage, outcome }, &cohort, 1);
            }
        }
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t (grain, channel TEXT, segment TEXT, day INTEGER, kind INTEGER,
                 a BLOB, b BLOB, bucket INTEGER, PRIMARY KEY (grain, channel, segment, day, kind, a, b, bucket)) WITHOUT ROWID",
        )
        .unwrap();
        let ours: Vec<_> = changes
            .rows()
            .into_iter()
            .map(|r| {
                (
                    r.grain,
                    r.channel.to_owned(),
                    r.segment.to_owned(),
                    r.day,
                    r.kind,
                    r.a,
                    r.b,
                    r.bucket,
                )
            })
            .collect();
        // Inserted backwards, so that the table's order is its own.
        for row in ours.iter().rev() {
            conn.execute(
                "INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7],
            )
            .unwrap();
        }
        let mut stmt = conn.prepare("SELECT * FROM t").unwrap();
        let theirs: Vec<_> = stmt
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(ours.len() > 300, "{} rows", ours.len());
        assert_eq!(ours, theirs);
        // A part keeps the order it was cut in.
        let parts = changes.into_parts(300);
        let cut: Vec<_> = parts
            .iter()
            .flat_map(|p| {
                p.rows()
                    .into_iter()
                    .map(|r| (r.grain, r.day, r.kind, r.a, r.b))
            })
            .collect();
        assert_eq!(
            cut,
            ours.iter()
                .map(|r| (r.0, r.3, r.4, r.5.clone(), r.6.clone()))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn removing_steps_keeps_the_remnant_to_the_steps_left_of_it() {
        let path = Path {
            steps: (0..5).map(step).collect(),
            remnant: 3,
        };
        // One inside the remnant, one after it, one the path does not hold (expired, say).
        let shrunk = without(&path, vec![step(1), step(4), step(9)]);
        assert_eq!(shrunk.steps, [step(0), step(2), step(3)]);
        assert_eq!(shrunk.remnant, 2, "steps 0 and 2 are still the remnant");
        assert_eq!(without(&path, Vec::new()), path);
    }

    #[test]
    fn a_step_key_reads_back_as_the_step() {
        let mut labelled = step(7);
        labelled.outcome = "bought ✓".into();
        assert_eq!(step_of_key(&step_key(&labelled)).unwrap(), labelled);
        assert!(step_of_key(&step_key(&labelled)[..10]).is_err());
    }
}
