//! The ZIP export engine (layer: transfer), behind `GET /api/export?format=zip`
//! and `miauinv export --format zip`:
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

use crate::db::{export, media};
use crate::error::{AppError, AppResult};
use crate::transfer::zip::DOCUMENT;
use rusqlite::Connection;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// Writes the archive into a temporary file in `dir`; call inside one read
/// transaction. Answers the file, positioned at its start, and its length.
pub fn build(conn: &Connection, now: i64, dir: &Path) -> AppResult<(File, u64)> {
    let doc = export::document(conn, now)?;
    let mut zip = ZipWriter::new(tempfile::tempfile_in(dir)?);
    let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    zip.start_file(DOCUMENT, deflated).map_err(broken)?;
    serde_json::to_writer(&mut zip, &doc)
        .map_err(|e| AppError::internal(format_args!("export document: {e}")))?;
    for photo in &doc.photos {
        for (name, thumb) in [(&photo.file, false), (&photo.thumb_file, true)] {
            // Read in the same transaction as the document: still there.
            let bytes = media::photo_bytes(conn, photo.id, thumb)?
                .ok_or_else(|| AppError::internal(format_args!("photo {} vanished", photo.id)))?;
            zip.start_file(name.as_str(), stored).map_err(broken)?;
            zip.write_all(&bytes)?;
        }
    }
    for attachment in &doc.attachments {
        zip.start_file(attachment.file.as_str(), deflated)
            .map_err(broken)?;
        media::copy_attachment(conn, attachment.id, &mut zip)?;
    }
    let mut file = zip.finish().map_err(broken)?;
    let len = file.seek(SeekFrom::End(0))?;
    file.seek(SeekFrom::Start(0))?;
    Ok((file, len))
}

fn broken(e: zip::result::ZipError) -> AppError {
    AppError::internal(format_args!("export archive: {e}"))
}
