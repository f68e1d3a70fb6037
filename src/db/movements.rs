//! The `movements` table: the append-only history of every change to a stock row,
//! an allocation or an item's total. Rows are only ever inserted (in the same
//! transaction as the change they describe) and read; nothing updates them.

use crate::error::AppResult;
use rusqlite::{Connection, Row, params};
use serde::Serialize;

pub const KIND_STOCK: &str = "stock";
pub const KIND_ALLOCATION: &str = "allocation";
pub const KIND_TOTAL: &str = "total";
pub const KIND_TRANSFER: &str = "transfer";
/// Units taken out of a location and out of the item's total (used up).
pub const KIND_CONSUME: &str = "consume";
/// A location counted: the difference between the count and the stock row.
pub const KIND_COUNT: &str = "count";

/// One history entry. The `*_name` fields are the names as they were when the
/// movement was written; the `*_name_now` fields are today's (null when the
/// row is gone), so a page can say "Shelf A (now: Garage shelf)".
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Movement {
    pub id: i64,
    pub created_at: i64,
    pub user_id: Option<String>,
    pub username: Option<String>,
    pub item_id: i64,
    pub item_name: String,
    pub item_name_now: Option<String>,
    pub kind: String,
    pub location_id: Option<i64>,
    pub location_name: Option<String>,
    pub location_name_now: Option<String>,
    pub to_location_id: Option<i64>,
    pub to_location_name: Option<String>,
    pub to_location_name_now: Option<String>,
    pub project_id: Option<i64>,
    pub project_name: Option<String>,
    pub project_name_now: Option<String>,
    pub delta: i64,
    pub quantity_after: i64,
    pub note: Option<String>,
    /// The movement this one reverses (`POST /api/movements/undo`).
    pub undoes: Option<i64>,
    /// The stocktake a `count` movement belongs to.
    pub stocktake_id: Option<i64>,
    /// For a `consume`: units of the project's allocation it released (0
    /// without a project; negative on the reversal that gave them back).
    /// Null on consumes recorded before it was kept (migration 0019).
    pub allocation_released: Option<i64>,
    /// On history imported from a file by someone other than an admin: who
    /// and when the file said (`username`/`created_at` are the importing
    /// account and the import's time). The pages say "imported from a file".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claimed_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claimed_at: Option<i64>,
}

/// What changed, as recorded by the handler that changed it.
pub struct Change<'a> {
    pub kind: &'static str,
    pub item_id: i64,
    pub location_id: Option<i64>,
    pub to_location_id: Option<i64>,
    pub project_id: Option<i64>,
    pub delta: i64,
    pub quantity_after: i64,
    pub note: Option<&'a str>,
    /// The movement this change reverses, for an undo.
    pub undoes: Option<i64>,
    pub stocktake_id: Option<i64>,
    /// See [`Movement::allocation_released`].
    pub allocation_released: Option<i64>,
}

impl Change<'_> {
    pub fn new(kind: &'static str, item_id: i64, delta: i64, quantity_after: i64) -> Self {
        Change {
            kind,
            item_id,
            location_id: None,
            to_location_id: None,
            project_id: None,
            delta,
            quantity_after,
            note: None,
            undoes: None,
            stocktake_id: None,
            allocation_released: None,
        }
    }
}

/// Who made a change: the account, and its name at the time (kept in the row).
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub user_id: &'a str,
    pub username: &'a str,
}

/// Appends a movement; call inside the write transaction making the change.
/// The names of the item, locations and project are copied into the row as
/// they are now, so history keeps them through renames and archiving.
pub fn record(conn: &Connection, by: Actor<'_>, c: &Change<'_>) -> AppResult<i64> {
    conn.prepare_cached(
        "INSERT INTO movements (created_at, user_id, username, item_id, kind, location_id,
                                to_location_id, project_id, delta, quantity_after, note,
                                stocktake_id, item_name, location_name, to_location_name,
                                project_name, undoes, allocation_released)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,
                 (SELECT name FROM items WHERE id = ?4),
                 (SELECT name FROM locations WHERE id = ?6),
                 (SELECT name FROM locations WHERE id = ?7),
                 (SELECT name FROM projects WHERE id = ?8), ?13, ?14)",
    )?
    .execute(params![
        crate::db::now(),
        by.user_id,
        by.username,
        c.item_id,
        c.kind,
        c.location_id,
        c.to_location_id,
        c.project_id,
        c.delta,
        c.quantity_after,
        c.note,
        c.stocktake_id,
        c.undoes,
        c.allocation_released,
    ])?;
    Ok(conn.last_insert_rowid())
}

const SELECT: &str = "SELECT m.id, m.created_at, m.user_id, m.username, m.item_id,
        COALESCE(m.item_name, i.name), i.name, m.kind,
        m.location_id, m.location_name, l.name, m.to_location_id, m.to_location_name, tl.name,
        m.project_id, m.project_name, p.name,
        m.delta, m.quantity_after, m.note, m.undoes, m.stocktake_id, m.allocation_released,
        m.claimed_username, m.claimed_at
    FROM movements m
    LEFT JOIN items i ON i.id = m.item_id
    LEFT JOIN locations l ON l.id = m.location_id
    LEFT JOIN locations tl ON tl.id = m.to_location_id
    LEFT JOIN projects p ON p.id = m.project_id";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Movement> {
    Ok(Movement {
        id: r.get(0)?,
        created_at: r.get(1)?,
        user_id: r.get(2)?,
        username: r.get(3)?,
        item_id: r.get(4)?,
        item_name: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
        item_name_now: r.get(6)?,
        kind: r.get(7)?,
        location_id: r.get(8)?,
        location_name: r.get(9)?,
        location_name_now: r.get(10)?,
        to_location_id: r.get(11)?,
        to_location_name: r.get(12)?,
        to_location_name_now: r.get(13)?,
        project_id: r.get(14)?,
        project_name: r.get(15)?,
        project_name_now: r.get(16)?,
        delta: r.get(17)?,
        quantity_after: r.get(18)?,
        note: r.get(19)?,
        undoes: r.get(20)?,
        stocktake_id: r.get(21)?,
        allocation_released: r.get(22)?,
        claimed_by: r.get(23)?,
        claimed_at: r.get(24)?,
    })
}

/// An item's history, newest first, and how many entries it has in all.
pub fn for_item(
    conn: &Connection,
    item_id: i64,
    limit: Option<i64>,
    offset: i64,
) -> AppResult<(Vec<Movement>, i64)> {
    let sql = format!("{SELECT} WHERE m.item_id = ?1 ORDER BY m.id DESC LIMIT ?2 OFFSET ?3");
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(params![item_id, limit.unwrap_or(-1), offset], from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    let total = conn.query_row(
        "SELECT count(*) FROM movements WHERE item_id = ?1",
        [item_id],
        |r| r.get(0),
    )?;
    Ok((rows, total))
}

/// The latest movements over all items, newest first, and the total count.
pub fn recent(conn: &Connection, limit: i64, offset: i64) -> AppResult<(Vec<Movement>, i64)> {
    let sql = format!("{SELECT} ORDER BY m.id DESC LIMIT ?1 OFFSET ?2");
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(params![limit, offset], from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    let total = conn.query_row("SELECT count(*) FROM movements", [], |r| r.get(0))?;
    Ok((rows, total))
}

/// One movement, if it exists.
pub fn get(conn: &Connection, id: i64) -> AppResult<Option<Movement>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached(&format!("{SELECT} WHERE m.id = ?1"))?
        .query_row([id], from_row)
        .optional()?)
}

/// What a movement changed, for undo: the rows of one item at some places,
/// its allocation to one project, or its total.
pub enum Scope {
    /// Stock at these locations (a transfer touches two).
    Places(i64, Option<i64>),
    /// The allocation to this project: allocation movements, and consumes
    /// taken for it (they release some of it).
    Project(i64),
    /// The total, as set absolutely: total movements, and the consumes and
    /// counts that moved it since (an undo setting it back would erase them).
    Total,
}

/// A movement in the way of an undo, and which movement it reverses itself.
#[derive(Debug, Clone, Copy, Serialize, schemars::JsonSchema)]
pub struct Later {
    pub id: i64,
    pub undoes: Option<i64>,
}

/// The movements after `after` of `item_id` that changed something in
/// `scope`, oldest first: an undo of `after` would overwrite them. Any kind
/// that names a location (stock, transfer, consume, count) counts for places.
pub fn later_in_scope(
    conn: &Connection,
    item_id: i64,
    after: i64,
    scope: &Scope,
) -> AppResult<Vec<Later>> {
    let (which, a, b) = match *scope {
        Scope::Places(a, b) => ("places", Some(a), b),
        Scope::Project(p) => ("project", Some(p), None),
        Scope::Total => ("total", None, None),
    };
    Ok(conn
        .prepare_cached(&format!(
            "SELECT id, undoes FROM movements WHERE item_id = ?1 AND id > ?2 AND (
                (?3 = 'places' AND kind NOT IN ('{KIND_ALLOCATION}', '{KIND_TOTAL}')
                    AND (location_id IN (?4, ?5) OR to_location_id IN (?4, ?5)))
             OR (?3 = 'project' AND kind IN ('{KIND_ALLOCATION}', '{KIND_CONSUME}')
                    AND project_id = ?4)
             OR (?3 = 'total' AND kind IN ('{KIND_TOTAL}', '{KIND_CONSUME}', '{KIND_COUNT}')))
             ORDER BY id"
        ))?
        .query_map(params![item_id, after, which, a, b], |r| {
            Ok(Later {
                id: r.get(0)?,
                undoes: r.get(1)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?)
}
