//! The `items` table and its aggregates: how much of an item is stocked,
//! allocated, still available, and in how many locations and projects.

use crate::db::facts::{Fact, Noun};
use crate::db::listing::{
    self, Filter, ListQuery, Page, Search, SortColumn, sort, sort_natural, sort_nullable,
};
use crate::error::{AppError, AppResult};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub id: i64,
    pub name: String,
    pub category: Option<String>,
    pub description: Option<String>,
    pub total_quantity: i64,
    pub stocked_quantity: i64,
    pub allocated_quantity: i64,
    pub available_quantity: i64,
    pub unstocked_quantity: i64,
    pub location_count: i64,
    pub project_count: i64,
    /// When the item was archived (deleted while it had history); absent
    /// while it is in use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archived_at: Option<i64>,
    /// Where it is stocked, most units first; only with `?locations=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locations: Option<Vec<crate::db::placement::Placed>>,
    /// The primary photo (`GET /api/item/photo?id=`), for a list's thumbnail.
    pub photo_id: Option<i64>,
    /// Every photo and attachment: on the single-item read only, and only
    /// when there are any (so an item without media reads as its list row).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub photos: Vec<crate::db::media::PhotoRef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<crate::db::media::AttachmentRef>,
}

/// Columns `GET /api/item?sort=` accepts.
pub const SORTS: &[SortColumn] = &[
    sort("id", "t.id", false),
    sort_natural("name", "t.name_key", "t.name"),
    sort_nullable("category", "t.category", true),
    sort("total_quantity", "t.total_quantity", false),
    sort("stocked_quantity", "t.stocked_quantity", false),
    sort("allocated_quantity", "t.allocated_quantity", false),
    sort(
        "available_quantity",
        "t.total_quantity - t.allocated_quantity",
        false,
    ),
    sort(
        "unstocked_quantity",
        "t.total_quantity - t.stocked_quantity",
        false,
    ),
    sort("location_count", "t.location_count", false),
    sort("project_count", "t.project_count", false),
];

/// Items with their aggregates: the sums and counts are columns the schema's
/// triggers keep (`migrations/0002_item_counts.sql`), so a page reads rows only.
const ROWS: &str = "SELECT i.id, i.name, i.category, i.description, i.total_quantity,
        i.stocked_quantity, i.allocated_quantity, i.location_count, i.project_count, i.archived_at,
        i.name_key
    FROM items i";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Item> {
    let total: i64 = r.get(4)?;
    let stocked: i64 = r.get(5)?;
    let allocated: i64 = r.get(6)?;
    Ok(Item {
        id: r.get(0)?,
        name: r.get(1)?,
        category: r.get(2)?,
        description: r.get(3)?,
        total_quantity: total,
        stocked_quantity: stocked,
        allocated_quantity: allocated,
        available_quantity: total - allocated,
        unstocked_quantity: total - stocked,
        location_count: r.get(7)?,
        project_count: r.get(8)?,
        archived_at: r.get(9)?,
        locations: None,
        photo_id: None,
        photos: Vec::new(),
        attachments: Vec::new(),
    })
}

/// One page of items and the number of items matching the query.
pub fn list(conn: &Connection, q: &ListQuery) -> AppResult<Page<Item>> {
    let mut f = Filter::default();
    // A search through the index alone is counted in the index.
    let mut count_in_index = false;
    // Archived items are not in the search index (migration 0005): their
    // searches read the few archived rows with LIKE.
    let phrase = |s: &Search| s.trigram_phrase().filter(|_| !q.archived);
    match q.search.as_ref().map(|s| (s, phrase(s))) {
        // Three characters or more: the trigram index (`items_search`, kept by
        // triggers) names the matching items without reading the others.
        Some((_, Some(phrase))) => {
            f.add(
                "id IN (SELECT rowid FROM items_search WHERE items_search MATCH ?)",
                vec![Value::Text(phrase)],
            );
            count_in_index = q.category.is_none();
        }
        Some((s, None)) => f.add(
            "(name LIKE ? ESCAPE '\\' OR category LIKE ? ESCAPE '\\' OR description LIKE ? ESCAPE '\\')",
            vec![Value::Text(s.like.clone()), Value::Text(s.like.clone()), Value::Text(s.like.clone())],
        ),
        None => {}
    }
    if let Some(c) = &q.category {
        f.add("category = ? COLLATE NOCASE", vec![Value::Text(c.clone())]);
    }
    // Unfiltered, the count is the running total the triggers keep: counting a
    // million rows would cost more than the page itself. Both it and the index
    // hold active items only.
    let unfiltered = f.is_empty() && !q.archived;
    f.archived(q.archived);
    let count = if count_in_index {
        "SELECT count(*) FROM items_search WHERE items_search MATCH ?".to_string()
    } else if unfiltered {
        "SELECT items FROM inventory_totals".to_string()
    } else {
        listing::count_sql("items", &f)
    };
    listing::page(conn, q, &f, ROWS, &count, from_row)
}

pub fn by_id(conn: &Connection, id: i64) -> AppResult<Option<Item>> {
    Ok(conn
        .prepare_cached(&format!("{ROWS} WHERE i.id = ?1"))?
        .query_row([id], from_row)
        .optional()?)
}

/// The item, or 404 naming it.
pub fn get(conn: &Connection, id: i64) -> AppResult<Item> {
    by_id(conn, id)?.ok_or_else(|| not_found(id))
}

/// The item if it takes changes: 404 when missing, 409 `archived` when archived.
pub fn get_active(conn: &Connection, id: i64) -> AppResult<Item> {
    let item = get(conn, id)?;
    if item.archived_at.is_some() {
        return Err(Fact::Archived {
            noun: Noun::Item,
            id,
            name: item.name,
        }
        .into());
    }
    Ok(item)
}

/// Whether the item has history: any movement but the one that recorded the
/// total it was created with (an item created by mistake has only that one).
pub fn has_history(conn: &Connection, id: i64) -> AppResult<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM movements WHERE item_id = ?1 AND NOT (kind = 'total'
                AND id = (SELECT MIN(id) FROM movements WHERE item_id = ?1)))",
        )?
        .query_row([id], |r| r.get(0))?)
}

/// Archives (`true`) or restores (`false`) the item. The triggers take it out
/// of, or back into, the running totals and the search index.
pub fn set_archived(conn: &Connection, id: i64, archived: bool) -> AppResult<()> {
    conn.prepare_cached("UPDATE items SET archived_at = CASE WHEN ?2 THEN ?3 END WHERE id = ?1")?
        .execute(params![id, archived, crate::db::now()])?;
    Ok(())
}

pub fn not_found(id: i64) -> AppError {
    Fact::NotFound {
        noun: Noun::Item,
        id,
    }
    .into()
}

pub struct NewItem {
    pub name: String,
    pub category: Option<String>,
    pub description: Option<String>,
    pub total_quantity: i64,
}

pub fn insert(conn: &Connection, new: &NewItem) -> AppResult<i64> {
    conn.prepare_cached(
        "INSERT INTO items (name, category, description, total_quantity) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        new.name,
        new.category,
        new.description,
        new.total_quantity
    ])?;
    Ok(conn.last_insert_rowid())
}

pub fn update(conn: &Connection, id: i64, new: &NewItem) -> AppResult<()> {
    conn.prepare_cached(
        "UPDATE items SET name = ?2, category = ?3, description = ?4, total_quantity = ?5 WHERE id = ?1",
    )?
    .execute(params![
        id,
        new.name,
        new.category,
        new.description,
        new.total_quantity
    ])?;
    Ok(())
}

pub fn delete(conn: &Connection, id: i64) -> AppResult<()> {
    conn.prepare_cached("DELETE FROM items WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}
