//! `/api/item/attachment`: files kept with an item (datasheets, manuals,
//! receipts), any type, at most `router::MAX_ATTACHMENT`. The body streams
//! from its spool file into a BLOB of its size (incremental BLOB I/O), never
//! whole into memory.
//!
//! An uploaded file is someone else's content served from our origin, so a
//! download can never run as a page of ours: it is always
//! `Content-Disposition: attachment`, `nosniff`, sandboxed by its CSP, and a
//! type a browser could render as active content (HTML, SVG, XML, script) is
//! served as `application/octet-stream`.

use crate::api::media::photos::stored_file_headers;
use crate::ctx::Ctx;
use crate::db;
use crate::db::items;
use crate::db::media::{self, AttachmentRef, NewAttachment};
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use crate::http::body::Spooled;

use crate::rules::attachment::{BINARY, sanitize_filename, stored_type};

/// Types served as they were uploaded: none of them runs script in a page
/// (PDFs open in the browser's own sandboxed viewer, if at all: the
/// disposition asks for a download). Everything else is served as bytes.
const PASSIVE_TYPES: &[&str] = &[
    "application/pdf",
    "application/zip",
    "application/gzip",
    "application/json",
    "text/plain",
    "text/csv",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "audio/mpeg",
    "video/mp4",
];

/// `POST /api/item/attachment?id=<item>&filename=<name>`: the file as the body.
pub fn upload(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let item_id = ctx.req.id_param("id")?;
    let filename = sanitize_filename(ctx.req.param("filename").unwrap_or(""));
    let content_type = stored_type(ctx.req.header("content-type"));
    let size = ctx.req.body_len();
    if size == 0 {
        return Err(AppError::bad_request(
            "empty_body",
            "The request body is empty; send the file's bytes as the body.",
        ));
    }
    let new = NewAttachment {
        filename: &filename,
        content_type: &content_type,
        size,
    };
    let mut body = ctx.req.body_reader()?;
    let attachment = db::write(ctx.conn, |tx| {
        items::get_active(tx, item_id)?;
        let id = media::insert_attachment(tx, item_id, &new, &mut body)?;
        media::attachment(tx, id)?.ok_or_else(|| missing(id))
    })?;
    Ok(Reply::created(&attachment))
}

/// `GET /api/item/attachment?id=<attachment>`: a download.
pub fn get(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = ctx.req.id_param("id")?;
    let spool_dir = &ctx.app.config.appdata_dir;
    let (meta, body) = db::read(ctx.conn, |tx| {
        let meta = find(tx, id)?;
        if meta.size <= IN_MEMORY_BELOW {
            let mut bytes = Vec::with_capacity(meta.size.max(0) as usize);
            media::copy_attachment(tx, id, &mut bytes)?;
            return Ok((meta, Body::Memory(bytes)));
        }
        // A large file goes out from an unnamed temporary copy: the worker
        // holds 64 KiB of it at a time, and the read transaction ends before
        // the (possibly slow) sending starts.
        let mut file = tempfile::tempfile_in(spool_dir)?;
        let len = media::copy_attachment(tx, id, &mut file)?;
        Ok((meta, Body::File(Spooled::new(file, len))))
    })?;
    let reply = match body {
        Body::Memory(bytes) => Reply::new(200, served_type(&meta.content_type), bytes),
        Body::File(spooled) => Reply {
            spooled: Some(spooled),
            ..Reply::new(200, served_type(&meta.content_type), Vec::new())
        },
    };
    let reply = reply
        .download(&meta.filename)
        .header("Cache-Control", "private, no-cache");
    Ok(stored_file_headers(reply))
}

/// Attachments up to this size are sent from memory.
const IN_MEMORY_BELOW: i64 = 1024 * 1024;

enum Body {
    Memory(Vec<u8>),
    File(Spooled),
}

/// `DELETE /api/item/attachment?id=<attachment>`.
pub fn delete(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = ctx.req.id_param("id")?;
    db::write(ctx.conn, |tx| {
        let attachment = find(tx, id)?;
        let item_id = item_of(tx, attachment.id)?;
        items::get_active(tx, item_id)?;
        media::delete_attachment(tx, id)
    })?;
    Ok(crate::api::deleted(id))
}

fn find(conn: &rusqlite::Connection, id: i64) -> AppResult<AttachmentRef> {
    media::attachment(conn, id)?.ok_or_else(|| missing(id))
}

fn item_of(conn: &rusqlite::Connection, id: i64) -> AppResult<i64> {
    media::attachment_item(conn, id)?.ok_or_else(|| missing(id))
}

fn missing(id: i64) -> AppError {
    AppError::not_found(format!("There is no attachment with id {id}.")).with("attachment_id", id)
}

/// The type a download is served with: the stored one only when a browser
/// cannot run it.
pub fn served_type(stored: &str) -> &str {
    match PASSIVE_TYPES.contains(&stored) {
        true => stored,
        false => BINARY,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::attachment::MAX_FILENAME;

    #[test]
    fn filenames_lose_paths_controls_and_length_but_keep_the_extension() {
        assert_eq!(sanitize_filename("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_filename("C:\\Users\\me\\sheet.pdf"), "sheet.pdf");
        assert_eq!(sanitize_filename("a\r\nb\u{0}c.txt"), "abc.txt");
        assert_eq!(sanitize_filename("..hidden"), "hidden");
        assert_eq!(sanitize_filename("  "), "attachment");
        assert_eq!(sanitize_filename("x\"y;z.pdf"), "x_y_z.pdf");
        let long = format!("{}.pdf", "é".repeat(300));
        let short = sanitize_filename(&long);
        assert_eq!(short.chars().count(), MAX_FILENAME);
        assert!(short.ends_with(".pdf"));
    }

    #[test]
    fn active_types_are_served_as_bytes() {
        for active in [
            "text/html",
            "image/svg+xml",
            "application/xml",
            "text/javascript",
            "application/xhtml+xml",
        ] {
            assert_eq!(served_type(active), BINARY, "{active}");
        }
        assert_eq!(served_type("application/pdf"), "application/pdf");
        assert_eq!(stored_type(Some("Text/HTML; charset=utf-8")), "text/html");
        assert_eq!(stored_type(Some("nonsense")), BINARY);
        assert_eq!(stored_type(None), BINARY);
    }
}
