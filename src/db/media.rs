//! Photos and attachments of items (migration 0008): their rows, their bytes
//! (BLOBs in the database, so a backup is one file) and the one-primary-photo
//! rule. Attachments are written and read through SQLite's incremental BLOB
//! I/O, 64 KiB at a time, so a 25 MiB file never sits in memory here.

use crate::error::AppResult;
use rusqlite::blob::ZeroBlob;
use rusqlite::{Connection, MAIN_DB, OptionalExtension, params};
use serde::Serialize;
use std::collections::HashMap;
use std::io::{self, Read, Write};

/// A photo as the item lists it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PhotoRef {
    pub id: i64,
    pub width: i64,
    pub height: i64,
    pub primary: bool,
}

/// A stored photo's facts, without its bytes.
#[derive(Debug, Clone)]
pub struct PhotoMeta {
    pub id: i64,
    pub item_id: i64,
    pub width: i64,
    pub height: i64,
    pub content_type: String,
    pub size: i64,
    pub primary: bool,
}

/// A photo to store, already re-encoded.
pub struct NewPhoto<'a> {
    pub width: u32,
    pub height: u32,
    pub content_type: &'a str,
    pub data: &'a [u8],
    pub thumb: &'a [u8],
}

/// An attachment as the item lists it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AttachmentRef {
    pub id: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub created_at: i64,
}

/// Stores a photo; the item's first photo becomes its primary one.
pub fn insert_photo(conn: &Connection, item_id: i64, photo: &NewPhoto) -> AppResult<i64> {
    conn.prepare_cached(
        "INSERT INTO photos (item_id, is_primary, width, height, content_type, size, data, thumb, created_at)
         VALUES (?1, NOT EXISTS (SELECT 1 FROM photos WHERE item_id = ?1 AND is_primary = 1),
                 ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        item_id,
        photo.width,
        photo.height,
        photo.content_type,
        photo.data.len() as i64,
        photo.data,
        photo.thumb,
        super::now()
    ])?;
    Ok(conn.last_insert_rowid())
}

/// The photos of an item, primary first, then oldest first.
pub fn photos_of(conn: &Connection, item_id: i64) -> AppResult<Vec<PhotoRef>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, width, height, is_primary FROM photos WHERE item_id = ?1
         ORDER BY is_primary DESC, id",
    )?;
    let rows = stmt.query_map([item_id], |r| {
        Ok(PhotoRef {
            id: r.get(0)?,
            width: r.get(1)?,
            height: r.get(2)?,
            primary: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn photo(conn: &Connection, id: i64) -> AppResult<Option<PhotoMeta>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, item_id, width, height, content_type, size, is_primary FROM photos WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok(PhotoMeta {
                id: r.get(0)?,
                item_id: r.get(1)?,
                width: r.get(2)?,
                height: r.get(3)?,
                content_type: r.get(4)?,
                size: r.get(5)?,
                primary: r.get(6)?,
            })
        })
        .optional()?)
}

/// The bytes of a photo (`thumb`: its thumbnail); photos are re-encoded at
/// most 2,048 px, so this is a few hundred KiB.
pub fn photo_bytes(conn: &Connection, id: i64, thumb: bool) -> AppResult<Option<Vec<u8>>> {
    let sql = match thumb {
        true => "SELECT thumb FROM photos WHERE id = ?1",
        false => "SELECT data FROM photos WHERE id = ?1",
    };
    Ok(conn
        .prepare_cached(sql)?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

/// Deletes a photo; when it was the primary one, the oldest remaining photo
/// of the item takes its place. Returns false when there was no such photo.
pub fn delete_photo(conn: &Connection, id: i64) -> AppResult<bool> {
    let Some(meta) = photo(conn, id)? else {
        return Ok(false);
    };
    conn.prepare_cached("DELETE FROM photos WHERE id = ?1")?
        .execute([id])?;
    if meta.primary {
        conn.prepare_cached(
            "UPDATE photos SET is_primary = 1
             WHERE id = (SELECT min(id) FROM photos WHERE item_id = ?1)",
        )?
        .execute([meta.item_id])?;
    }
    Ok(true)
}

/// Makes the photo its item's primary one (the old one first gives it up,
/// so the unique index never sees two).
pub fn make_primary(conn: &Connection, photo: &PhotoMeta) -> AppResult<()> {
    conn.prepare_cached("UPDATE photos SET is_primary = 0 WHERE item_id = ?1 AND is_primary = 1")?
        .execute([photo.item_id])?;
    conn.prepare_cached("UPDATE photos SET is_primary = 1 WHERE id = ?1")?
        .execute([photo.id])?;
    Ok(())
}

/// The primary photo of each of `item_ids` that has one.
pub fn primary_photos(conn: &Connection, item_ids: &[i64]) -> AppResult<HashMap<i64, i64>> {
    let mut found = HashMap::new();
    let mut stmt =
        conn.prepare_cached("SELECT id FROM photos WHERE item_id = ?1 AND is_primary = 1")?;
    for &item in item_ids {
        if let Some(photo) = stmt.query_row([item], |r| r.get(0)).optional()? {
            found.insert(item, photo);
        }
    }
    Ok(found)
}

/// An attachment to store: its facts and where its bytes come from.
pub struct NewAttachment<'a> {
    pub filename: &'a str,
    pub content_type: &'a str,
    pub size: u64,
}

/// Stores an attachment, copying `size` bytes from `data` into a BLOB of
/// that size through incremental I/O. A short `data` is an error (rolled
/// back with the transaction).
pub fn insert_attachment(
    conn: &Connection,
    item_id: i64,
    new: &NewAttachment,
    data: &mut dyn Read,
) -> AppResult<i64> {
    conn.prepare_cached(
        "INSERT INTO attachments (item_id, filename, content_type, size, data, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        item_id,
        new.filename,
        new.content_type,
        new.size as i64,
        ZeroBlob(new.size),
        super::now()
    ])?;
    let id = conn.last_insert_rowid();
    let mut blob = conn.blob_open(MAIN_DB, "attachments", "data", id, false)?;
    let copied = io::copy(&mut data.take(new.size), &mut blob)?;
    if copied != new.size {
        return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into());
    }
    Ok(id)
}

pub fn attachments_of(conn: &Connection, item_id: i64) -> AppResult<Vec<AttachmentRef>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, filename, content_type, size, created_at FROM attachments
         WHERE item_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([item_id], attachment_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn attachment_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AttachmentRef> {
    Ok(AttachmentRef {
        id: r.get(0)?,
        filename: r.get(1)?,
        content_type: r.get(2)?,
        size: r.get(3)?,
        created_at: r.get(4)?,
    })
}

pub fn attachment(conn: &Connection, id: i64) -> AppResult<Option<AttachmentRef>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, filename, content_type, size, created_at FROM attachments WHERE id = ?1",
        )?
        .query_row([id], attachment_row)
        .optional()?)
}

/// Copies the bytes of attachment `id` into `out`, 64 KiB at a time.
pub fn copy_attachment(conn: &Connection, id: i64, out: &mut dyn Write) -> AppResult<u64> {
    let mut blob = conn.blob_open(MAIN_DB, "attachments", "data", id, true)?;
    Ok(io::copy(&mut blob, out)?)
}

/// Returns false when there was no such attachment.
pub fn delete_attachment(conn: &Connection, id: i64) -> AppResult<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM attachments WHERE id = ?1")?
        .execute([id])?
        > 0)
}

/// The item an attachment belongs to.
pub fn attachment_item(conn: &Connection, id: i64) -> AppResult<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT item_id FROM attachments WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?)
}
