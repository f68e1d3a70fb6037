//! The `project_items` table (allocations, "associations" in the API): how many
//! units of an item a project claims. One row per (item, project); the sum over
//! an item's rows never exceeds its total.

use crate::db::listing::{Filter, ListQuery, SortColumn, sort};
use crate::error::{AppError, AppResult};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Allocation {
    pub id: i64,
    pub item_id: i64,
    pub item_name: String,
    pub project_id: i64,
    pub project_name: String,
    pub quantity: i64,
}

pub const SORTS: &[SortColumn] = &[
    sort("id", "t.id", false),
    sort("item_name", "t.item_name", true),
    sort("project_name", "t.project_name", true),
    sort("quantity", "t.quantity", false),
];

const ROWS: &str =
    "SELECT s.id, s.item_id, i.name AS item_name, s.project_id, l.name AS project_name, s.quantity
    FROM project_items s JOIN items i ON i.id = s.item_id JOIN projects l ON l.id = s.project_id";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Allocation> {
    Ok(Allocation {
        id: r.get(0)?,
        item_id: r.get(1)?,
        item_name: r.get(2)?,
        project_id: r.get(3)?,
        project_name: r.get(4)?,
        quantity: r.get(5)?,
    })
}

/// Narrows an allocation list to one item and/or one project.
#[derive(Debug, Default, Clone, Copy)]
pub struct AllocationFilter {
    pub item_id: Option<i64>,
    pub project_id: Option<i64>,
}

fn filter(q: &ListQuery, by: AllocationFilter) -> Filter {
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
    if let Some(id) = by.project_id {
        f.add("s.project_id = ?", vec![Value::Integer(id)]);
    }
    f
}

pub fn list(
    conn: &Connection,
    q: &ListQuery,
    by: AllocationFilter,
) -> AppResult<(Vec<Allocation>, i64)> {
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
            "SELECT count(*) FROM project_items s JOIN items i ON i.id = s.item_id
             JOIN projects l ON l.id = s.project_id {}",
            f.sql()
        ))?
        .query_row(params_from_iter(f.params.iter()), |r| r.get(0))?;
    Ok((rows, total))
}

pub fn by_id(conn: &Connection, id: i64) -> AppResult<Option<Allocation>> {
    Ok(conn
        .prepare_cached(&format!("{ROWS} WHERE s.id = ?1"))?
        .query_row([id], from_row)
        .optional()?)
}

pub fn get(conn: &Connection, id: i64) -> AppResult<Allocation> {
    by_id(conn, id)?.ok_or_else(|| not_found(id))
}

pub fn not_found(id: i64) -> AppError {
    AppError::not_found(format!("Allocation {id} does not exist.")).with("association_id", id)
}

/// The row holding `item_id` at `project_id`, if any: (id, quantity).
pub fn find(conn: &Connection, item_id: i64, project_id: i64) -> AppResult<Option<(i64, i64)>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, quantity FROM project_items WHERE item_id = ?1 AND project_id = ?2",
        )?
        .query_row(params![item_id, project_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// Units of the item allocated over all projects, leaving out row `except`.
pub fn allocated_except(conn: &Connection, item_id: i64, except: i64) -> AppResult<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT COALESCE(SUM(quantity), 0) FROM project_items WHERE item_id = ?1 AND id <> ?2",
        )?
        .query_row(params![item_id, except], |r| r.get(0))?)
}

/// How many allocations the item has.
pub fn rows_for_item(conn: &Connection, item_id: i64) -> AppResult<i64> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM project_items WHERE item_id = ?1")?
        .query_row([item_id], |r| r.get(0))?)
}

pub fn insert(conn: &Connection, item_id: i64, project_id: i64, quantity: i64) -> AppResult<i64> {
    conn.prepare_cached(
        "INSERT INTO project_items (item_id, project_id, quantity) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![item_id, project_id, quantity])?;
    Ok(conn.last_insert_rowid())
}

pub fn set_quantity(conn: &Connection, id: i64, quantity: i64) -> AppResult<()> {
    conn.prepare_cached("UPDATE project_items SET quantity = ?2 WHERE id = ?1")?
        .execute(params![id, quantity])?;
    Ok(())
}

pub fn delete(conn: &Connection, id: i64) -> AppResult<()> {
    conn.prepare_cached("DELETE FROM project_items WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}
