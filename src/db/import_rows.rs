//! Look-ups and writes the CSV and Homebox imports need beyond
//! `db/import.rs`: an item by sku, id or Homebox import ref, an item as the
//! export shape (to change only the columns a file has), a new item id,
//! locations by path (created when missing) and setting a stock quantity with
//! its movement.

use super::export::Item;
use super::import::Refusal;
use super::movements::{self, Actor, Change, KIND_STOCK};
use crate::error::AppResult;
use rusqlite::{Connection, OptionalExtension, params};

/// The custom field that keeps a Homebox item's `HB.import_ref`, so a second
/// import of the same file updates instead of duplicating.
pub const IMPORT_REF_FIELD: &str = "HB.import_ref";

pub fn item_by_sku(conn: &Connection, sku: &str) -> AppResult<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT id FROM items WHERE sku = ?1")?
        .query_row([sku], |r| r.get(0))
        .optional()?)
}

pub fn item_by_import_ref(conn: &Connection, import_ref: &str) -> AppResult<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT item_id FROM item_fields WHERE name = ?1 AND value = ?2")?
        .query_row(params![IMPORT_REF_FIELD, import_ref], |r| r.get(0))
        .optional()?)
}

/// The item in the export's shape, with its tags, fields and barcodes.
pub fn item(conn: &Connection, id: i64) -> AppResult<Option<Item>> {
    let Some(mut item) = conn
        .prepare_cached(
            "SELECT id, name, category, description, total_quantity, sku, archived_at FROM items WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok(Item {
                id: r.get(0)?,
                name: r.get(1)?,
                category: r.get(2)?,
                description: r.get(3)?,
                total_quantity: r.get(4)?,
                sku: r.get(5)?,
                tags: Vec::new(),
                fields: Default::default(),
                barcodes: Vec::new(),
                archived_at: r.get(6)?,
            })
        })
        .optional()?
    else {
        return Ok(None);
    };
    item.tags = super::tags::for_items(conn, &[id])?
        .remove(&id)
        .unwrap_or_default();
    item.fields = super::item_details::fields_for(conn, &[id])?
        .remove(&id)
        .unwrap_or_default();
    item.barcodes = super::item_details::barcodes_for(conn, &[id])?
        .remove(&id)
        .unwrap_or_default();
    Ok(Some(item))
}

/// An id no item ever had (the table is AUTOINCREMENT: ids are not reused).
pub fn next_item_id(conn: &Connection) -> AppResult<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'items'), 0),
                        COALESCE((SELECT max(id) FROM items), 0)) + 1",
        )?
        .query_row([], |r| r.get(0))?)
}

/// The location at `path` (names separated by `/`, spaces trimmed, matched
/// ignoring case), creating the missing ones; and how many it created.
pub fn location_by_path(conn: &Connection, path: &str) -> AppResult<(i64, u64)> {
    let mut parent: Option<i64> = None;
    let mut created = 0;
    for name in path.split('/').map(str::trim).filter(|n| !n.is_empty()) {
        let found: Option<i64> = conn
            .prepare_cached(
                "SELECT id FROM locations WHERE coalesce(parent_id, 0) = coalesce(?1, 0)
                   AND name = ?2 COLLATE NOCASE AND archived_at IS NULL",
            )?
            .query_row(params![parent, name], |r| r.get(0))
            .optional()?;
        let id = match found {
            Some(id) => id,
            None => {
                created += 1;
                super::locations::insert(conn, name, parent)?
            }
        };
        parent = Some(id);
    }
    Ok((parent.unwrap_or(0), created))
}

/// Sets the item's stock at a location to `quantity`, recording the change
/// in the history like a stock edit does. Refused (not written) when it
/// would exceed the item's total.
pub fn set_stock(
    conn: &Connection,
    by: Actor<'_>,
    item_id: i64,
    location_id: i64,
    quantity: i64,
) -> AppResult<Result<(), Refusal>> {
    let before: i64 = conn
        .prepare_cached("SELECT quantity FROM stock WHERE item_id = ?1 AND location_id = ?2")?
        .query_row(params![item_id, location_id], |r| r.get(0))
        .optional()?
        .unwrap_or(0);
    if before == quantity {
        return Ok(Ok(()));
    }
    let r = conn
        .prepare_cached(
            "INSERT INTO stock (item_id, location_id, quantity) VALUES (?1, ?2, ?3)
             ON CONFLICT (item_id, location_id) DO UPDATE SET quantity = excluded.quantity",
        )?
        .execute(params![item_id, location_id, quantity]);
    match r {
        Ok(_) => {}
        Err(rusqlite::Error::SqliteFailure(f, _))
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            return Ok(Err(Refusal::OverTotal));
        }
        Err(e) => return Err(e.into()),
    }
    let mut change = Change::new(KIND_STOCK, item_id, quantity - before, quantity);
    change.location_id = Some(location_id);
    change.note = Some("import");
    movements::record(conn, by, &change)?;
    Ok(Ok(()))
}
