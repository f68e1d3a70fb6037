//! The dashboard's figures: counts and unit totals, and the items whose
//! allocations exceed what is on the shelves.

use crate::error::AppResult;
use rusqlite::Connection;
use serde::Serialize;

/// How many short items `short_items` lists, worst first.
const SHORT_LISTED: i64 = 10;

#[derive(Serialize, schemars::JsonSchema)]
pub struct Stats {
    pub items: i64,
    pub locations: i64,
    pub projects: i64,
    pub units_total: i64,
    pub units_stocked: i64,
    pub units_allocated: i64,
    pub units_available: i64,
    pub items_short: i64,
    pub short_items: Vec<crate::db::alerts::ShortItem>,
    /// Items with fewer units available than their minimum (`db/alerts.rs`).
    pub items_low: i64,
    /// The first of them by name: the dashboard's "To reorder" card.
    pub reorder: Vec<crate::db::alerts::ReorderRow>,
}

/// How many low items the dashboard lists (the CSV has them all).
const REORDER_LISTED: i64 = 10;

/// Every figure comes from a row or an index kept up to date by the schema's
/// triggers (`inventory_totals`, `items.stocked_quantity`/`allocated_quantity`
/// and the partial index `items_short`), so the cost does not grow with the
/// number of items, only with the number of short ones.
pub fn load(conn: &Connection) -> AppResult<Stats> {
    let count = |table: &str| -> rusqlite::Result<i64> {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
    };
    let (items, units_total, units_stocked, units_allocated) = conn
        .prepare_cached(
            "SELECT items, units_total, units_stocked, units_allocated FROM inventory_totals",
        )?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    use crate::db::alerts::{ACTIVE, SHORT};
    let items_short: i64 = conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM items WHERE {SHORT} AND {ACTIVE}"
        ))?
        .query_row([], |r| r.get(0))?;
    let short_items = conn
        .prepare_cached(&format!(
            "SELECT id, name, stocked_quantity, allocated_quantity FROM items
             WHERE {SHORT} AND {ACTIVE}
             ORDER BY allocated_quantity - stocked_quantity DESC, id LIMIT {SHORT_LISTED}"
        ))?
        .query_map([], crate::db::alerts::short_item)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Stats {
        items,
        locations: count("locations")?,
        projects: count("projects")?,
        units_total,
        units_stocked,
        units_allocated,
        units_available: units_total - units_allocated,
        items_short,
        short_items,
        items_low: crate::db::alerts::low_count(conn)?,
        reorder: crate::db::alerts::reorder_list(conn, Some(REORDER_LISTED))?,
    })
}
