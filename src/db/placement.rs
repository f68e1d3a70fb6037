//! Rows that place units of an item somewhere: stock rows (item ↔ location,
//! table `stock`) and allocations (item ↔ project, table `project_items`,
//! "associations" in the API). Both have one row per (item, place) and a
//! quantity, and the sum over an item's rows never exceeds its total (the
//! schema's triggers hold that line too). [`STOCK`] and [`ALLOCATIONS`] say
//! how the two differ: tables, keys, error codes, the kind of movement (the
//! sentences are in `api/placement.rs`).

use crate::db::facts::{Fact, Noun};
use crate::db::listing::{self, Filter, ListQuery, Page, SortColumn, sort, sort_natural};
use crate::db::movements::{Change, KIND_ALLOCATION, KIND_STOCK};
use crate::db::named::{LOCATIONS, Named, PROJECTS};
use crate::db::tree::{path_of, subtree_of};
use crate::error::{AppError, AppResult};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::ser::{Serialize, SerializeMap, Serializer};

/// A kind of placement.
pub struct Placement {
    pub table: &'static str,
    /// Where the units are placed; its `key` is this table's column.
    pub place: &'static Named,
    /// What a row is; its `id_key()` ("stock_id") names a row's id in
    /// not-found errors and where a place lists what it holds.
    pub noun: Noun,
    /// Columns `?sort=` accepts.
    pub sorts: &'static [SortColumn],
    /// The movement recorded for each change, and where it names the place.
    pub movement: &'static str,
    pub mark_place: fn(&mut Change<'_>, i64),
    /// The 409 for more units than the item has left: its code, and the keys
    /// of the units already placed and of those left.
    pub over_code: &'static str,
    pub placed_key: &'static str,
    pub left_key: &'static str,
    /// For places in a tree (locations): the SQL of the path of place `l`,
    /// and the condition keeping the rows at place `?` or inside it.
    pub tree: Option<(&'static str, &'static str)>,
    /// How many rows place `?` holds, read from a figure the triggers keep
    /// (locations, migration 0019); `None` counts the rows.
    pub kept_count: Option<&'static str>,
}

pub static STOCK: Placement = Placement {
    table: "stock",
    place: &LOCATIONS,
    noun: Noun::StockRow,
    sorts: &[
        sort("id", "t.id", false),
        sort_natural("item_name", "t.item_key", "t.item_name"),
        sort_natural("location_name", "t.place_key", "t.place_name"),
        sort("quantity", "t.quantity", false),
    ],
    movement: KIND_STOCK,
    mark_place: |c, id| c.location_id = Some(id),
    over_code: "over_stock",
    placed_key: "stocked_quantity",
    left_key: "unstocked",
    tree: Some((
        path_of!("l.id"),
        concat!("s.location_id IN (", subtree_of!("?"), ")"),
    )),
    // A location that does not exist holds no rows (a filter, not a 404).
    kept_count: Some("SELECT COALESCE((SELECT item_count FROM locations WHERE id = ?), 0)"),
};

pub static ALLOCATIONS: Placement = Placement {
    table: "project_items",
    place: &PROJECTS,
    noun: Noun::Allocation,
    sorts: &[
        sort("id", "t.id", false),
        sort_natural("item_name", "t.item_key", "t.item_name"),
        sort_natural("project_name", "t.place_key", "t.place_name"),
        sort("quantity", "t.quantity", false),
    ],
    movement: KIND_ALLOCATION,
    mark_place: |c, id| c.project_id = Some(id),
    over_code: "over_allocation",
    placed_key: "allocated_quantity",
    left_key: "available",
    tree: None,
    kept_count: None,
};

/// A placement names itself by its table; the rest is constant.
impl std::fmt::Debug for Placement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.table)
    }
}

/// One row with the names of its item and place. Serialised with the kind's
/// keys: `location_id`/`location_name` or `project_id`/`project_name`.
#[derive(Debug, Clone)]
pub struct Placed {
    pub kind: &'static Placement,
    pub id: i64,
    pub item_id: i64,
    pub item_name: String,
    pub place_id: i64,
    pub place_name: String,
    pub quantity: i64,
    /// The location's path ("Garage / Shelf A"), in the reads that ask for it:
    /// an item's stock rows and a location's content with what is inside it.
    pub place_path: Option<String>,
}

impl Serialize for Placed {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("item_id", &self.item_id)?;
        m.serialize_entry("item_name", &self.item_name)?;
        m.serialize_entry(self.kind.place.key, &self.place_id)?;
        m.serialize_entry(self.kind.place.name_key, &self.place_name)?;
        if let Some(path) = &self.place_path {
            // Only locations nest, so only they have a path.
            m.serialize_entry("location_path", path)?;
        }
        m.serialize_entry("quantity", &self.quantity)?;
        m.end()
    }
}

impl Placed {
    /// The row as its place lists it.
    pub fn held(&self) -> Held {
        Held {
            kind: self.kind,
            id: self.id,
            item_id: self.item_id,
            item_name: self.item_name.clone(),
            quantity: self.quantity,
            place: self
                .place_path
                .clone()
                .map(|path| (self.place_id, self.place_name.clone(), path)),
        }
    }
}

/// One row as its place lists it (`?content=true`, `?details=true`): the id
/// under the kind's `id_key`, the item and the quantity.
#[derive(Debug, Clone)]
pub struct Held {
    pub kind: &'static Placement,
    pub id: i64,
    pub item_id: i64,
    pub item_name: String,
    pub quantity: i64,
    /// Where inside the place the row is, as (id, name, path): only in a
    /// location's content with what is inside it (`?recursive=true`).
    pub place: Option<(i64, String, String)>,
}

impl Serialize for Held {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry(self.kind.noun.id_key(), &self.id)?;
        m.serialize_entry("item_id", &self.item_id)?;
        m.serialize_entry("item_name", &self.item_name)?;
        if let Some((id, name, path)) = &self.place {
            m.serialize_entry(self.kind.place.key, id)?;
            m.serialize_entry(self.kind.place.name_key, name)?;
            m.serialize_entry("location_path", path)?;
        }
        m.serialize_entry("quantity", &self.quantity)?;
        m.end()
    }
}

/// The document's schema of a row: the place's keys depend on the kind (a
/// stock row names its location, an allocation its project), so both are
/// listed as optional.
fn row_schema(id_keys: &[&str], required: &[&str]) -> schemars::Schema {
    let mut properties = serde_json::Map::new();
    for key in id_keys
        .iter()
        .chain(&["item_id", "location_id", "project_id", "quantity"])
    {
        properties.insert((*key).into(), serde_json::json!({"type": "integer"}));
    }
    for key in [
        "item_name",
        "location_name",
        "project_name",
        "location_path",
    ] {
        properties.insert(key.into(), serde_json::json!({"type": "string"}));
    }
    schemars::json_schema!({"type": "object", "properties": properties, "required": required})
}

impl schemars::JsonSchema for Placed {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "PlacedRow".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        row_schema(&["id"], &["id", "item_id", "item_name", "quantity"])
    }
}

impl schemars::JsonSchema for Held {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "HeldRow".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        row_schema(
            &["stock_id", "association_id"],
            &["item_id", "item_name", "quantity"],
        )
    }
}

impl Placement {
    /// `FROM` with the joins every read of rows needs.
    fn joined_tables(&self) -> String {
        format!(
            "{} s JOIN items i ON i.id = s.item_id JOIN {} l ON l.id = s.{}",
            self.table, self.place.table, self.place.key
        )
    }

    /// The `SELECT` of rows; `with_path` adds the place's path where the
    /// places form a tree (NULL otherwise).
    fn rows_sql(&self, with_path: bool) -> String {
        let path = match self.tree {
            Some((path, _)) if with_path => path,
            _ => "NULL",
        };
        format!(
            "SELECT s.id, s.item_id, i.name AS item_name, s.{} AS place_id, l.name AS place_name, s.quantity,
                    s.item_key AS item_key, l.name_key AS place_key, {path} AS place_path
             FROM {}",
            self.place.key,
            self.joined_tables()
        )
    }

    fn row_reader(&'static self) -> impl Fn(&Row<'_>) -> rusqlite::Result<Placed> {
        move |r| {
            Ok(Placed {
                kind: self,
                id: r.get(0)?,
                item_id: r.get(1)?,
                item_name: r.get(2)?,
                place_id: r.get(3)?,
                place_name: r.get(4)?,
                quantity: r.get(5)?,
                place_path: r.get(8)?,
            })
        }
    }

    /// The movement for a change of `delta` units of `item_id` at `place_id`.
    pub fn change(&self, item_id: i64, place_id: i64, delta: i64, after: i64) -> Change<'static> {
        let mut change = Change::new(self.movement, item_id, delta, after);
        (self.mark_place)(&mut change, place_id);
        change
    }

    pub fn not_found(&self, id: i64) -> AppError {
        Fact::NotFound {
            noun: self.noun,
            id,
        }
        .into()
    }
}

/// Narrows a list to one item and/or one place.
#[derive(Debug, Default, Clone, Copy)]
pub struct PlacedFilter {
    pub item_id: Option<i64>,
    pub place_id: Option<i64>,
    /// With `place_id` of a location: the rows inside it too, each with its
    /// location's path.
    pub within: bool,
}

pub fn list(
    conn: &Connection,
    kind: &'static Placement,
    q: &ListQuery,
    by: PlacedFilter,
) -> AppResult<Page<Placed>> {
    let mut f = Filter::default();
    if let Some(p) = q.search.as_ref().map(|s| &s.like) {
        f.add(
            "(i.name LIKE ? ESCAPE '\\' OR l.name LIKE ? ESCAPE '\\')",
            vec![Value::Text(p.clone()), Value::Text(p.clone())],
        );
    }
    if let Some(id) = by.item_id {
        f.add("s.item_id = ?", vec![Value::Integer(id)]);
    }
    let within = by.within.then_some(kind.tree).flatten();
    match (by.place_id, within) {
        (Some(id), Some((_, inside))) => f.add(inside, vec![Value::Integer(id)]),
        (Some(id), None) => f.add(
            &format!("s.{} = ?", kind.place.key),
            vec![Value::Integer(id)],
        ),
        (None, _) => {}
    }
    // All of one place's rows are counted by the place's kept figure (the one
    // parameter is the place's id); without a text search the filters name
    // only the row's own columns, so counting walks the place's index alone,
    // with no join per row.
    let whole_place =
        q.search.is_none() && by.item_id.is_none() && by.place_id.is_some() && within.is_none();
    let count = match kind.kept_count {
        Some(kept) if whole_place => kept.to_string(),
        _ if q.search.is_some() => listing::count_sql(&kind.joined_tables(), &f),
        _ => listing::count_sql(&format!("{} s", kind.table), &f),
    };
    let rows = kind.rows_sql(within.is_some());
    listing::page(conn, q, &f, &rows, &count, kind.row_reader())
}

pub fn get(conn: &Connection, kind: &'static Placement, id: i64) -> AppResult<Placed> {
    conn.prepare_cached(&format!("{} WHERE s.id = ?1", kind.rows_sql(false)))?
        .query_row([id], kind.row_reader())
        .optional()?
        .ok_or_else(|| kind.not_found(id))
}

/// What a place holds, by item name.
pub fn held_at(conn: &Connection, kind: &'static Placement, place_id: i64) -> AppResult<Vec<Held>> {
    Ok(held_at_each(conn, kind, &[place_id])?
        .remove(&place_id)
        .unwrap_or_default())
}

/// What each of `place_ids` holds, by item name, in one query (a list page
/// with `?content=true` asks once, not once per row).
pub fn held_at_each(
    conn: &Connection,
    kind: &'static Placement,
    place_ids: &[i64],
) -> AppResult<std::collections::HashMap<i64, Vec<Held>>> {
    let ids = serde_json::to_string(place_ids).expect("a list of integers serialises");
    let mut held: std::collections::HashMap<i64, Vec<Held>> = std::collections::HashMap::new();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT s.{key}, s.id, s.item_id, i.name, s.quantity
         FROM {table} s JOIN items i ON i.id = s.item_id
         WHERE s.{key} IN (SELECT value FROM json_each(?1))
         ORDER BY i.name_key, s.id",
        key = kind.place.key,
        table = kind.table
    ))?;
    let rows = stmt.query_map([ids], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            Held {
                kind,
                id: r.get(1)?,
                item_id: r.get(2)?,
                item_name: r.get(3)?,
                quantity: r.get(4)?,
                place: None,
            },
        ))
    })?;
    for row in rows {
        let (place, h) = row?;
        held.entry(place).or_default().push(h);
    }
    Ok(held)
}

/// Where each of `item_ids` is placed, most units first, in one query (a page
/// of items with `?locations=true` asks once, not once per item); stock rows
/// carry their location's path.
pub fn placed_for_items(
    conn: &Connection,
    kind: &'static Placement,
    item_ids: &[i64],
) -> AppResult<std::collections::HashMap<i64, Vec<Placed>>> {
    let ids = serde_json::to_string(item_ids).expect("a list of integers serialises");
    let mut placed: std::collections::HashMap<i64, Vec<Placed>> = std::collections::HashMap::new();
    let mut stmt = conn.prepare_cached(&format!(
        "{} WHERE s.item_id IN (SELECT value FROM json_each(?1))
         ORDER BY s.quantity DESC, l.name_key, s.id",
        kind.rows_sql(true)
    ))?;
    for row in stmt.query_map([ids], kind.row_reader())? {
        let row = row?;
        placed.entry(row.item_id).or_default().push(row);
    }
    Ok(placed)
}

/// The row holding `item_id` at `place_id`, if any: (id, quantity).
pub fn find(
    conn: &Connection,
    kind: &Placement,
    item_id: i64,
    place_id: i64,
) -> AppResult<Option<(i64, i64)>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT id, quantity FROM {} WHERE item_id = ?1 AND {} = ?2",
            kind.table, kind.place.key
        ))?
        .query_row(params![item_id, place_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// Units of the item placed over all its rows, leaving out row `except`.
pub fn placed_except(
    conn: &Connection,
    kind: &Placement,
    item_id: i64,
    except: Option<i64>,
) -> AppResult<i64> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT COALESCE(SUM(quantity), 0) FROM {} WHERE item_id = ?1 AND id <> ?2",
            kind.table
        ))?
        .query_row(params![item_id, except.unwrap_or(0)], |r| r.get(0))?)
}

/// How many rows the item has.
pub fn rows_for_item(conn: &Connection, kind: &Placement, item_id: i64) -> AppResult<i64> {
    count(conn, kind, "item_id", item_id)
}

/// How many rows the place has (they keep it from being deleted).
pub fn rows_at(conn: &Connection, kind: &Placement, place_id: i64) -> AppResult<i64> {
    count(conn, kind, kind.place.key, place_id)
}

fn count(conn: &Connection, kind: &Placement, column: &str, id: i64) -> AppResult<i64> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM {} WHERE {column} = ?1",
            kind.table
        ))?
        .query_row([id], |r| r.get(0))?)
}

pub fn insert(
    conn: &Connection,
    kind: &Placement,
    item_id: i64,
    place_id: i64,
    quantity: i64,
) -> AppResult<i64> {
    conn.prepare_cached(&format!(
        "INSERT INTO {} (item_id, {}, quantity) VALUES (?1, ?2, ?3)",
        kind.table, kind.place.key
    ))?
    .execute(params![item_id, place_id, quantity])?;
    Ok(conn.last_insert_rowid())
}

pub fn set_quantity(conn: &Connection, kind: &Placement, id: i64, quantity: i64) -> AppResult<()> {
    conn.prepare_cached(&format!(
        "UPDATE {} SET quantity = ?2 WHERE id = ?1",
        kind.table
    ))?
    .execute(params![id, quantity])?;
    Ok(())
}

pub fn delete(conn: &Connection, kind: &Placement, id: i64) -> AppResult<()> {
    conn.prepare_cached(&format!("DELETE FROM {} WHERE id = ?1", kind.table))?
        .execute([id])?;
    Ok(())
}

/// What is left of a row after units were taken from it: a row emptied to
/// 0 is removed (taking, moving and counting never leave an empty row).
pub fn set_or_remove(conn: &Connection, kind: &Placement, id: i64, left: i64) -> AppResult<()> {
    match left {
        0 => delete(conn, kind, id),
        n => set_quantity(conn, kind, id, n),
    }
}
