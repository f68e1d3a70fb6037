//! A ZIP export (`api/export_zip.rs`) back in, with its photos and
//! attachments (`POST /api/import?format=zip`).
//!
//! The archive is read where the body was spooled; files are looked up by
//! the names the document gives them and never extracted to disk, so a name
//! cannot point anywhere else. What an archive may cost is bounded before
//! anything is inflated:
//! - `export.json` at most [`MAX_DOCUMENT`], parsed as it streams in;
//! - every photo and attachment the document names counts its inflated size
//!   against [`media_budget`] each time it is named (40 references to one
//!   25 MiB entry of zeros count 1000 MiB), from the sizes the archive
//!   declares, which the zip reader holds each entry to;
//! - a photo is decoded and checked like an upload: one that is not a bare
//!   image of the type and size it claims (EXIF, text chunks, bytes after its
//!   end, too many pixels) is re-encoded through the upload path, its result
//!   staged in a temporary file so no decoding happens in the write; a
//!   genuine export's photos are bare and keep their bytes.
//!
//! Then the rows, photos and attachments are written in ONE transaction: all
//! or nothing. A dry run checks every file but writes no bytes (no large WAL
//! is left behind).

use super::{Importer, Report, Where, document};
use crate::app::Gate;
use crate::db::export::{Document, Photo};
use crate::db::import as write;
use crate::error::{AppError, AppResult};
use crate::rules::attachment::{sanitize_filename, stored_type};
use crate::rules::photo::{self, MAX_SIDE, THUMB_SIDE};
use image::{ImageFormat, ImageReader};
use rusqlite::Transaction;
use std::collections::HashMap;
use std::io::{self, Cursor, Read, Seek, SeekFrom, Write};
use zip::ZipArchive;

/// The document's name inside the archive.
pub const DOCUMENT: &str = "export.json";
/// The largest document, photo and attachment taken: the import and upload
/// limits of the routes that take them one by one.
pub const MAX_DOCUMENT: u64 = 50 * 1024 * 1024;
const MAX_PHOTO: u64 = 15 * 1024 * 1024;
const MAX_ATTACHMENT: u64 = 25 * 1024 * 1024;
const MIB: u64 = 1024 * 1024;

/// How many bytes the photos and attachments of an archive of `archive_len`
/// bytes may inflate to in all: 64 MiB plus ten times the archive (photos and
/// most attachments hardly compress; an export inflates to about its own
/// size), and never more than 4 GiB.
pub fn media_budget(archive_len: u64) -> u64 {
    (64 * MIB + 10 * archive_len).min(4096 * MIB)
}

pub fn import<R: Read + Seek>(
    body: R,
    archive_len: u64,
    conn: &mut rusqlite::Connection,
    dry_run: bool,
    by: &Importer,
    decodes: &Gate,
) -> AppResult<Report> {
    let mut archive = ZipArchive::new(body).map_err(|_| not_a_zip())?;
    let mut doc = read_document(&mut archive)?;
    super::check_version(&doc)?;
    for a in &mut doc.attachments {
        a.filename = sanitize_filename(&a.filename);
        a.content_type = stored_type(Some(&a.content_type));
    }
    within_budget(&mut archive, &doc, archive_len)?;
    let mut report = Report::new(dry_run);
    let checked = document::check(doc, &mut report);
    let staged = check_files(&mut archive, &checked.doc, decodes, &mut report)?;
    super::run(conn, report, |tx, report| {
        document::rows(tx, &checked, by, report)?;
        match report.errors.is_empty() {
            true => media_rows(tx, &checked.doc, &mut archive, staged, dry_run, report),
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

fn read_document<R: Read + Seek>(archive: &mut ZipArchive<R>) -> AppResult<Document> {
    let entry = match archive.by_name(DOCUMENT) {
        Ok(entry) if entry.size() <= MAX_DOCUMENT => entry,
        _ => {
            return Err(AppError::bad_request(
                "invalid_archive",
                format!(
                    "The archive has no readable {DOCUMENT} of at most 50 MiB: it is not a MiauInv export."
                ),
            ));
        }
    };
    super::document_from(entry)
}

/// Refuses an archive whose named files would inflate past the budget,
/// counting each file each time it is named, before any is read.
fn within_budget<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    doc: &Document,
    archive_len: u64,
) -> AppResult<()> {
    let budget = media_budget(archive_len);
    let names = doc
        .photos
        .iter()
        .flat_map(|p| [&p.file, &p.thumb_file])
        .chain(doc.attachments.iter().map(|a| &a.file));
    let mut sizes: HashMap<&str, u64> = HashMap::new();
    let mut total: u64 = 0;
    for name in names {
        let size = match sizes.get(name.as_str()) {
            Some(&s) => s,
            None => {
                let s = archive.by_name(name).map(|e| e.size()).unwrap_or(0);
                sizes.insert(name, s);
                s
            }
        };
        total = total.saturating_add(size);
        if total > budget {
            return Err(AppError::bad_request(
                "archive_too_large",
                format!(
                    "The photos and attachments this archive names would inflate to more than {} MiB (64 MiB plus ten times the archive's size, each file counted every time it is named). Nothing was imported.",
                    budget / MIB
                ),
            )
            .with("limit_bytes", budget));
        }
    }
    Ok(())
}

/// A photo re-encoded through the upload path, waiting in the staging file.
struct StagedPhoto {
    offset: u64,
    data_len: usize,
    thumb_len: usize,
    width: u32,
    height: u32,
    content_type: &'static str,
}

/// Photos re-encoded before the write, by their index in the document.
struct Staged {
    file: Option<std::fs::File>,
    photos: HashMap<usize, StagedPhoto>,
}

/// Reads every file the document names once, reporting what is missing,
/// broken, too large or not what the document says; re-encodes the photos
/// that are not bare images into the staging file.
fn check_files<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    doc: &Document,
    decodes: &Gate,
    report: &mut Report,
) -> AppResult<Staged> {
    let mut staged = Staged {
        file: None,
        photos: HashMap::new(),
    };
    for (n, p) in doc.photos.iter().enumerate() {
        let at = |f: &str| format!("photos[{n}].{f}");
        let Some(format) = photo_format(&p.content_type) else {
            report.at_path(
                at("content_type"),
                "a photo is image/jpeg, image/png or image/webp",
            );
            continue;
        };
        let Some(data) = entry_bytes(archive, &p.file, MAX_PHOTO, &at("file"), report) else {
            continue;
        };
        let Some(thumb) = entry_bytes(archive, &p.thumb_file, MAX_PHOTO, &at("thumb_file"), report)
        else {
            continue;
        };
        let size = (
            p.width.clamp(0, u32::MAX as i64) as u32,
            p.height.clamp(0, u32::MAX as i64) as u32,
        );
        // A file that is not an image of its type at all, or not of the size
        // the document says, is a damaged or false archive: said, not fixed.
        let header = |bytes: &[u8]| {
            ImageReader::with_format(Cursor::new(bytes), format)
                .into_dimensions()
                .ok()
        };
        let Some(data_size) = header(&data) else {
            report.at_path(
                at("file"),
                format!("{} is not a {} image", p.file, p.content_type),
            );
            continue;
        };
        if data_size != size {
            report.at_path(
                at("file"),
                format!(
                    "{} is {}×{} pixels, not {}×{}",
                    p.file, data_size.0, data_size.1, p.width, p.height
                ),
            );
            continue;
        }
        if let Err(e) = photo::within_input_side(data_size.0, data_size.1) {
            report.refused_file(at("file"), &p.file, e);
            continue;
        }
        let Some(thumb_size) = header(&thumb) else {
            report.at_path(
                at("thumb_file"),
                format!("{} is not a {} image", p.thumb_file, p.content_type),
            );
            continue;
        };
        if photo::is_clean(&data, format, size, MAX_SIDE)
            && photo::is_clean(&thumb, format, thumb_size, THUMB_SIDE)
        {
            continue;
        }
        match photo::process(decodes, Cursor::new(&data), format) {
            Ok(done) => {
                let file = match &mut staged.file {
                    Some(f) => f,
                    None => staged.file.insert(tempfile::tempfile()?),
                };
                let offset = file.seek(SeekFrom::End(0))?;
                file.write_all(&done.data)?;
                file.write_all(&done.thumb)?;
                staged.photos.insert(
                    n,
                    StagedPhoto {
                        offset,
                        data_len: done.data.len(),
                        thumb_len: done.thumb.len(),
                        width: done.width,
                        height: done.height,
                        content_type: done.content_type,
                    },
                );
            }
            Err(e) => report.refused_file(at("file"), &p.file, e),
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
    Ok(staged)
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

/// The whole entry when it reads back intact within `limit` bytes.
fn read_up_to(entry: impl Read, limit: u64) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    entry.take(limit + 1).read_to_end(&mut bytes).ok()?;
    (bytes.len() as u64 <= limit).then_some(bytes)
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
    format!("{name} is larger than {} MiB", limit / MIB)
}

fn broken(name: &str) -> String {
    format!("{name} cannot be read back intact (a damaged archive)")
}

/// The photos and attachments, after the document's rows; every file was
/// checked, so reading one here fails only if the disk does. A dry run
/// writes each row without its bytes: the rows are checked, nothing large
/// passes through the WAL.
fn media_rows<R: Read + Seek>(
    tx: &Transaction<'_>,
    doc: &Document,
    archive: &mut ZipArchive<R>,
    mut staged: Staged,
    dry_run: bool,
    report: &mut Report,
) -> AppResult<()> {
    for (n, p) in doc.photos.iter().enumerate() {
        let r = match (dry_run, staged.photos.get(&n)) {
            (true, _) => write::photo(tx, p, &[], &[])?,
            (false, Some(s)) => {
                let file = staged.file.as_mut().expect("a staged photo has its file");
                file.seek(SeekFrom::Start(s.offset))?;
                let mut data = vec![0; s.data_len];
                let mut thumb = vec![0; s.thumb_len];
                file.read_exact(&mut data)?;
                file.read_exact(&mut thumb)?;
                let clean = Photo {
                    width: s.width.into(),
                    height: s.height.into(),
                    content_type: s.content_type.to_string(),
                    file: p.file.clone(),
                    thumb_file: p.thumb_file.clone(),
                    ..*p
                };
                write::photo(tx, &clean, &data, &thumb)?
            }
            (false, None) => {
                let data = whole(archive, &p.file)?;
                let thumb = whole(archive, &p.thumb_file)?;
                write::photo(tx, p, &data, &thumb)?
            }
        };
        report.written("photos", r, || Where::Path(format!("photos[{n}]")));
    }
    for (n, a) in doc.attachments.iter().enumerate() {
        let r = match dry_run {
            true => write::attachment(tx, a, 0, &mut io::empty())?,
            false => {
                let mut entry = archive.by_name(&a.file).map_err(unreadable)?;
                let size = entry.size();
                write::attachment(tx, a, size, &mut entry)?
            }
        };
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
