//! `POST /api/import?format=zip&dry_run=…` (editor): a ZIP export
//! (`export_zip.rs`) back in, with its photos and attachments.
//!
//! The archive is read where the body was spooled; only `export.json` and
//! one photo at a time are held in memory, attachments stream into their
//! BLOBs. Files are looked up by the names the document gives them and never
//! extracted to disk, so a name cannot point anywhere else.
//!
//! Before the write transaction every named file is read through once
//! (its checksum and length checked by the zip reader): it must be there,
//! within the upload limits, and a photo must be the image type and size the
//! document says (read from its header, no decoding: the photos of an export
//! were re-encoded when they were uploaded). Problems are reported by path
//! (`photos[2].file`) like the document's other rows. Then the rows, photos
//! and attachments are written in ONE transaction: all or nothing.

use crate::api::attachments::{sanitize_filename, stored_type};
use crate::api::export_zip::DOCUMENT;
use crate::api::import::{self, Report, Where};
use crate::ctx::Ctx;
use crate::db::export::Document;
use crate::db::import as write;
use crate::error::{AppError, AppResult};
use image::{ImageFormat, ImageReader};
use rusqlite::Transaction;
use std::io::{self, Cursor, Read, Seek};
use zip::ZipArchive;

/// The largest document, photo and attachment taken: the import and upload
/// limits of the routes that take them one by one.
const MAX_DOCUMENT: u64 = 50 * 1024 * 1024;
const MAX_PHOTO: u64 = 15 * 1024 * 1024;
const MAX_ATTACHMENT: u64 = 25 * 1024 * 1024;

pub fn post(ctx: &mut Ctx<'_>, dry_run: bool) -> AppResult<Report> {
    let req = ctx.req;
    let mut archive = ZipArchive::new(req.body_reader()?).map_err(|_| not_a_zip())?;
    let mut doc = document(&mut archive)?;
    import::check_version(&doc)?;
    for a in &mut doc.attachments {
        a.filename = sanitize_filename(&a.filename);
        a.content_type = stored_type(Some(&a.content_type));
    }
    let mut checked = Report::default();
    check_files(&mut archive, &doc, &mut checked)?;
    import::run(ctx.conn, dry_run, |tx, report| {
        report.errors.append(&mut checked.errors);
        import::json_rows(tx, &doc, report)?;
        match report.errors.is_empty() {
            true => media_rows(tx, &doc, &mut archive, report),
            false => Ok(()),
        }
    })
}

fn not_a_zip() -> AppError {
    AppError::bad_request(
        "invalid_archive",
        "The body is not a ZIP archive; send the file GET /api/export?format=zip wrote.",
    )
}

fn document<R: Read + Seek>(archive: &mut ZipArchive<R>) -> AppResult<Document> {
    let bytes = match archive.by_name(DOCUMENT) {
        Ok(entry) => read_up_to(entry, MAX_DOCUMENT),
        Err(_) => None,
    };
    let Some(bytes) = bytes else {
        return Err(AppError::bad_request(
            "invalid_archive",
            format!(
                "The archive has no readable {DOCUMENT} of at most 50 MiB: it is not a MiauInv export."
            ),
        ));
    };
    import::document_from(&bytes)
}

/// The whole entry when it reads back intact within `limit` bytes.
fn read_up_to(entry: impl Read, limit: u64) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    entry.take(limit + 1).read_to_end(&mut bytes).ok()?;
    (bytes.len() as u64 <= limit).then_some(bytes)
}

/// Reads every file the document names once, reporting what is missing,
/// broken, too large or not what the document says.
fn check_files<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    doc: &Document,
    report: &mut Report,
) -> AppResult<()> {
    for (n, p) in doc.photos.iter().enumerate() {
        let Some(format) = photo_format(&p.content_type) else {
            report.at_path(
                format!("photos[{n}].content_type"),
                "a photo is image/jpeg, image/png or image/webp",
            );
            continue;
        };
        for (field, name) in [("file", &p.file), ("thumb_file", &p.thumb_file)] {
            let at = format!("photos[{n}].{field}");
            let Some(bytes) = entry_bytes(archive, name, MAX_PHOTO, &at, report) else {
                continue;
            };
            let header = ImageReader::with_format(Cursor::new(&bytes), format).into_dimensions();
            match header {
                Ok((w, h))
                    if field == "thumb_file"
                        || (i64::from(w), i64::from(h)) == (p.width, p.height) => {}
                Ok((w, h)) => report.at_path(
                    at,
                    format!("{name} is {w}×{h} pixels, not {}×{}", p.width, p.height),
                ),
                Err(_) => report.at_path(at, format!("{name} is not a {} image", p.content_type)),
            }
        }
    }
    for (n, a) in doc.attachments.iter().enumerate() {
        let at = format!("attachments[{n}].file");
        if let Some(size) = entry_size(archive, &a.file, MAX_ATTACHMENT, &at, report)
            && size == 0
        {
            report.at_path(at, format!("{} is empty", a.file));
        }
    }
    Ok(())
}

fn photo_format(content_type: &str) -> Option<ImageFormat> {
    match content_type {
        "image/jpeg" => Some(ImageFormat::Jpeg),
        "image/png" => Some(ImageFormat::Png),
        "image/webp" => Some(ImageFormat::WebP),
        _ => None,
    }
}

/// An entry's bytes, or a problem at `at` (absent, broken, above `limit`).
fn entry_bytes<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    name: &str,
    limit: u64,
    at: &str,
    report: &mut Report,
) -> Option<Vec<u8>> {
    let found = match archive.by_name(name) {
        Ok(entry) if entry.size() > limit => Err(too_large(name, limit)),
        Ok(entry) => read_up_to(entry, limit).ok_or_else(|| broken(name)),
        Err(_) => Err(format!("the archive has no file {name}")),
    };
    found
        .map_err(|message| report.at_path(at.into(), message))
        .ok()
}

/// An entry read through to its end (which checks its checksum and length)
/// without keeping it: its size, or a problem at `at`.
fn entry_size<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    name: &str,
    limit: u64,
    at: &str,
    report: &mut Report,
) -> Option<u64> {
    let found = match archive.by_name(name) {
        Ok(entry) if entry.size() > limit => Err(too_large(name, limit)),
        Ok(entry) => {
            let read = io::copy(&mut entry.take(limit + 1), &mut io::sink());
            read.ok()
                .filter(|n| *n <= limit)
                .ok_or_else(|| broken(name))
        }
        Err(_) => Err(format!("the archive has no file {name}")),
    };
    found
        .map_err(|message| report.at_path(at.into(), message))
        .ok()
}

fn too_large(name: &str, limit: u64) -> String {
    format!("{name} is larger than {} MiB", limit / (1024 * 1024))
}

fn broken(name: &str) -> String {
    format!("{name} cannot be read back intact (a damaged archive)")
}

/// The photos and attachments, after the document's rows; every file was
/// checked, so reading one here fails only if the disk does.
fn media_rows<R: Read + Seek>(
    tx: &Transaction<'_>,
    doc: &Document,
    archive: &mut ZipArchive<R>,
    report: &mut Report,
) -> AppResult<()> {
    for (n, p) in doc.photos.iter().enumerate() {
        let data = whole(archive, &p.file)?;
        let thumb = whole(archive, &p.thumb_file)?;
        let r = write::photo(tx, p, &data, &thumb)?;
        report.written("photos", r, || Where::Path(format!("photos[{n}]")));
    }
    for (n, a) in doc.attachments.iter().enumerate() {
        let mut entry = archive.by_name(&a.file).map_err(unreadable)?;
        let size = entry.size();
        let r = write::attachment(tx, a, size, &mut entry)?;
        report.written("attachments", r, || {
            Where::Path(format!("attachments[{n}]"))
        });
    }
    Ok(())
}

fn whole<R: Read + Seek>(archive: &mut ZipArchive<R>, name: &str) -> AppResult<Vec<u8>> {
    let mut bytes = Vec::new();
    archive
        .by_name(name)
        .map_err(unreadable)?
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn unreadable(e: zip::result::ZipError) -> AppError {
    AppError::internal(format_args!("import archive, checked before: {e}"))
}
