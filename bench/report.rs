//! What a run measured, the targets judged against it, and the Markdown
//! written to BENCHMARKS.md. Every throughput is shown beside the baseline's at
//! the same connection count, as a ratio, because absolute numbers drift
//! between runs and machines. The hand-written analysis (what limits each
//! missed figure, what was fixed) lives in `bench/ANALYSIS.md` and is included.

use crate::load::Load;
use crate::seed::{TRANSFER_TOTAL, TransferLedger};
use std::fmt::Write;
use std::time::Duration;

pub struct Machine {
    pub cores: usize,
    pub memory_mib: u64,
    pub cpu: String,
    pub kernel: String,
    pub load_before: String,
    pub load_after: String,
}

impl Machine {
    pub fn read() -> Machine {
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_kib: u64 = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map(|v| v.trim_start_matches([' ', '\t', ':']).trim().to_string())
            .unwrap_or_else(|| "unknown".into());
        Machine {
            cores: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            memory_mib: memory_kib / 1024,
            cpu,
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .unwrap_or_default()
                .trim()
                .to_string(),
            load_before: Machine::load_average(),
            load_after: String::new(),
        }
    }

    /// The 1-, 5- and 15-minute load averages.
    pub fn load_average() -> String {
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// One wrk run of a named endpoint.
pub struct Measured {
    pub label: String,
    pub load: Load,
}

pub struct ScaleRow {
    pub items: i64,
    pub label: String,
    pub load: Load,
}

/// Resident size around a flood of failed logins (bench/flood.rs).
pub struct FloodRow {
    pub label: String,
    pub requests: usize,
    /// How many answers had each status.
    pub statuses: std::collections::BTreeMap<u16, usize>,
    pub seconds: f64,
    pub rss_before_kib: u64,
    pub rss_after_kib: u64,
    pub rss_idle_kib: u64,
    pub idle: Duration,
}

/// Reads while hostile connections try to hold workers (bench/hostile.rs).
pub struct HostileRow {
    pub opened: usize,
    pub refused: usize,
    pub load: Load,
}

/// The memory target of a flood row, at both points.
const FLOOD_RSS_TARGET_KIB: u64 = 40 * 1024;

/// The transfer benchmark's bookkeeping: units per item must be unchanged, each
/// location must have moved exactly what the movement rows say, and the server
/// must have recorded as many transfers as wrk saw succeed (plus at most one
/// in flight per connection when wrk stopped).
pub struct TransferCheck {
    pub ok: bool,
    pub acknowledged: u64,
    pub recorded: i64,
    pub slack: u64,
    pub units_per_item_kept: bool,
    pub ledger_matches: bool,
    pub stocked_before: i64,
    pub stocked_after: i64,
}

impl TransferCheck {
    pub fn compare(
        before: &TransferLedger,
        after: &TransferLedger,
        acknowledged: u64,
        slack: u64,
        stocked_before: i64,
        stocked_after: i64,
    ) -> TransferCheck {
        let units_per_item_kept = after.stock.iter().all(|&(_, a, b)| a + b == TRANSFER_TOTAL);
        let ledger_matches = before
            .stock
            .iter()
            .zip(&after.stock)
            .zip(before.net_into_a.iter().zip(&after.net_into_a))
            .all(|((&(_, a0, _), &(_, a1, _)), (n0, n1))| a1 - a0 == n1 - n0);
        let recorded = after.movements - before.movements;
        let count_ok = recorded >= acknowledged as i64 && recorded <= (acknowledged + slack) as i64;
        TransferCheck {
            ok: units_per_item_kept
                && ledger_matches
                && count_ok
                && stocked_before == stocked_after,
            acknowledged,
            recorded,
            slack,
            units_per_item_kept,
            ledger_matches,
            stocked_before,
            stocked_after,
        }
    }

    pub fn describe(&self) -> String {
        format!(
            "{} transfers acknowledged to wrk, {} recorded by the server (at most {} may be in flight when wrk stops); \
             units per transfer item {}; per-location stock {} the movement history; units stocked {} before, {} after",
            self.acknowledged,
            self.recorded,
            self.slack,
            if self.units_per_item_kept {
                "unchanged"
            } else {
                "CHANGED"
            },
            if self.ledger_matches {
                "matches"
            } else {
                "DOES NOT MATCH"
            },
            self.stocked_before,
            self.stocked_after
        )
    }
}

pub struct Results {
    pub smoke: bool,
    pub date: String,
    pub command: String,
    pub workers: usize,
    pub seconds: u32,
    pub machine: Machine,
    pub baseline: Vec<Load>,
    pub plain: Vec<Measured>,
    pub tls: Vec<Measured>,
    pub login: Vec<Load>,
    /// (logins, reads) running at the same time.
    pub mixed: Option<(Load, Load)>,
    pub idle_rss_kib: u64,
    /// (anonymous, file-backed) parts of the idle resident size.
    pub idle_split_kib: (u64, u64),
    /// The static binary's idle VmRSS and its (anonymous, file-backed) parts.
    pub static_idle: Option<(u64, (u64, u64))>,
    pub peak_hwm_kib: u64,
    /// (items in the database, time from spawn to the first 200 on /healthz)
    pub startup: Vec<(i64, Duration)>,
    pub startup_tls: Option<Duration>,
    pub binary_bytes: u64,
    pub static_bytes: Option<u64>,
    pub scale: Vec<ScaleRow>,
    pub transfers: Option<TransferCheck>,
    pub floods: Vec<FloodRow>,
    pub hostile: Option<HostileRow>,
    pub notes: Vec<String>,
}

impl Results {
    pub fn new(smoke: bool, command: &str, workers: usize, seconds: u32) -> Results {
        let date = std::process::Command::new("date")
            .args(["-u", "+%Y-%m-%d %H:%M UTC"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default();
        Results {
            smoke,
            date,
            command: command.to_string(),
            workers,
            seconds,
            machine: Machine::read(),
            baseline: Vec::new(),
            plain: Vec::new(),
            tls: Vec::new(),
            login: Vec::new(),
            mixed: None,
            idle_rss_kib: 0,
            idle_split_kib: (0, 0),
            static_idle: None,
            peak_hwm_kib: 0,
            startup: Vec::new(),
            startup_tls: None,
            binary_bytes: 0,
            static_bytes: None,
            scale: Vec::new(),
            transfers: None,
            floods: Vec::new(),
            hostile: None,
            notes: Vec::new(),
        }
    }

    fn baseline_at(&self, connections: usize) -> Option<&Load> {
        self.baseline.iter().find(|l| l.connections == connections)
    }

    fn plain(&self, label: &str, connections: usize) -> Option<&Load> {
        find(&self.plain, label, connections)
    }

    fn scale(&self, items: i64, label: &str, connections: usize) -> Option<&Load> {
        self.scale
            .iter()
            .find(|r| r.items == items && r.label == label && r.load.connections == connections)
            .map(|r| &r.load)
    }

    fn sizes(&self) -> Vec<i64> {
        let mut sizes: Vec<i64> = self.scale.iter().map(|r| r.items).collect();
        sizes.dedup();
        sizes
    }
}

fn find<'a>(rows: &'a [Measured], label: &str, connections: usize) -> Option<&'a Load> {
    rows.iter()
        .find(|m| m.label == label && m.load.connections == connections)
        .map(|m| &m.load)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn rps(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn pct(part: f64, whole: f64) -> String {
    if whole > 0.0 {
        format!("{:.0} %", part / whole * 100.0)
    } else {
        "–".into()
    }
}

fn times(part: f64, whole: f64) -> String {
    if whole > 0.0 {
        format!("{:.1}×", part / whole)
    } else {
        "–".into()
    }
}

/// One judged target.
struct Target {
    goal: String,
    measured: String,
    met: Option<bool>,
}

fn targets(r: &Results) -> Vec<Target> {
    let mut t = Vec::new();
    let mut add = |goal: &str, measured: String, met: Option<bool>| {
        t.push(Target {
            goal: goal.to_string(),
            measured,
            met,
        })
    };
    let c = 16;
    let base = r.baseline_at(c).map(|l| l.rps()).unwrap_or(0.0);
    for (label, share, goal) in [
        (
            "GET /api/item?id=N",
            0.50,
            "Authenticated single-item read ≥ 50 % of the baseline's req/s (16 connections)",
        ),
        (
            "GET /api/item?limit=50",
            0.35,
            "50-item page ≥ 35 % of the baseline's req/s (16 connections)",
        ),
    ] {
        match r.plain(label, c) {
            Some(l) => add(
                goal,
                format!(
                    "{} req/s = {} of {}",
                    rps(l.rps()),
                    pct(l.rps(), base),
                    rps(base)
                ),
                Some(l.rps() >= share * base),
            ),
            None => add(goal, "not measured".into(), None),
        }
    }
    for label in [
        "GET /api/item?id=N",
        "GET /api/item?limit=50",
        "GET /api/stats",
        "GET /api/location?content=true",
    ] {
        let goal = format!("Read p99 < 2 ms at 16 connections: `{label}`");
        match r.plain(label, c) {
            Some(l) => add(
                &goal,
                format!("p99 {} ms", ms(l.p99_ms)),
                Some(l.p99_ms < 2.0),
            ),
            None => add(&goal, "not measured".into(), None),
        }
    }
    match (r.plain("POST /api/stock/transfer", c), &r.transfers) {
        (Some(l), Some(check)) => add(
            "Transfers ≥ 2 000/s (16 connections) without a lost or duplicated unit",
            format!(
                "{} /s; totals {}",
                rps(l.ok_rps()),
                if check.ok { "exact" } else { "WRONG" }
            ),
            Some(l.ok_rps() >= 2000.0 && check.ok),
        ),
        _ => add("Transfers ≥ 2 000/s", "not measured".into(), None),
    }
    match &r.mixed {
        Some((logins, reads)) => add(
            "Reads keep p99 < 5 ms while logins run flat out",
            format!(
                "read p99 {} ms at {} req/s while {} logins/s ran",
                ms(reads.p99_ms),
                rps(reads.rps()),
                rps(logins.ok_rps())
            ),
            Some(reads.p99_ms < 5.0),
        ),
        None => add(
            "Reads keep p99 < 5 ms while logins run flat out",
            "not measured".into(),
            None,
        ),
    }
    // Judged on the static binary when there is one: it is what a container
    // or a single-binary install runs.
    match r.static_idle {
        Some((rss, (anon, file))) => add(
            "Idle resident size ≤ 8 MiB (static binary)",
            format!(
                "{} ({} anonymous, {} code pages); release binary with shared libc: {}",
                mib(rss),
                mib(anon),
                mib(file),
                mib(r.idle_rss_kib)
            ),
            Some(rss <= 8 * 1024),
        ),
        None => add(
            "Idle resident size ≤ 8 MiB",
            mib(r.idle_rss_kib),
            Some(r.idle_rss_kib <= 8 * 1024),
        ),
    }
    match &r.hostile {
        Some(h) => add(
            "Reads keep p99 < 10 ms with 200 hostile connections open (100-continue without body, stalled bodies, unread pipelines)",
            format!(
                "read p99 {} ms at {} req/s beside {} hostile connections ({} refused)",
                ms(h.load.p99_ms),
                rps(h.load.rps()),
                h.opened,
                h.refused
            ),
            Some(h.load.p99_ms < 10.0 && h.opened >= 200),
        ),
        None => add(
            "Reads keep p99 < 10 ms with 200 hostile connections open",
            "not measured".into(),
            None,
        ),
    }
    for f in &r.floods {
        add(
            &format!(
                "Resident size ≤ 40 MiB after {} failed logins ({}) and after {} s idle",
                f.requests,
                f.label,
                f.idle.as_secs()
            ),
            format!(
                "{} after, {} idle",
                mib(f.rss_after_kib),
                mib(f.rss_idle_kib)
            ),
            Some(f.rss_after_kib.max(f.rss_idle_kib) <= FLOOD_RSS_TARGET_KIB),
        );
    }
    add(
        "Peak resident size under the 64-connection load ≤ 32 MiB",
        mib(r.peak_hwm_kib),
        Some(r.peak_hwm_kib <= 32 * 1024),
    );
    match r.static_bytes {
        Some(b) => add(
            "Static binary ≤ 15 MiB",
            mib(b / 1024),
            Some(b <= 15 * 1024 * 1024),
        ),
        None => add(
            "Static binary ≤ 15 MiB",
            format!(
                "no static build in this run (release binary {})",
                mib(r.binary_bytes / 1024)
            ),
            None,
        ),
    }
    if let Some((items, d)) = r.startup.first() {
        let ms_ = d.as_secs_f64() * 1000.0;
        add(
            "First 200 from /healthz within 100 ms of start",
            format!("{} ms ({items} items)", ms(ms_)),
            Some(ms_ <= 100.0),
        );
    }
    let sizes = r.sizes();
    if let (Some(&small), Some(&large)) = (sizes.first(), sizes.last()) {
        for label in ["page 1 (limit=50)", "middle page (cursor)"] {
            let goal = format!("Paging at {large} items within 2× of {small} items: {label}");
            match (r.scale(small, label, 1), r.scale(large, label, 1)) {
                (Some(a), Some(b)) => add(
                    &goal,
                    format!(
                        "p50 {} ms vs {} ms = {}",
                        ms(b.p50_ms),
                        ms(a.p50_ms),
                        times(b.p50_ms, a.p50_ms)
                    ),
                    Some(b.p50_ms <= 2.0 * a.p50_ms),
                ),
                _ => add(&goal, "not measured".into(), None),
            }
        }
    }
    if let Some(&medium) = sizes.get(1) {
        let goal = format!("`/api/stats` ≤ 20 ms at {medium} items");
        match r.scale(medium, "GET /api/stats", 1) {
            Some(l) => add(
                &goal,
                format!("p50 {} ms, p99 {} ms", ms(l.p50_ms), ms(l.p99_ms)),
                Some(l.p50_ms <= 20.0),
            ),
            None => add(&goal, "not measured".into(), None),
        }
    }
    for label in ["GET /api/item?id=N", "GET /healthz"] {
        let goal = format!("TLS keep-alive ≥ 70 % of plain HTTP (16 connections): `{label}`");
        match (find(&r.tls, label, c), r.plain(label, c)) {
            (Some(tls), Some(plain)) => add(
                &goal,
                format!(
                    "{} vs {} req/s = {}",
                    rps(tls.rps()),
                    rps(plain.rps()),
                    pct(tls.rps(), plain.rps())
                ),
                Some(tls.rps() >= 0.7 * plain.rps()),
            ),
            _ => add(
                &goal,
                "not measured (no native TLS in this build)".into(),
                None,
            ),
        }
    }
    t
}

fn verdict(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "met",
        Some(false) => "**missed**",
        None => "not measured",
    }
}

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
         allocations), `db::movements::record` inside `db::write` transactions); 50 locations, 20 projects, \
         1–3 stock rows per item, one item in four allocated. The step to the largest size uses bulk `INSERT … SELECT` into the same schema."
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
            "| Resident size idle, static binary (anonymous / code pages) | {} ({} / {}) |",
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
