//! Quick-find: items, locations and projects whose names match a text, ranked
//! exact match first, then names starting with it, then names containing it;
//! an item whose sku or barcode is the text comes before all of them.
//! Each kind is asked only for as many rows as can be shown, so a search
//! costs a few index lookups at any inventory size.
//!
//! One statement asks every kind at once, each part an index seek (or a scan
//! of the few locations and projects) with its own limit and no temporary
//! b-tree; the parts are merged here. A search is typed key by key, so its
//! cost per request counts: it used to run up to five statements, each
//! grouping and sorting its rows in temporary b-trees (bench/ANALYSIS.md,
//! fifth round).

use crate::db::listing::Search;
use crate::db::natural::natural_key;
use crate::db::tree::path_of;
use crate::error::AppResult;
use rusqlite::{Connection, Row, params};

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

/// A candidate before the merge: the row, its natural sort key, and for a
/// location its parent (its path is read only if it is shown and nested).
struct Candidate {
    found: Found,
    key: String,
    parent_id: Option<i64>,
}

/// Every kind's columns: kind, id, name, name_key, rank, category, units,
/// item_count, sku, parent_id. A project's figures are sums over its
/// allocations, read for the rows shown only ([`complete`]).
macro_rules! item_columns {
    ($rank:literal) => {
        concat!(
            "0, n.id, n.name, n.name_key, ",
            $rank,
            ", n.category, n.total_quantity - n.allocated_quantity, 0, n.sku, NULL"
        )
    };
}
macro_rules! place_columns {
    (locations, $rank:literal) => {
        concat!(
            "1, n.id, n.name, n.name_key, ",
            $rank,
            ", NULL, n.total_units, n.item_count, NULL, n.parent_id"
        )
    };
    (projects, $rank:literal) => {
        concat!(
            "2, n.id, n.name, n.name_key, ",
            $rank,
            ", NULL, 0, 0, NULL, NULL"
        )
    };
}

/// Exact, prefix and (for the few locations and projects) contained matches
/// of a named table: `?1` the text's natural key, `?2` the key's upper bound,
/// `?3` the LIKE pattern, `?4` the limit. Ties in a name go by id, the order
/// of the answer.
macro_rules! named_parts {
    ($table:ident) => {
        concat!(
            "SELECT * FROM (SELECT ",
            place_columns!($table, "0"),
            " FROM ",
            stringify!($table),
            " n WHERE n.name_key = ?1 AND n.archived_at IS NULL ORDER BY n.id LIMIT ?4)
             UNION ALL
             SELECT * FROM (SELECT ",
            place_columns!($table, "1"),
            " FROM ",
            stringify!($table),
            " n WHERE n.name_key > ?1 AND n.name_key < ?2 AND n.archived_at IS NULL
              ORDER BY n.name_key, n.id LIMIT ?4)
             UNION ALL
             SELECT * FROM (SELECT ",
            place_columns!($table, "2"),
            " FROM ",
            stringify!($table),
            " n WHERE n.name LIKE ?3 ESCAPE '\\' AND n.archived_at IS NULL LIMIT ?4 * 4)"
        )
    };
}

/// Items by code (`?5`: sku, ignoring case, or a barcode), exact name and
/// name start, and locations and projects by any match. Items containing the
/// text are asked apart ([`ITEMS_CONTAINING`]), only when these do not fill
/// the answer: they rank below all of these, and the trigram index reads
/// every posting of a common word.
const FIRST: &str = concat!(
    "SELECT ",
    item_columns!("-1"),
    " FROM items n WHERE n.sku = ?5 AND n.archived_at IS NULL
     UNION ALL
     SELECT ",
    item_columns!("-1"),
    " FROM item_barcodes b JOIN items n ON n.id = b.item_id
      WHERE b.code = ?5 AND n.archived_at IS NULL
     UNION ALL
     SELECT * FROM (SELECT ",
    item_columns!("0"),
    " FROM items n WHERE n.name_key = ?1 AND n.archived_at IS NULL ORDER BY n.id LIMIT ?4)
     UNION ALL
     SELECT * FROM (SELECT ",
    item_columns!("1"),
    " FROM items n WHERE n.name_key > ?1 AND n.name_key < ?2 AND n.archived_at IS NULL
       ORDER BY n.name_key, n.id LIMIT ?4)
     UNION ALL ",
    named_parts!(locations),
    " UNION ALL ",
    named_parts!(projects)
);

/// Items whose name, sku or description contains the text (`?1`, an FTS5
/// phrase), up to four times the limit (`?2`) of them.
const ITEMS_CONTAINING: &str = concat!(
    "SELECT ",
    item_columns!("2"),
    " FROM (SELECT rowid AS id FROM items_search WHERE items_search MATCH ?1 LIMIT ?2 * 4) m
      JOIN items n ON n.id = m.id
     WHERE n.archived_at IS NULL LIMIT ?2 * 4"
);

fn candidate(r: &Row<'_>) -> rusqlite::Result<Candidate> {
    Ok(Candidate {
        found: Found {
            kind: match r.get::<_, i64>(0)? {
                0 => Kind::Item,
                1 => Kind::Location,
                _ => Kind::Project,
            },
            id: r.get(1)?,
            name: r.get(2)?,
            rank: match r.get::<_, i64>(4)? {
                -1 => Rank::Code,
                0 => Rank::Exact,
                1 => Rank::Prefix,
                _ => Rank::Contains,
            },
            category: r.get(5)?,
            units: r.get(6)?,
            item_count: r.get(7)?,
            sku: r.get(8)?,
            path: None,
        },
        key: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
        parent_id: r.get(9)?,
    })
}

/// Up to `limit` rows matching `text` (active rows only) over all kinds, best
/// match first; within a rank, natural order by name, then id.
pub fn find(conn: &Connection, text: &str, limit: i64) -> AppResult<Vec<Found>> {
    let search = Search::new(text);
    let key = natural_key(&search.text);
    let upper = format!("{key}\u{10FFFF}");
    let mut rows = conn
        .prepare_cached(FIRST)?
        .query_map(
            params![key, upper, search.like, limit, search.text],
            candidate,
        )?
        .collect::<Result<Vec<_>, _>>()?;
    // Items too are asked inside names when codes, exact names and name
    // starts leave room. A text under three characters, which the trigram
    // index cannot look up, finds items by exact name and prefix only: they
    // are too many to scan.
    let items = distinct_items(&rows);
    if items < limit as usize
        && let Some(phrase) = search.trigram_phrase()
    {
        let mut stmt = conn.prepare_cached(ITEMS_CONTAINING)?;
        let more = stmt.query_map(params![phrase, limit], candidate)?;
        for row in more {
            rows.push(row?);
        }
    }
    // A row found twice (a code that is also its name, a name that starts
    // with and contains the text) counts at its best rank.
    rows.sort_by(|a, b| {
        (a.found.kind as u8, a.found.id, a.found.rank).cmp(&(
            b.found.kind as u8,
            b.found.id,
            b.found.rank,
        ))
    });
    rows.dedup_by(|later, first| {
        later.found.kind == first.found.kind && later.found.id == first.found.id
    });
    rows.sort_by(|a, b| {
        (a.found.rank, &a.key, a.found.id).cmp(&(b.found.rank, &b.key, b.found.id))
    });
    rows.truncate(limit as usize);
    rows.into_iter().map(|c| complete(conn, c)).collect()
}

fn distinct_items(rows: &[Candidate]) -> usize {
    let mut ids: Vec<i64> = rows
        .iter()
        .filter(|c| c.found.kind == Kind::Item)
        .map(|c| c.found.id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.len()
}

/// The figures read only for rows shown: a nested location's path (a
/// top-level one's is its name) and a project's sums.
fn complete(conn: &Connection, c: Candidate) -> AppResult<Found> {
    let mut f = c.found;
    match f.kind {
        Kind::Item => {}
        Kind::Location => {
            f.path = match c.parent_id {
                None => Some(f.name.clone()),
                Some(_) => conn
                    .prepare_cached(concat!("SELECT ", path_of!("?1")))?
                    .query_row([f.id], |r| r.get(0))?,
            }
        }
        Kind::Project => {
            (f.units, f.item_count) = conn
                .prepare_cached(
                    "SELECT COALESCE(SUM(quantity), 0), count(*) FROM project_items WHERE project_id = ?1",
                )?
                .query_row([f.id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        }
    }
    Ok(f)
}
