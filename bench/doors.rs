//! The rows of "every door keeps the rules" (issue 26), through the real
//! route `POST /api/import` of a running server:
//! - a JSON import of 64,000 locations in chains 16 levels deep, each
//!   location listed before its parent (a dry run: the whole import runs and
//!   rolls back), and one chain 64,000 deep, which is refused (target: both
//!   under 5 s; before the fix the first took 47 s, quadratic in its size);
//! - reads while a 100,000-row CSV import runs: p50/p99/max of an item read
//!   and the slowest `/healthz`, from 8 clients, against the same reads
//!   before the import;
//! - the server's peak resident size while eight clients each send a ZIP
//!   holding a 46 MiB `export.json` at once (target: under 128 MiB; before,
//!   791 MiB): one import runs at a time, the others are answered 503.

use super::{Bench, Results, login, step};
use crate::load::Proc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const MIB: f64 = 1024.0 * 1024.0;
/// Targets of issue 26.
pub const CHAIN_SECONDS_TARGET: f64 = 5.0;
pub const PARALLEL_ZIP_RSS_TARGET_KIB: u64 = 128 * 1024;

/// An import through the route: its status (0 when no answer came, said on
/// stderr) and how long it took. Imports may run for minutes: no 30 s cap.
fn import(server: &Proc, token: &str, query: &str, ctype: &str, body: &[u8]) -> (u16, Duration) {
    let tls = ureq::tls::TlsConfig::builder()
        .disable_verification(true)
        .build();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .tls_config(tls)
        .timeout_global(Some(Duration::from_secs(600)))
        .build()
        .into();
    let started = Instant::now();
    let status = agent
        .post(format!("{}/api/import?{query}", server.base()))
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", ctype)
        .send(body)
        .map(|r| r.status().as_u16())
        .unwrap_or_else(|e| {
            eprintln!("bench: POST /api/import?{query}: {e}");
            0
        });
    (status, started.elapsed())
}

/// `levels` deep chains of locations, ids from `first`, every location listed
/// before its parent.
fn reversed_chains(first: i64, count: i64, levels: i64) -> Vec<u8> {
    let mut out = String::from(
        r#"{"miauinv_export":1,"exported_at":0,"items":[],"projects":[],"stock":[],"allocations":[],"movements":[],"tags":[],"locations":["#,
    );
    for n in (0..count).rev() {
        let id = first + n;
        let parent = match n % levels {
            0 => "null".to_string(),
            _ => (id - 1).to_string(),
        };
        if n != count - 1 {
            out.push(',');
        }
        out.push_str(&format!(
            r#"{{"id":{id},"name":"Bench place {id}","parent_id":{parent},"path":""}}"#
        ));
    }
    out.push_str("]}");
    out.into_bytes()
}

/// A ZIP export whose `export.json` holds `items` items with 1,000-character
/// descriptions (46 MiB at 42,000 items), deflated to about a megabyte.
fn large_zip(items: i64) -> Result<Vec<u8>, String> {
    use std::io::Write;
    let text = "x".repeat(1000);
    let mut doc = String::from(
        r#"{"miauinv_export":1,"exported_at":0,"locations":[],"projects":[],"stock":[],"allocations":[],"movements":[],"tags":[],"items":["#,
    );
    for n in 0..items {
        if n > 0 {
            doc.push(',');
        }
        doc.push_str(&format!(
            r#"{{"id":{},"name":"Zip part {n}","description":"{text}","total_quantity":1,"tags":[],"fields":{{}},"barcodes":[]}}"#,
            1_000_000 + n
        ));
    }
    doc.push_str("]}");
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("export.json", options)
        .and_then(|_| zip.write_all(doc.as_bytes()).map_err(Into::into))
        .map_err(|e| format!("building the bench archive: {e}"))?;
    zip.finish()
        .map(|c| c.into_inner())
        .map_err(|e| format!("building the bench archive: {e}"))
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let at = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[at].as_secs_f64() * 1000.0
}

/// Item reads and `/healthz` from `clients` threads until `stop`: (item read
/// latencies sorted, the slowest healthz, failures).
fn reads(
    server: &Proc,
    token: &str,
    clients: usize,
    stop: &AtomicBool,
) -> (Vec<Duration>, f64, usize) {
    let all: Vec<(Vec<Duration>, Duration, usize)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..clients)
            .map(|c| {
                s.spawn(move || {
                    let agent = crate::load::insecure_agent();
                    let (mut took, mut health, mut failed) = (Vec::new(), Duration::ZERO, 0);
                    let mut n = 0;
                    while !stop.load(Ordering::SeqCst) {
                        n += 1;
                        let started = Instant::now();
                        let ok = match (c + n) % 10 {
                            0 => agent.get(format!("{}/healthz", server.base())).call(),
                            _ => agent
                                .get(format!("{}/api/item?id={}", server.base(), 1 + n % 50))
                                .header("Authorization", format!("Bearer {token}"))
                                .call(),
                        }
                        .map(|r| r.status().as_u16() == 200)
                        .unwrap_or(false);
                        let t = started.elapsed();
                        if !ok {
                            failed += 1;
                        }
                        match (c + n) % 10 {
                            0 => health = health.max(t),
                            _ => took.push(t),
                        }
                    }
                    (took, health, failed)
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let mut took: Vec<Duration> = all.iter().flat_map(|a| a.0.iter().copied()).collect();
    took.sort();
    let health = all.iter().map(|a| a.1).max().unwrap_or_default();
    (
        took,
        health.as_secs_f64() * 1000.0,
        all.iter().map(|a| a.2).sum(),
    )
}

fn csv_file(rows: usize) -> Vec<u8> {
    let mut text = String::from("name,total_quantity,sku,tags,location,quantity\n");
    for n in 0..rows {
        text.push_str(&format!(
            "Door part {n},{},DOOR-{n:06},bench,Door hall {} / Shelf {},{}\n",
            n % 100 + 10,
            n % 5,
            n % 10,
            n % 100 + 1
        ));
    }
    text.into_bytes()
}

pub fn run(bench: &mut Bench<'_>, results: &mut Results) -> Result<(), String> {
    let smoke = bench.opts.smoke;
    let server = bench.start(false)?;
    let token = login(&server)?;

    let (count, levels) = if smoke { (640, 16) } else { (64_000, 16) };
    step(&format!(
        "JSON import: {count} locations in chains {levels} levels deep, children first"
    ));
    let forest = reversed_chains(10_000_000, count, levels + 1);
    let (forest_status, forest_took) = import(
        &server,
        &token,
        "format=json&dry_run=true",
        "application/json",
        &forest,
    );
    let chain = reversed_chains(20_000_000, count, count + 1);
    let (chain_status, chain_took) = import(
        &server,
        &token,
        "format=json&dry_run=true",
        "application/json",
        &chain,
    );
    results.notes.push(format!(
        "Import of {count} locations listed child before parent ({:.1} MiB, dry run): in chains {levels} levels deep {} in {:.2} s; as one chain {count} deep {} (refused: deeper than 16) in {:.2} s (target: each under {CHAIN_SECONDS_TARGET} s; 47 s before issue 26)",
        forest.len() as f64 / MIB,
        forest_status,
        forest_took.as_secs_f64(),
        chain_status,
        chain_took.as_secs_f64()
    ));
    if forest_status != 200 || chain_status != 200 {
        return Err(format!(
            "the chain imports answered {forest_status} and {chain_status}:\n{}",
            server.log_tail()
        ));
    }

    let rows = if smoke { 1_000 } else { 100_000 };
    step(&format!(
        "item reads from 8 clients, alone and during a {rows}-row CSV import"
    ));
    let stop = AtomicBool::new(false);
    let (calm, calm_health, _) = std::thread::scope(|s| {
        let h = s.spawn(|| reads(&server, &token, 8, &stop));
        std::thread::sleep(Duration::from_secs(2));
        stop.store(true, Ordering::SeqCst);
        h.join().unwrap_or_default()
    });
    let file = csv_file(rows);
    let stop = AtomicBool::new(false);
    let ((status, took), (busy, busy_health, failed)) = std::thread::scope(|s| {
        let readers = s.spawn(|| reads(&server, &token, 8, &stop));
        let done = import(&server, &token, "format=csv&what=items", "text/csv", &file);
        stop.store(true, Ordering::SeqCst);
        (done, readers.join().unwrap_or_default())
    });
    results.notes.push(format!(
        "Item reads (8 clients) during a {rows}-row CSV import ({:.1} MiB, answered {status} in {:.1} s): p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms over {} reads, slowest /healthz {:.1} ms, {failed} failed; before the import p50 {:.2} ms, p99 {:.2} ms, slowest /healthz {:.1} ms",
        file.len() as f64 / MIB,
        took.as_secs_f64(),
        percentile(&busy, 0.5),
        percentile(&busy, 0.99),
        percentile(&busy, 1.0),
        busy.len(),
        busy_health,
        percentile(&calm, 0.5),
        percentile(&calm, 0.99),
        calm_health,
    ));
    if status != 200 {
        return Err(format!(
            "the CSV import answered {status}:\n{}",
            server.log_tail()
        ));
    }

    let items = if smoke { 1_000 } else { 42_000 };
    step(&format!(
        "eight parallel ZIP imports, each with a {items}-item export.json"
    ));
    let archive = large_zip(items)?;
    std::thread::sleep(Duration::from_millis(300));
    let idle = server.memory_kib()?.0;
    std::fs::write(format!("/proc/{}/clear_refs", server.pid()), "5")
        .map_err(|e| format!("cannot reset the peak resident size: {e}"))?;
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    import(
                        &server,
                        &token,
                        "format=zip&dry_run=true",
                        "application/zip",
                        &archive,
                    )
                    .0
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).collect()
    });
    let peak = server.memory_kib()?.1;
    let ran = statuses.iter().filter(|s| **s == 200).count();
    let busy = statuses.iter().filter(|s| **s == 503).count();
    results.notes.push(format!(
        "Eight parallel ZIP imports ({:.1} MiB each, holding a {:.1} MiB export.json; dry runs): {ran} ran, {busy} answered 503 server_busy; peak resident size {:.1} MiB (idle {:.1} MiB; target under {} MiB, 791 MiB before issue 26)",
        archive.len() as f64 / MIB,
        (items as f64 * 1090.0) / MIB,
        peak as f64 / 1024.0,
        idle as f64 / 1024.0,
        PARALLEL_ZIP_RSS_TARGET_KIB / 1024
    ));
    if ran == 0 || ran + busy != 8 {
        return Err(format!(
            "the parallel ZIP imports answered {statuses:?}:\n{}",
            server.log_tail()
        ));
    }
    server.stop()
}
