//! The record of stocktakes (migration 0011): who counted which location,
//! when, how many rows and how many differences. The counts themselves are
//! `count` movements carrying the stocktake's id (`db::movements`). Layer: db.

use crate::db::movements::Actor;
use crate::db::tree::subtree_of;
use crate::error::AppResult;
use rusqlite::{Connection, Row, params};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Stocktake {
    pub id: i64,
    pub created_at: i64,
    pub user_id: Option<String>,
    pub username: Option<String>,
    pub location_id: i64,
    /// The name when counted; `location_name_now` is today's.
    pub location_name: String,
    pub location_name_now: Option<String>,
    pub recursive: bool,
    pub counted: i64,
    pub differences: i64,
    pub note: Option<String>,
}

/// Starts the record inside the write transaction applying the counts;
/// [`finish`] writes the numbers once they are known.
pub fn insert(
    conn: &Connection,
    by: Actor<'_>,
    location_id: i64,
    recursive: bool,
    note: Option<&str>,
) -> AppResult<i64> {
    conn.prepare_cached(
        "INSERT INTO stocktakes (created_at, user_id, username, location_id, location_name,
                                 recursive, counted, differences, note)
         VALUES (?1, ?2, ?3, ?4, (SELECT name FROM locations WHERE id = ?4), ?5, 0, 0, ?6)",
    )?
    .execute(params![
        crate::db::now(),
        by.user_id,
        by.username,
        location_id,
        recursive,
        note
    ])?;
    Ok(conn.last_insert_rowid())
}

pub fn finish(conn: &Connection, id: i64, counted: i64, differences: i64) -> AppResult<()> {
    conn.prepare_cached("UPDATE stocktakes SET counted = ?2, differences = ?3 WHERE id = ?1")?
        .execute(params![id, counted, differences])?;
    Ok(())
}

/// Whether `inner` is `location` or (with `recursive`) inside it.
pub fn covers(conn: &Connection, location: i64, recursive: bool, inner: i64) -> AppResult<bool> {
    if inner == location {
        return Ok(true);
    }
    if !recursive {
        return Ok(false);
    }
    Ok(conn
        .prepare_cached(concat!(
            "SELECT EXISTS (SELECT 1 FROM (",
            subtree_of!("?1"),
            ") WHERE id = ?2)"
        ))?
        .query_row(params![location, inner], |r| r.get(0))?)
}

const SELECT: &str = "SELECT s.id, s.created_at, s.user_id, s.username, s.location_id,
        s.location_name, l.name, s.recursive, s.counted, s.differences, s.note
    FROM stocktakes s LEFT JOIN locations l ON l.id = s.location_id";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Stocktake> {
    Ok(Stocktake {
        id: r.get(0)?,
        created_at: r.get(1)?,
        user_id: r.get(2)?,
        username: r.get(3)?,
        location_id: r.get(4)?,
        location_name: r.get(5)?,
        location_name_now: r.get(6)?,
        recursive: r.get(7)?,
        counted: r.get(8)?,
        differences: r.get(9)?,
        note: r.get(10)?,
    })
}

pub fn get(conn: &Connection, id: i64) -> AppResult<Stocktake> {
    Ok(conn
        .prepare_cached(&format!("{SELECT} WHERE s.id = ?1"))?
        .query_row([id], from_row)?)
}

/// Newest first, optionally of one location, and how many there are.
pub fn list(
    conn: &Connection,
    location_id: Option<i64>,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<Stocktake>, i64)> {
    let rows = conn
        .prepare_cached(&format!(
            "{SELECT} WHERE ?1 IS NULL OR s.location_id = ?1 ORDER BY s.id DESC LIMIT ?2 OFFSET ?3"
        ))?
        .query_map(params![location_id, limit, offset], from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    let total = conn.query_row(
        "SELECT count(*) FROM stocktakes WHERE ?1 IS NULL OR location_id = ?1",
        [location_id],
        |r| r.get(0),
    )?;
    Ok((rows, total))
}
