//! `GET /api/stats`: the counts and unit totals the dashboard shows, and the
//! items whose allocations exceed what is on the shelves.

use crate::db;
use crate::error::AppResult;
use crate::http::Reply;
use crate::router::Ctx;
use rusqlite::Connection;
use serde::Serialize;

/// How many short items `short_items` lists, worst first.
const SHORT_LISTED: i64 = 10;

#[derive(Serialize)]
pub struct Stats {
    items: i64,
    locations: i64,
    projects: i64,
    units_total: i64,
    units_stocked: i64,
    units_allocated: i64,
    units_available: i64,
    items_short: i64,
    short_items: Vec<ShortItem>,
}

/// An item with more units allocated than stocked.
#[derive(Serialize)]
pub struct ShortItem {
    id: i64,
    name: String,
    stocked_quantity: i64,
    allocated_quantity: i64,
    missing: i64,
}

/// Allocated and stocked units per item that has allocations: an item can only
/// be short if something is allocated, so this starts from `project_items`.
const PER_ITEM: &str = "SELECT a.item_id AS id, i.name AS name,
        COALESCE((SELECT SUM(quantity) FROM stock WHERE item_id = a.item_id), 0) AS stocked,
        a.allocated AS allocated
    FROM (SELECT item_id, SUM(quantity) AS allocated FROM project_items GROUP BY item_id) a
    JOIN items i ON i.id = a.item_id";

pub fn get(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let stats = db::read(ctx.conn, |tx| load(tx))?;
    Ok(Reply::ok(&stats))
}

pub fn load(conn: &Connection) -> AppResult<Stats> {
    let count = |table: &str| -> rusqlite::Result<i64> {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
    };
    let sum = |sql: &str| -> rusqlite::Result<i64> { conn.query_row(sql, [], |r| r.get(0)) };
    let units_total = sum("SELECT COALESCE(SUM(total_quantity), 0) FROM items")?;
    let units_stocked = sum("SELECT COALESCE(SUM(quantity), 0) FROM stock")?;
    let units_allocated = sum("SELECT COALESCE(SUM(quantity), 0) FROM project_items")?;
    let items_short = sum(&format!(
        "SELECT count(*) FROM ({PER_ITEM}) WHERE allocated > stocked"
    ))?;
    let short_items = conn
        .prepare(&format!(
            "SELECT id, name, stocked, allocated FROM ({PER_ITEM}) WHERE allocated > stocked
             ORDER BY allocated - stocked DESC, id LIMIT {SHORT_LISTED}"
        ))?
        .query_map([], |r| {
            let stocked: i64 = r.get(2)?;
            let allocated: i64 = r.get(3)?;
            Ok(ShortItem {
                id: r.get(0)?,
                name: r.get(1)?,
                stocked_quantity: stocked,
                allocated_quantity: allocated,
                missing: allocated - stocked,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Stats {
        items: count("items")?,
        locations: count("locations")?,
        projects: count("projects")?,
        units_total,
        units_stocked,
        units_allocated,
        units_available: units_total - units_allocated,
        items_short,
        short_items,
    })
}
