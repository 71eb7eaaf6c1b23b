//! Customer feedback as stored: responses, the tallies kept beside them, public form tokens
//! and API keys.
//!
//! Inserting responses adds to three tallies in the same transaction: per touchpoint, day,
//! channel and segment (for any filter, and trends); per day and touchpoint (for date filters);
//! and per touchpoint overall (for the map's default view). A summary then sums the fewest
//! tally rows its filter allows rather than scanning responses.

use std::collections::{HashMap, HashSet};

use app::api::feedback::{ApiKey, Filter, InboxItem};
use app::domain::feedback::{day_of, Day, Response, Source, Tally};
use app::domain::ids::{ApiKeyId, CardId, MapId, UserId};
use app::domain::time::Millis;
use rusqlite::{params, Connection, OptionalExtension, Row, ToSql};

use crate::db::StoreError;

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

/// Stores `responses` for `map` and adds them to the tallies. The caller runs this in one
/// transaction (the writer does), so either all of them count or none.
pub fn insert_responses(
    conn: &Connection,
    map: MapId,
    responses: &[Incoming],
    received_at: Millis,
) -> Result<usize, StoreError> {
    let map_id = map.to_string();
    let mut daily: HashMap<(CardId, Day, &str, &str), Tally> = HashMap::new();
    let mut days: HashMap<(Day, CardId), Tally> = HashMap::new();
    let mut totals: HashMap<CardId, Tally> = HashMap::new();
    let mut labels: HashSet<(&str, &str)> = HashSet::new();
    {
        let mut insert = conn.prepare_cached(
            "INSERT INTO feedback_responses (map_id, card_id, at, day, nps, csat, ces, comment,
                 sentiment, channel, segment, respondent, source, received_at, detractor,
                 followed_up)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        )?;
        for incoming in responses {
            let r = &incoming.response;
            let day = day_of(r.at);
            insert.execute(params![
                map_id,
                r.touchpoint.to_string(),
                r.at,
                day,
                r.nps,
                r.csat,
                r.ces,
                r.comment,
                incoming.sentiment,
                r.channel,
                r.segment,
                r.respondent,
                incoming.source.key(),
                received_at,
                is_unhappy(r),
                incoming.followed_up,
            ])?;
            daily
                .entry((r.touchpoint, day, &r.channel, &r.segment))
                .or_default()
                .record(r, incoming.negative);
            days.entry((day, r.touchpoint))
                .or_default()
                .record(r, incoming.negative);
            totals
                .entry(r.touchpoint)
                .or_default()
                .record(r, incoming.negative);
            labels.insert(("channel", &r.channel));
            labels.insert(("segment", &r.segment));
        }
    }
    // Summed per key first: a batch of a thousand answers for one touchpoint on one day
    // touches one tally row, not a thousand.
    let mut upsert_daily = conn.prepare_cached(&upsert_sql(
        "feedback_daily",
        &["map_id", "card_id", "day", "channel", "segment"],
    ))?;
    for ((card, day, channel, segment), tally) in &daily {
        let card = card.to_string();
        let counts = counts(tally);
        let mut values: Vec<&dyn ToSql> = vec![&map_id, &card, day, channel, segment];
        values.extend(counts.iter().map(|c| c as &dyn ToSql));
        upsert_daily.execute(values.as_slice())?;
    }
    let mut upsert_days =
        conn.prepare_cached(&upsert_sql("feedback_days", &["map_id", "day", "card_id"]))?;
    for ((day, card), tally) in &days {
        let card = card.to_string();
        let counts = counts(tally);
        let mut values: Vec<&dyn ToSql> = vec![&map_id, day, &card];
        values.extend(counts.iter().map(|c| c as &dyn ToSql));
        upsert_days.execute(values.as_slice())?;
    }
    let mut insert_label = conn.prepare_cached(
        "INSERT OR IGNORE INTO feedback_labels (map_id, kind, value) VALUES (?1, ?2, ?3)",
    )?;
    for (kind, value) in labels.into_iter().filter(|(_, v)| !v.is_empty()) {
        insert_label.execute(params![map_id, kind, value])?;
    }
    let mut upsert_total =
        conn.prepare_cached(&upsert_sql("feedback_totals", &["map_id", "card_id"]))?;
    for (card, tally) in &totals {
        let card = card.to_string();
        let counts = counts(tally);
        let mut values: Vec<&dyn ToSql> = vec![&map_id, &card];
        values.extend(counts.iter().map(|c| c as &dyn ToSql));
        upsert_total.execute(values.as_slice())?;
    }
    Ok(responses.len())
}

fn card_id(raw: &str) -> Option<CardId> {
    raw.parse().ok()
}

/// The filter as SQL conditions on a table with `day`, `channel` and `segment` columns, with
/// its parameters numbered from `first`.
fn filter_sql(filter: &Filter, first: usize) -> (String, Vec<Box<dyn ToSql>>) {
    let mut sql = String::new();
    let mut values: Vec<Box<dyn ToSql>> = Vec::new();
    let mut add = |condition: &str, value: Box<dyn ToSql>| {
        sql.push_str(&format!(" AND {condition} ?{}", first + values.len()));
        values.push(value);
    };
    if let Some(from) = filter.from {
        add("day >=", Box::new(from));
    }
    if let Some(to) = filter.to {
        add("day <=", Box::new(to));
    }
    if let Some(channel) = &filter.channel {
        add("channel =", Box::new(channel.clone()));
    }
    if let Some(segment) = &filter.segment {
        add("segment =", Box::new(segment.clone()));
    }
    (sql, values)
}

/// Each touchpoint's tally under `filter`, read from the running totals when nothing is
/// filtered out.
pub fn tallies(
    conn: &Connection,
    map: MapId,
    filter: &Filter,
) -> Result<Vec<(CardId, Tally)>, StoreError> {
    let columns: Vec<String> = count_columns().collect();
    let (conditions, values) = filter_sql(filter, 2);
    let sql = if filter.is_everything() {
        format!(
            "SELECT card_id, {} FROM feedback_totals WHERE map_id = ?1",
            columns.join(", ")
        )
    } else {
        // Dates alone need no channel or segment split: the smaller per-day table will do.
        let table = if filter.channel.is_none() && filter.segment.is_none() {
            "feedback_days"
        } else {
            "feedback_daily"
        };
        format!(
            "SELECT card_id, {} FROM {table} WHERE map_id = ?1{conditions} GROUP BY card_id",
            sums()
        )
    };
    let map_id = map.to_string();
    let mut params: Vec<&dyn ToSql> = vec![&map_id];
    params.extend(values.iter().map(|v| v.as_ref()));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params.as_slice(), |row| {
        Ok((row.get::<_, String>(0)?, tally_at(row, 1)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (card, tally) = row?;
        if let Some(card) = card_id(&card) {
            out.push((card, tally));
        }
    }
    Ok(out)
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
    let (conditions, values) = filter_sql(filter, 4);
    let sql = format!(
        "SELECT at, comment, coalesce(sentiment, 0) FROM feedback_responses
         WHERE map_id = ?1 AND (?2 IS NULL OR card_id = ?2) AND comment IS NOT NULL{conditions}
         ORDER BY at DESC LIMIT ?3"
    );
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

/// The newest responses older than `before` (a response id), optionally only unhappy ones.
pub fn inbox(
    conn: &Connection,
    map: MapId,
    unhappy_only: bool,
    before: Option<i64>,
    limit: usize,
) -> Result<Vec<InboxItem>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, card_id, at, nps, csat, ces, comment, sentiment, channel, segment,
                respondent, source, followed_up
         FROM feedback_responses
         WHERE map_id = ?1 AND (?2 = 0 OR detractor = 1)
           AND (?3 IS NULL OR (at, id) < (SELECT at, id FROM feedback_responses WHERE id = ?3))
         ORDER BY at DESC, id DESC LIMIT ?4",
    )?;
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

/// The touchpoint a form token belongs to.
pub fn form(conn: &Connection, token: &str) -> Result<(MapId, CardId), StoreError> {
    let (map, card): (String, String) = conn.query_row(
        "SELECT map_id, card_id FROM feedback_forms WHERE token = ?1",
        [token],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    match (map.parse(), card_id(&card)) {
        (Ok(map), Some(card)) => Ok((map, card)),
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
            sentiment: Some(-0.5),
            negative: nps < 5,
            followed_up: false,
        }
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
        insert_responses(&conn, map, &batch, 0).unwrap();
        insert_responses(&conn, map, &batch[..5], 0).unwrap();

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
        insert_responses(&conn, map, &batch, 0).unwrap();
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

    #[test]
    fn bad_scores_are_refused_by_the_schema_too() {
        let (conn, map, card) = db();
        let mut bad = incoming(card, 20_000, 5, "");
        bad.response.nps = Some(11);
        assert!(insert_responses(&conn, map, &[bad], 0).is_err());
    }
}
