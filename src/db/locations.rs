//! The `locations` table: storage places with unique (case-insensitive) names,
//! their totals and what they hold. Name checks, lookups by name and deletion
//! are shared with projects (`named.rs`); the stock rows are in `placement.rs`.

use crate::db::listing::{self, Filter, ListQuery, Page, SortColumn, sort};
use crate::db::named::{self, LOCATIONS};
use crate::db::placement::Held;
use crate::error::AppResult;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Location {
    pub id: i64,
    pub name: String,
    pub item_count: i64,
    pub total_units: i64,
    /// What is stored here; only with `?content=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<Held>>,
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

pub fn list(conn: &Connection, q: &ListQuery) -> AppResult<Page<Location>> {
    let mut f = Filter::default();
    if let Some(p) = q.search.as_ref().map(|s| &s.like) {
        f.add("name LIKE ? ESCAPE '\\'", vec![Value::Text(p.clone())]);
    }
    listing::page(
        conn,
        q,
        &f,
        ROWS,
        &listing::count_sql("locations", &f),
        from_row,
    )
}

pub fn get(conn: &Connection, id: i64) -> AppResult<Location> {
    conn.prepare_cached(&format!("{ROWS} WHERE l.id = ?1"))?
        .query_row([id], from_row)
        .optional()?
        .ok_or_else(|| named::not_found(&LOCATIONS, id))
}

pub fn insert(conn: &Connection, name: &str) -> AppResult<i64> {
    conn.prepare_cached("INSERT INTO locations (name) VALUES (?1)")?
        .execute([name])
        .map_err(named::map_unique(&LOCATIONS, name))?;
    Ok(conn.last_insert_rowid())
}

pub fn rename(conn: &Connection, id: i64, name: &str) -> AppResult<()> {
    conn.prepare_cached("UPDATE locations SET name = ?2 WHERE id = ?1")?
        .execute(params![id, name])
        .map_err(named::map_unique(&LOCATIONS, name))?;
    Ok(())
}
