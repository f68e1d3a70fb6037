//! The Markdown of BENCHMARKS.md, section by section, and the one-paragraph
//! summary printed at the end of a run.

use super::format::{mib, ms, pct, rps, times, verdict};
use super::targets::targets;
use super::{Measured, Results};
use std::fmt::Write;

fn load_table(out: &mut String, r: &Results, rows: &[Measured], against_plain: bool) {
    let _ = writeln!(
        out,
        "| Endpoint | Conns | req/s | vs {} | p50 ms | p99 ms | p99 vs {} | non-2xx |",
        if against_plain { "plain" } else { "baseline" },
        if against_plain { "plain" } else { "baseline" },
    );
    let _ = writeln!(out, "|---|--:|--:|--:|--:|--:|--:|--:|");
    for m in rows {
        let l = &m.load;
        let reference = if against_plain {
            r.plain(&m.label, l.connections)
        } else {
            r.baseline_at(l.connections)
        };
        let (share, p99x) = match reference {
            Some(b) => (pct(l.rps(), b.rps()), times(l.p99_ms, b.p99_ms)),
            None => ("–".into(), "–".into()),
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} | {} | {} |",
            m.label,
            l.connections,
            rps(l.rps()),
            share,
            ms(l.p50_ms),
            ms(l.p99_ms),
            p99x,
            l.status_errors
        );
    }
}

pub fn render(r: &Results) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# MiauInv benchmarks\n");
    if r.smoke {
        let _ = writeln!(
            o,
            "**Smoke run** (debug build, tiny data, {} s loads): checks that the harness works; the figures mean nothing.\n",
            r.seconds
        );
    }
    let m = &r.machine;
    let _ = writeln!(o, "- Date: {}", r.date);
    let _ = writeln!(
        o,
        "- Machine: {} cores ({}), {} MiB memory, Linux {}",
        m.cores, m.cpu, m.memory_mib, m.kernel
    );
    let _ = writeln!(
        o,
        "- Load average (1/5/15 min) before the run: {}; after: {}",
        m.load_before, m.load_after
    );
    let _ = writeln!(o, "- Command: `{}`", r.command);
    let _ = writeln!(
        o,
        "- Server: {} workers, `tls: false` unless stated, bcrypt cost {}; load generator `wrk` on the same machine \
         (1 thread for 1 connection, else 2), keep-alive, {} s per row; baseline = `bench/baseline.rs` (bare tiny_http, same worker count, fixed JSON body).",
        r.workers,
        if r.smoke { 4 } else { 12 },
        r.seconds
    );
    let _ = writeln!(
        o,
        "- Data: seeded through MiauInv's library functions (`db::items::insert`, `db::placement::insert` (stock and \
         allocations), `db::movements::record` inside `db::write` transactions); {} locations, {} projects, \
         1–3 stock rows per item, one item in four allocated. The step to the largest size uses bulk `INSERT … SELECT` into the same schema.",
        crate::seed::LOCATIONS,
        crate::seed::PROJECTS
    );
    for n in &r.notes {
        let _ = writeln!(o, "- Note: {n}");
    }

    if !r.smoke {
        let _ = writeln!(o, "\n## Targets\n");
        let _ = writeln!(o, "| Target | Measured | Verdict |");
        let _ = writeln!(o, "|---|---|---|");
        for t in targets(r) {
            let _ = writeln!(o, "| {} | {} | {} |", t.goal, t.measured, verdict(t.met));
        }
    }

    let items = r.sizes().first().copied().unwrap_or(0);
    let _ = writeln!(
        o,
        "\n## Endpoints ({items} items, plain HTTP) beside the baseline\n"
    );
    let _ = writeln!(o, "| Baseline | Conns | req/s | p50 ms | p99 ms |");
    let _ = writeln!(o, "|---|--:|--:|--:|--:|");
    for b in &r.baseline {
        let _ = writeln!(
            o,
            "| bare tiny_http | {} | {} | {} | {} |",
            b.connections,
            rps(b.rps()),
            ms(b.p50_ms),
            ms(b.p99_ms)
        );
    }
    let _ = writeln!(o);
    let mut rows: Vec<&Measured> = r.plain.iter().collect();
    rows.sort_by_key(|m| {
        (
            r.plain.iter().position(|x| x.label == m.label).unwrap_or(0),
            m.load.connections,
        )
    });
    let sorted: Vec<Measured> = rows
        .into_iter()
        .map(|m| Measured {
            label: m.label.clone(),
            load: m.load.clone(),
        })
        .collect();
    load_table(&mut o, r, &sorted, false);
    if let Some(check) = &r.transfers {
        let _ = writeln!(
            o,
            "\nTransfer totals after the runs: **{}** — {}.",
            if check.ok { "exact" } else { "WRONG" },
            check.describe()
        );
    }

    let _ = writeln!(o, "\n## Logins (bcrypt-bound)\n");
    if let Some(first) = r.login.first() {
        let _ = writeln!(
            o,
            "Each login row runs {:.0} s (at least 10 s in a full run: a login waits its turn \
             for the bcrypt gate, ~250 ms per hash alone and seconds beside a full read load).\n",
            first.seconds
        );
    }
    let _ = writeln!(
        o,
        "| Load | Conns | logins/s (200) | refused (503/429) | p50 ms | p99 ms |"
    );
    let _ = writeln!(o, "|---|--:|--:|--:|--:|--:|");
    for l in &r.login {
        let _ = writeln!(
            o,
            "| `POST /api/login` alone | {} | {} | {} | {} | {} |",
            l.connections,
            rps(l.ok_rps()),
            l.status_errors,
            ms(l.p50_ms),
            ms(l.p99_ms)
        );
    }
    if let Some((logins, reads)) = &r.mixed {
        let _ = writeln!(
            o,
            "| `POST /api/login` beside reads | {} | {} | {} | {} | {} |",
            logins.connections,
            rps(logins.ok_rps()),
            logins.status_errors,
            ms(logins.p50_ms),
            ms(logins.p99_ms)
        );
        let alone = r.plain("GET /api/item?id=N", reads.connections);
        let _ = writeln!(
            o,
            "\nReads (`GET /api/item?id=N`, {} connections) while logins ran flat out: {} req/s, p50 {} ms, p99 {} ms{}.",
            reads.connections,
            rps(reads.rps()),
            ms(reads.p50_ms),
            ms(reads.p99_ms),
            alone
                .map(|a| format!(" (alone: {} req/s, p99 {} ms)", rps(a.rps()), ms(a.p99_ms)))
                .unwrap_or_default()
        );
    }

    if !r.floods.is_empty() {
        let _ = writeln!(o, "\n## Memory under a flood of failed logins\n");
        let _ = writeln!(
            o,
            "A fresh server (bcrypt cost 4: the rows measure memory, not hashing); each login from a client of its own \
             (`X-Forwarded-For` from the trusted proxy), over {} keep-alive connections.\n",
            crate::flood::CONNECTIONS
        );
        let _ = writeln!(
            o,
            "| Flood | Logins | Answers | Time | RSS before | RSS after | RSS after idle |"
        );
        let _ = writeln!(o, "|---|--:|---|--:|--:|--:|--:|");
        for f in &r.floods {
            let answers: Vec<String> = f
                .statuses
                .iter()
                .map(|(s, n)| format!("{n}× {s}"))
                .collect();
            let _ = writeln!(
                o,
                "| {} | {} | {} | {:.1} s | {} | {} | {} ({} s) |",
                f.label,
                f.requests,
                answers.join(", "),
                f.seconds,
                mib(f.rss_before_kib),
                mib(f.rss_after_kib),
                mib(f.rss_idle_kib),
                f.idle.as_secs()
            );
        }
    }

    let _ = writeln!(o, "\n## Memory, size, start-up\n");
    let _ = writeln!(o, "| Figure | Value |");
    let _ = writeln!(o, "|---|--:|");
    let _ = writeln!(
        o,
        "| Resident size idle after start (VmRSS) | {} |",
        mib(r.idle_rss_kib)
    );
    let _ = writeln!(
        o,
        "| … of which anonymous (heap, stacks) / file-backed (code pages of the binary and libc) | {} / {} |",
        mib(r.idle_split_kib.0),
        mib(r.idle_split_kib.1)
    );
    if let Some((rss, (anon, file))) = r.static_idle {
        let _ = writeln!(
            o,
            "| Resident size idle after start, static binary (anonymous / code pages) | {} ({} / {}) |",
            mib(rss),
            mib(anon),
            mib(file)
        );
    }
    let _ = writeln!(
        o,
        "| Peak resident size after the 64-connection loads (VmHWM) | {} |",
        mib(r.peak_hwm_kib)
    );
    let _ = writeln!(
        o,
        "| {} | {} |",
        if r.smoke {
            "Debug binary (`target/debug/miauinv`)"
        } else {
            "Release binary (`target/release/miauinv`, stripped)"
        },
        mib(r.binary_bytes / 1024)
    );
    match r.static_bytes {
        Some(b) => {
            let _ = writeln!(
                o,
                "| Static binary (`scripts/build-static`) | {} |",
                mib(b / 1024)
            );
        }
        None => {
            let _ = writeln!(o, "| Static binary | not built in this run |");
        }
    }
    for (items, d) in &r.startup {
        let _ = writeln!(
            o,
            "| Start to first 200 on `/healthz`, {items} items | {} ms |",
            ms(d.as_secs_f64() * 1000.0)
        );
    }
    if let Some(d) = r.startup_tls {
        let _ = writeln!(
            o,
            "| Start to first 200 over TLS (first start generates the certificate) | {} ms |",
            ms(d.as_secs_f64() * 1000.0)
        );
    }

    if !r.one_core.is_empty() {
        let _ = writeln!(
            o,
            "\n## One core (the low-power profile)\n\nThe server pinned to one core and wrk to the other (`taskset`), {} items, 4 connections, {} s per row.\n",
            r.one_core_items, r.seconds
        );
        let _ = writeln!(o, "| Row | req/s | p50 ms | p99 ms | p99 limit | non-2xx |");
        let _ = writeln!(o, "|---|--:|--:|--:|--:|--:|");
        for row in &r.one_core {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} |",
                row.label,
                rps(row.load.rps()),
                ms(row.load.p50_ms),
                ms(row.load.p99_ms),
                row.limit_ms.map_or("—".to_string(), |l| format!("{l} ms")),
                row.load.status_errors
            );
        }
    }

    let _ = writeln!(o, "\n## TLS (native rustls) against plain HTTP\n");
    if r.tls.is_empty() {
        let _ = writeln!(o, "Not measured: this build has no native TLS.");
    } else {
        load_table(&mut o, r, &r.tls, true);
    }

    let _ = writeln!(
        o,
        "\n## Scale: paging, search and stats as the inventory grows\n"
    );
    let sizes = r.sizes();
    let _ = write!(o, "| Query | Conns |");
    for s in &sizes {
        let _ = write!(o, " {s} items: req/s, p50 / p99 ms |");
    }
    let _ = writeln!(o, " growth of p50, smallest → largest |");
    let _ = write!(o, "|---|--:|");
    for _ in &sizes {
        let _ = write!(o, "--:|");
    }
    let _ = writeln!(o, "--:|");
    let mut seen: Vec<(String, usize)> = Vec::new();
    for row in &r.scale {
        let key = (row.label.clone(), row.load.connections);
        if seen.contains(&key) {
            continue;
        }
        seen.push(key.clone());
        let _ = write!(o, "| {} | {} |", key.0, key.1);
        for s in &sizes {
            match r.scale(*s, &key.0, key.1) {
                Some(l) => {
                    let _ = write!(
                        o,
                        " {}, {} / {} |",
                        rps(l.rps()),
                        ms(l.p50_ms),
                        ms(l.p99_ms)
                    );
                }
                None => {
                    let _ = write!(o, " – |");
                }
            }
        }
        let growth = match (
            sizes.first().and_then(|s| r.scale(*s, &key.0, key.1)),
            sizes.last().and_then(|s| r.scale(*s, &key.0, key.1)),
        ) {
            (Some(a), Some(b)) => times(b.p50_ms, a.p50_ms),
            _ => "–".into(),
        };
        let _ = writeln!(o, " {growth} |");
    }

    super::pages::render(&mut o, r);

    if !r.smoke {
        let analysis = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/ANALYSIS.md"),
        )
        .unwrap_or_default();
        if !analysis.trim().is_empty() {
            let _ = writeln!(o, "\n{}", analysis.trim_end());
        }
    }
    o
}

/// A few lines for the terminal.
pub fn summary(r: &Results) -> String {
    let mut o = String::new();
    let c = if r.smoke { 4 } else { 16 };
    if let Some(b) = r.baseline_at(c) {
        let _ = writeln!(o, "baseline {} req/s at {c} connections", rps(b.rps()));
    }
    for m in r.plain.iter().filter(|m| m.load.connections == c) {
        let _ = writeln!(
            o,
            "{:<34} {:>9} req/s  p99 {:>7} ms",
            m.label,
            rps(m.load.rps()),
            ms(m.load.p99_ms)
        );
    }
    let _ = writeln!(
        o,
        "idle {}  peak {}  start {} ms",
        mib(r.idle_rss_kib),
        mib(r.peak_hwm_kib),
        r.startup
            .first()
            .map(|(_, d)| ms(d.as_secs_f64() * 1000.0))
            .unwrap_or_default()
    );
    for f in &r.floods {
        let _ = writeln!(
            o,
            "flood {}: {} logins, {} before, {} after, {} after {} s idle",
            f.label,
            f.requests,
            mib(f.rss_before_kib),
            mib(f.rss_after_kib),
            mib(f.rss_idle_kib),
            f.idle.as_secs()
        );
    }
    if !r.smoke {
        for t in targets(r) {
            let _ = writeln!(o, "[{}] {} — {}", verdict(t.met), t.goal, t.measured);
        }
    }
    o
}
