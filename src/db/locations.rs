//! The `locations` table: storage places with unique (case-insensitive) names,
//! their totals and what they hold. Reading, name checks and deletion are
//! shared with projects (`named.rs`); the stock rows are in `placement.rs`.

use crate::db::listing::{SortColumn, sort, sort_natural};
use crate::db::named::{self, LOCATIONS, Named, Place};
use crate::db::placement::{Held, Placement, STOCK};
use crate::error::AppResult;
use rusqlite::{Connection, Row, params};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Location {
    pub id: i64,
    pub name: String,
    pub item_count: i64,
    pub total_units: i64,
    /// When it was archived (deleted while it had history); absent in use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archived_at: Option<i64>,
    /// What is stored here; only with `?content=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<Held>>,
}

impl Place for Location {
    fn named() -> &'static Named {
        &LOCATIONS
    }
    fn placement() -> &'static Placement {
        &STOCK
    }
    const ROWS: &'static str = "SELECT n.id, n.name,
        (SELECT count(*) FROM stock WHERE location_id = n.id) AS item_count,
        COALESCE((SELECT SUM(quantity) FROM stock WHERE location_id = n.id), 0) AS total_units
        , n.archived_at, n.name_key
    FROM locations n";
    const SEARCHED: &'static [&'static str] = &["name"];
    const SORTS: &'static [SortColumn] = &[
        sort("id", "t.id", false),
        sort_natural("name", "t.name_key", "t.name"),
        sort("item_count", "t.item_count", false),
        sort("total_units", "t.total_units", false),
    ];
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Location> {
        Ok(Location {
            id: r.get(0)?,
            name: r.get(1)?,
            item_count: r.get(2)?,
            total_units: r.get(3)?,
            archived_at: r.get(4)?,
            items: None,
        })
    }
    fn id(&self) -> i64 {
        self.id
    }
    fn hold(&mut self, held: Vec<Held>) {
        self.items = Some(held);
    }
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
