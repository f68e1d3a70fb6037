//! Issue 26, "every door keeps the rules": imports (JSON, CSV, Homebox, ZIP),
//! `miauinv restore` and the odd API route refuse what the API refuses, in
//! bounded time and disk, each through the real route or command.

use crate::common;
use crate::media_support;

use common::{Client, Resp, TestServer, cli, outbox};
use media_support::{GPS_MARKER, contains, jpeg, png_bomb, with_gps_exif};
use serde_json::{Value, json};
use std::io::{Cursor, Read, Write};

/// The largest id a document may keep (2^40).
const MAX_ID: i64 = 1 << 40;
/// The largest quantity any door takes.
const MAX_QUANTITY: i64 = 1_000_000_000_000;
const MIB: u64 = 1024 * 1024;

/// An export document holding `parts`, every other list empty.
fn document(parts: Value) -> Value {
    let mut doc = json!({
        "miauinv_export": 1, "exported_at": 0, "locations": [], "items": [], "projects": [],
        "stock": [], "allocations": [], "movements": [], "tags": []
    });
    for (key, value) in parts.as_object().expect("parts are an object") {
        doc[key] = value.clone();
    }
    doc
}

fn import_json(c: &Client, dry_run: bool, doc: &Value) -> Resp {
    c.send_raw(
        "POST",
        &format!("/api/import?format=json&dry_run={dry_run}"),
        "application/json",
        doc.to_string().as_bytes(),
    )
}

fn import_csv(c: &Client, format: &str, dry_run: bool, text: &str) -> Resp {
    c.send_raw(
        "POST",
        &format!("/api/import?format={format}&what=items&dry_run={dry_run}"),
        "text/csv",
        text.as_bytes(),
    )
}

/// A real import refused as a whole: the paths of its problems, in order.
fn refused_paths(r: &Resp) -> Vec<String> {
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.code(), "import_failed", "{}", r.text);
    r.json()["errors"]
        .as_array()
        .expect("a refused import lists its problems")
        .iter()
        .map(|e| e["path"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// A refused real CSV import: its problems as (row, column).
fn refused_cells(r: &Resp) -> Vec<(i64, String)> {
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.code(), "import_failed", "{}", r.text);
    r.json()["errors"]
        .as_array()
        .expect("a refused import lists its problems")
        .iter()
        .map(|e| {
            let column = e["column"].as_str().unwrap_or_default().to_string();
            (e["row"].as_i64().unwrap_or_default(), column)
        })
        .collect()
}

fn item_count(c: &Client) -> usize {
    c.get("/api/item").json().as_array().unwrap().len()
}

fn export(c: &Client) -> Value {
    let r = c.get("/api/export?format=json");
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
}

/// The database file and its WAL, in bytes.
fn database_bytes(s: &TestServer) -> u64 {
    let db = s.db_path();
    let wal = db.with_file_name(format!("{}-wal", db.file_name().unwrap().to_string_lossy()));
    [db, wal]
        .iter()
        .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum()
}

/// Every entry of a ZIP archive: (name, bytes), in archive order.
fn zip_entries(archive: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(Cursor::new(archive)).expect("a readable ZIP");
    (0..zip.len())
        .map(|n| {
            let mut entry = zip.by_index(n).unwrap();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            (entry.name().unwrap().to_string(), bytes)
        })
        .collect()
}

/// A ZIP archive of `entries`, each deflated.
fn zip_of(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut to = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        to.start_file(name.as_str(), deflated).unwrap();
        to.write_all(bytes).unwrap();
    }
    to.finish().unwrap().into_inner()
}

/// Edits the `export.json` among an archive's entries.
fn with_document(entries: &mut [(String, Vec<u8>)], edit: impl FnOnce(&mut Value)) {
    let slot = entries
        .iter_mut()
        .find(|(name, _)| name == "export.json")
        .expect("the archive has its document");
    let mut doc: Value = serde_json::from_slice(&slot.1).unwrap();
    edit(&mut doc);
    slot.1 = serde_json::to_vec(&doc).unwrap();
}

mod csv_and_zip;
mod history;
mod ids;
mod location_trees;
mod names_and_limits;
mod other_doors;
