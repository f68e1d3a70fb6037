//! What locations and projects share: rows with a unique (case-insensitive)
//! name that are looked up by id, renamed, and deleted once nothing is placed
//! there. Their own columns and totals stay in `locations.rs` and `projects.rs`.

use crate::error::{AppError, AppResult};
use rusqlite::{Connection, OptionalExtension, params};

/// A kind of named row.
pub struct Named {
    pub table: &'static str,
    /// "location": in messages.
    pub noun: &'static str,
    /// "location_id": the column pointing at such a row, and the key naming one
    /// in error bodies.
    pub key: &'static str,
    /// "location_name": the key of such a row's name in the rows pointing at it.
    pub name_key: &'static str,
}

pub static LOCATIONS: Named = Named {
    table: "locations",
    noun: "location",
    key: "location_id",
    name_key: "location_name",
};

pub static PROJECTS: Named = Named {
    table: "projects",
    noun: "project",
    key: "project_id",
    name_key: "project_name",
};

/// "Location 5 does not exist." with `location_id: 5`.
pub fn not_found(kind: &Named, id: i64) -> AppError {
    let mut noun = kind.noun.to_string();
    noun[..1].make_ascii_uppercase();
    AppError::not_found(format!("{noun} {id} does not exist.")).with(kind.key, id)
}

/// The row's name, or its 404.
pub fn name_of(conn: &Connection, kind: &Named, id: i64) -> AppResult<String> {
    conn.prepare_cached(&format!("SELECT name FROM {} WHERE id = ?1", kind.table))?
        .query_row([id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| not_found(kind, id))
}

/// Refuses a name another row of the kind already has (the column is
/// `COLLATE NOCASE`, so case-insensitively), naming the row that has it.
pub fn ensure_name_free(
    conn: &Connection,
    kind: &Named,
    name: &str,
    except: Option<i64>,
) -> AppResult<()> {
    let existing: Option<i64> = conn
        .prepare_cached(&format!(
            "SELECT id FROM {} WHERE name = ?1 AND id <> ?2",
            kind.table
        ))?
        .query_row(params![name, except.unwrap_or(0)], |r| r.get(0))
        .optional()?;
    match existing {
        Some(id) => Err(name_taken(kind, name).with("existing_id", id)),
        None => Ok(()),
    }
}

fn name_taken(kind: &Named, name: &str) -> AppError {
    AppError::conflict(
        "name_taken",
        format!("A {} named '{name}' already exists.", kind.noun),
    )
    .with("field", "name")
}

/// For an insert or rename: the unique index answering for a writer that got
/// in between `ensure_name_free` and the write becomes `name_taken` too.
pub fn map_unique<'a>(
    kind: &'a Named,
    name: &'a str,
) -> impl FnOnce(rusqlite::Error) -> AppError + 'a {
    move |e| {
        if crate::db::is_unique_violation(&e) {
            name_taken(kind, name)
        } else {
            e.into()
        }
    }
}

pub fn delete(conn: &Connection, kind: &Named, id: i64) -> AppResult<()> {
    conn.prepare_cached(&format!("DELETE FROM {} WHERE id = ?1", kind.table))?
        .execute([id])?;
    Ok(())
}
