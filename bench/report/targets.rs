//! The issues' targets, each judged against a run: what was promised, what was
//! measured, and whether it was met (`None` when the run could not measure it).

use super::format::{mib, ms, pct, rps, times};
use super::{FLOOD_IDLE_TARGET_KIB, FLOOD_RSS_TARGET_KIB, Results, find};

/// One judged target.
pub struct Target {
    pub goal: String,
    pub measured: String,
    pub met: Option<bool>,
}

pub fn targets(r: &Results) -> Vec<Target> {
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
    // Issue 29's shares (the round before asked 50 % and 35 %, which stay
    // the goal; bench/ANALYSIS.md says what stands between).
    for (label, share, goal) in [
        (
            "GET /api/item?id=N",
            0.40,
            "Authenticated single-item read ≥ 40 % of the baseline's req/s (16 connections; 50 % the goal)",
        ),
        (
            "GET /healthz",
            0.60,
            "`/healthz` ≥ 60 % of the baseline's req/s (16 connections)",
        ),
        (
            "GET /api/item?limit=50",
            0.20,
            "50-item page ≥ 20 % of the baseline's req/s (16 connections; 35 % the goal)",
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
    // What is the server's own: heap and stacks. The code pages start-up
    // touches are clean, shared and dropped first under memory pressure;
    // they are reported beside it.
    match r.static_idle {
        Some((rss, (anon, file))) => add(
            "Idle anonymous memory (heap, stacks) ≤ 4 MiB (static binary)",
            format!(
                "{} anonymous; resident in all {} ({} of code pages touched); release binary with shared libc: {} ({} anonymous)",
                mib(anon),
                mib(rss),
                mib(file),
                mib(r.idle_rss_kib),
                mib(r.idle_split_kib.0)
            ),
            Some(anon <= 4 * 1024),
        ),
        None => add(
            "Idle anonymous memory (heap, stacks) ≤ 4 MiB",
            format!(
                "{} anonymous; resident in all {}",
                mib(r.idle_split_kib.0),
                mib(r.idle_rss_kib)
            ),
            Some(r.idle_split_kib.0 <= 4 * 1024),
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
                "Resident size ≤ 40 MiB after {} failed logins ({}), and < 30 MiB after {} s idle",
                f.requests,
                f.label,
                f.idle.as_secs()
            ),
            format!(
                "{} after, {} idle",
                mib(f.rss_after_kib),
                mib(f.rss_idle_kib)
            ),
            Some(f.rss_after_kib <= FLOOD_RSS_TARGET_KIB && f.rss_idle_kib < FLOOD_IDLE_TARGET_KIB),
        );
    }
    for row in &r.one_core {
        if let Some(limit) = row.limit_ms {
            add(
                &format!(
                    "One core, {} items, 4 connections: {} p99 ≤ {limit} ms",
                    r.one_core_items, row.label
                ),
                format!(
                    "p99 {} ms at {} req/s",
                    ms(row.load.p99_ms),
                    rps(row.load.rps())
                ),
                Some(row.load.p99_ms <= limit && row.load.status_errors == 0),
            );
        }
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
        for label in [
            "page 1 (limit=50)",
            "middle page (cursor)",
            "location contents, page (limit=50)",
        ] {
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
    if let Some(&large) = sizes.last() {
        let label = "quick-find (GET /api/search?q=capacitor)";
        let goal = format!("`GET /api/search` p99 ≤ 20 ms at {large} items (16 connections)");
        match r.scale(large, label, 16) {
            Some(l) => add(
                &goal,
                format!("p99 {} ms at {} req/s", ms(l.p99_ms), rps(l.rps())),
                Some(l.p99_ms <= 20.0),
            ),
            None => add(&goal, "not measured".into(), None),
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
    for (goal, measured, met) in crate::uploads::targets(r.uploads.as_ref()) {
        add(&goal, measured, met);
    }
    super::pages::targets(r, &mut t);
    t
}
