//! The performance table of the user guide (docs/development.md), made from
//! the run that wrote BENCHMARKS.md and put between its markers, so the guide
//! never quotes figures of an older run by hand.

use super::format::{mib, ms, pct, rps};
use super::{Results, find};
use std::fmt::Write;
use std::path::Path;

const START: &str = "<!-- bench/run writes this table: start -->";
const END: &str = "<!-- bench/run writes this table: end -->";

/// The table, with the run it comes from.
pub fn table(r: &Results) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Run of {} (`{}`; {} s loads on {} cores shared with the load generator):\n",
        r.date, r.command, r.seconds, r.machine.cores
    );
    let _ = writeln!(o, "| Figure | Value |");
    let _ = writeln!(o, "|---|---|");
    let base = r.baseline_at(16).map(|l| l.rps()).unwrap_or(0.0);
    for (what, label) in [
        ("`GET /api/item?id=N`", "GET /api/item?id=N"),
        ("`GET /healthz`", "GET /healthz"),
        ("`GET /api/item?limit=50`", "GET /api/item?limit=50"),
        ("`GET /dashboard`", "GET /dashboard"),
    ] {
        if let Some(l) = r.plain(label, 16) {
            let _ = writeln!(
                o,
                "| {what}, 16 connections | {} req/s ({} of bare tiny_http), p99 {} ms |",
                rps(l.rps()),
                pct(l.rps(), base),
                ms(l.p99_ms)
            );
        }
    }
    if let Some(l) = r.plain("POST /api/stock/transfer", 16) {
        let exact = r.transfers.as_ref().is_some_and(|t| t.ok);
        let _ = writeln!(
            o,
            "| Transfers, 16 connections | {} per s, totals {} |",
            rps(l.ok_rps()),
            if exact { "exact" } else { "WRONG" }
        );
    }
    if !r.one_core.is_empty() {
        let worst = |limit: f64| {
            r.one_core
                .iter()
                .filter(|row| row.limit_ms == Some(limit))
                .map(|row| row.load.p99_ms)
                .fold(0.0, f64::max)
        };
        let _ = writeln!(
            o,
            "| One core, {} items, 4 connections: slowest page / API read p99 | {} ms / {} ms |",
            r.one_core_items,
            ms(worst(25.0)),
            ms(worst(10.0))
        );
    }
    if let Some((rss, (anon, file))) = r.static_idle {
        let _ = writeln!(
            o,
            "| Idle, static binary: heap and stacks / resident in all (code pages) | {} / {} ({}) |",
            mib(anon),
            mib(rss),
            mib(file)
        );
    }
    let _ = writeln!(
        o,
        "| Peak resident size under 64 connections | {} |",
        mib(r.peak_hwm_kib)
    );
    for f in &r.floods {
        let _ = writeln!(
            o,
            "| After {} failed logins ({}) / {} s later | {} / {} |",
            f.requests,
            f.label,
            f.idle.as_secs(),
            mib(f.rss_after_kib),
            mib(f.rss_idle_kib)
        );
    }
    if let Some((_, d)) = r.startup.first() {
        let _ = writeln!(
            o,
            "| Start to first 200 | {} ms |",
            ms(d.as_secs_f64() * 1000.0)
        );
    }
    if let (Some(tls), Some(plain)) = (
        find(&r.tls, "GET /api/item?id=N", 16),
        r.plain("GET /api/item?id=N", 16),
    ) {
        let _ = writeln!(
            o,
            "| TLS keep-alive against plain HTTP (item read) | {} |",
            pct(tls.rps(), plain.rps())
        );
    }
    o
}

/// Puts `table` between the markers of `guide`; an error when they are missing.
pub fn write(guide: &Path, table: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(guide)
        .map_err(|e| format!("cannot read {}: {e}", guide.display()))?;
    let (Some(a), Some(b)) = (text.find(START), text.find(END)) else {
        return Err(format!("{} lacks the table's markers", guide.display()));
    };
    let updated = format!("{}{START}\n{table}{}", &text[..a], &text[b..]);
    std::fs::write(guide, updated).map_err(|e| format!("cannot write {}: {e}", guide.display()))
}
