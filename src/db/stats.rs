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
/// triggers (`inventory_totals` with the short and low counts, and the
/// partial indexes `items_short_worst` and `items_low` read ten rows at a
/// time), so the cost grows neither with the number of items nor with the
/// number of short or low ones.
pub fn load(conn: &Connection) -> AppResult<Stats> {
    let count = |table: &str| -> rusqlite::Result<i64> {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
    };
    let (items, units_total, units_stocked, units_allocated, items_short, items_low) = conn
        .prepare_cached(
            "SELECT items, units_total, units_stocked, units_allocated, items_short, items_low
               FROM inventory_totals",
        )?
        .query_row([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?;
    use crate::db::alerts::{ACTIVE, SHORT};
    let short_items = conn
        .prepare_cached(&format!(
            "SELECT id, name, stocked_quantity, allocated_quantity
               FROM items INDEXED BY items_short_worst
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
        items_low,
        reorder: crate::db::alerts::reorder_list(conn, Some(REORDER_LISTED))?,
    })
}
