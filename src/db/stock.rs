//! The `stock` table: how many units of an item lie at a location. One row per
//! (item, location); the sum over an item's rows never exceeds its total.

use crate::db::listing::{Filter, ListQuery, SortColumn, sort};
use crate::error::{AppError, AppResult};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct StockRow {
    pub id: i64,
    pub item_id: i64,
    pub item_name: String,
    pub location_id: i64,
    pub location_name: String,
    pub quantity: i64,
}

pub const SORTS: &[SortColumn] = &[
    sort("id", "t.id", false),
    sort("item_name", "t.item_name", true),
    sort("location_name", "t.location_name", true),
    sort("quantity", "t.quantity", false),
];

const ROWS: &str = "SELECT s.id, s.item_id, i.name AS item_name, s.location_id, l.name AS location_name, s.quantity
    FROM stock s JOIN items i ON i.id = s.item_id JOIN locations l ON l.id = s.location_id";

fn from_row(r: &Row<'_>) -> rusqlite::Result<StockRow> {
    Ok(StockRow {
        id: r.get(0)?,
        item_id: r.get(1)?,
        item_name: r.get(2)?,
        location_id: r.get(3)?,
        location_name: r.get(4)?,
        quantity: r.get(5)?,
    })
}

/// Narrows a stock list to one item and/or one location.
#[derive(Debug, Default, Clone, Copy)]
pub struct StockFilter {
    pub item_id: Option<i64>,
    pub location_id: Option<i64>,
}

fn filter(q: &ListQuery, by: StockFilter) -> Filter {
    let mut f = Filter::default();
    if let Some(p) = &q.search {
        f.add(
            "(i.name LIKE ? ESCAPE '\\' OR l.name LIKE ? ESCAPE '\\')",
            vec![Value::Text(p.clone()), Value::Text(p.clone())],
        );
    }
    if let Some(id) = by.item_id {
        f.add("s.item_id = ?", vec![Value::Integer(id)]);
    }
    if let Some(id) = by.location_id {
        f.add("s.location_id = ?", vec![Value::Integer(id)]);
    }
    f
}

pub fn list(conn: &Connection, q: &ListQuery, by: StockFilter) -> AppResult<(Vec<StockRow>, i64)> {
    let f = filter(q, by);
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
        .prepare_cached(&format!(
            "SELECT count(*) FROM stock s JOIN items i ON i.id = s.item_id
             JOIN locations l ON l.id = s.location_id {}",
            f.sql()
        ))?
        .query_row(params_from_iter(f.params.iter()), |r| r.get(0))?;
    Ok((rows, total))
}

pub fn by_id(conn: &Connection, id: i64) -> AppResult<Option<StockRow>> {
    Ok(conn
        .prepare_cached(&format!("{ROWS} WHERE s.id = ?1"))?
        .query_row([id], from_row)
        .optional()?)
}

pub fn get(conn: &Connection, id: i64) -> AppResult<StockRow> {
    by_id(conn, id)?.ok_or_else(|| not_found(id))
}

pub fn not_found(id: i64) -> AppError {
    AppError::not_found(format!("Stock row {id} does not exist.")).with("stock_id", id)
}

/// The row holding `item_id` at `location_id`, if any: (id, quantity).
pub fn find(conn: &Connection, item_id: i64, location_id: i64) -> AppResult<Option<(i64, i64)>> {
    Ok(conn
        .prepare_cached("SELECT id, quantity FROM stock WHERE item_id = ?1 AND location_id = ?2")?
        .query_row(params![item_id, location_id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?)
}

/// Units of the item stocked over all locations, leaving out row `except`.
pub fn stocked_except(conn: &Connection, item_id: i64, except: i64) -> AppResult<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT COALESCE(SUM(quantity), 0) FROM stock WHERE item_id = ?1 AND id <> ?2",
        )?
        .query_row(params![item_id, except], |r| r.get(0))?)
}

/// How many stock rows the item has.
pub fn rows_for_item(conn: &Connection, item_id: i64) -> AppResult<i64> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM stock WHERE item_id = ?1")?
        .query_row([item_id], |r| r.get(0))?)
}

pub fn insert(conn: &Connection, item_id: i64, location_id: i64, quantity: i64) -> AppResult<i64> {
    conn.prepare_cached("INSERT INTO stock (item_id, location_id, quantity) VALUES (?1, ?2, ?3)")?
        .execute(params![item_id, location_id, quantity])?;
    Ok(conn.last_insert_rowid())
}

pub fn set_quantity(conn: &Connection, id: i64, quantity: i64) -> AppResult<()> {
    conn.prepare_cached("UPDATE stock SET quantity = ?2 WHERE id = ?1")?
        .execute(params![id, quantity])?;
    Ok(())
}

pub fn delete(conn: &Connection, id: i64) -> AppResult<()> {
    conn.prepare_cached("DELETE FROM stock WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}
