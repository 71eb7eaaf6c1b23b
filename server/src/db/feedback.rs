//! Customer feedback as stored: responses, the tallies kept beside them, public form tokens
//! and API keys.
//!
//! Responses add to seven tallies: per touchpoint, day, channel and segment (trends); per
//! touchpoint by day, by month and overall (date filters and the map's default view); and the
//! same three per channel and segment (label filters). A summary then sums the fewest tally
//! rows its filter allows rather than scanning responses. A customer's answer is tallied in
//! its own transaction; bulk answers' tallies wait in memory to be written together
//! (`Waiting`), and are written before anyone reads them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use app::api::feedback::{ApiKey, Filter, InboxItem};
use app::domain::feedback::{day_of, Day, Response, Source, Tally};
use app::domain::ids::{ApiKeyId, CardId, MapId, Rev, UserId};
use app::domain::time::month_start;
use app::domain::time::Millis;
use rusqlite::{params, Connection, OptionalExtension, Row, ToSql};

use crate::db::{first_column, StoreError};

pub mod times;

/// A checked response with what the server adds on arrival.
#[derive(Clone, Debug)]
pub struct Incoming {
    pub response: Response,
    pub source: Source,
    /// Sentiment of the comment, when there is one.
    pub sentiment: Option<f64>,
    pub negative: bool,
    /// Already followed up (true only for responses restored from a map file).
    pub followed_up: bool,
}

/// The count columns of a tally table, in `Tally` order.
fn count_columns() -> impl Iterator<Item = String> {
    ["responses", "comments", "negative"]
        .into_iter()
        .map(str::to_owned)
        .chain((0..=10).map(|i| format!("nps{i}")))
        .chain((1..=5).map(|i| format!("csat{i}")))
        .chain((1..=7).map(|i| format!("ces{i}")))
}

const COUNTS: usize = 3 + 11 + 5 + 7;

fn counts(tally: &Tally) -> [i64; COUNTS] {
    let mut out = [0i64; COUNTS];
    let values = [tally.responses, tally.comments, tally.negative]
        .into_iter()
        .chain(tally.nps)
        .chain(tally.csat)
        .chain(tally.ces);
    for (slot, value) in out.iter_mut().zip(values) {
        *slot = i64::try_from(value).unwrap_or(i64::MAX);
    }
    out
}

/// Reads a tally from `COUNTS` columns starting at `first`.
fn tally_at(row: &Row<'_>, first: usize) -> rusqlite::Result<Tally> {
    let mut values = [0u64; COUNTS];
    for (i, value) in values.iter_mut().enumerate() {
        let raw: i64 = row.get(first + i)?;
        *value = u64::try_from(raw).unwrap_or(0);
    }
    let mut tally = Tally {
        responses: values[0],
        comments: values[1],
        negative: values[2],
        ..Tally::default()
    };
    tally.nps.copy_from_slice(&values[3..14]);
    tally.csat.copy_from_slice(&values[14..19]);
    tally.ces.copy_from_slice(&values[19..26]);
    Ok(tally)
}

/// `SUM(responses), SUM(comments), …` for reading tallies through `GROUP BY`.
fn sums() -> String {
    count_columns()
        .map(|c| format!("SUM({c})"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn upsert_sql(table: &str, keys: &[&str]) -> String {
    let columns: Vec<String> = count_columns().collect();
    let all: Vec<&str> = keys
        .iter()
        .copied()
        .chain(columns.iter().map(String::as_str))
        .collect();
    let placeholders: Vec<String> = (1..=all.len()).map(|i| format!("?{i}")).collect();
    let updates: Vec<String> = columns
        .iter()
        .map(|c| format!("{c} = {c} + excluded.{c}"))
        .collect();
    format!(
        "INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT ({}) DO UPDATE SET {}",
        all.join(", "),
        placeholders.join(", "),
        keys.join(", "),
        updates.join(", ")
    )
}

fn is_unhappy(r: &Response) -> bool {
    r.nps.is_some_and(|s| s <= 6) || r.csat.is_some_and(|s| s <= 2) || r.ces.is_some_and(|s| s <= 3)
}

/// Most responses (and most rows of each tally table) one writer job takes out when a map's
/// feedback is deleted.
pub const DELETE_CHUNK: usize = 250;

/// Most responses in one slice of a bulk request: one writer job, so what a live write may
/// have to wait behind (about 15 ms of inserts). A slice stores its responses only: their
/// tallies are summed where the slice is cut and wait with other slices' (`Waiting`) to be
/// written together, so that answers spread over a year cost the writer what a day's do.
/// (Written with each slice, a shuffled backfill's tallies were four upserts per answer,
/// most of the writer's time.)
const SLICE_SIZE: usize = 4_000;

/// Cuts `responses` into slices of at most `SLICE_SIZE` each, one writer job each, and hands
/// each to `each` as soon as it is cut (the writer can store one while the next is cut); stops
/// when `each` returns `false`. The caller gives them in time order: answers of the same days
/// land next to each other in the time index, so a file sorted any other way (or not at all)
/// then costs the writer what a date-sorted one does.
pub fn cut(responses: impl IntoIterator<Item = Incoming>, mut each: impl FnMut(Slice) -> bool) {
    let mut slice = Slice::default();
    for incoming in responses {
        slice.tallies.record(&incoming);
        slice.responses.push(incoming);
        if slice.len() >= SLICE_SIZE && !each(std::mem::take(&mut slice)) {
            return;
        }
    }
    if !slice.is_empty() {
        each(slice);
    }
}

/// Responses to store in one writer job, with what they add to the tallies, summed where the
/// slice is made: the writer only writes.
#[derive(Default)]
pub struct Slice {
    responses: Vec<Incoming>,
    tallies: Tallies,
}

impl Slice {
    pub fn new(responses: Vec<Incoming>) -> Slice {
        let mut tallies = Tallies::default();
        responses
            .iter()
            .for_each(|incoming| tallies.record(incoming));
        Slice { responses, tallies }
    }

    pub fn len(&self) -> usize {
        self.responses.len()
    }

    pub fn is_empty(&self) -> bool {
        self.responses.is_empty()
    }

    /// What the slice adds to the tallies: for `Waiting`, once the slice is committed.
    pub fn into_tallies(self) -> Tallies {
        self.tallies
    }
}

/// A tally row of the finest grain (one of `feedback_daily`): a touchpoint, a day, and a
/// channel and segment by their place in `Tallies::labels`.
type Cell = (CardId, Day, u32, u32);

/// What a set of responses adds to each tally table. A response is counted once, in its cell;
/// the other tables' rows are sums of cells, made when they are written (`rows_by_table`).
/// (Counting each response into all seven tables, with a hash of its labels each time, was a
/// tenth of the writer's time.)
#[derive(Clone, Default)]
pub struct Tallies {
    /// Each channel and segment once; cells name them by their place here.
    labels: Vec<String>,
    places: HashMap<String, u32>,
    cells: HashMap<Cell, Tally>,
}

impl Tallies {
    /// How many cells (rows of the finest table) these tallies add to.
    pub fn cells(&self) -> usize {
        self.cells.len()
    }

    fn place(&mut self, label: &str) -> u32 {
        if let Some(place) = self.places.get(label) {
            return *place;
        }
        let place = u32::try_from(self.labels.len()).unwrap_or(u32::MAX);
        self.labels.push(label.to_owned());
        self.places.insert(label.to_owned(), place);
        place
    }

    fn record(&mut self, incoming: &Incoming) {
        let r = &incoming.response;
        let (channel, segment) = (self.place(&r.channel), self.place(&r.segment));
        let cell = (r.touchpoint, day_of(r.at), channel, segment);
        self.cells
            .entry(cell)
            .or_default()
            .record(r, incoming.negative);
    }

    /// Adds `other`'s cells to these.
    fn merge(&mut self, other: Tallies) {
        if self.cells.is_empty() {
            *self = other;
            return;
        }
        for (cell, tally) in &other.cells {
            self.add_from(*cell, &other.labels, tally);
        }
    }

    /// Adds `tally` to a cell given with its labels' places in `labels` (another's).
    fn add_from(&mut self, (card, day, channel, segment): Cell, labels: &[String], tally: &Tally) {
        let channel = self.place(&labels[channel as usize]);
        let segment = self.place(&labels[segment as usize]);
        self.cells
            .entry((card, day, channel, segment))
            .or_default()
            .add(tally);
    }

    /// Takes out the first `most` cells, by touchpoint and day, and returns them.
    fn split_off(&mut self, most: usize) -> Tallies {
        if self.cells.len() <= most {
            return std::mem::take(self);
        }
        let mut keys: Vec<Cell> = self.cells.keys().copied().collect();
        keys.select_nth_unstable(most);
        let mut part = Tallies::default();
        for key in &keys[..most] {
            if let Some(tally) = self.cells.remove(key) {
                part.add_from(*key, &self.labels, &tally);
            }
        }
        part
    }

    /// Forgets labels no cell names any more (those of cells split off), so that tallies
    /// that keep waiting while answers with ever new labels come stay as small as their cells.
    fn compact(&mut self) {
        if self.labels.len() <= 2 * self.cells.len() + 64 {
            return;
        }
        let old = std::mem::take(self);
        for (cell, tally) in &old.cells {
            self.add_from(*cell, &old.labels, tally);
        }
    }

    /// Adds these tallies to `map`'s (`sign` 1), or takes them out again (`sign` -1).
    fn write(&self, conn: &Connection, map_id: &str, sign: i64) -> Result<(), StoreError> {
        self.rows_by_table().write(conn, map_id, sign)
    }

    /// The rows these tallies add to each table, in key order, and the labels they use.
    fn rows_by_table(&self) -> TallyRows {
        let text = |place: u32| KeyPart::Text(self.labels[place as usize].clone());
        let card = |c: CardId| KeyPart::Text(c.to_string());
        let mut tables: [BTreeMap<Vec<KeyPart>, Tally>; 7] = Default::default();
        for (&(c, day, channel, segment), tally) in &self.cells {
            let month = month_start(day);
            let (c, ch, sg) = (card(c), text(channel), text(segment));
            let (day, month) = (KeyPart::Number(day), KeyPart::Number(month));
            // In the order of `TALLY_TABLES`.
            let keys: [Vec<KeyPart>; 7] = [
                vec![c.clone(), day.clone(), ch.clone(), sg.clone()],
                vec![day.clone(), c.clone()],
                vec![month.clone(), c.clone()],
                vec![c.clone()],
                vec![ch.clone(), sg.clone(), c.clone()],
                vec![ch.clone(), sg.clone(), day, c.clone()],
                vec![ch, sg, month, c],
            ];
            for (rows, key) in tables.iter_mut().zip(keys) {
                rows.entry(key).or_default().add(tally);
            }
        }
        let used =
            |pick: fn(&Cell) -> u32| -> BTreeSet<u32> { self.cells.keys().map(pick).collect() };
        let mut labels = Vec::new();
        for (kind, places) in [("channel", used(|c| c.2)), ("segment", used(|c| c.3))] {
            for place in places {
                let value = &self.labels[place as usize];
                if !value.is_empty() {
                    labels.push((kind, value.clone()));
                }
            }
        }
        TallyRows { tables, labels }
    }
}

/// The tally tables, each with the columns of its key after `map_id`.
pub const TALLY_TABLES: [(&str, &[&str]); 7] = [
    ("feedback_daily", &["card_id", "day", "channel", "segment"]),
    ("feedback_days", &["day", "card_id"]),
    ("feedback_months", &["month", "card_id"]),
    ("feedback_totals", &["card_id"]),
    ("feedback_labelled", &["channel", "segment", "card_id"]),
    (
        "feedback_labelled_days",
        &["channel", "segment", "day", "card_id"],
    ),
    (
        "feedback_labelled_months",
        &["channel", "segment", "month", "card_id"],
    ),
];

/// What a set of responses adds to each of `TALLY_TABLES`, by row key in key order, and the
/// channels and segments they name (`kind`, value).
struct TallyRows {
    tables: [BTreeMap<Vec<KeyPart>, Tally>; 7],
    labels: Vec<(&'static str, String)>,
}

impl TallyRows {
    /// Adds the rows to the tables (`sign` 1), or takes them out again (`sign` -1, where rows
    /// left with no responses are removed, so summaries do not list empty touchpoints). Each
    /// table's rows go in key order, so that neighbours share the pages they touch.
    fn write(&self, conn: &Connection, map_id: &str, sign: i64) -> Result<(), StoreError> {
        for ((table, keys), rows) in TALLY_TABLES.iter().zip(&self.tables) {
            upsert_each(conn, table, keys, map_id, sign, rows)?;
        }
        if sign > 0 {
            // Labels stay when responses are taken out again: a menu entry with nothing behind
            // it filters to an empty summary, which is true.
            let mut insert_label = conn.prepare_cached(
                "INSERT OR IGNORE INTO feedback_labels (map_id, kind, value) VALUES (?1, ?2, ?3)",
            )?;
            for (kind, value) in &self.labels {
                insert_label.execute(params![map_id, kind, value])?;
            }
        }
        Ok(())
    }
}

/// A column of a tally row's key, ordered as SQLite orders it (numbers before text).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
enum KeyPart {
    Number(i64),
    Text(String),
}

impl ToSql for KeyPart {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            KeyPart::Number(n) => n.to_sql(),
            KeyPart::Text(t) => t.to_sql(),
        }
    }
}

/// Adds `sign` × each tally to its row of `table` (keyed by `map_id` then `keys`).
fn upsert_each(
    conn: &Connection,
    table: &str,
    keys: &[&str],
    map_id: &str,
    sign: i64,
    rows: &BTreeMap<Vec<KeyPart>, Tally>,
) -> Result<(), StoreError> {
    let all_keys: Vec<&str> = std::iter::once("map_id")
        .chain(keys.iter().copied())
        .collect();
    let mut upsert = conn.prepare_cached(&upsert_sql(table, &all_keys))?;
    let conditions: Vec<String> = all_keys
        .iter()
        .enumerate()
        .map(|(i, k)| format!("{k} = ?{}", i + 1))
        .collect();
    let mut prune = conn.prepare_cached(&format!(
        "DELETE FROM {table} WHERE {} AND responses <= 0",
        conditions.join(" AND ")
    ))?;
    // The map is bound once (see `insert_responses`).
    upsert.raw_bind_parameter(1, map_id)?;
    for (key, tally) in rows {
        let counts = counts(tally).map(|c| c.saturating_mul(sign));
        let values = key.iter().map(|k| k as &dyn ToSql);
        for (at, value) in values
            .chain(counts.iter().map(|c| c as &dyn ToSql))
            .enumerate()
        {
            upsert.raw_bind_parameter(at + 2, value)?;
        }
        upsert.raw_execute()?;
        if sign < 0 {
            let mut values: Vec<&dyn ToSql> = vec![&map_id];
            values.extend(key.iter().map(|k| k as &dyn ToSql));
            prune.execute(values.as_slice())?;
        }
    }
    Ok(())
}

/// The rowids of the responses one call stored: consecutive, since one job runs at a time
/// and new rows take the next rowid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stored {
    pub first: i64,
    pub last: i64,
}

/// Stores the responses of `slice` for `map` and adds them to the tallies. The caller runs
/// this in one transaction (the writer does), so either all of them count or none. `None` when
/// there were no responses.
pub fn insert_responses(
    conn: &Connection,
    map: MapId,
    slice: &Slice,
    received_at: Millis,
) -> Result<Option<Stored>, StoreError> {
    let stored = store_responses(conn, map, slice, received_at)?;
    slice.tallies.write(conn, &map.to_string(), 1)?;
    Ok(stored)
}

/// Stores the responses of `slice` for `map`, leaving their tallies to the caller: for
/// `Waiting` once this is committed. Marks the map, so that a start after a crash recounts its
/// tallies (`recount_unflushed`).
pub fn store_responses_only(
    conn: &Connection,
    map: MapId,
    slice: &Slice,
    received_at: Millis,
) -> Result<Option<Stored>, StoreError> {
    let stored = store_responses(conn, map, slice, received_at)?;
    conn.prepare_cached("INSERT OR IGNORE INTO feedback_unflushed (map_id) VALUES (?1)")?
        .execute([map.to_string()])?;
    Ok(stored)
}

fn store_responses(
    conn: &Connection,
    map: MapId,
    slice: &Slice,
    received_at: Millis,
) -> Result<Option<Stored>, StoreError> {
    let map_id = map.to_string();
    let responses = &slice.responses;
    let mut range: Option<Stored> = None;
    {
        let mut insert = conn.prepare_cached(
            "INSERT INTO feedback_responses (map_id, card_id, at, day, nps, csat, ces, comment,
                 sentiment, channel, segment, respondent, source, received_at, detractor,
                 followed_up)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        )?;
        // What is the same for every response is bound once (SQLite keeps a statement's
        // values from one run to the next); binding was a tenth of the writer's time.
        insert.raw_bind_parameter(1, &map_id)?;
        insert.raw_bind_parameter(14, received_at)?;
        let mut card = [0u8; uuid::fmt::Hyphenated::LENGTH];
        for incoming in responses {
            let r = &incoming.response;
            let card = r.touchpoint.as_uuid().hyphenated().encode_lower(&mut card);
            let row: [(usize, &dyn ToSql); 14] = [
                (2, &&*card),
                (3, &r.at),
                (4, &day_of(r.at)),
                (5, &r.nps),
                (6, &r.csat),
                (7, &r.ces),
                (8, &r.comment),
                (9, &incoming.sentiment),
                (10, &r.channel),
                (11, &r.segment),
                (12, &r.respondent),
                (13, &incoming.source.key()),
                (15, &is_unhappy(r)),
                (16, &incoming.followed_up),
            ];
            for (at, value) in row {
                insert.raw_bind_parameter(at, value)?;
            }
            insert.raw_execute()?;
            let id = conn.last_insert_rowid();
            range = Some(match range {
                None => Stored {
                    first: id,
                    last: id,
                },
                Some(r) => Stored {
                    first: r.first,
                    last: id,
                },
            });
        }
    }
    if let Some(stored) = range {
        if usize::try_from(stored.last - stored.first + 1) != Ok(responses.len()) {
            return Err(StoreError::internal(
                "the new responses' rowids are not consecutive",
            ));
        }
    }
    Ok(range)
}

/// Takes out the responses of `map` with rowids `first..=last` and their share of every
/// tally: the undoing of one `insert_responses`. Returns how many were taken out.
pub fn remove_responses(
    conn: &Connection,
    map: MapId,
    stored: Stored,
) -> Result<usize, StoreError> {
    let map_id = map.to_string();
    let mut removed = (Tallies::default(), 0);
    each_stored(
        conn,
        "map_id = ?1 AND id BETWEEN ?2 AND ?3",
        params![map_id, stored.first, stored.last],
        |incoming| {
            removed.0.record(&incoming);
            removed.1 += 1;
            Ok(())
        },
    )?;
    removed.0.write(conn, &map_id, -1)?;
    conn.prepare_cached(
        "DELETE FROM feedback_responses WHERE map_id = ?1 AND id BETWEEN ?2 AND ?3",
    )?
    .execute(params![map_id, stored.first, stored.last])?;
    Ok(removed.1)
}

/// Calls `each` with every stored response `conditions` pick (as far as the tallies need
/// them: a comment's text and the respondent are left out), in rowid order.
fn each_stored(
    conn: &Connection,
    conditions: &str,
    params: impl rusqlite::Params,
    mut each: impl FnMut(Incoming) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT card_id, at, nps, csat, ces, comment IS NOT NULL, sentiment, channel, segment
         FROM feedback_responses WHERE {conditions} ORDER BY id"
    ))?;
    let mut rows = stmt.query(params)?;
    while let Some(row) = rows.next()? {
        let card: String = row.get(0)?;
        let sentiment: Option<f64> = row.get(6)?;
        let touchpoint = card_id(&card)
            .ok_or_else(|| StoreError::internal(format!("malformed card id {card:?}")))?;
        each(Incoming {
            response: Response {
                touchpoint,
                at: row.get(1)?,
                nps: row.get(2)?,
                csat: row.get(3)?,
                ces: row.get(4)?,
                comment: row.get::<_, bool>(5)?.then(String::new),
                channel: row.get(7)?,
                segment: row.get(8)?,
                respondent: None,
            },
            negative: sentiment.is_some_and(crate::analysis::is_negative),
            sentiment,
            source: Source::Api,
            followed_up: false,
        })?;
    }
    Ok(())
}

/// Bulk answers' tallies, committed with their answers but not yet written: a shuffled
/// backfill touches a new tally row of most tables with each answer, and written slice by
/// slice those upserts were most of the writer's time. Summed here over a second, or for as
/// long as a stream of answers goes on, slices' tallies collapse onto the rows they share (a
/// map has a few tens of thousands), and are written in bounded parts on the bulk lane
/// (`feedback::tallying`).
/// Whoever reads a map's tallies, or takes answers out of them, writes the map's first, so
/// reads are exact. They die with the process: `store_responses_only` leaves the mark that makes
/// the next start recount.
#[derive(Default)]
pub struct Waiting {
    state: std::sync::Mutex<WaitingState>,
    /// Whether a write of every map's waiting tallies is due soon.
    pub scheduled: std::sync::atomic::AtomicBool,
}

#[derive(Default)]
struct WaitingState {
    maps: HashMap<MapId, Tallies>,
    /// Parts taken out and not yet `settled`: written in a batch not yet committed.
    taken: usize,
    /// While any wait: since when they have waited, at most (since the first of them was
    /// added, or since a write of all that waited began, `writing_all`). And when the last
    /// were added.
    since: Option<Instant>,
    last: Option<Instant>,
}

impl Waiting {
    fn state(&self) -> std::sync::MutexGuard<'_, WaitingState> {
        crate::lock(&self.state)
    }

    pub fn add(&self, map: MapId, tallies: Tallies) {
        if tallies.cells.is_empty() {
            return;
        }
        let mut state = self.state();
        state.last = Some(Instant::now());
        state.wait(map, tallies);
    }

    /// Whether tallies were added within `quiet` and have waited less than `age`: a stream
    /// of answers still coming, whose tallies had best wait for the rest of it.
    pub fn streaming(&self, quiet: Duration, age: Duration) -> bool {
        let state = self.state();
        let within = |at: Option<Instant>, span| at.is_some_and(|at| at.elapsed() < span);
        !state.maps.is_empty() && within(state.last, quiet) && within(state.since, age)
    }

    /// A write of everything that waits now begins: what waits after it came since.
    pub fn writing_all(&self) {
        self.state().since = Some(Instant::now());
    }

    /// Up to `most` of `map`'s cells (all of them with `None`), taken out to be written; a
    /// part with any is `settled` once its batch has committed or failed.
    pub fn take(&self, map: MapId, most: Option<usize>) -> Tallies {
        let mut state = self.state();
        let Some(waiting) = state.maps.get_mut(&map) else {
            return Tallies::default();
        };
        let part = match most {
            Some(most) => waiting.split_off(most),
            None => std::mem::take(waiting),
        };
        if waiting.cells.is_empty() {
            state.maps.remove(&map);
        } else {
            waiting.compact();
        }
        if !part.cells.is_empty() {
            state.taken += 1;
        }
        part
    }

    /// The batch that wrote `part` (from `take`) is over: committed, or `failed`, when the
    /// part waits again.
    pub fn settled(&self, map: MapId, part: Tallies, failed: bool) {
        if part.cells.is_empty() {
            return;
        }
        let mut state = self.state();
        state.taken = state.taken.saturating_sub(1);
        if failed {
            state.wait(map, part);
        }
    }

    /// Whether nothing of `map`'s waits, and no part (of any map) is being written.
    pub fn quiet(&self, map: MapId) -> bool {
        let state = self.state();
        state.taken == 0 && !state.maps.contains_key(&map)
    }

    /// How many of `map`'s cells wait.
    pub fn cells(&self, map: MapId) -> usize {
        self.state().maps.get(&map).map_or(0, Tallies::cells)
    }

    /// How many cells wait, over every map.
    pub fn size(&self) -> usize {
        self.state().maps.values().map(Tallies::cells).sum()
    }

    /// The maps with tallies waiting.
    pub fn waiting(&self) -> Vec<MapId> {
        self.state().maps.keys().copied().collect()
    }

    /// Drops a deleted map's tallies.
    pub fn discard(&self, map: MapId) {
        self.state().maps.remove(&map);
    }
}

impl WaitingState {
    /// Adds `tallies` to `map`'s waiting ones; the first to wait start the clock.
    fn wait(&mut self, map: MapId, tallies: Tallies) {
        if self.maps.is_empty() {
            self.since = Some(Instant::now());
        }
        self.maps.entry(map).or_default().merge(tallies);
    }
}

/// Adds `tallies`, taken from `Waiting`, to `map`'s. A map deleted meanwhile takes them with it.
pub fn write_tallies(conn: &Connection, map: MapId, tallies: &Tallies) -> Result<(), StoreError> {
    if tallies.cells.is_empty() {
        return Ok(());
    }
    let map_id = map.to_string();
    let exists: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM maps WHERE id = ?1)")?
        .query_row([&map_id], |row| row.get(0))?;
    if exists {
        tallies.write(conn, &map_id, 1)?;
    }
    Ok(())
}

/// Forgets the marks of `store_responses_only`: for a server stopping with every tally written.
pub fn clear_unflushed(conn: &Connection) -> Result<(), StoreError> {
    conn.execute("DELETE FROM feedback_unflushed", [])?;
    Ok(())
}

/// Cells summed in memory before a recount writes them.
const RECOUNT_PART: usize = 100_000;

/// Recounts the tallies of the maps a stopped server left with tallies unwritten: deleted and
/// summed again from every response. Run at start, before anyone reads (and before unfinished
/// batches are taken out, which subtracts their share); returns how many maps.
pub fn recount_unflushed(conn: &Connection) -> Result<usize, StoreError> {
    let maps: Vec<String> = first_column(conn, "SELECT map_id FROM feedback_unflushed")?;
    for map_id in &maps {
        for (table, _) in TALLY_TABLES {
            conn.execute(&format!("DELETE FROM {table} WHERE map_id = ?1"), [map_id])?;
        }
        let mut tallies = Tallies::default();
        each_stored(conn, "map_id = ?1", [map_id], |incoming| {
            tallies.record(&incoming);
            // Written in parts, so memory stays bounded for a million answers.
            if tallies.cells() >= RECOUNT_PART {
                std::mem::take(&mut tallies).write(conn, map_id, 1)?;
            }
            Ok(())
        })?;
        tallies.write(conn, map_id, 1)?;
        conn.execute("DELETE FROM feedback_unflushed WHERE map_id = ?1", [map_id])?;
    }
    Ok(maps.len())
}

/// The ids of `map`'s responses sent with `respondent`: read on a reader, as finding them
/// scans the map's responses, before `remove_respondent` deletes them on the writer.
pub fn respondent_ids(
    conn: &Connection,
    map: MapId,
    respondent: &str,
) -> Result<Vec<i64>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM feedback_responses WHERE map_id = ?1 AND respondent = ?2",
    )?;
    let ids = stmt.query_map(params![map.to_string(), respondent], |row| row.get(0))?;
    Ok(ids.collect::<Result<_, _>>()?)
}

/// Deletes the responses `ids` of `map` that (still) carry `respondent`, and takes them out
/// of the tallies; returns how many went.
pub fn remove_respondent(
    conn: &Connection,
    map: MapId,
    respondent: &str,
    ids: &[i64],
) -> Result<usize, StoreError> {
    let map_id = map.to_string();
    let mut removed = 0;
    for &id in ids {
        // A deleted response's id may have been given to a newer one meanwhile.
        let still: bool = conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM feedback_responses
                     WHERE id = ?1 AND map_id = ?2 AND respondent = ?3)",
            )?
            .query_row(params![id, map_id, respondent], |row| row.get(0))?;
        if still {
            removed += remove_responses(
                conn,
                map,
                Stored {
                    first: id,
                    last: id,
                },
            )?;
        }
    }
    Ok(removed)
}

/// Opens a batch: a request stored in several slices, undone whole unless finished.
/// With `discards_map`, undoing the batch deletes the map as well (it came with the batch).
pub fn begin_batch(
    conn: &Connection,
    map: MapId,
    now: Millis,
    discards_map: bool,
) -> Result<i64, StoreError> {
    conn.execute(
        "INSERT INTO feedback_batches (map_id, started_at, discards_map) VALUES (?1, ?2, ?3)",
        params![map.to_string(), now, discards_map],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Makes `journey` a new map, without members (so in nobody's list until its import
/// finishes), with a batch for its responses that deletes the map should it be undone.
pub fn begin_import(
    conn: &Connection,
    journey: &app::domain::map::JourneyMap,
    now: Millis,
) -> Result<i64, StoreError> {
    crate::db::maps::insert_map(conn, journey, None)?;
    begin_batch(conn, journey.id, now, true)
}

/// Stores one slice of `batch`, noting its rowids so that it can be taken out again; its
/// tallies are the caller's (see `store_responses_only`).
pub fn insert_slice(
    conn: &Connection,
    map: MapId,
    batch: i64,
    slice: &Slice,
    received_at: Millis,
) -> Result<usize, StoreError> {
    if let Some(stored) = store_responses_only(conn, map, slice, received_at)? {
        conn.prepare_cached(
            "INSERT INTO feedback_batch_slices (batch, first, last) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![batch, stored.first, stored.last])?;
    }
    Ok(slice.len())
}

/// The batch is complete: its responses stay.
pub fn finish_batch(conn: &Connection, batch: i64) -> Result<(), StoreError> {
    conn.execute("DELETE FROM feedback_batches WHERE id = ?1", [batch])?;
    Ok(())
}

/// Takes out one committed slice of an unfinished `batch` (the newest first); `false` once
/// none is left, when the batch itself is gone too. Each call is one bounded writer job, run
/// once the map's waiting tallies are written (it takes the slice's share out of them).
pub fn undo_slice(conn: &Connection, batch: i64) -> Result<bool, StoreError> {
    let found: Option<(String, i64, i64)> = conn
        .query_row(
            "SELECT b.map_id, s.first, s.last FROM feedback_batch_slices s
             JOIN feedback_batches b ON b.id = s.batch
             WHERE s.batch = ?1 ORDER BY s.first DESC LIMIT 1",
            [batch],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?;
    let Some((map, first, last)) = found else {
        // The last step: the batch, and the map it brought (now without responses, so the
        // cascade is small).
        conn.execute(
            "DELETE FROM maps WHERE id IN
                 (SELECT map_id FROM feedback_batches WHERE id = ?1 AND discards_map = 1)",
            [batch],
        )?;
        conn.execute("DELETE FROM feedback_batches WHERE id = ?1", [batch])?;
        return Ok(false);
    };
    let map: MapId = map
        .parse()
        .map_err(|_| StoreError::internal("malformed map id in feedback_batches"))?;
    remove_responses(conn, map, Stored { first, last })?;
    conn.execute(
        "DELETE FROM feedback_batch_slices WHERE batch = ?1 AND first = ?2",
        params![batch, first],
    )?;
    Ok(true)
}

/// Every batch left unfinished (by a server that stopped part-way), undone: run at start,
/// before anyone reads, so a request that was never acknowledged leaves nothing behind.
pub fn undo_unfinished(conn: &Connection) -> Result<usize, StoreError> {
    let batches: Vec<i64> = first_column(conn, "SELECT id FROM feedback_batches")?;
    for batch in &batches {
        while undo_slice(conn, *batch)? {}
    }
    Ok(batches.len())
}

/// Deletes up to `DELETE_CHUNK` responses of `map` and up to as many rows of each of its tallies;
/// `false` once there were none left. The chunks of deleting a big map, each one writer job.
pub fn delete_some(conn: &Connection, map: MapId) -> Result<bool, StoreError> {
    let map_id = map.to_string();
    let mut deleted = 0;
    deleted += conn
        .prepare_cached(
            "DELETE FROM feedback_responses WHERE id IN
                 (SELECT id FROM feedback_responses WHERE map_id = ?1 LIMIT ?2)",
        )?
        .execute(params![map_id, DELETE_CHUNK as i64])?;
    for (table, keys) in TALLY_TABLES {
        // Tally tables have no rowid; their keys pick the chunk.
        let keys = keys.join(", ");
        deleted += conn
            .prepare_cached(&format!(
                "DELETE FROM {table} WHERE map_id = ?1 AND ({keys}) IN
                     (SELECT {keys} FROM {table} WHERE map_id = ?1 LIMIT ?2)"
            ))?
            .execute(params![map_id, DELETE_CHUNK as i64])?;
    }
    Ok(deleted > 0)
}

fn card_id(raw: &str) -> Option<CardId> {
    raw.parse().ok()
}

/// The filter as SQL conditions on a table with `day`, `channel` and `segment` columns, with
/// its parameters numbered from `first`.
pub(super) fn filter_sql(filter: &Filter, first: usize) -> (String, Vec<Box<dyn ToSql>>) {
    filter_sql_by(filter, first, "day")
}

/// `filter_sql`, with the day as the column `day` names (qualified where a join has two).
fn filter_sql_by(filter: &Filter, first: usize, day: &str) -> (String, Vec<Box<dyn ToSql>>) {
    let mut sql = String::new();
    let mut values: Vec<Box<dyn ToSql>> = Vec::new();
    let mut add = |condition: &str, value: Box<dyn ToSql>| {
        sql.push_str(&format!(" AND {condition} ?{}", first + values.len()));
        values.push(value);
    };
    if let Some(from) = filter.from {
        add(&format!("{day} >="), Box::new(from));
    }
    if let Some(to) = filter.to {
        add(&format!("{day} <="), Box::new(to));
    }
    if let Some(channel) = &filter.channel {
        add("channel =", Box::new(channel.clone()));
    }
    if let Some(segment) = &filter.segment {
        add("segment =", Box::new(segment.clone()));
    }
    (sql, values)
}

/// Each touchpoint's tally under `filter`, from the tally table keyed for it: the running
/// totals when nothing is filtered out, the per-label totals for a channel or segment alone,
/// and for a date range its whole months plus the days at either edge. So a summary sums a
/// few thousand rows at most, whatever the filter and however many responses lie behind it.
pub fn tallies(
    conn: &Connection,
    map: MapId,
    filter: &Filter,
) -> Result<Vec<(CardId, Tally)>, StoreError> {
    let labelled = filter.channel.is_some() || filter.segment.is_some();
    // Ordered, so that the same responses always give the same summary.
    let mut sum: BTreeMap<String, Tally> = BTreeMap::new();
    let mut minus: BTreeMap<String, Tally> = BTreeMap::new();
    if filter.from.is_none() && filter.to.is_none() {
        let table = if labelled {
            "feedback_labelled"
        } else {
            "feedback_totals"
        };
        add_rows(conn, map, table, "", filter, &mut sum)?;
    } else {
        let (from, to) = (filter.from, filter.to);
        // The first whole month at or after `from`, and the first month start after `to`.
        let first_whole = from.map(|d| {
            if month_start(d) == d {
                d
            } else {
                next_month(d)
            }
        });
        let end = to.map(|d| month_start(d + 1));
        let (day_table, month_table) = if labelled {
            ("feedback_labelled_days", "feedback_labelled_months")
        } else {
            ("feedback_days", "feedback_months")
        };
        let has_whole_months = match (first_whole, end) {
            (Some(a), Some(b)) => a < b,
            _ => true,
        };
        let tables = (day_table, month_table);
        if has_whole_months {
            add_rows(
                conn,
                map,
                month_table,
                &range_sql("month", first_whole, end.map(|e| e - 1)),
                filter,
                &mut sum,
            )?;
            // The edges: days before the first whole month, and from the end of the last.
            if let (Some(from), Some(first_whole)) = (from, first_whole) {
                if from < first_whole {
                    let days = (from, first_whole - 1);
                    edge(conn, map, tables, days, filter, &mut sum, &mut minus)?;
                }
            }
            if let (Some(end), Some(to)) = (end, to) {
                if end <= to {
                    edge(conn, map, tables, (end, to), filter, &mut sum, &mut minus)?;
                }
            }
        } else if let (Some(from), Some(to)) = (from, to) {
            // Within one month, or across one month's end.
            let split = next_month(from);
            if split <= to {
                edge(
                    conn,
                    map,
                    tables,
                    (from, split - 1),
                    filter,
                    &mut sum,
                    &mut minus,
                )?;
                edge(conn, map, tables, (split, to), filter, &mut sum, &mut minus)?;
            } else {
                edge(conn, map, tables, (from, to), filter, &mut sum, &mut minus)?;
            }
        }
    }
    // What edges read as their month less the rest of it; always a share of what was added.
    for (card, part) in minus {
        if let Some(total) = sum.get_mut(&card) {
            subtract(total, &part);
        }
    }
    Ok(sum
        .into_iter()
        .filter_map(|(card, tally)| Some((card_id(&card)?, tally)))
        .filter(|(_, tally)| !tally.is_empty())
        .collect())
}

/// Adds the days `from..=to` (all in one month) to `sum`: day by day, or, when the month has
/// fewer days outside the range than in it, as the whole month less those days (these go into
/// `minus`). So an edge costs at most about half a month of day rows.
fn edge(
    conn: &Connection,
    map: MapId,
    (day_table, month_table): (&str, &str),
    (from, to): (Day, Day),
    filter: &Filter,
    sum: &mut BTreeMap<String, Tally>,
    minus: &mut BTreeMap<String, Tally>,
) -> Result<(), StoreError> {
    let month = month_start(from);
    let last = next_month(from) - 1;
    let outside = (from - month) + (last - to);
    if outside > to - from {
        let days = range_sql("day", Some(from), Some(to));
        return add_rows(conn, map, day_table, &days, filter, sum);
    }
    let whole = range_sql("month", Some(month), Some(month));
    add_rows(conn, map, month_table, &whole, filter, sum)?;
    if from > month {
        let before = range_sql("day", Some(month), Some(from - 1));
        add_rows(conn, map, day_table, &before, filter, minus)?;
    }
    if to < last {
        let after = range_sql("day", Some(to + 1), Some(last));
        add_rows(conn, map, day_table, &after, filter, minus)?;
    }
    Ok(())
}

/// Takes `part` out of `total`. `part` is always a share of it, so nothing goes below zero
/// (and were it ever to, it would stop at zero rather than wrap).
fn subtract(total: &mut Tally, part: &Tally) {
    total.responses = total.responses.saturating_sub(part.responses);
    total.comments = total.comments.saturating_sub(part.comments);
    total.negative = total.negative.saturating_sub(part.negative);
    for (a, b) in total.nps.iter_mut().zip(part.nps) {
        *a = a.saturating_sub(b);
    }
    for (a, b) in total.csat.iter_mut().zip(part.csat) {
        *a = a.saturating_sub(b);
    }
    for (a, b) in total.ces.iter_mut().zip(part.ces) {
        *a = a.saturating_sub(b);
    }
}

fn next_month(day: Day) -> Day {
    // Any month is at most 31 days long, so 32 days on from its start is in the next one.
    month_start(month_start(day) + 32)
}

/// `AND column >= from AND column <= to`, for the bounds given (days are whole numbers).
fn range_sql(column: &str, from: Option<Day>, to: Option<Day>) -> String {
    let mut sql = String::new();
    if let Some(from) = from {
        sql.push_str(&format!(" AND {column} >= {from}"));
    }
    if let Some(to) = to {
        sql.push_str(&format!(" AND {column} <= {to}"));
    }
    sql
}

/// Adds the rows of `table` for `map` (with `range`, and the filter's labels) per touchpoint.
fn add_rows(
    conn: &Connection,
    map: MapId,
    table: &str,
    range: &str,
    filter: &Filter,
    sum: &mut BTreeMap<String, Tally>,
) -> Result<(), StoreError> {
    let columns: Vec<String> = count_columns().collect();
    // Label tables are keyed channel, segment first; a segment without a channel names every
    // channel the map has (its labels, and none), so that each is one range of the key.
    let mut labels = String::new();
    if filter.channel.is_some() {
        labels.push_str(" AND channel = ?2");
    } else if filter.segment.is_some() {
        labels.push_str(
            " AND channel IN (SELECT value FROM feedback_labels WHERE map_id = ?1
                 AND kind = 'channel' UNION SELECT '')",
        );
    }
    if filter.segment.is_some() {
        labels.push_str(" AND segment = ?3");
    } else if filter.channel.is_some() {
        // Likewise every segment, so that the day or month after it in the key is a range
        // too, not a scan of every row of the channel.
        labels.push_str(
            " AND segment IN (SELECT value FROM feedback_labels WHERE map_id = ?1
                 AND kind = 'segment' UNION SELECT '')",
        );
    }
    let sql = format!(
        "SELECT card_id, {} FROM {table} WHERE map_id = ?1{labels}{range}",
        columns.join(", ")
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut params: Vec<&dyn ToSql> = Vec::new();
    let map_id = map.to_string();
    params.push(&map_id);
    let (channel, segment) = (&filter.channel, &filter.segment);
    params.push(channel);
    params.push(segment);
    // Only the numbered parameters the statement uses may be bound.
    let used = stmt.parameter_count();
    let rows = stmt.query_map(&params[..used], |row| {
        Ok((row.get::<_, String>(0)?, tally_at(row, 1)?))
    })?;
    for row in rows {
        let (card, tally) = row?;
        sum.entry(card).or_default().add(&tally);
    }
    Ok(())
}

/// A touchpoint's tally per day under `filter`, oldest first.
pub fn daily(
    conn: &Connection,
    map: MapId,
    card: CardId,
    filter: &Filter,
) -> Result<Vec<(Day, Tally)>, StoreError> {
    let (conditions, values) = filter_sql(filter, 3);
    let sql = format!(
        "SELECT day, {} FROM feedback_daily WHERE map_id = ?1 AND card_id = ?2{conditions}
         GROUP BY day ORDER BY day",
        sums()
    );
    let (map_id, card_id) = (map.to_string(), card.to_string());
    let mut params: Vec<&dyn ToSql> = vec![&map_id, &card_id];
    params.extend(values.iter().map(|v| v.as_ref()));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params.as_slice(), |row| {
        Ok((row.get(0)?, tally_at(row, 1)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A stored comment: when, what, and how it reads.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredComment {
    pub at: Millis,
    pub text: String,
    pub sentiment: f64,
}

/// The newest `limit` comments under `filter`, of one touchpoint or (with `card` absent) the
/// whole map.
pub fn comments(
    conn: &Connection,
    map: MapId,
    card: Option<CardId>,
    filter: &Filter,
    limit: usize,
) -> Result<Vec<StoredComment>, StoreError> {
    let (conditions, values) = filter_sql_by(filter, 4, "t.day");
    let sql = comments_sql(&conditions);
    let map_id = map.to_string();
    let card_id = card.map(|c| c.to_string());
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut params: Vec<&dyn ToSql> = vec![&map_id, &card_id, &limit];
    params.extend(values.iter().map(|v| v.as_ref()));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params.as_slice(), |row| {
        Ok(StoredComment {
            at: row.get(0)?,
            text: row.get(1)?,
            sentiment: row.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The newest comments of a map (`?1`), or of a card (`?2`), at most `?3`, under `conditions`.
/// Like the inbox, read through `feedback_times`: so it sees answers `times::index` has
/// reached.
fn comments_sql(conditions: &str) -> String {
    format!(
        "SELECT t.at, comment, coalesce(sentiment, 0)
         FROM feedback_times t JOIN feedback_responses r ON r.id = t.id
         WHERE t.map_id = ?1 AND (?2 IS NULL OR card_id = ?2) AND comment IS NOT NULL{conditions}
         ORDER BY t.day DESC, t.at DESC LIMIT ?3"
    )
}

/// The distinct channels and segments of a map's responses, for the filter menus.
pub fn labels(conn: &Connection, map: MapId) -> Result<(Vec<String>, Vec<String>), StoreError> {
    let map_id = map.to_string();
    let distinct = |kind: &str| -> Result<Vec<String>, StoreError> {
        let mut stmt = conn.prepare_cached(
            "SELECT value FROM feedback_labels WHERE map_id = ?1 AND kind = ?2
             ORDER BY value LIMIT 200",
        )?;
        let rows = stmt.query_map([map_id.as_str(), kind], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    };
    Ok((distinct("channel")?, distinct("segment")?))
}

/// Newest first through `feedback_times`: by day from its key (the cursor's day bounds where
/// reading starts), then by time within the day. A day's entries are sorted as read, which
/// stops at the first day past the limit.
const INBOX_SQL: &str = "SELECT t.id, card_id, t.at, nps, csat, ces, comment, sentiment,
        channel, segment, respondent, source, followed_up
     FROM feedback_times t JOIN feedback_responses r ON r.id = t.id
     WHERE t.map_id = ?1 AND (?2 = 0 OR detractor = 1)
       AND t.day <= coalesce((SELECT day FROM feedback_responses WHERE id = ?3), 9e18)
       AND (?3 IS NULL
            OR (t.day, t.at, t.id) < (SELECT day, at, id FROM feedback_responses WHERE id = ?3))
     ORDER BY t.day DESC, t.at DESC, t.id DESC LIMIT ?4";

/// The newest responses older than `before` (a response id), optionally only unhappy ones.
pub fn inbox(
    conn: &Connection,
    map: MapId,
    unhappy_only: bool,
    before: Option<i64>,
    limit: usize,
) -> Result<Vec<InboxItem>, StoreError> {
    let mut stmt = conn.prepare_cached(INBOX_SQL)?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = stmt.query_map(
        params![map.to_string(), unhappy_only, before, limit],
        |row| {
            Ok((
                row.get::<_, String>(1)?,
                row.get::<_, String>(11)?,
                InboxItem {
                    id: row.get(0)?,
                    response: Response {
                        touchpoint: CardId::from_uuid(uuid::Uuid::nil()),
                        at: row.get(2)?,
                        nps: row.get(3)?,
                        csat: row.get(4)?,
                        ces: row.get(5)?,
                        comment: row.get(6)?,
                        channel: row.get(8)?,
                        segment: row.get(9)?,
                        respondent: row.get(10)?,
                    },
                    sentiment: row.get(7)?,
                    source: Source::Form,
                    followed_up: row.get(12)?,
                },
            ))
        },
    )?;
    let mut items = Vec::new();
    for row in rows {
        let (card, source, mut item) = row?;
        item.response.touchpoint = card_id(&card)
            .ok_or_else(|| StoreError::internal(format!("malformed card id {card:?}")))?;
        item.source = Source::from_key(&source)
            .ok_or_else(|| StoreError::internal(format!("unknown source {source:?}")))?;
        items.push(item);
    }
    Ok(items)
}

pub fn set_followed_up(
    conn: &Connection,
    map: MapId,
    response: i64,
    done: bool,
) -> Result<(), StoreError> {
    let changed = conn.execute(
        "UPDATE feedback_responses SET followed_up = ?3 WHERE map_id = ?1 AND id = ?2",
        params![map.to_string(), response, done],
    )?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// The form token of a touchpoint; `fresh` becomes it when there is none or `renew` is set.
pub fn form_token(
    conn: &Connection,
    map: MapId,
    card: CardId,
    renew: bool,
    fresh: &str,
    now: Millis,
) -> Result<String, StoreError> {
    let (map_id, card_id) = (map.to_string(), card.to_string());
    if !renew {
        let existing: Option<String> = conn
            .query_row(
                "SELECT token FROM feedback_forms WHERE map_id = ?1 AND card_id = ?2",
                [&map_id, &card_id],
                |row| row.get(0),
            )
            .optional()?;
        if let Some(token) = existing {
            return Ok(token);
        }
    }
    conn.execute(
        "INSERT INTO feedback_forms (token, map_id, card_id, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (map_id, card_id) DO UPDATE SET token = excluded.token,
             created_at = excluded.created_at",
        params![fresh, map_id, card_id, now],
    )?;
    Ok(fresh.to_owned())
}

/// The touchpoint a form token belongs to, and its map's committed revision.
pub fn form(conn: &Connection, token: &str) -> Result<(MapId, CardId, Rev), StoreError> {
    let (map, card, rev): (String, String, i64) = conn.query_row(
        "SELECT f.map_id, f.card_id, m.rev FROM feedback_forms f JOIN maps m ON m.id = f.map_id
         WHERE f.token = ?1",
        [token],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
    )?;
    match (map.parse(), card_id(&card), u64::try_from(rev)) {
        (Ok(map), Some(card), Ok(rev)) => Ok((map, card, Rev(rev))),
        _ => Err(StoreError::internal("malformed ids in feedback_forms")),
    }
}

pub fn insert_api_key(
    conn: &Connection,
    map: MapId,
    key: &ApiKey,
    token_hash: &str,
    by: UserId,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO api_keys (id, map_id, token_hash, label, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            key.id.to_string(),
            map.to_string(),
            token_hash,
            key.label,
            by.to_string(),
            key.created_at
        ],
    )?;
    Ok(())
}

pub fn api_keys(conn: &Connection, map: MapId) -> Result<Vec<ApiKey>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, label, created_at, last_used_at FROM api_keys
         WHERE map_id = ?1 AND revoked_at IS NULL ORDER BY created_at DESC",
    )?;
    let rows = stmt.query_map([map.to_string()], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get(1)?,
            row.get(2)?,
            row.get(3)?,
        ))
    })?;
    rows.map(|row| {
        let (id, label, created_at, last_used_at) = row?;
        Ok(ApiKey {
            id: api_key_id(&id)?,
            label,
            created_at,
            last_used_at,
        })
    })
    .collect()
}

pub fn revoke_api_key(
    conn: &Connection,
    map: MapId,
    key: ApiKeyId,
    now: Millis,
) -> Result<(), StoreError> {
    let changed = conn.execute(
        "UPDATE api_keys SET revoked_at = ?3 WHERE map_id = ?1 AND id = ?2 AND revoked_at IS NULL",
        params![map.to_string(), key.to_string(), now],
    )?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// The map a live API key opens, with the key's id.
pub fn api_key_map(conn: &Connection, token_hash: &str) -> Result<(ApiKeyId, MapId), StoreError> {
    let (id, map): (String, String) = conn.query_row(
        "SELECT id, map_id FROM api_keys WHERE token_hash = ?1 AND revoked_at IS NULL",
        [token_hash],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    let map = map
        .parse()
        .map_err(|_| StoreError::internal("malformed map id in api_keys"))?;
    Ok((api_key_id(&id)?, map))
}

fn api_key_id(raw: &str) -> Result<ApiKeyId, StoreError> {
    raw.parse()
        .map_err(|_| StoreError::internal("malformed id in api_keys"))
}

pub fn touch_api_key(conn: &Connection, id: ApiKeyId, now: Millis) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1",
        params![id.to_string(), now],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::feedback::ResponseInput;

    fn db() -> (Connection, MapId, CardId) {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::db::migrations().to_latest(&mut conn).unwrap();
        let map = MapId::from_uuid(uuid::Uuid::from_u128(1));
        conn.execute(
            "INSERT INTO maps (id, title, stage_count, rev, created_at, updated_at)
             VALUES (?1, 't', 0, 0, 0, 0)",
            [map.to_string()],
        )
        .unwrap();
        (conn, map, CardId::from_uuid(uuid::Uuid::from_u128(2)))
    }

    fn incoming(card: CardId, day: i64, nps: i64, channel: &str) -> Incoming {
        let response = ResponseInput {
            touchpoint: "t".into(),
            at: Some(app::domain::feedback::When::Millis(day * 86_400_000 + 1000)),
            nps: Some(nps),
            comment: Some(format!("comment {nps}")),
            channel: Some(channel.into()),
            ..ResponseInput::default()
        }
        .check(|_| Some(card), i64::MAX / 2)
        .unwrap();
        Incoming {
            response,
            source: Source::Api,
            // As `feedback::incoming` marks it: negative exactly when the sentiment says so.
            sentiment: Some(if nps < 5 { -0.5 } else { 0.5 }),
            negative: nps < 5,
            followed_up: false,
        }
    }

    /// `cut` in time order, as the server calls it.
    fn slices(mut responses: Vec<Incoming>) -> Vec<Slice> {
        responses.sort_by_key(|incoming| incoming.response.at);
        let mut slices = Vec::new();
        cut(responses, |slice| {
            slices.push(slice);
            true
        });
        slices
    }

    /// Tallies by their labels' text, to compare tallies made apart.
    fn by_label(tallies: &Tallies) -> BTreeMap<(CardId, Day, String, String), Tally> {
        let label = |place: u32| tallies.labels[place as usize].clone();
        tallies
            .cells
            .iter()
            .map(|(&(card, day, channel, segment), tally)| {
                ((card, day, label(channel), label(segment)), tally.clone())
            })
            .collect()
    }

    /// Newest-first reads walk `feedback_times` backwards by day: only a day's entries are
    /// sorted, however many responses.
    #[test]
    fn newest_first_reads_use_the_time_index_without_sorting() {
        let (conn, _map, _card) = db();
        let (conditions, _) = filter_sql_by(&Filter::default(), 4, "t.day");
        for sql in [INBOX_SQL.to_owned(), comments_sql(&conditions)] {
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            // A map, a limit last, and NULL between (no card, no cursor).
            let count = stmt.parameter_count();
            let values = (1..=count).map(|i| match i {
                1 => rusqlite::types::Value::Text("m".into()),
                i if i == count => rusqlite::types::Value::Integer(10),
                _ => rusqlite::types::Value::Null,
            });
            let plan: Vec<String> = stmt
                .query_map(rusqlite::params_from_iter(values), |row| row.get(3))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let plan = plan.join("; ");
            assert!(
                plan.contains("SEARCH t USING PRIMARY KEY (map_id=?"),
                "{plan}"
            );
            // Only a day's entries are sorted, never the map's.
            // (SQLite says "FOR LAST 2 TERMS OF ORDER BY" then.)
            assert!(!plan.contains("TEMP B-TREE FOR ORDER BY"), "{plan}");
        }
    }

    #[test]
    fn slices_are_bounded_and_hold_every_answer_in_time_order_with_its_tally() {
        let (_conn, _map, card) = db();
        // One day's answers, and answers spread over 1,009 days (given out of order).
        for spread in [1, 1_009] {
            let all: Vec<Incoming> = (0..10_000)
                .map(|i| {
                    incoming(
                        card,
                        20_000 + (i * 7 % spread) as i64,
                        (i % 11) as i64,
                        ["web", "app", ""][i % 3],
                    )
                })
                .collect();
            let cut = slices(all.clone());
            assert_eq!(cut.len(), all.len().div_ceil(SLICE_SIZE));
            assert!(cut.iter().all(|s| !s.is_empty() && s.len() <= SLICE_SIZE));
            // Every answer once, in time order (and in their order within a time).
            let joined: Vec<String> = cut
                .iter()
                .flat_map(|slice| &slice.responses)
                .map(|i| format!("{i:?}"))
                .collect();
            let mut sorted = all.clone();
            sorted.sort_by_key(|i| i.response.at);
            let sorted: Vec<String> = sorted.iter().map(|i| format!("{i:?}")).collect();
            assert_eq!(joined, sorted);
            // The slices' tallies, merged as they wait, are the tallies of the whole.
            let mut merged = Tallies::default();
            cut.into_iter()
                .for_each(|slice| merged.merge(slice.into_tallies()));
            assert_eq!(by_label(&merged), by_label(&Slice::new(all).tallies));
        }
        assert!(slices(Vec::new()).is_empty());
    }

    /// Tallies taken from `Waiting` in parts, by touchpoint and day, are the whole in the end,
    /// each cell once.
    #[test]
    fn waiting_tallies_are_taken_in_parts_each_cell_once() {
        let (_conn, map, card) = db();
        let other = CardId::from_uuid(uuid::Uuid::from_u128(7));
        let all: Vec<Incoming> = (0..3_000)
            .map(|i| {
                let card = if i % 2 == 0 { card } else { other };
                incoming(
                    card,
                    20_000 + i % 400,
                    i % 11,
                    ["web", "app"][i as usize % 2],
                )
            })
            .collect();
        let waiting = Waiting::default();
        for part in all.chunks(700) {
            waiting.add(map, Slice::new(part.to_vec()).into_tallies());
        }
        let whole = by_label(&Slice::new(all).tallies);
        assert_eq!(waiting.cells(map), whole.len());
        let mut taken = BTreeMap::new();
        let mut last = None;
        while waiting.cells(map) > 0 {
            let part = waiting.take(map, Some(150));
            assert!(part.cells() <= 150 && part.cells() > 0);
            let part = by_label(&part);
            // In key order: each part after the one before.
            let (first, end) = (part.keys().next().cloned(), part.keys().last().cloned());
            assert!(last <= first.map(|(c, d, _, _)| (c, d)));
            last = end.map(|(c, d, _, _)| (c, d));
            for (key, tally) in part {
                assert!(taken.insert(key, tally).is_none(), "a cell taken twice");
            }
        }
        assert_eq!(taken, whole);
        assert_eq!(waiting.size(), 0);
        assert!(waiting.waiting().is_empty());
    }

    /// A stream is tallies added lately that have not waited too long (since the first of
    /// them, or since a write of all began); all taken, or left to wait too long, it is over.
    #[test]
    fn a_stream_of_waiting_tallies_is_recent_and_young() {
        let (_conn, map, card) = db();
        let (second, long) = (Duration::from_secs(1), Duration::from_secs(3600));
        let waiting = Waiting::default();
        assert!(!waiting.streaming(long, long), "nothing waits");
        waiting.add(
            map,
            Slice::new(vec![incoming(card, 20_000, 9, "web")]).into_tallies(),
        );
        assert!(waiting.streaming(second, long));
        std::thread::sleep(Duration::from_millis(20));
        assert!(
            !waiting.streaming(Duration::from_millis(10), long),
            "a pause"
        );
        waiting.add(
            map,
            Slice::new(vec![incoming(card, 20_001, 9, "web")]).into_tallies(),
        );
        assert!(waiting.streaming(Duration::from_millis(10), long));
        assert!(
            !waiting.streaming(second, Duration::from_millis(10)),
            "waiting since the first, too long"
        );
        waiting.writing_all();
        assert!(
            waiting.streaming(second, Duration::from_millis(10)),
            "all being written"
        );
        let taken = waiting.take(map, None);
        assert!(!waiting.streaming(long, long), "everything taken");
        waiting.settled(map, taken, true);
        assert!(
            waiting.streaming(long, Duration::from_millis(10)),
            "back to wait anew"
        );
    }

    /// Answers with ever new labels, taken in parts while more come: the labels kept waiting
    /// are only those the waiting cells name.
    #[test]
    fn waiting_tallies_forget_the_labels_of_cells_taken() {
        let (_conn, map, card) = db();
        let waiting = Waiting::default();
        for round in 0..50 {
            let answers: Vec<Incoming> = (0..200)
                .map(|i| {
                    let mut answer = incoming(card, 20_000 + i % 30, i % 11, "web");
                    answer.response.segment = format!("segment {round}-{i}");
                    answer
                })
                .collect();
            waiting.add(map, Slice::new(answers).into_tallies());
            waiting.take(map, Some(190));
            let state = waiting.state();
            let kept = &state.maps[&map];
            assert!(
                kept.labels.len() <= 2 * kept.cells() + 64,
                "{}",
                kept.labels.len()
            );
        }
        assert_eq!(waiting.cells(map), 50 * 10);
    }

    /// The tallies agree with a count over the responses, filtered or not.
    #[test]
    fn tallies_match_the_responses() {
        let (conn, map, card) = db();
        let day = 20_000;
        let batch: Vec<Incoming> = (0..30)
            .map(|i| {
                incoming(
                    card,
                    day + i % 3,
                    i % 11,
                    if i % 2 == 0 { "web" } else { "app" },
                )
            })
            .collect();
        insert_responses(&conn, map, &Slice::new(batch.clone()), 0).unwrap();
        insert_responses(&conn, map, &Slice::new(batch[..5].to_vec()), 0).unwrap();

        let all = tallies(&conn, map, &Filter::default()).unwrap();
        assert_eq!(all.len(), 1);
        let (_, total) = &all[0];
        assert_eq!(total.responses, 35);
        assert_eq!(total.comments, 35);
        let negatives = batch.iter().filter(|i| i.negative).count()
            + batch[..5].iter().filter(|i| i.negative).count();
        assert_eq!(total.negative, negatives as u64);
        let by_day = Filter {
            from: Some(day),
            to: Some(day),
            ..Filter::default()
        };
        let (_, first_day) = &tallies(&conn, map, &by_day).unwrap()[0];
        let expected: i64 = conn
            .query_row(
                "SELECT count(*) FROM feedback_responses WHERE day = ?1",
                [day],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(first_day.responses, expected as u64);
        let web = Filter {
            channel: Some("web".into()),
            ..Filter::default()
        };
        let (_, on_web) = &tallies(&conn, map, &web).unwrap()[0];
        assert_eq!(on_web.responses, 15 + 3);
        let days = daily(&conn, map, card, &Filter::default()).unwrap();
        assert_eq!(
            days.iter().map(|(d, _)| *d).collect::<Vec<_>>(),
            [day, day + 1, day + 2]
        );
        assert_eq!(days.iter().map(|(_, t)| t.responses).sum::<u64>(), 35);
        assert_eq!(
            labels(&conn, map).unwrap(),
            (vec!["app".into(), "web".into()], vec![])
        );
    }

    #[test]
    fn the_inbox_pages_newest_first_and_filters_unhappy() {
        let (conn, map, card) = db();
        let batch: Vec<Incoming> = (0..11).map(|i| incoming(card, 20_000 + i, i, "")).collect();
        insert_responses(&conn, map, &Slice::new(batch), 0).unwrap();
        assert!(
            inbox(&conn, map, false, None, 4).unwrap().is_empty(),
            "not yet in time order"
        );
        assert!(times::index(&conn, i64::MAX, 1_000).unwrap());
        let first = inbox(&conn, map, false, None, 4).unwrap();
        assert_eq!(
            first.iter().map(|i| i.response.nps).collect::<Vec<_>>(),
            [Some(10), Some(9), Some(8), Some(7)]
        );
        let next = inbox(&conn, map, false, Some(first[3].id), 4).unwrap();
        assert_eq!(next[0].response.nps, Some(6));
        let unhappy = inbox(&conn, map, true, None, 100).unwrap();
        assert_eq!(unhappy.len(), 7, "NPS 0–6");
        set_followed_up(&conn, map, unhappy[0].id, true).unwrap();
        assert!(inbox(&conn, map, true, None, 1).unwrap()[0].followed_up);
        assert!(matches!(
            set_followed_up(&conn, map, 9999, true),
            Err(StoreError::NotFound)
        ));
    }

    /// Answers stored out of time order get their entries in parts, and read newest first
    /// whole; taking answers out takes their entries, also when the newest go and their ids are
    /// given again.
    #[test]
    fn the_time_order_is_filled_in_parts_and_follows_deletions() {
        let (conn, map, card) = db();
        let newest_first = |conn: &Connection| -> Vec<i64> {
            inbox(conn, map, false, None, usize::MAX)
                .unwrap()
                .iter()
                .map(|i| i.response.at)
                .collect()
        };
        // Days shuffled by a stride coprime with their count.
        let batch: Vec<Incoming> = (0..500)
            .map(|i| incoming(card, 20_000 + i * 37 % 500, i % 11, ""))
            .collect();
        let stored = insert_responses(&conn, map, &Slice::new(batch), 0)
            .unwrap()
            .unwrap();
        let until = times::behind(&conn).unwrap().expect("behind");
        assert_eq!(until, stored.last);
        let mut parts = 1;
        while !times::index(&conn, until, 64).unwrap() {
            parts += 1;
        }
        assert_eq!((parts, times::behind(&conn).unwrap()), (8, None));
        let mut expected: Vec<i64> = (0..500).map(|d| (20_000 + d) * 86_400_000 + 1000).collect();
        expected.reverse();
        assert_eq!(newest_first(&conn), expected);
        // The newest ten taken out: the ten stored next reuse their ids, and get entries.
        remove_responses(
            &conn,
            map,
            Stored {
                first: stored.last - 9,
                last: stored.last,
            },
        )
        .unwrap();
        assert_eq!(times::behind(&conn).unwrap(), None);
        let again: Vec<Incoming> = (0..10).map(|i| incoming(card, 30_000 + i, 5, "")).collect();
        let reused = insert_responses(&conn, map, &Slice::new(again), 0)
            .unwrap()
            .unwrap();
        assert_eq!(reused.first, stored.last - 9);
        assert_eq!(times::behind(&conn).unwrap(), Some(reused.last));
        assert!(times::index(&conn, reused.last, 64).unwrap());
        assert_eq!(newest_first(&conn).len(), 500);
        assert_eq!(newest_first(&conn)[0], 30_009 * 86_400_000 + 1000);
        // A deleted map's entries go with its answers.
        conn.execute("DELETE FROM maps WHERE id = ?1", [map.to_string()])
            .unwrap();
        let left: i64 = conn
            .query_row("SELECT count(*) FROM feedback_times", [], |row| row.get(0))
            .unwrap();
        assert_eq!(left, 0);
    }

    #[test]
    fn bad_scores_are_refused_by_the_schema_too() {
        let (conn, map, card) = db();
        let mut bad = incoming(card, 20_000, 5, "");
        bad.response.nps = Some(11);
        assert!(insert_responses(&conn, map, &Slice::new(vec![bad]), 0).is_err());
    }

    /// Every tally table as text, to compare before and after.
    fn all_tallies(conn: &Connection) -> Vec<String> {
        let mut out = Vec::new();
        for (table, _) in TALLY_TABLES {
            let mut stmt = conn
                .prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2, 3, 4, 5"))
                .or_else(|_| conn.prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2")))
                .unwrap();
            let n = stmt.column_count();
            let rows = stmt
                .query_map([], |row| {
                    let values: Vec<String> = (0..n)
                        .map(|i| format!("{:?}", row.get_ref(i).unwrap()))
                        .collect();
                    Ok(format!("{table}: {}", values.join(",")))
                })
                .unwrap();
            out.extend(rows.map(Result::unwrap));
        }
        out
    }

    fn count(conn: &Connection, sql: &str) -> i64 {
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// A batch's slices taken out again leave responses and every tally as they were, whether
    /// undone slice by slice or at the next start; and at the next start whether or not their
    /// tallies were written before the server stopped.
    #[test]
    fn an_unfinished_batch_is_undone_exactly() {
        for written in [true, false] {
            let (conn, map, card) = db();
            let before: Vec<Incoming> = (0..7)
                .map(|i| incoming(card, 20_000 + i, i, "web"))
                .collect();
            insert_responses(&conn, map, &Slice::new(before.clone()), 0).unwrap();
            let tallies_before = all_tallies(&conn);
            let batch = begin_batch(&conn, map, 0, false).unwrap();
            for slice in 0..3 {
                let rows: Vec<Incoming> = (0..40)
                    .map(|i| {
                        incoming(
                            card,
                            20_000 + (i + slice) % 40,
                            i % 11,
                            ["web", "app"][i as usize % 2],
                        )
                    })
                    .collect();
                let slice = Slice::new(rows);
                insert_slice(&conn, map, batch, &slice, 0).unwrap();
                if written {
                    // As `Waiting` writes them before a slice is undone.
                    write_tallies(&conn, map, &slice.into_tallies()).unwrap();
                }
            }
            assert_eq!(count(&conn, "SELECT count(*) FROM feedback_responses"), 127);
            assert_eq!(count(&conn, "SELECT count(*) FROM feedback_unflushed"), 1);
            if written {
                assert!(undo_slice(&conn, batch).unwrap());
            } else {
                // A start after a crash: the tallies are counted again first.
                assert_eq!(recount_unflushed(&conn).unwrap(), 1);
                assert_eq!(count(&conn, "SELECT count(*) FROM feedback_unflushed"), 0);
            }
            assert_eq!(undo_unfinished(&conn).unwrap(), 1);
            assert_eq!(count(&conn, "SELECT count(*) FROM feedback_responses"), 7);
            assert_eq!(count(&conn, "SELECT count(*) FROM feedback_batches"), 0);
            assert_eq!(all_tallies(&conn), tallies_before, "written: {written}");

            // A finished batch stays.
            let batch = begin_batch(&conn, map, 0, false).unwrap();
            insert_slice(&conn, map, batch, &Slice::new(before.clone()), 0).unwrap();
            finish_batch(&conn, batch).unwrap();
            assert_eq!(undo_unfinished(&conn).unwrap(), 0);
            assert_eq!(count(&conn, "SELECT count(*) FROM feedback_responses"), 14);
        }
    }

    /// A recount gives the tallies that writing each answer's would have, however they were
    /// left (some written, some not, some rows from an older count).
    #[test]
    fn a_recount_gives_the_tallies_of_the_responses() {
        let (conn, map, card) = db();
        let rows: Vec<Incoming> = (0..500)
            .map(|i| {
                incoming(
                    card,
                    19_000 + i * 13 % 300,
                    i % 11,
                    ["web", "", "app"][i as usize % 3],
                )
            })
            .collect();
        insert_responses(&conn, map, &Slice::new(rows.clone()), 0).unwrap();
        let expected = all_tallies(&conn);
        // The same answers in a new database (with the same ids), a part tallied at once, the
        // rest left waiting when the server stopped.
        let (conn, map, _card) = db();
        insert_responses(&conn, map, &Slice::new(rows[..100].to_vec()), 0).unwrap();
        store_responses_only(&conn, map, &Slice::new(rows[100..].to_vec()), 0).unwrap();
        assert_ne!(all_tallies(&conn), expected);
        assert_eq!(recount_unflushed(&conn).unwrap(), 1);
        assert_eq!(all_tallies(&conn), expected);
        assert_eq!(recount_unflushed(&conn).unwrap(), 0, "the mark is gone");
    }

    #[test]
    fn deleting_in_chunks_empties_every_table() {
        let (conn, map, card) = db();
        let rows: Vec<Incoming> = (0..2_500)
            .map(|i| incoming(card, 19_000 + i, i % 11, "web"))
            .collect();
        insert_responses(&conn, map, &Slice::new(rows), 0).unwrap();
        let mut chunks = 0;
        while delete_some(&conn, map).unwrap() {
            chunks += 1;
        }
        assert!(chunks >= 3, "bounded chunks, not one statement");
        let tallies = TALLY_TABLES.iter().map(|(table, _)| *table);
        for table in std::iter::once("feedback_responses").chain(tallies) {
            assert_eq!(
                count(&conn, &format!("SELECT count(*) FROM {table}")),
                0,
                "{table}"
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Whatever the filter (dates open or closed, across month ends, labels or none), the
        /// tallies read equal a count over the responses themselves.
        #[test]
        fn every_filter_reads_what_a_scan_counts(
            days in proptest::collection::vec((0i64..120, 0usize..3, 0usize..2), 1..80),
            from in proptest::option::of(0i64..130),
            span in 0i64..130,
            open_end in proptest::bool::ANY,
            channel in proptest::option::of(0usize..3),
            segment in proptest::option::of(0usize..2),
        ) {
            const CHANNELS: [&str; 3] = ["web", "", "store"];
            const SEGMENTS: [&str; 2] = ["", "vip"];
            let (conn, map, card) = db();
            // 2024-12-20 onwards: across month ends, February and a year's end.
            let start = 20_077;
            let rows: Vec<Incoming> = days
                .iter()
                .enumerate()
                .map(|(i, (d, c, s))| {
                    let mut r = incoming(card, start + d, (i % 11) as i64, CHANNELS[*c]);
                    r.response.segment = SEGMENTS[*s].to_owned();
                    r
                })
                .collect();
            insert_responses(&conn, map, &Slice::new(rows.clone()), 0).unwrap();
            let filter = Filter {
                from: from.map(|f| start + f),
                to: (!open_end).then(|| start + from.unwrap_or(0) + span),
                channel: channel.map(|c| CHANNELS[c].to_owned()),
                segment: segment.map(|s| SEGMENTS[s].to_owned()),
            };
            let read: u64 = tallies(&conn, map, &filter).unwrap().iter().map(|(_, t)| t.responses).sum();
            let scanned = rows
                .iter()
                .filter(|r| {
                    let day = day_of(r.response.at);
                    filter.from.is_none_or(|f| day >= f)
                        && filter.to.is_none_or(|t| day <= t)
                        && filter.channel.as_ref().is_none_or(|c| *c == r.response.channel)
                        && filter.segment.as_ref().is_none_or(|s| *s == r.response.segment)
                })
                .count() as u64;
            proptest::prop_assert_eq!(read, scanned, "{:?}", filter);
        }
    }
}
