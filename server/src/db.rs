//! SQLite storage: the only module that names rusqlite or SQL.
//!
//! One writer thread owns the only writing connection and commits jobs in batches (one IMMEDIATE
//! transaction per batch, `synchronous=FULL`, so a job's reply means it is on disk). Reads use a
//! small pool of read-only connections. Callers reach both through async methods that never
//! block the executor: writes go through a bounded queue, reads run in `spawn_blocking`.

pub mod accounts;
pub mod audit;
mod backlog;
mod beside;
mod checkpoint;
mod definitions;
pub mod feedback;
mod history;
pub mod journey;
mod library;
pub mod links;
pub mod mail;
mod maps;
pub mod notify;
mod targets;
mod writer;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags};
use rusqlite_migration::{Migrations, M};

use crate::pseudonyms::Pseudonyms;

pub use checkpoint::Checkpoints;
pub use maps::{append_ops, LogEntry, MapRecord, StoredMap};
pub use writer::{Pending, Reserved, Writer};

/// Failures of the storage layer, without rusqlite types.
#[derive(Clone, Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// The change would break a rule of the data (an email already used, a map's last owner
    /// removed); the message says which, for the person who asked.
    #[error("{0}")]
    Conflict(String),
    #[error("storage failure: {0}")]
    Internal(String),
}

impl StoreError {
    pub fn internal(err: impl std::fmt::Display) -> StoreError {
        StoreError::Internal(err.to_string())
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> StoreError {
        match err {
            rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound,
            other => StoreError::internal(other),
        }
    }
}

/// Errors opening the database at startup.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot open the database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot migrate the database: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("cannot open the read pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("cannot undo the unfinished bulk writes of the last run: {0}")]
    Undo(String),
    #[error("cannot start the writer thread: {0}")]
    Thread(#[from] std::io::Error),
    #[error("cannot read or make the pseudonym key in the data directory: {0}")]
    Key(std::io::Error),
    #[error(
        "this database was written by a newer Waymark (schema version {found}; this Waymark \
         knows up to {supported}). Run the newer Waymark, or restore a backup made by this one."
    )]
    TooNew { found: i64, supported: i64 },
}

/// Revisions are `u64` in Rust and `INTEGER` (i64) in SQLite; no map gets near the limit.
pub(crate) fn rev_param(rev: app::domain::ids::Rev) -> i64 {
    i64::try_from(rev.0).unwrap_or(i64::MAX)
}

/// An id read from the database; one that does not parse is a corrupt row, an internal error.
pub(crate) fn parse_id<T: std::str::FromStr>(raw: &str) -> Result<T, StoreError> {
    raw.parse()
        .map_err(|_| StoreError::internal(format!("malformed id {raw:?} in the database")))
}

pub(crate) fn rev_column(value: i64) -> app::domain::ids::Rev {
    app::domain::ids::Rev(u64::try_from(value).unwrap_or(0))
}

/// The schema's migrations, oldest first. An applied migration is never edited.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/001_init.sql"),
    include_str!("../migrations/002_history.sql"),
    include_str!("../migrations/003_accounts.sql"),
    include_str!("../migrations/004_feedback.sql"),
    include_str!("../migrations/005_feedback_rollups.sql"),
    include_str!("../migrations/006_unindex_updated_at.sql"),
    include_str!("../migrations/007_sign_in_guards_and_disclosure.sql"),
    include_str!("../migrations/008_feedback_slices_and_filters.sql"),
    include_str!("../migrations/009_drop_unused_feedback_indexes.sql"),
    include_str!("../migrations/010_edits_externally_tagged.sql"),
    include_str!("../migrations/011_cheap_source_check.sql"),
    include_str!("../migrations/012_time_index_ascending.sql"),
    include_str!("../migrations/013_journey.sql"),
    include_str!("../migrations/014_share_link_funnel.sql"),
    include_str!("../migrations/015_audit_log.sql"),
    include_str!("../migrations/016_mail.sql"),
    include_str!("../migrations/017_notifications_and_reviews.sql"),
    include_str!("../migrations/018_stage_owners.sql"),
    include_str!("../migrations/019_map_catalog.sql"),
    include_str!("../migrations/020_opportunity_backlog.sql"),
    include_str!("../migrations/021_map_links.sql"),
    include_str!("../migrations/022_map_targets.sql"),
    include_str!("../migrations/023_persona_library.sql"),
    include_str!("../migrations/024_metric_and_channel_library.sql"),
    include_str!("../migrations/025_side_log.sql"),
    include_str!("../migrations/026_sub_journey_of_a_card.sql"),
    include_str!("../migrations/027_feedback_unflushed.sql"),
    include_str!("../migrations/028_feedback_times.sql"),
];

fn migrations() -> Migrations<'static> {
    Migrations::new(MIGRATIONS.iter().map(|sql| M::up(sql)).collect())
}

/// The writer's page cache, in KiB.
const WRITER_CACHE_KIB: i64 = 64 * 1024;
/// WAL pages after which a commit checkpoints on the writer's thread (SQLite's default is
/// 1,000, 4 MB): only a backstop, should the checkpointing thread fall behind.
const CHECKPOINT_PAGES: i64 = 64_000;

/// The database: a writer and a pool of readers over one SQLite file.
#[derive(Clone)]
pub struct Db {
    writer: Writer,
    readers: r2d2::Pool<SqliteConnectionManager>,
    /// `None` when checkpoints are left to Litestream (`Checkpoints::Off`).
    _checkpointer: Option<Arc<checkpoint::Checkpointer>>,
    /// The data's own key (see `pseudonyms`), kept beside the file.
    pseudonyms: Arc<Pseudonyms>,
    /// Journey counts' changes not yet written (see `journey::Pending`).
    journey: Arc<journey::Pending>,
    /// Bulk answers' tallies not yet written (see `feedback::Waiting`).
    feedback: Arc<feedback::Waiting>,
}

impl Db {
    /// Opens (creating if needed) and migrates the database at `path`, checkpointing it on a
    /// thread of its own. Returns whether the file was new, so the caller can seed it.
    pub fn open(path: &Path) -> Result<(Db, bool), OpenError> {
        Db::open_with(path, Checkpoints::Passive)
    }

    /// `open`, with `checkpoints` saying who copies the write-ahead log back into the file.
    pub fn open_with(path: &Path, checkpoints: Checkpoints) -> Result<(Db, bool), OpenError> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let pseudonyms = Arc::new(Pseudonyms::open(dir).map_err(OpenError::Key)?);
        let mut conn = Connection::open(path)?;
        configure(&conn)?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        // Bulk work touches tally and index pages all over the file: with SQLite's 2 MB
        // default most of them are read back through the kernel on every slice. Profiled under
        // a stream of API batches, those reads were a large part of the writer's time.
        // Checkpoints run on a thread of their own (see `checkpoint`).
        conn.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)?;
        conn.pragma_update(None, "wal_autocheckpoint", CHECKPOINT_PAGES)?;
        // Each job runs in a savepoint, whose journal (the pages as they were before the job)
        // SQLite writes to a temporary file once it passes 64 KB, as a bulk slice's does: a
        // twelfth of the writer's time went to creating and writing those files (profiled).
        // In memory, a job's journal is at most the pages the job touches.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        let fresh = migrate(&mut conn)? == 0;
        // Bulk answers whose tallies were still in memory when the last run stopped: first,
        // so that taking out an unfinished batch below subtracts from whole tallies.
        let recounted =
            feedback::recount_unflushed(&conn).map_err(|e| OpenError::Undo(e.to_string()))?;
        if recounted > 0 {
            tracing::warn!(
                recounted,
                "recounted the feedback tallies of maps the last run stopped before writing them"
            );
        }
        // A bulk request that a stopped server left half-stored was never acknowledged:
        // take it out before anyone reads (see `feedback::undo_unfinished`).
        let undone =
            feedback::undo_unfinished(&conn).map_err(|e| OpenError::Undo(e.to_string()))?;
        if undone > 0 {
            tracing::warn!(
                undone,
                "took out responses of requests left unfinished by the last run"
            );
        }
        // The same for journey imports; before the recount, which then counts what is left.
        let undone = journey::undo_unfinished(&conn).map_err(|e| OpenError::Undo(e.to_string()))?;
        if undone > 0 {
            tracing::warn!(
                undone,
                "took out journey events of imports left unfinished by the last run"
            );
        }
        let recounted =
            journey::recount_unflushed(&conn).map_err(|e| OpenError::Undo(e.to_string()))?;
        if recounted > 0 {
            tracing::warn!(
                recounted,
                "recounted the journey figures of maps the last run stopped before writing them"
            );
        }
        // Room for every statement the writer runs often (the default is 16).
        conn.set_prepared_statement_cache_capacity(64);
        let manager = SqliteConnectionManager::file(path)
            .with_flags(OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .with_init(|c| configure(c));
        let readers = r2d2::Pool::builder()
            .max_size(8)
            .connection_timeout(Duration::from_secs(10))
            .build(manager)?;
        let checkpointer = match checkpoints {
            Checkpoints::Passive => Some(Arc::new(checkpoint::start(path)?)),
            Checkpoints::Off => None,
        };
        let writer = Writer::start(conn)?;
        Ok((
            Db {
                writer,
                readers,
                _checkpointer: checkpointer,
                pseudonyms,
                journey: Arc::default(),
                feedback: Arc::default(),
            },
            fresh,
        ))
    }

    pub fn pseudonyms(&self) -> &Pseudonyms {
        &self.pseudonyms
    }

    pub fn journey_pending(&self) -> &journey::Pending {
        &self.journey
    }

    pub fn feedback_waiting(&self) -> &Arc<feedback::Waiting> {
        &self.feedback
    }

    /// Runs `write` once, `delay` from now, for every call made meanwhile: the flag `due`
    /// picks is set while one waits. For figures kept in memory to be written together
    /// (`journey::Pending`, `feedback::Waiting`); should the write fail, what it would have
    /// written waits for the next.
    pub fn write_later<W, F>(
        &self,
        due: fn(&Db) -> &std::sync::atomic::AtomicBool,
        delay: Duration,
        what: &'static str,
        write: W,
    ) where
        W: FnOnce(Db) -> F + Send + 'static,
        F: std::future::Future<Output = Result<(), StoreError>> + Send,
    {
        use std::sync::atomic::Ordering;
        if due(self).swap(true, Ordering::SeqCst) {
            return;
        }
        let db = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            due(&db).store(false, Ordering::SeqCst);
            if let Err(err) = write(db).await {
                tracing::warn!(%err, "could not write the {what} yet; they wait for the next try");
            }
        });
    }

    /// Returns once every write queued before this call is committed.
    pub async fn flush(&self) -> Result<(), StoreError> {
        self.writer.write(|_| Ok(())).await
    }

    /// Whether the database answers reads and the writer takes writes.
    pub async fn ready(&self) -> Result<(), StoreError> {
        self.read(|conn| {
            conn.query_row("SELECT count(*) FROM maps", [], |_| Ok(()))
                .map_err(StoreError::from)
        })
        .await?;
        self.flush().await
    }

    pub fn writer(&self) -> &Writer {
        &self.writer
    }

    /// Runs `chunk` on the bulk lane, each run one job committed before the next is queued,
    /// until it answers `None`: work too large for one writer job (undoing a failed import,
    /// say), so live writes wait behind one chunk at most. `done` gets what each committed
    /// chunk returned. On an error, the chunks committed before it stay.
    pub async fn in_chunks<T, F>(&self, chunk: F, mut done: impl FnMut(T)) -> Result<(), StoreError>
    where
        T: Send + 'static,
        F: Fn(&Connection) -> Result<Option<T>, StoreError> + Clone + Send + 'static,
    {
        loop {
            let chunk = chunk.clone();
            let outcome = self
                .writer
                .enqueue_bulk(move |conn| chunk(conn))
                .await?
                .committed()
                .await?;
            match outcome {
                Some(did) => done(did),
                None => return Ok(()),
            }
        }
    }

    /// Runs a read on a pooled connection, off the async executor.
    pub async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let pool = self.readers.clone();
        tokio::task::spawn_blocking(move || {
            let conn = pool.get().map_err(StoreError::internal)?;
            f(&conn)
        })
        .await
        .map_err(StoreError::internal)?
    }
}

/// The schema version the migrations in this build lead to.
pub fn latest_schema() -> i64 {
    MIGRATIONS.len() as i64
}

/// Migrates `conn` to the latest schema; returns the version it had before. Refuses a database
/// from a newer Waymark rather than corrupting it.
fn migrate(conn: &mut Connection) -> Result<i64, OpenError> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found > latest_schema() {
        return Err(OpenError::TooNew {
            found,
            supported: latest_schema(),
        });
    }
    migrations().to_latest(conn)?;
    Ok(found)
}

/// Copies the database at `source` into a new file at `target` with SQLite's online backup,
/// which is safe while a server is writing: the copy is one consistent snapshot.
pub fn backup(source: &Path, target: &Path) -> Result<u64, OpenError> {
    let src = Connection::open_with_flags(source, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    src.busy_timeout(Duration::from_secs(30))?;
    let mut dst = Connection::open(target)?;
    {
        let backup = rusqlite::backup::Backup::new(&src, &mut dst)?;
        // Everything in one step: one read transaction, so one consistent snapshot, which in
        // WAL mode does not hold up the server's writes.
        backup.step(-1)?;
    }
    let pages: i64 = dst.pragma_query_value(None, "page_count", |row| row.get(0))?;
    let size: i64 = dst.pragma_query_value(None, "page_size", |row| row.get(0))?;
    Ok(u64::try_from(pages * size).unwrap_or(0))
}

/// Checks that `file` is a Waymark database this build can open: SQLite, intact, not newer.
pub fn check_restorable(file: &Path) -> Result<i64, String> {
    let conn = Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| format!("cannot open {}: {e}", file.display()))?;
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .map_err(|e| format!("{} is not a SQLite database: {e}", file.display()))?;
    if integrity != "ok" {
        return Err(format!("{} is damaged: {integrity}", file.display()));
    }
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(|e| e.to_string())?;
    let has_maps: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'maps')",
            [],
            |row| row.get(0),
        )
        .map_err(|e| e.to_string())?;
    if version == 0 || !has_maps {
        return Err(format!("{} is not a Waymark database", file.display()));
    }
    if version > latest_schema() {
        return Err(format!(
            "{} comes from a newer Waymark (schema {version}; this one knows up to {})",
            file.display(),
            latest_schema()
        ));
    }
    Ok(version)
}

/// The first column of every row `sql` selects: a list of ids, say.
pub(crate) fn first_column<T: rusqlite::types::FromSql>(
    conn: &Connection,
    sql: &str,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |row| row.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn configure(conn: &Connection) -> Result<(), rusqlite::Error> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // WAL is a property of the file; asking again on a read-only connection is harmless.
    if !conn.is_readonly(rusqlite::MAIN_DB)? {
        conn.pragma_update(None, "journal_mode", "WAL")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        migrations().validate().unwrap();
        let mut conn = Connection::open_in_memory().unwrap();
        migrations().to_latest(&mut conn).unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(
            version,
            latest_schema(),
            "latest_schema() names the last migration"
        );
    }

    /// Migration 011 keeps every response as it was, still refuses a source it does not know,
    /// and storing a response no longer builds a temporary table for the check (the reason
    /// for the migration: it was about half of an insert's cost).
    #[test]
    fn migration_11_keeps_responses_and_checks_sources_cheaply() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "foreign_keys", "ON").unwrap();
        Migrations::new(MIGRATIONS[..10].iter().map(|sql| M::up(sql)).collect())
            .to_latest(&mut conn)
            .unwrap();
        conn.execute_batch(
            "INSERT INTO maps (id, title, stage_count, rev, created_at, updated_at)
                 VALUES ('m', 't', 0, 0, 0, 0);
             INSERT INTO feedback_responses (map_id, card_id, at, day, nps, comment, sentiment,
                 channel, source, received_at, detractor)
                 VALUES ('m', 'c', 86400000, 1, 3, 'late', -0.4, 'web', 'csv', 7, 1),
                        ('m', 'd', 5, 0, 10, NULL, NULL, '', 'form', 8, 0);",
        )
        .unwrap();
        let all = |conn: &Connection| -> Vec<String> {
            let mut stmt = conn
                .prepare("SELECT * FROM feedback_responses ORDER BY id")
                .unwrap();
            let columns = stmt.column_count();
            stmt.query_map([], |row| {
                (0..columns)
                    .map(|i| {
                        row.get::<_, rusqlite::types::Value>(i)
                            .map(|v| format!("{v:?}"))
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(|v| v.join(","))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
        };
        let before = all(&conn);
        migrations().to_latest(&mut conn).unwrap();
        assert_eq!(all(&conn), before);
        let insert = "INSERT INTO feedback_responses (map_id, card_id, at, day, nps, source,
                          received_at) VALUES ('m', 'c', 1, 0, 9, ?1, 1)";
        assert!(conn.execute(insert, ["mail"]).is_err(), "an unknown source");
        assert!(conn.execute(insert, ["api"]).is_ok());
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN {insert}"))
            .unwrap()
            .query_map(["api"], |row| row.get(1))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(!plan.iter().any(|op| op == "OpenEphemeral"), "{plan:?}");
        let indexed: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'feedback_by_map'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(indexed, 1);
    }

    /// Migration 028 gives every response its entry in the time order, and the mark past the
    /// newest.
    #[test]
    fn migration_28_puts_every_response_in_time_order() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "foreign_keys", "ON").unwrap();
        Migrations::new(MIGRATIONS[..27].iter().map(|sql| M::up(sql)).collect())
            .to_latest(&mut conn)
            .unwrap();
        conn.execute_batch(
            "INSERT INTO maps (id, title, stage_count, rev, created_at, updated_at)
                 VALUES ('m', 't', 0, 0, 0, 0);
             INSERT INTO feedback_responses (map_id, card_id, at, day, nps, source, received_at)
                 VALUES ('m', 'c', 9, 0, 3, 'api', 7), ('m', 'c', 5, 0, 10, 'form', 8);",
        )
        .unwrap();
        migrations().to_latest(&mut conn).unwrap();
        let times: Vec<String> = conn
            .prepare("SELECT format('%s %d %d', map_id, at, id) FROM feedback_times ORDER BY at")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(times, ["m 5 2", "m 9 1"]);
        assert_eq!(feedback::times::behind(&conn).unwrap(), None);
    }

    /// Migration 025 carries what the audit log recorded of changes beside a map into the side
    /// log, as entries that list but cannot be undone, and leaves other actions and maps out.
    #[test]
    fn migration_25_lists_earlier_side_changes_without_undo() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "foreign_keys", "ON").unwrap();
        Migrations::new(MIGRATIONS[..24].iter().map(|sql| M::up(sql)).collect())
            .to_latest(&mut conn)
            .unwrap();
        let map = "00000000-0000-0000-0000-000000000001";
        conn.execute_batch(&format!(
            "INSERT INTO maps (id, title, stage_count, rev, created_at, updated_at)
                 VALUES ('{map}', 't', 0, 0, 0, 0);
             INSERT INTO audit_log (at, actor, actor_label, action, map_id, detail) VALUES
                 (1, 'u', 'Ada', 'map_catalogued', '{map}', 'Validated, b2c'),
                 (2, 'u', 'Ada', 'map_exported', '{map}', 'json'),
                 (3, 'u', 'Ada', 'targets_changed', 'gone', 'Whole map: NPS +20'),
                 (4, NULL, 'Ada', 'map_reviewed', '{map}', NULL);"
        ))
        .unwrap();
        migrations().to_latest(&mut conn).unwrap();
        let entries = beside::entries(&conn, map.parse().unwrap(), 10).unwrap();
        let listed: Vec<(&str, i64, bool, bool)> = entries
            .iter()
            .map(|(e, undoable)| (e.what.as_str(), e.at, e.change.is_some(), *undoable))
            .collect();
        assert_eq!(
            listed,
            [
                ("Reviewed", 4, false, false),
                ("Status and tags: Validated, b2c", 1, false, false)
            ]
        );
    }

    /// Migration 010 rewrites the operation log from internally tagged edits to externally
    /// tagged ones: every kind of edit reads back as what was stored.
    #[test]
    fn migration_10_keeps_every_edit_of_the_log() {
        use app::domain::edit::{apply, Edit};
        use app::domain::fixture::{choice, sample_map};
        use proptest::strategy::{Strategy, ValueTree};
        use proptest::test_runner::TestRunner;
        use serde_json::{json, Value};

        let mut runner = TestRunner::deterministic();
        let mut map = sample_map();
        let mut edits = vec![Edit::Withheld];
        while edits.len() < 300 {
            let edit = choice().new_tree(&mut runner).unwrap().current().edit(&map);
            let _ = apply(&mut map, &edit);
            edits.push(edit);
        }
        // The form before migration 010: the variant's name as "type", beside its fields.
        let before = |edit: &Edit| -> String {
            match serde_json::to_value(edit).unwrap() {
                Value::String(tag) => json!({ "type": tag }).to_string(),
                Value::Object(tagged) => {
                    let (tag, fields) = tagged.into_iter().next().unwrap();
                    let mut old =
                        serde_json::Map::from_iter([("type".to_owned(), Value::String(tag))]);
                    old.extend(fields.as_object().unwrap().clone());
                    Value::Object(old).to_string()
                }
                other => panic!("an edit as {other}"),
            }
        };
        let mut conn = Connection::open_in_memory().unwrap();
        // The log alone is enough here: no map rows for it to belong to.
        conn.pragma_update(None, "foreign_keys", false).unwrap();
        Migrations::new(MIGRATIONS[..9].iter().map(|sql| M::up(sql)).collect())
            .to_latest(&mut conn)
            .unwrap();
        for (rev, edit) in (0i64..).zip(&edits) {
            conn.execute(
                "INSERT INTO ops (map_id, rev, op_id, edit, created_at) VALUES ('m', ?1, ?1, ?2, 0)",
                rusqlite::params![rev, before(edit)],
            )
            .unwrap();
        }
        migrations().to_latest(&mut conn).unwrap();
        let stored: Vec<String> = conn
            .prepare("SELECT edit FROM ops ORDER BY rev")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(stored.len(), edits.len());
        for (json, edit) in stored.iter().zip(&edits) {
            assert_eq!(&serde_json::from_str::<Edit>(json).unwrap(), edit, "{json}");
        }
    }

    #[test]
    fn a_database_from_a_newer_waymark_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.sqlite");
        Db::open(&path).unwrap();
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        let err = Db::open(&path).err().unwrap();
        assert!(
            err.to_string().contains("newer Waymark (schema version 99"),
            "{err}"
        );
        assert!(check_restorable(&path)
            .unwrap_err()
            .contains("newer Waymark"));
    }

    #[test]
    fn migrating_an_empty_database_creates_the_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.sqlite");
        let (_, fresh) = Db::open(&path).unwrap();
        assert!(fresh);
        let conn = Connection::open(&path).unwrap();
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            tables,
            [
                "api_keys",
                "audit_log",
                "comment_authors",
                "devices",
                "email_verifications",
                "feedback_batch_slices",
                "feedback_batches",
                "feedback_daily",
                "feedback_days",
                "feedback_forms",
                "feedback_labelled",
                "feedback_labelled_days",
                "feedback_labelled_months",
                "feedback_labels",
                "feedback_months",
                "feedback_responses",
                "feedback_times",
                "feedback_times_upto",
                "feedback_totals",
                "feedback_unflushed",
                "invites",
                "journey_batch_steps",
                "journey_batches",
                "journey_counts",
                "journey_paths",
                "journey_retained",
                "journey_settings",
                "journey_unflushed",
                "library_channels",
                "library_metrics",
                "library_personas",
                "mail_outbox",
                "map_links",
                "map_members",
                "maps",
                "notifications",
                "notify_map_cursor",
                "notify_response_cursor",
                "opportunities",
                "ops",
                "password_resets",
                "persona_links",
                "sessions",
                "share_grants",
                "share_links",
                "side_log",
                "snapshots",
                "stage_owners",
                "users",
                "versions"
            ]
        );
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        drop(conn);
        let (_, fresh_again) = Db::open(&path).unwrap();
        assert!(!fresh_again);
    }
}
