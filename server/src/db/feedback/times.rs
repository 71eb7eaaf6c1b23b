//! The responses' time order, filled behind them (migration 028): every response with an id up
//! to the mark has its entry in `feedback_times`; `index` adds the next ones, sorted by key (map,
//! day, id), so that a part's entries append to the runs of their days however shuffled the
//! answers came.

use rusqlite::Connection;

use crate::db::StoreError;

/// The newest response's id when some responses lack their entry, to be passed to `index`.
pub fn behind(conn: &Connection) -> Result<Option<i64>, StoreError> {
    let (upto, newest) = mark_and_newest(conn)?;
    Ok((upto < newest).then_some(newest))
}

fn mark_and_newest(conn: &Connection) -> Result<(i64, i64), StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT (SELECT upto FROM feedback_times_upto),
                    (SELECT coalesce(max(id), 0) FROM feedback_responses)",
        )?
        .query_row([], |row| Ok((row.get(0)?, row.get(1)?)))?)
}

/// Adds the entries of at most `most` responses after the mark, none past `until`; returns
/// whether that reached `until`.
pub fn index(conn: &Connection, until: i64, most: i64) -> Result<bool, StoreError> {
    let (upto, newest) = mark_and_newest(conn)?;
    // Never past the newest response: the next one stored takes the id after it, and so
    // would be under the mark without an entry.
    let to = until.min(newest).min(upto.saturating_add(most));
    if to <= upto {
        // Nothing under `until` lacks its entry.
        return Ok(true);
    }
    conn.prepare_cached(
        "INSERT INTO feedback_times (map_id, day, id, at)
         SELECT map_id, day, id, at FROM feedback_responses WHERE id > ?1 AND id <= ?2
         ORDER BY map_id, day, id",
    )?
    .execute([upto, to])?;
    conn.prepare_cached("UPDATE feedback_times_upto SET upto = ?1")?
        .execute([to])?;
    Ok(to == until.min(newest))
}
