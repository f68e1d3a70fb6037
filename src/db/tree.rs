//! The location tree (`locations.parent_id`, migration 0009): a location's path
//! and depth, its ancestors, what lies inside it, and the facts a move needs
//! (would it make a location its own ancestor, how deep would its subtree go).
//! Every walk is a recursive CTE that seeks by primary key going up and by the
//! `locations_parent` index going down, so it costs one lookup per level or per
//! location inside, never a scan. Walks stop after [`WALK_LIMIT`] levels so a
//! cycle written around MiauInv (the API refuses them) cannot loop forever.
//! Layer: db.

use crate::error::AppResult;
use rusqlite::{Connection, OptionalExtension, params};

/// The deepest a location may be: its `depth` (0 at top level) is at most 16,
/// so a tree has at most 17 levels.
pub const MAX_DEPTH: i64 = 16;

/// Levels a walk follows at most (well beyond [`MAX_DEPTH`]). The SQL macros
/// below spell it as the literal 64: `concat!` takes literals only.
pub const WALK_LIMIT: i64 = 64;

/// SQL: the path of the location whose id is the SQL expression `$id`, its
/// names from the top joined with " / " ("Garage / Shelf A / Bin 3").
macro_rules! path_of {
    ($id:literal) => {
        concat!(
            "(WITH RECURSIVE up(id, parent_id, name, depth) AS (
                SELECT id, parent_id, name, 0 FROM locations WHERE id = ",
            $id,
            " UNION ALL
                SELECT p.id, p.parent_id, p.name, up.depth + 1
                  FROM locations p JOIN up ON p.id = up.parent_id WHERE up.depth < 64)
             SELECT group_concat(name, ' / ' ORDER BY depth DESC) FROM up)"
        )
    };
}
pub(crate) use path_of;

/// SQL: the depth (0 at top level) of the location whose id is `$id`.
macro_rules! depth_of {
    ($id:literal) => {
        concat!(
            "(WITH RECURSIVE up(parent_id, depth) AS (
                SELECT parent_id, 0 FROM locations WHERE id = ",
            $id,
            " UNION ALL
                SELECT p.parent_id, up.depth + 1
                  FROM locations p JOIN up ON p.id = up.parent_id WHERE up.depth < 64)
             SELECT max(depth) FROM up)"
        )
    };
}
pub(crate) use depth_of;

/// SQL: the ids of the location `$id` and of every location inside it, as a
/// `SELECT` (for `IN (…)`).
macro_rules! subtree_of {
    ($id:literal) => {
        concat!(
            "WITH RECURSIVE sub(id, depth) AS (
                SELECT ",
            $id,
            ", 0
                UNION ALL
                SELECT c.id, sub.depth + 1 FROM locations c JOIN sub ON c.parent_id = sub.id
                 WHERE sub.depth < 64)
             SELECT id FROM sub"
        )
    };
}
pub(crate) use subtree_of;

/// The location's parent (`None` at top level), or `None` as well when it does
/// not exist (callers look the location up first).
pub fn parent_of(conn: &Connection, id: i64) -> AppResult<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT parent_id FROM locations WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?
        .flatten())
}

/// The location's ancestors from the top down, as (id, name), itself left out:
/// the breadcrumbs of its page.
pub fn ancestors(conn: &Connection, id: i64) -> AppResult<Vec<(i64, String)>> {
    let mut stmt = conn.prepare_cached(
        "WITH RECURSIVE up(id, parent_id, name, depth) AS (
             SELECT id, parent_id, name, 0 FROM locations WHERE id = ?1
             UNION ALL
             SELECT p.id, p.parent_id, p.name, up.depth + 1
               FROM locations p JOIN up ON p.id = up.parent_id WHERE up.depth < ?2)
         SELECT id, name FROM up WHERE depth > 0 ORDER BY depth DESC",
    )?;
    let rows = stmt.query_map(params![id, WALK_LIMIT], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// The location's depth: 0 at top level.
pub fn depth(conn: &Connection, id: i64) -> AppResult<i64> {
    Ok(conn
        .prepare_cached(&format!("SELECT COALESCE({}, 0)", depth_of!("?1")))?
        .query_row([id], |r| r.get(0))?)
}

/// How many levels lie below the location: 0 when nothing is inside it.
pub fn height(conn: &Connection, id: i64) -> AppResult<i64> {
    Ok(conn
        .prepare_cached(
            "WITH RECURSIVE sub(id, depth) AS (
                 SELECT ?1, 0
                 UNION ALL
                 SELECT c.id, sub.depth + 1 FROM locations c JOIN sub ON c.parent_id = sub.id
                  WHERE sub.depth < ?2)
             SELECT max(depth) FROM sub",
        )?
        .query_row(params![id, WALK_LIMIT], |r| r.get(0))?)
}

/// Whether `id` is `ancestor` itself or lies somewhere inside it: moving
/// `ancestor` into `id` would make it its own ancestor.
pub fn is_within(conn: &Connection, id: i64, ancestor: i64) -> AppResult<bool> {
    Ok(conn
        .prepare_cached(
            "WITH RECURSIVE up(id, parent_id, depth) AS (
                 SELECT id, parent_id, 0 FROM locations WHERE id = ?1
                 UNION ALL
                 SELECT p.id, p.parent_id, up.depth + 1
                   FROM locations p JOIN up ON p.id = up.parent_id WHERE up.depth < ?3)
             SELECT EXISTS (SELECT 1 FROM up WHERE id = ?2)",
        )?
        .query_row(params![id, ancestor, WALK_LIMIT], |r| r.get(0))?)
}

/// How many locations are directly inside this one: those in use, and all of
/// them (archived ones included).
pub fn children(conn: &Connection, id: i64) -> AppResult<(i64, i64)> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FILTER (WHERE archived_at IS NULL), count(*)
               FROM locations WHERE parent_id = ?1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?)
}
