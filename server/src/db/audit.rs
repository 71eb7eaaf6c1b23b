//! The audit log's SQL (see `crate::audit`).

use app::api::audit::{AuditEntry, AuditPage, AuditQuery};
use rusqlite::types::Value;
use rusqlite::{params, Connection};

use super::StoreError;

/// One row to write, as `crate::audit` prepared it.
#[derive(Clone, Debug)]
pub struct NewRow {
    pub at: i64,
    pub actor: Option<String>,
    pub actor_label: String,
    pub action: &'static str,
    pub map: Option<String>,
    pub target: Option<String>,
    pub detail: Option<String>,
    pub ip: Option<String>,
}

pub fn insert(conn: &Connection, row: &NewRow) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO audit_log (at, actor, actor_label, action, map_id, target, detail, ip)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        row.at,
        row.actor,
        row.actor_label,
        row.action,
        row.map,
        row.target,
        row.detail,
        row.ip
    ])?;
    Ok(())
}

/// Up to `rows` rows matching `query`, newest first, and the cursor of the page after them.
pub fn page(conn: &Connection, query: &AuditQuery, rows: u32) -> Result<AuditPage, StoreError> {
    let mut sql = String::from(
        "SELECT id, at, actor, actor_label, action, map_id, target, detail, ip
         FROM audit_log WHERE 1",
    );
    let mut args: Vec<Value> = Vec::new();
    let mut clause = |sql_part: &str, value: Value| {
        sql.push_str(sql_part);
        args.push(value);
    };
    if let Some(action) = query.action {
        clause(" AND action = ?", Value::Text(action.as_str().to_owned()));
    }
    if let Some(actor) = &query.actor {
        // instr rather than LIKE: the filter's own % and _ mean themselves.
        clause(
            " AND instr(lower(actor_label), lower(?)) > 0",
            Value::Text(actor.clone()),
        );
    }
    if let Some(map) = query.map {
        clause(" AND map_id = ?", Value::Text(map.to_string()));
    }
    if let Some(from) = query.from {
        clause(" AND at >= ?", Value::Integer(from));
    }
    if let Some(to) = query.to {
        clause(" AND at < ?", Value::Integer(to));
    }
    if let Some(before) = query.before {
        clause(" AND id < ?", Value::Integer(before));
    }
    // One more than asked, to know whether an older page exists.
    sql.push_str(" ORDER BY id DESC LIMIT ?");
    args.push(Value::Integer(i64::from(rows) + 1));
    let mut statement = conn.prepare(&sql)?;
    let mut entries = statement
        .query_map(rusqlite::params_from_iter(args), |r| {
            Ok(AuditEntry {
                id: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                actor_label: r.get(3)?,
                action: r.get(4)?,
                map: r.get(5)?,
                target: r.get(6)?,
                detail: r.get(7)?,
                ip: r.get(8)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let older = if entries.len() > rows as usize {
        entries.truncate(rows as usize);
        entries.last().map(|e| e.id)
    } else {
        None
    };
    Ok(AuditPage { entries, older })
}

/// Deletes up to `limit` rows older than `before` (ms); returns how many went.
pub fn prune(conn: &Connection, before: i64, limit: u32) -> Result<usize, StoreError> {
    let gone = conn.execute(
        "DELETE FROM audit_log WHERE id IN
             (SELECT id FROM audit_log WHERE at < ?1 ORDER BY at LIMIT ?2)",
        params![before, limit],
    )?;
    Ok(gone)
}
