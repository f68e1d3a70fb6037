//! What locations and projects share: named rows that are looked up by id,
//! renamed, archived, and deleted once nothing is placed there. A project's
//! name is unique (case-insensitively) over all projects, checked here; a
//! location's only among its siblings, checked in `locations.rs`. Their own
//! columns and totals stay in `locations.rs` and `projects.rs`.

use crate::db::facts::{Fact, Noun};
use crate::error::{AppError, AppResult};
use rusqlite::{Connection, OptionalExtension, params};

/// A kind of named row.
pub struct Named {
    pub table: &'static str,
    pub noun: Noun,
    /// "location_id": the column pointing at such a row, and the key naming one
    /// in error bodies.
    pub key: &'static str,
    /// "location_name": the key of such a row's name in the rows pointing at it.
    pub name_key: &'static str,
    /// Whether anything recorded names such a row (`?1`): its history, which
    /// a delete must keep (the row is archived instead).
    pub history: &'static str,
}

pub static LOCATIONS: Named = Named {
    table: "locations",
    noun: Noun::Location,
    key: "location_id",
    name_key: "location_name",
    // A stocktake names its location too, and one that found no difference
    // wrote no movement.
    history: "SELECT EXISTS (SELECT 1 FROM movements WHERE location_id = ?1 OR to_location_id = ?1)
              OR EXISTS (SELECT 1 FROM stocktakes WHERE location_id = ?1)",
};

pub static PROJECTS: Named = Named {
    table: "projects",
    noun: Noun::Project,
    key: "project_id",
    name_key: "project_name",
    history: "SELECT EXISTS (SELECT 1 FROM movements WHERE project_id = ?1)",
};

/// No row of the kind has this id.
pub fn not_found(kind: &Named, id: i64) -> AppError {
    Fact::NotFound {
        noun: kind.noun,
        id,
    }
    .into()
}

/// The row's name and whether it is archived, or its 404.
fn name_and_state(conn: &Connection, kind: &Named, id: i64) -> AppResult<(String, bool)> {
    conn.prepare_cached(&format!(
        "SELECT name, archived_at IS NOT NULL FROM {} WHERE id = ?1",
        kind.table
    ))?
    .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
    .optional()?
    .ok_or_else(|| not_found(kind, id))
}

/// The row's name, archived or not, or its 404.
pub fn name_of(conn: &Connection, kind: &Named, id: i64) -> AppResult<String> {
    Ok(name_and_state(conn, kind, id)?.0)
}

/// The name of a row that takes changes: 404 when missing, 409 `archived`
/// when archived.
pub fn name_of_active(conn: &Connection, kind: &Named, id: i64) -> AppResult<String> {
    match name_and_state(conn, kind, id)? {
        (name, true) => Err(Fact::Archived {
            noun: kind.noun,
            id,
            name,
        }
        .into()),
        (name, false) => Ok(name),
    }
}

/// Whether the row is archived (404 when missing).
pub fn is_archived(conn: &Connection, kind: &Named, id: i64) -> AppResult<bool> {
    Ok(name_and_state(conn, kind, id)?.1)
}

/// Whether anything recorded names the row (`Named::history`).
pub fn has_history(conn: &Connection, kind: &Named, id: i64) -> AppResult<bool> {
    Ok(conn
        .prepare_cached(kind.history)?
        .query_row([id], |r| r.get(0))?)
}

/// Archives (`true`) or restores (`false`) the row.
pub fn set_archived(conn: &Connection, kind: &Named, id: i64, archived: bool) -> AppResult<()> {
    conn.prepare_cached(&format!(
        "UPDATE {} SET archived_at = CASE WHEN ?2 THEN ?3 END WHERE id = ?1",
        kind.table
    ))?
    .execute(params![id, archived, crate::db::now()])?;
    Ok(())
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
        Some(id) => Err(name_taken(kind, name, Some(id))),
        None => Ok(()),
    }
}

fn name_taken(kind: &Named, name: &str, existing_id: Option<i64>) -> AppError {
    Fact::NameTaken {
        noun: kind.noun,
        name: name.to_string(),
        existing_id,
    }
    .into()
}

/// For an insert or rename: the unique index answering for a writer that got
/// in between `ensure_name_free` and the write becomes `name_taken` too.
pub fn map_unique<'a>(
    kind: &'a Named,
    name: &'a str,
) -> impl FnOnce(rusqlite::Error) -> AppError + 'a {
    move |e| {
        if crate::db::is_unique_violation(&e) {
            name_taken(kind, name, None)
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
