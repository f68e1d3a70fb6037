//! Writing imported rows (layer: db): upserts by id for a MiauInv export
//! document, keeping ids so an export imported into an empty server exports
//! the same. Each function writes one row and answers whether it created or
//! updated it, or why the database refused it (a [`Refusal`], worded in
//! `api/import.rs`). The caller runs them all in one transaction and rolls
//! back on any refusal or for a dry run.

use super::export::{Allocation, Attachment, Item, Location, Movement, Photo, Project, Stock};
use super::{item_details, tags};
use crate::error::AppResult;
use rusqlite::blob::ZeroBlob;
use rusqlite::{Connection, MAIN_DB, OptionalExtension, params};
use std::io::{self, Read};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    /// History rows are never rewritten: one already there is left as it is.
    Kept,
}

/// Why the database refused a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// Another row already has this unique value (`what`: name, sku, barcode).
    Taken { what: &'static str },
    /// A referenced row (`what`: item, location, project) is not there.
    Missing { what: &'static str, id: i64 },
    /// Stock or allocations would exceed the item's total quantity.
    OverTotal,
    /// A quantity below zero.
    Negative,
    /// A quantity, text or id outside what every door keeps (the schema's
    /// last-line triggers, migration 0022).
    OutOfRange,
}

type Written = AppResult<Result<Outcome, Refusal>>;

fn exists(conn: &Connection, table: &str, id: i64) -> AppResult<bool> {
    let sql = format!("SELECT 1 FROM {table} WHERE id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Runs a write and turns constraint failures into refusals.
fn refused(r: rusqlite::Result<usize>, taken: &'static str) -> AppResult<Option<Refusal>> {
    match r {
        Ok(_) => Ok(None),
        Err(e) if super::is_unique_violation(&e) => Ok(Some(Refusal::Taken { what: taken })),
        Err(rusqlite::Error::SqliteFailure(f, Some(msg)))
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Ok(Some(match () {
                _ if msg.contains("out of range") => Refusal::OutOfRange,
                _ if msg.contains("exceed") || msg.contains("below") => Refusal::OverTotal,
                _ => Refusal::Negative,
            }))
        }
        Err(e) => Err(e.into()),
    }
}

fn outcome(existed: bool) -> Outcome {
    match existed {
        true => Outcome::Updated,
        false => Outcome::Created,
    }
}

/// A location without its archive mark (set by [`archive`] at the end).
pub fn location(conn: &Connection, l: &Location) -> Written {
    if let Some(parent) = l.parent_id.filter(|p| *p != l.id)
        && !exists(conn, "locations", parent)?
    {
        return Ok(Err(Refusal::Missing {
            what: "location",
            id: parent,
        }));
    }
    let existed = exists(conn, "locations", l.id)?;
    let r = conn
        .prepare_cached(
            "INSERT INTO locations (id, name, parent_id) VALUES (?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, parent_id = excluded.parent_id",
        )?
        .execute(params![l.id, l.name, l.parent_id]);
    Ok(match refused(r, "name")? {
        Some(refusal) => Err(refusal),
        None => Ok(outcome(existed)),
    })
}

pub fn project(conn: &Connection, p: &Project) -> Written {
    let existed = exists(conn, "projects", p.id)?;
    let r = conn
        .prepare_cached(
            "INSERT INTO projects (id, name, description) VALUES (?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description",
        )?
        .execute(params![p.id, p.name, p.description]);
    Ok(match refused(r, "name")? {
        Some(refusal) => Err(refusal),
        None => Ok(outcome(existed)),
    })
}

/// An item with its tags, fields and barcodes.
pub fn item(conn: &Connection, i: &Item) -> Written {
    let existed = exists(conn, "items", i.id)?;
    let r = conn
        .prepare_cached(
            "INSERT INTO items (id, name, category, description, total_quantity, sku)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, category = excluded.category,
                description = excluded.description, total_quantity = excluded.total_quantity,
                sku = excluded.sku",
        )?
        .execute(params![
            i.id,
            i.name,
            i.category,
            i.description,
            i.total_quantity,
            i.sku
        ]);
    if let Some(refusal) = refused(r, "sku")? {
        return Ok(Err(refusal));
    }
    let mut names = i.tags.clone();
    names.sort();
    names.dedup();
    tags::set_for_item(conn, i.id, &names)?;
    item_details::set_fields(conn, i.id, &i.fields)?;
    if let Some(refusal) = refused(barcodes(conn, i.id, &i.barcodes), "barcode")? {
        return Ok(Err(refusal));
    }
    item_details::refresh_search(conn, i.id)?;
    Ok(Ok(outcome(existed)))
}

fn barcodes(conn: &Connection, item_id: i64, codes: &[String]) -> rusqlite::Result<usize> {
    conn.prepare_cached("DELETE FROM item_barcodes WHERE item_id = ?1")?
        .execute([item_id])?;
    let mut insert =
        conn.prepare_cached("INSERT INTO item_barcodes (code, item_id) VALUES (?1, ?2)")?;
    for code in codes {
        insert.execute(params![code, item_id])?;
    }
    Ok(codes.len())
}

pub fn stock(conn: &Connection, s: &Stock) -> Written {
    for (what, table, id) in [
        ("item", "items", s.item_id),
        ("location", "locations", s.location_id),
    ] {
        if !exists(conn, table, id)? {
            return Ok(Err(Refusal::Missing { what, id }));
        }
    }
    let existed = exists(conn, "stock", s.id)?;
    let r = conn
        .prepare_cached(
            "INSERT INTO stock (id, item_id, location_id, quantity) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET item_id = excluded.item_id,
                location_id = excluded.location_id, quantity = excluded.quantity",
        )?
        .execute(params![s.id, s.item_id, s.location_id, s.quantity]);
    Ok(match refused(r, "item and location")? {
        Some(refusal) => Err(refusal),
        None => Ok(outcome(existed)),
    })
}

pub fn allocation(conn: &Connection, a: &Allocation) -> Written {
    for (what, table, id) in [
        ("item", "items", a.item_id),
        ("project", "projects", a.project_id),
    ] {
        if !exists(conn, table, id)? {
            return Ok(Err(Refusal::Missing { what, id }));
        }
    }
    let existed = exists(conn, "project_items", a.id)?;
    let r = conn
        .prepare_cached(
            "INSERT INTO project_items (id, item_id, project_id, quantity) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET item_id = excluded.item_id,
                project_id = excluded.project_id, quantity = excluded.quantity",
        )?
        .execute(params![a.id, a.item_id, a.project_id, a.quantity]);
    Ok(match refused(r, "item and project")? {
        Some(refusal) => Err(refusal),
        None => Ok(outcome(existed)),
    })
}

/// Who a history row is recorded for: as the file says (an admin's import is
/// a restore), or as imported by `by` now, the file's author and time kept
/// as claims.
#[derive(Debug, Clone, Copy)]
pub enum Authorship<'a> {
    AsInFile,
    ImportedBy {
        username: &'a str,
        user_id: &'a str,
        at: i64,
    },
}

/// A history row, inserted once: one with the same id already there is kept.
pub fn movement(conn: &Connection, m: &Movement, authorship: Authorship<'_>) -> Written {
    if !exists(conn, "items", m.item_id)? {
        return Ok(Err(Refusal::Missing {
            what: "item",
            id: m.item_id,
        }));
    }
    let (user_id, username, created_at, claimed_username, claimed_at) = match authorship {
        Authorship::AsInFile => (
            None,
            m.username.as_deref(),
            m.created_at,
            m.claimed_by.as_deref(),
            m.claimed_at,
        ),
        Authorship::ImportedBy {
            username,
            user_id,
            at,
        } => (
            Some(user_id),
            Some(username),
            at,
            m.claimed_by.as_deref().or(m.username.as_deref()),
            Some(m.claimed_at.unwrap_or(m.created_at)),
        ),
    };
    let added = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO movements (id, created_at, username, item_id, item_name, kind,
                location_id, location_name, to_location_id, to_location_name, project_id,
                project_name, delta, quantity_after, note, user_id, claimed_username, claimed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
        )?
        .execute(params![
            m.id,
            created_at,
            username,
            m.item_id,
            m.item_name,
            m.kind,
            m.location_id,
            m.location_name,
            m.to_location_id,
            m.to_location_name,
            m.project_id,
            m.project_name,
            m.delta,
            m.quantity_after,
            m.note,
            user_id,
            claimed_username,
            claimed_at
        ])?;
    Ok(Ok(match added {
        0 => Outcome::Kept,
        _ => Outcome::Created,
    }))
}

/// Sets the archive mark last, once stock and allocations are in: the
/// schema's archive triggers take an archived row out of the totals.
pub fn archive(conn: &Connection, table: &'static str, id: i64, at: Option<i64>) -> AppResult<()> {
    let sql =
        format!("UPDATE {table} SET archived_at = ?2 WHERE id = ?1 AND archived_at IS NOT ?2");
    conn.prepare_cached(&sql)?.execute(params![id, at])?;
    Ok(())
}

fn item_missing(conn: &Connection, item_id: i64) -> AppResult<Option<Refusal>> {
    Ok(match exists(conn, "items", item_id)? {
        true => None,
        false => Some(Refusal::Missing {
            what: "item",
            id: item_id,
        }),
    })
}

/// A photo with its bytes (from a ZIP export). A primary photo takes the
/// mark from the item's current one first, so the unique index never sees two.
pub fn photo(conn: &Connection, p: &Photo, data: &[u8], thumb: &[u8]) -> Written {
    if let Some(refusal) = item_missing(conn, p.item_id)? {
        return Ok(Err(refusal));
    }
    let existed = exists(conn, "photos", p.id)?;
    if p.primary {
        conn.prepare_cached(
            "UPDATE photos SET is_primary = 0 WHERE item_id = ?1 AND is_primary = 1 AND id <> ?2",
        )?
        .execute(params![p.item_id, p.id])?;
    }
    conn.prepare_cached(
        "INSERT INTO photos (id, item_id, is_primary, width, height, content_type, size, data, thumb, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (id) DO UPDATE SET item_id = excluded.item_id, is_primary = excluded.is_primary,
            width = excluded.width, height = excluded.height, content_type = excluded.content_type,
            size = excluded.size, data = excluded.data, thumb = excluded.thumb,
            created_at = excluded.created_at",
    )?
    .execute(params![
        p.id,
        p.item_id,
        p.primary,
        p.width,
        p.height,
        p.content_type,
        data.len() as i64,
        data,
        thumb,
        p.created_at
    ])?;
    Ok(Ok(outcome(existed)))
}

/// An attachment whose `size` bytes are copied from `data` into its BLOB
/// through incremental I/O (a 25 MiB file never sits in memory). A short
/// `data` is an error, rolled back with the transaction.
pub fn attachment(conn: &Connection, a: &Attachment, size: u64, data: &mut dyn Read) -> Written {
    if let Some(refusal) = item_missing(conn, a.item_id)? {
        return Ok(Err(refusal));
    }
    let existed = exists(conn, "attachments", a.id)?;
    conn.prepare_cached(
        "INSERT INTO attachments (id, item_id, filename, content_type, size, data, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (id) DO UPDATE SET item_id = excluded.item_id, filename = excluded.filename,
            content_type = excluded.content_type, size = excluded.size, data = excluded.data,
            created_at = excluded.created_at",
    )?
    .execute(params![
        a.id,
        a.item_id,
        a.filename,
        a.content_type,
        size as i64,
        ZeroBlob(size),
        a.created_at
    ])?;
    let mut blob = conn.blob_open(MAIN_DB, "attachments", "data", a.id, false)?;
    if io::copy(&mut data.take(size), &mut blob)? != size {
        return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into());
    }
    Ok(Ok(outcome(existed)))
}
