//! The CSV item import at scale: 100 000 rows (1 000 in the smoke run), each
//! a new item with a sku, tags, a field and stock at one of 50 nested
//! locations, read and written row by row in one transaction by the same
//! code `POST /api/import?format=csv` runs (`Rows::from_text`, `check`, then
//! `write` in `transfer::run`).
//! Measured in-process, so the figure is the import's own cost (the HTTP
//! route takes the same 7 MiB file: its body limit is 50 MiB). The
//! memory figure is the growth of this process's peak resident size (VmHWM),
//! which includes the file text (bounded by the import body limit) and
//! SQLite's pages of the one large transaction.

use miauinv::db;
use miauinv::transfer::csv::Rows;
use miauinv::transfer::{self, Importer, Report};
use std::path::Path;
use std::time::Instant;

fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// Imports the rows into a fresh database in `dir`; the report's note line.
pub fn csv_rows(dir: &Path, smoke: bool) -> Result<String, String> {
    let rows = if smoke { 1_000 } else { 100_000 };
    let path = dir.join("import-bench.db");
    let key = miauinv::config::secret_key(dir)?;
    db::prepare(&path, &key)?;
    let mut conn = db::open(&path).map_err(|e| e.to_string())?;
    let mut text =
        String::from("name,category,total_quantity,sku,tags,location,quantity,field:Colour\n");
    for n in 0..rows {
        text.push_str(&format!(
            "Part {n},Category {},{},SKU-{n:06},bench; tag{},Hall {} / Shelf {},{},colour {}\n",
            n % 40,
            n % 100 + 10,
            n % 7,
            n % 5,
            n % 10,
            n % 100 + 1,
            n % 12
        ));
    }
    let before = peak_kib();
    let started = Instant::now();
    let by = Importer {
        user_id: "bench".into(),
        username: "bench".into(),
        restores_history: false,
    };
    let parsed = Rows::from_text(&text, false, &by);
    let mut report = Report::new(false);
    parsed.check(&mut report).map_err(|e| e.message)?;
    let report =
        transfer::run(&mut conn, report, |tx, r| parsed.write(tx, r)).map_err(|e| e.message)?;
    let took = started.elapsed();
    let grown = peak_kib().saturating_sub(before);
    if !report.errors.is_empty() || report.created.get("items") != Some(&(rows as u64)) {
        return Err(format!(
            "the import bench failed: {:?}",
            report.errors.first()
        ));
    }
    Ok(format!(
        "CSV item import: {rows} rows ({:.1} MiB) in {:.1} s ({:.0} rows/s) in one transaction; peak resident size grew by {:.1} MiB (target: 100 000 rows under 30 s)",
        text.len() as f64 / 1_048_576.0,
        took.as_secs_f64(),
        rows as f64 / took.as_secs_f64(),
        grown as f64 / 1024.0
    ))
}
