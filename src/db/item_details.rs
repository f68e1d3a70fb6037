//! What an item carries besides its stock (migration 0008): custom fields,
//! barcodes and the uniqueness of its sku, read for a page of items at once,
//! and `items.search_text`, which carries them and the tags into the search
//! index. Tags have their own file (`tags.rs`).

use crate::db::facts::Fact;
use crate::error::AppResult;
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::{BTreeMap, HashMap};

/// An item's custom fields: name → value, in name order.
pub type Fields = BTreeMap<String, String>;

/// The text the search index holds for an item besides its name, category and
/// description: sku, barcodes, tags and field values, one per line (NULL when
/// there are none). An expression over the `items` row being updated.
const SEARCH_TEXT: &str = "NULLIF(concat_ws(char(10), items.sku,
    (SELECT group_concat(code, char(10)) FROM item_barcodes WHERE item_id = items.id),
    (SELECT group_concat(g.name, char(10)) FROM item_tags it JOIN tags g ON g.id = it.tag_id
      WHERE it.item_id = items.id),
    (SELECT group_concat(value, char(10)) FROM item_fields WHERE item_id = items.id)), '')";

/// Rewrites the search text of the item; the triggers carry it into the index.
/// Called after every change to an item's sku, barcodes, tags or fields.
pub fn refresh_search(conn: &Connection, item_id: i64) -> AppResult<()> {
    conn.prepare_cached(&format!(
        "UPDATE items SET search_text = {SEARCH_TEXT} WHERE id = ?1"
    ))?
    .execute([item_id])?;
    Ok(())
}

/// [`refresh_search`] for every item carrying the tag (after a rename or merge).
pub fn refresh_search_tagged(conn: &Connection, tag_id: i64) -> AppResult<()> {
    conn.prepare_cached(&format!(
        "UPDATE items SET search_text = {SEARCH_TEXT}
          WHERE id IN (SELECT item_id FROM item_tags WHERE tag_id = ?1)"
    ))?
    .execute([tag_id])?;
    Ok(())
}

/// Refuses a sku another item already has (ignoring case: the column is
/// NOCASE), naming that item. Archived items keep theirs.
pub fn ensure_sku_free(conn: &Connection, sku: &str, except: Option<i64>) -> AppResult<()> {
    let existing: Option<i64> = conn
        .prepare_cached("SELECT id FROM items WHERE sku = ?1 AND id <> ?2")?
        .query_row(params![sku, except.unwrap_or(0)], |r| r.get(0))
        .optional()?;
    match existing {
        Some(existing_id) => Err(Fact::Duplicate {
            field: "sku",
            value: sku.to_string(),
            existing_id,
        }
        .into()),
        None => Ok(()),
    }
}

/// Replaces the item's barcodes. A code names one item: a code another item
/// has is refused, naming that item, and nothing is written.
pub fn set_barcodes(conn: &Connection, item_id: i64, codes: &[String]) -> AppResult<()> {
    let list = serde_json::to_string(codes).expect("a list of strings serialises");
    let taken: Option<(String, i64)> = conn
        .prepare_cached(
            "SELECT code, item_id FROM item_barcodes
              WHERE code IN (SELECT value FROM json_each(?1)) AND item_id <> ?2 LIMIT 1",
        )?
        .query_row(params![list, item_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if let Some((value, existing_id)) = taken {
        return Err(Fact::Duplicate {
            field: "barcodes",
            value,
            existing_id,
        }
        .into());
    }
    conn.prepare_cached("DELETE FROM item_barcodes WHERE item_id = ?1")?
        .execute([item_id])?;
    let mut insert =
        conn.prepare_cached("INSERT INTO item_barcodes (code, item_id) VALUES (?1, ?2)")?;
    for code in codes {
        insert.execute(params![code, item_id])?;
    }
    Ok(())
}

/// Replaces the item's custom fields.
pub fn set_fields(conn: &Connection, item_id: i64, fields: &Fields) -> AppResult<()> {
    conn.prepare_cached("DELETE FROM item_fields WHERE item_id = ?1")?
        .execute([item_id])?;
    let mut insert =
        conn.prepare_cached("INSERT INTO item_fields (item_id, name, value) VALUES (?1, ?2, ?3)")?;
    for (name, value) in fields {
        insert.execute(params![item_id, name, value])?;
    }
    Ok(())
}

/// The custom fields of each of the items.
pub fn fields_for(conn: &Connection, item_ids: &[i64]) -> AppResult<HashMap<i64, Fields>> {
    let ids = serde_json::to_string(item_ids).expect("a list of integers serialises");
    let mut out: HashMap<i64, Fields> = HashMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT item_id, name, value FROM item_fields
          WHERE item_id IN (SELECT value FROM json_each(?1))",
    )?;
    let rows = stmt.query_map([ids], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    for row in rows {
        let (id, name, value): (i64, String, String) = row?;
        out.entry(id).or_default().insert(name, value);
    }
    Ok(out)
}

/// The barcodes of each of the items, in code order.
pub fn barcodes_for(conn: &Connection, item_ids: &[i64]) -> AppResult<HashMap<i64, Vec<String>>> {
    let ids = serde_json::to_string(item_ids).expect("a list of integers serialises");
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT item_id, code FROM item_barcodes
          WHERE item_id IN (SELECT value FROM json_each(?1)) ORDER BY item_id, code",
    )?;
    let rows = stmt.query_map([ids], |r| Ok((r.get(0)?, r.get(1)?)))?;
    for row in rows {
        let (id, code): (i64, String) = row?;
        out.entry(id).or_default().push(code);
    }
    Ok(out)
}
