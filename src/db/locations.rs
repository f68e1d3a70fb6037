//! The `locations` table: storage places in a tree (`parent_id`, see
//! `tree.rs`), with names unique among siblings ignoring case, their totals
//! and what they hold. Reading by id, archiving and deletion are shared with
//! projects (`named.rs`); the stock rows are in `placement.rs`.

use crate::db::facts::Fact;
use crate::db::listing::{Filter, ListQuery, Page, SortColumn, sort, sort_natural};
use crate::db::named::{self, LOCATIONS, Named};
use crate::db::placement::{Held, Placement, STOCK};
use crate::db::places::{self, Place};
use crate::db::tree::{depth_of, path_of, subtree_of};
use crate::error::{AppError, AppResult};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Location {
    pub id: i64,
    pub name: String,
    /// The location it is inside; null at top level.
    pub parent_id: Option<i64>,
    /// Its names from the top: "Garage / Shelf A / Bin 3".
    pub path: String,
    /// 0 at top level.
    pub depth: i64,
    /// How many locations in use are directly inside it (the tree's pages
    /// offer to expand only those that have some).
    pub child_locations: i64,
    /// Items stored here (and, with `?recursive=true`, anywhere inside).
    pub item_count: i64,
    pub total_units: i64,
    /// Answered by a create or rename only: another row (for a location, a
    /// sibling) whose name looks the same (the UTS #39 skeleton) but is not,
    /// such as "Kitchen" and "Kitсhen" with a Cyrillic с. A warning, not a
    /// refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similar_to: Option<i64>,
    /// When it was archived (deleted while it had history); absent in use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archived_at: Option<i64>,
    /// What is stored here; only with `?content=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<Held>>,
}

/// The columns every read of locations has after the totals.
macro_rules! location_columns {
    () => {
        concat!(
            ", n.archived_at, n.name_key, n.parent_id, ",
            path_of!("n.id"),
            " AS path, ",
            depth_of!("n.id"),
            " AS depth,
            (SELECT count(*) FROM locations c WHERE c.parent_id = n.id AND c.archived_at IS NULL)
                AS child_locations
            FROM locations n"
        )
    };
}

/// Reads with the totals of everything inside each location as well
/// (`?recursive=true`): an item stored in two places inside counts once.
const ROWS_RECURSIVE: &str = concat!(
    "SELECT n.id, n.name,
        (SELECT count(DISTINCT item_id) FROM stock WHERE location_id IN (",
    subtree_of!("n.id"),
    ")) AS item_count,
        COALESCE((SELECT SUM(quantity) FROM stock WHERE location_id IN (",
    subtree_of!("n.id"),
    ")), 0) AS total_units",
    location_columns!()
);

impl Place for Location {
    fn named() -> &'static Named {
        &LOCATIONS
    }
    fn placement() -> &'static Placement {
        &STOCK
    }
    // The stock triggers keep a location's own figures in its row (migration
    // 0019): summing its rows on every read cost a page of a big location more
    // than the page itself.
    const ROWS: &'static str = concat!(
        "SELECT n.id, n.name, n.item_count AS item_count, n.total_units AS total_units",
        location_columns!()
    );
    const SEARCHED: &'static [&'static str] = &["name"];
    const SORTS: &'static [SortColumn] = &[
        sort("id", "t.id", false),
        sort_natural("name", "t.name_key", "t.name"),
        sort("item_count", "t.item_count", false),
        sort("total_units", "t.total_units", false),
    ];
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Location> {
        Ok(Location {
            id: r.get(0)?,
            name: r.get(1)?,
            item_count: r.get(2)?,
            total_units: r.get(3)?,
            archived_at: r.get(4)?,
            parent_id: r.get(6)?,
            path: r.get(7)?,
            depth: r.get(8)?,
            child_locations: r.get(9)?,
            items: None,
            similar_to: None,
        })
    }
    fn id(&self) -> i64 {
        self.id
    }
    fn hold(&mut self, held: Vec<Held>) {
        self.items = Some(held);
    }
}

/// Which locations a list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Every location, at any depth.
    All,
    /// The top level (`?top=true`).
    Top,
    /// The locations directly inside this one (`?parent_id=N`).
    Inside(i64),
}

/// One location; with `recursive` its totals count everything inside it.
pub fn get(conn: &Connection, id: i64, recursive: bool) -> AppResult<Location> {
    if !recursive {
        return places::get(conn, id);
    }
    conn.prepare_cached(&format!("{ROWS_RECURSIVE} WHERE n.id = ?1"))?
        .query_row([id], Location::from_row)
        .optional()?
        .ok_or_else(|| named::not_found(&LOCATIONS, id))
}

/// One page of the locations on `level`; with `recursive` their totals count
/// everything inside each.
pub fn list(
    conn: &Connection,
    q: &ListQuery,
    level: Level,
    recursive: bool,
) -> AppResult<Page<Location>> {
    let mut f = Filter::default();
    match level {
        Level::All => {}
        Level::Top => f.add("parent_id IS NULL", Vec::new()),
        Level::Inside(id) => f.add("parent_id = ?", vec![Value::Integer(id)]),
    }
    let rows = if recursive {
        ROWS_RECURSIVE
    } else {
        Location::ROWS
    };
    places::list_where::<Location>(conn, q, rows, f)
}

/// Refuses `name` when a sibling under `parent` (`None`: the top level)
/// already has it, ignoring case, naming the parent; `except` is the location
/// being renamed or moved.
pub fn ensure_name_free(
    conn: &Connection,
    parent: Option<i64>,
    name: &str,
    except: Option<i64>,
) -> AppResult<()> {
    let existing: Option<i64> = conn
        .prepare_cached(
            "SELECT id FROM locations
              WHERE coalesce(parent_id, 0) = ?1 AND name = ?2 AND id <> ?3",
        )?
        .query_row(
            params![parent.unwrap_or(0), name, except.unwrap_or(0)],
            |r| r.get(0),
        )
        .optional()?;
    match existing {
        Some(id) => Err(name_taken(conn, parent, name, Some(id))),
        None => Ok(()),
    }
}

fn name_taken(
    conn: &Connection,
    parent: Option<i64>,
    name: &str,
    existing: Option<i64>,
) -> AppError {
    let parent_name = match parent {
        Some(p) => match named::name_of(conn, &LOCATIONS, p) {
            Ok(n) => Some(n),
            Err(e) => return e,
        },
        None => None,
    };
    Fact::LocationNameTaken {
        name: name.to_string(),
        parent: parent.zip(parent_name),
        existing_id: existing,
    }
    .into()
}

/// For an insert, rename or move: the unique index answering for a writer
/// that got in between [`ensure_name_free`] and the write is `name_taken` too.
fn map_unique<'a>(
    conn: &'a Connection,
    parent: Option<i64>,
    name: &'a str,
) -> impl FnOnce(rusqlite::Error) -> AppError + 'a {
    move |e| {
        if crate::db::is_unique_violation(&e) {
            name_taken(conn, parent, name, None)
        } else {
            e.into()
        }
    }
}

pub fn insert(conn: &Connection, name: &str, parent: Option<i64>) -> AppResult<i64> {
    conn.prepare_cached("INSERT INTO locations (name, parent_id) VALUES (?1, ?2)")?
        .execute(params![name, parent])
        .map_err(map_unique(conn, parent, name))?;
    Ok(conn.last_insert_rowid())
}

/// Gives the location `name` inside `parent` (a rename, a move, or both).
pub fn set_name_and_parent(
    conn: &Connection,
    id: i64,
    name: &str,
    parent: Option<i64>,
) -> AppResult<()> {
    conn.prepare_cached("UPDATE locations SET name = ?2, parent_id = ?3 WHERE id = ?1")?
        .execute(params![id, name, parent])
        .map_err(map_unique(conn, parent, name))?;
    Ok(())
}
