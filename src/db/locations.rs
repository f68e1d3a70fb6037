//! The `locations` table: storage places with unique (case-insensitive) names,
//! their totals and what they hold.

use crate::db::listing::{Filter, ListQuery, SortColumn, sort};
use crate::error::{AppError, AppResult};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Location {
    pub id: i64,
    pub name: String,
    pub item_count: i64,
    pub total_units: i64,
    /// What is stored here; only with `?content=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<Content>>,
}

/// One stock row of a location, as `?content=true` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Content {
    pub stock_id: i64,
    pub item_id: i64,
    pub item_name: String,
    pub quantity: i64,
}

pub const SORTS: &[SortColumn] = &[
    sort("id", "t.id", false),
    sort("name", "t.name", true),
    sort("item_count", "t.item_count", false),
    sort("total_units", "t.total_units", false),
];

const ROWS: &str = "SELECT l.id, l.name,
        (SELECT count(*) FROM stock WHERE location_id = l.id) AS item_count,
        COALESCE((SELECT SUM(quantity) FROM stock WHERE location_id = l.id), 0) AS total_units
    FROM locations l";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Location> {
    Ok(Location {
        id: r.get(0)?,
        name: r.get(1)?,
        item_count: r.get(2)?,
        total_units: r.get(3)?,
        items: None,
    })
}

fn filter(q: &ListQuery) -> Filter {
    let mut f = Filter::default();
    if let Some(p) = &q.search {
        f.add("name LIKE ? ESCAPE '\\'", vec![Value::Text(p.clone())]);
    }
    f
}

pub fn list(conn: &Connection, q: &ListQuery) -> AppResult<(Vec<Location>, i64)> {
    let f = filter(q);
    let sql = format!(
        "SELECT * FROM ({ROWS} {where_}) AS t {order} {limit}",
        where_ = f.sql(),
        order = q.order_by(),
        limit = q.limit_clause()
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(params_from_iter(f.params.iter()), from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    let total = conn
        .prepare_cached(&format!("SELECT count(*) FROM locations {}", f.sql()))?
        .query_row(params_from_iter(f.params.iter()), |r| r.get(0))?;
    Ok((rows, total))
}

pub fn by_id(conn: &Connection, id: i64) -> AppResult<Option<Location>> {
    Ok(conn
        .prepare_cached(&format!("{ROWS} WHERE l.id = ?1"))?
        .query_row([id], from_row)
        .optional()?)
}

pub fn get(conn: &Connection, id: i64) -> AppResult<Location> {
    by_id(conn, id)?.ok_or_else(|| not_found(id))
}

pub fn not_found(id: i64) -> AppError {
    AppError::not_found(format!("Location {id} does not exist.")).with("location_id", id)
}

/// The stock rows at a location, by item name.
pub fn contents(conn: &Connection, id: i64) -> AppResult<Vec<Content>> {
    Ok(conn
        .prepare_cached(
            "SELECT s.id, s.item_id, i.name, s.quantity FROM stock s JOIN items i ON i.id = s.item_id
             WHERE s.location_id = ?1 ORDER BY i.name COLLATE NOCASE, s.id",
        )?
        .query_map([id], |r| {
            Ok(Content {
                stock_id: r.get(0)?,
                item_id: r.get(1)?,
                item_name: r.get(2)?,
                quantity: r.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?)
}

/// Refuses a name another location already has (case-insensitively).
pub fn ensure_name_free(conn: &Connection, name: &str, except: Option<i64>) -> AppResult<()> {
    let existing: Option<i64> = conn
        .prepare_cached("SELECT id FROM locations WHERE name = ?1 AND id <> ?2")?
        .query_row(params![name, except.unwrap_or(0)], |r| r.get(0))
        .optional()?;
    match existing {
        Some(id) => Err(name_taken(name).with("existing_id", id)),
        None => Ok(()),
    }
}

fn name_taken(name: &str) -> AppError {
    AppError::conflict(
        "name_taken",
        format!("A location named '{name}' already exists."),
    )
    .with("field", "name")
}

fn map_unique(name: &str) -> impl FnOnce(rusqlite::Error) -> AppError + '_ {
    move |e| {
        if crate::db::is_unique_violation(&e) {
            name_taken(name)
        } else {
            e.into()
        }
    }
}

pub fn insert(conn: &Connection, name: &str) -> AppResult<i64> {
    conn.prepare_cached("INSERT INTO locations (name) VALUES (?1)")?
        .execute([name])
        .map_err(map_unique(name))?;
    Ok(conn.last_insert_rowid())
}

pub fn rename(conn: &Connection, id: i64, name: &str) -> AppResult<()> {
    conn.prepare_cached("UPDATE locations SET name = ?2 WHERE id = ?1")?
        .execute(params![id, name])
        .map_err(map_unique(name))?;
    Ok(())
}

/// How many stock rows keep the location from being deleted.
pub fn stock_rows(conn: &Connection, id: i64) -> AppResult<i64> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM stock WHERE location_id = ?1")?
        .query_row([id], |r| r.get(0))?)
}

pub fn delete(conn: &Connection, id: i64) -> AppResult<()> {
    conn.prepare_cached("DELETE FROM locations WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}
