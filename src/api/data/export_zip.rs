//! `GET /api/export?format=zip` (viewer): the archive `transfer/export_zip.rs`
//! builds (as `miauinv export --format zip` does):
//! the export document as `export.json` (the same document as
//! `format=json`) plus every photo, thumbnail and attachment under the
//! `file` names the document gives them.
//!
//! The archive is built in an unnamed temporary file in the appdata
//! directory (where upload bodies are spooled), one stored file at a time,
//! inside one read transaction (so the document and the files agree), and
//! sent from that file in small pieces: a large photo collection never sits
//! in memory. Photos are JPEG or PNG already, so they are stored as they
//! are; the document and attachments are deflated.

use crate::ctx::Ctx;
use crate::db;
use crate::error::AppResult;
use crate::http::Reply;
use crate::http::body::Spooled;
use crate::transfer::export_zip::build;

pub fn get(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let now = db::now();
    let dir = ctx.app.config.appdata_dir.clone();
    let (file, len) = db::read(ctx.conn, |tx| build(tx, now, &dir))?;
    let mut reply = Reply::new(200, "application/zip", Vec::new());
    reply.spooled = Some(Spooled::new(file, len));
    Ok(reply
        .download(&format!("{}.zip", crate::transfer::export_stem(now)))
        .header("Cache-Control", "no-store"))
}
