//! The `items` table and its aggregates: how much of an item is stocked,
//! allocated, still available, and in how many locations and projects.

use crate::db::facts::{Fact, Noun};
use crate::db::listing::{
    self, Filter, ListQuery, Page, Search, SortColumn, sort, sort_natural, sort_nullable,
};
use crate::db::{item_details, tags};
use crate::error::{AppError, AppResult};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
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
    /// Its own part number, unique ignoring case.
    pub sku: Option<String>,
    /// Below this many available units the item is low (0: no minimum).
    pub min_quantity: i64,
    /// How many to order at once, when the item has a usual order size.
    pub reorder_quantity: Option<i64>,
    /// Fewer units available than `min_quantity` (`db/alerts.rs`).
    pub low: bool,
    /// Answered by a create or rename only: another row (for a location, a
    /// sibling) whose name looks the same (the UTS #39 skeleton) but is not,
    /// such as "Kitchen" and "Kitсhen" with a Cyrillic с. A warning, not a
    /// refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similar_to: Option<i64>,
    /// Tags, custom fields and barcodes ([`attach_details`]): answered by
    /// `/api/item`, left out where an item is only named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<item_details::Fields>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub barcodes: Option<Vec<String>>,
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
    sort_nullable("sku", "t.sku", true),
    sort("min_quantity", "t.min_quantity", false),
];

/// Items with their aggregates: the sums and counts are columns the schema's
/// triggers keep (`migrations/0002_item_counts.sql`), so a page reads rows only.
const ROWS: &str = "SELECT i.id, i.name, i.category, i.description, i.total_quantity,
        i.stocked_quantity, i.allocated_quantity, i.location_count, i.project_count, i.archived_at,
        i.name_key, i.sku, i.min_quantity, i.reorder_quantity
    FROM items i";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Item> {
    let total: i64 = r.get(4)?;
    let stocked: i64 = r.get(5)?;
    let allocated: i64 = r.get(6)?;
    let min: i64 = r.get(12)?;
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
        sku: r.get(11)?,
        min_quantity: min,
        reorder_quantity: r.get(13)?,
        low: min > total - allocated,
        similar_to: None,
        tags: None,
        fields: None,
        barcodes: None,
        locations: None,
        photo_id: None,
        photos: Vec::new(),
        attachments: Vec::new(),
    })
}

/// What only the item list filters by: tags (all of them), a barcode, a sku.
#[derive(Debug, Default)]
pub struct Lookup {
    pub tags: Vec<String>,
    pub barcode: Option<String>,
    pub sku: Option<String>,
    /// Only the low items (`?low=true`).
    pub low: bool,
}

impl Lookup {
    /// Adds its conditions to `f`. The rarest tag names the candidates (one
    /// range of the index `item_tags_tag`); each other tag is one primary-key
    /// probe per candidate. (An `IN` list per tag would read every use of a
    /// common tag even when a rare one leaves a handful of items.)
    fn add_to(&self, conn: &Connection, f: &mut Filter) -> AppResult<()> {
        if !self.tags.is_empty() {
            match tags::ids_rarest_first(conn, &self.tags)? {
                None => f.add("0", Vec::new()),
                Some(ids) => {
                    let (rarest, others) = ids.split_first().expect("at least one tag");
                    f.add(
                        "id IN (SELECT item_id FROM item_tags WHERE tag_id = ?)",
                        vec![Value::Integer(*rarest)],
                    );
                    // `id` is the item's: item_tags has no column of that name.
                    for tag in others {
                        f.add(
                            "EXISTS (SELECT 1 FROM item_tags WHERE item_id = id AND tag_id = ?)",
                            vec![Value::Integer(*tag)],
                        );
                    }
                }
            }
        }
        if let Some(code) = &self.barcode {
            f.add(
                "id IN (SELECT item_id FROM item_barcodes WHERE code = ?)",
                vec![Value::Text(code.clone())],
            );
        }
        if let Some(sku) = &self.sku {
            // The column is NOCASE: ignoring case, through its unique index.
            f.add("sku = ?", vec![Value::Text(sku.clone())]);
        }
        if self.low {
            f.add(crate::db::alerts::LOW, Vec::new());
        }
        Ok(())
    }

    fn is_empty(&self) -> bool {
        self.tags.is_empty() && self.barcode.is_none() && self.sku.is_none() && !self.low
    }
}

/// Fills in the tags, custom fields and barcodes of the items, for the whole
/// page in three queries.
pub fn attach_details(conn: &Connection, rows: &mut [Item]) -> AppResult<()> {
    let ids: Vec<i64> = rows.iter().map(|i| i.id).collect();
    let mut tags = tags::for_items(conn, &ids)?;
    let mut fields = item_details::fields_for(conn, &ids)?;
    let mut barcodes = item_details::barcodes_for(conn, &ids)?;
    for item in rows {
        item.tags = Some(tags.remove(&item.id).unwrap_or_default());
        item.fields = Some(fields.remove(&item.id).unwrap_or_default());
        item.barcodes = Some(barcodes.remove(&item.id).unwrap_or_default());
    }
    Ok(())
}

/// One page of items and the number of items matching the query.
pub fn list(conn: &Connection, q: &ListQuery, lookup: &Lookup) -> AppResult<Page<Item>> {
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
            count_in_index = q.category.is_none() && lookup.is_empty();
        }
        Some((s, None)) => f.add(
            "(name LIKE ? ESCAPE '\\' OR category LIKE ? ESCAPE '\\' OR description LIKE ? ESCAPE '\\'
              OR search_text LIKE ? ESCAPE '\\')",
            vec![Value::Text(s.like.clone()); 4],
        ),
        None => {}
    }
    if let Some(c) = &q.category {
        f.add("category = ? COLLATE NOCASE", vec![Value::Text(c.clone())]);
    }
    lookup.add_to(conn, &mut f)?;
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
    pub sku: Option<String>,
    pub min_quantity: i64,
    pub reorder_quantity: Option<i64>,
}

pub fn insert(conn: &Connection, new: &NewItem) -> AppResult<i64> {
    conn.prepare_cached(
        "INSERT INTO items (name, category, description, total_quantity, sku, min_quantity,
            reorder_quantity) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        new.name,
        new.category,
        new.description,
        new.total_quantity,
        new.sku,
        new.min_quantity,
        new.reorder_quantity
    ])?;
    Ok(conn.last_insert_rowid())
}

pub fn update(conn: &Connection, id: i64, new: &NewItem) -> AppResult<()> {
    conn.prepare_cached(
        "UPDATE items SET name = ?2, category = ?3, description = ?4, total_quantity = ?5, sku = ?6,
                min_quantity = ?7, reorder_quantity = ?8
          WHERE id = ?1",
    )?
    .execute(params![
        id,
        new.name,
        new.category,
        new.description,
        new.total_quantity,
        new.sku,
        new.min_quantity,
        new.reorder_quantity
    ])?;
    Ok(())
}

/// Sets the item's total alone: an undo puts an earlier total back, and a take
/// or a count changes it with its stock (the schema's triggers keep it covering
/// stock and allocations).
pub fn set_total(conn: &Connection, id: i64, total: i64) -> AppResult<()> {
    conn.prepare_cached("UPDATE items SET total_quantity = ?2 WHERE id = ?1")?
        .execute(params![id, total])?;
    Ok(())
}

pub fn delete(conn: &Connection, id: i64) -> AppResult<()> {
    conn.prepare_cached("DELETE FROM items WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}
