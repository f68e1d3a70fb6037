//! What printed labels show: items (name and sku) and locations (name and
//! path) by id, and everything a location holds for a sheet of its contents.
//! Rows come back in the order asked for; ids that do not exist are left out.
//! Layer: db.

use crate::db::tree::{path_of, subtree_of};
use crate::error::AppResult;
use rusqlite::Connection;

/// One thing to label: id, name, and the sku or path.
#[derive(Debug, Clone)]
pub struct Labelled {
    pub id: i64,
    pub name: String,
    pub detail: Option<String>,
}

fn by_ids(conn: &Connection, sql: &str, ids: &[i64]) -> AppResult<Vec<Labelled>> {
    let json = serde_json::to_string(ids).expect("a list of integers serialises");
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([json], |r| {
        Ok(Labelled {
            id: r.get(0)?,
            name: r.get(1)?,
            detail: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The items with these ids, in that order.
pub fn items(conn: &Connection, ids: &[i64]) -> AppResult<Vec<Labelled>> {
    by_ids(
        conn,
        "SELECT i.id, i.name, i.sku FROM json_each(?1) j JOIN items i ON i.id = j.value
          ORDER BY j.key",
        ids,
    )
}

/// The locations with these ids, in that order, each with its path.
pub fn locations(conn: &Connection, ids: &[i64]) -> AppResult<Vec<Labelled>> {
    by_ids(
        conn,
        concat!(
            "SELECT l.id, l.name, ",
            path_of!("l.id"),
            " FROM json_each(?1) j JOIN locations l ON l.id = j.value ORDER BY j.key"
        ),
        ids,
    )
}

/// A location's contents for a sheet: the ids of the location and the
/// locations inside it (tree order by name), and of the items stocked in any
/// of them (by name).
pub fn contents(conn: &Connection, location_id: i64) -> AppResult<(Vec<i64>, Vec<i64>)> {
    let ids = |sql: &str| -> AppResult<Vec<i64>> {
        let mut stmt = conn.prepare_cached(sql)?;
        let rows = stmt.query_map([location_id], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    };
    let locations = ids(concat!(
        "SELECT l.id FROM locations l WHERE l.archived_at IS NULL AND l.id IN (",
        subtree_of!("?1"),
        ") ORDER BY l.id = ?1 DESC, l.name_key"
    ))?;
    let items = ids(concat!(
        "SELECT DISTINCT i.id FROM stock s JOIN items i ON i.id = s.item_id
          WHERE s.location_id IN (",
        subtree_of!("?1"),
        ") ORDER BY i.name_key"
    ))?;
    Ok((locations, items))
}
