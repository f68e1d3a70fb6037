//! Quick-find: items, locations and projects whose names match a text, ranked
//! exact match first, then names starting with it, then names containing it;
//! an item whose sku or barcode is the text comes before all of them.
//! Each kind is asked separately and only for as many rows as can be shown, so
//! a search costs a few index lookups at any inventory size.

use crate::db::listing::{Search, like_pattern};
use crate::db::natural::natural_key;
use crate::db::tree::path_of;
use crate::error::AppResult;
use rusqlite::{Connection, params};

/// What a found row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Item,
    Location,
    Project,
}

/// How well a name matches: the lower, the better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rank {
    /// An item whose sku (ignoring case) or one of whose barcodes is the text:
    /// a scanned or typed code names the item it belongs to.
    Code,
    Exact,
    Prefix,
    Contains,
}

/// One found row with what a person needs to choose it.
#[derive(Debug, Clone)]
pub struct Found {
    pub kind: Kind,
    pub id: i64,
    pub name: String,
    pub rank: Rank,
    /// Items: category; otherwise none.
    pub category: Option<String>,
    /// Items: sku; otherwise none.
    pub sku: Option<String>,
    /// Items: units not allocated; locations: units stored; projects: units
    /// allocated.
    pub units: i64,
    /// Locations and projects: how many items they hold.
    pub item_count: i64,
    /// Locations: where it is ("Garage / Shelf A"); otherwise none.
    pub path: Option<String>,
}

/// The SQL of one kind: its table, and its figures as `(category, units,
/// item_count, sku, path)`.
fn columns(kind: Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::Item => (
            "items",
            "category, total_quantity - allocated_quantity, 0, sku, NULL",
        ),
        Kind::Location => (
            "locations",
            concat!(
                "NULL, COALESCE((SELECT SUM(quantity) FROM stock WHERE location_id = n.id), 0),
                 (SELECT count(*) FROM stock WHERE location_id = n.id), NULL, ",
                path_of!("n.id")
            ),
        ),
        Kind::Project => (
            "projects",
            "NULL, COALESCE((SELECT SUM(quantity) FROM project_items WHERE project_id = n.id), 0),
             (SELECT count(*) FROM project_items WHERE project_id = n.id), NULL, NULL",
        ),
    }
}

/// Up to `limit` rows of each kind matching `text` (active rows only), best
/// first; the caller merges the kinds.
pub fn find(conn: &Connection, text: &str, limit: i64) -> AppResult<Vec<Found>> {
    let search = Search::new(text);
    let mut out = Vec::new();
    for kind in [Kind::Item, Kind::Location, Kind::Project] {
        out.extend(find_kind(conn, kind, &search, limit)?);
    }
    Ok(out)
}

/// Exact and prefix matches (and codes) first: they rank above any match
/// inside a name, so when they fill the page the costlier search inside names
/// (the trigram index, which reads every posting of a common word) is not
/// asked at all. Typing the start of a name is the common case.
fn find_kind(conn: &Connection, kind: Kind, search: &Search, limit: i64) -> AppResult<Vec<Found>> {
    let first = find_ranked(conn, kind, search, limit, false)?;
    if first.len() as i64 >= limit {
        return Ok(first);
    }
    find_ranked(conn, kind, search, limit, true)
}

fn find_ranked(
    conn: &Connection,
    kind: Kind,
    search: &Search,
    limit: i64,
    inside_names: bool,
) -> AppResult<Vec<Found>> {
    let (table, figures) = columns(kind);
    // Exact and prefix matches come from the name_key index (a range seek);
    // the rest from the trigram index for items, or LIKE for the few
    // locations and projects. `rank` orders them; ties go by natural order.
    let key = natural_key(&search.text);
    // Items are too many to scan: a text under three characters, which the
    // trigram index cannot look up, finds items by exact name and prefix only.
    let (contains, matching) = match (kind, search.trigram_phrase()) {
        _ if !inside_names => ("(?3 IS NULL AND 0)", None),
        (Kind::Item, Some(phrase)) => (
            "n.id IN (SELECT rowid FROM items_search WHERE items_search MATCH ?3 LIMIT ?4 * 4)",
            Some(phrase),
        ),
        (Kind::Item, None) => ("(?3 IS NULL AND 0)", None),
        _ => (
            "n.name LIKE ?3 ESCAPE '\\'",
            Some(like_pattern(&search.text)),
        ),
    };
    // Items also by code: their sku (NOCASE column, unique index) or a barcode.
    let by_code = match kind {
        Kind::Item => {
            "SELECT n.id, n.name, n.name_key, -1 AS rank FROM items n
              WHERE n.sku = ?5 AND n.archived_at IS NULL
             UNION ALL
             SELECT n.id, n.name, n.name_key, -1 FROM item_barcodes b JOIN items n ON n.id = b.item_id
              WHERE b.code = ?5 AND n.archived_at IS NULL
             UNION ALL"
        }
        _ => "",
    };
    let sql = format!(
        "SELECT id, f.name, MIN(f.rank) AS best, {figures} FROM (
             {by_code}
             SELECT n.id, n.name, n.name_key, 0 AS rank FROM {table} n
              WHERE n.name_key = ?1 AND n.archived_at IS NULL
             UNION ALL
             SELECT * FROM (SELECT n.id, n.name, n.name_key, 1 FROM {table} n
              WHERE n.name_key > ?1 AND n.name_key < ?2 AND n.archived_at IS NULL
              ORDER BY n.name_key LIMIT ?4)
             UNION ALL
             SELECT * FROM (SELECT n.id, n.name, n.name_key, 2 FROM {table} n
              WHERE {contains} AND n.archived_at IS NULL LIMIT ?4 * 4)
         ) AS f JOIN {table} n USING (id)
         GROUP BY id ORDER BY best, MIN(f.name_key) LIMIT ?4"
    );
    let upper = format!("{key}\u{10FFFF}");
    let mut stmt = conn.prepare_cached(&sql)?;
    let read = |r: &rusqlite::Row<'_>| {
        Ok(Found {
            kind,
            id: r.get(0)?,
            name: r.get(1)?,
            rank: match r.get::<_, i64>(2)? {
                -1 => Rank::Code,
                0 => Rank::Exact,
                1 => Rank::Prefix,
                _ => Rank::Contains,
            },
            category: r.get(3)?,
            units: r.get(4)?,
            item_count: r.get(5)?,
            sku: r.get(6)?,
            path: r.get(7)?,
        })
    };
    let rows = if by_code.is_empty() {
        stmt.query_map(params![key, upper, matching, limit], read)?
            .collect::<Result<Vec<_>, _>>()?
    } else {
        stmt.query_map(params![key, upper, matching, limit, search.text], read)?
            .collect::<Result<Vec<_>, _>>()?
    };
    Ok(rows)
}
