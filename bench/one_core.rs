//! `bench/run --one-core`: the low-power profile. The design promises a
//! Raspberry Pi class host, so the server is pinned to one core and the load
//! generator to the other (`taskset`), at 100 000 items and 4 connections,
//! and each row's p99 is judged: a page within 25 ms, an API read within
//! 10 ms. The take/put row is a write and has no target; it is reported.

use crate::load::Proc;
use crate::report::OneCoreRow;
use crate::{Bench, login, seed, step};
use std::process::Command;

const CONNECTIONS: usize = 4;

/// Pins `pid` (every thread of it, `all`) to `cpu`.
fn pin(pid: u32, cpu: usize, all: bool) -> Result<(), String> {
    let mut cmd = Command::new("taskset");
    if all {
        cmd.arg("-a");
    }
    let status = cmd
        .arg("-cp")
        .arg(cpu.to_string())
        .arg(pid.to_string())
        .stdout(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("cannot run taskset: {e}"))?;
    match status.success() {
        true => Ok(()),
        false => Err(format!("taskset could not pin {pid} to cpu {cpu}")),
    }
}

/// What the rows load: label, path, script, and the p99 limit (None: a write,
/// reported only).
const ROWS: [(&str, &str, &str, Option<f64>); 5] = [
    (
        "Dashboard page `GET /dashboard`",
        "/dashboard",
        "get.lua",
        Some(25.0),
    ),
    (
        "Item page `GET /inventory?item=N`",
        "/inventory",
        "item_page.lua",
        Some(25.0),
    ),
    (
        "Quick-find `GET /api/search?q=capacitor`",
        "/api/search?q=capacitor&limit=10",
        "get.lua",
        Some(10.0),
    ),
    (
        "Item read `GET /api/item?id=N`",
        "/api/item",
        "item_by_id.lua",
        Some(10.0),
    ),
    (
        "Take / put `POST /api/stock/consume` + `/count`",
        "/api/stock/consume",
        "take_put.lua",
        None,
    ),
];

/// Runs the rows at the scale table's middle size (100 000 items in a full
/// run), growing the seeded data to it first if needed.
pub fn run(
    bench: &mut Bench<'_>,
    user: &miauinv::auth::session::CurrentUser,
    have: i64,
) -> Result<Vec<OneCoreRow>, String> {
    let items = bench.opts.sizes[1];
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores < 2 {
        return Err("--one-core needs two cores: one for the server, one for wrk".into());
    }
    if have < items {
        step(&format!("growing to {items} items through the library"));
        seed::grow(&bench.db, user, have, items)?;
    }
    // The engine (and so wrk, which it starts) on cpu 1; the server it
    // starts inherits that and is moved, every thread, to cpu 0. Threads the
    // server starts later inherit cpu 0 from the thread that starts them.
    pin(std::process::id(), 1, false)?;
    let server: Proc = bench.start(false)?;
    pin(server.pid(), 0, true)?;
    let token = login(&server)?;
    let mut rows = Vec::new();
    for (label, path, script, limit) in ROWS {
        step(&format!("one core: {label}"));
        let mut w = bench.wrk(script, format!("{}{path}", server.base()), CONNECTIONS);
        w.env = crate::bench_env(&token, items, true);
        w.env.push((
            "BENCH_LOC_A_UNITS".into(),
            (seed::TRANSFER_TOTAL / 2).to_string(),
        ));
        let l = w.run()?;
        crate::require_clean(label, &l)?;
        rows.push(OneCoreRow {
            label: label.to_string(),
            load: l,
            limit_ms: limit,
        });
    }
    server.stop()?;
    // Back to every core for whatever runs next.
    let all = format!("0-{}", cores - 1);
    let _ = Command::new("taskset")
        .args(["-cp", &all, &std::process::id().to_string()])
        .stdout(std::process::Stdio::null())
        .status();
    Ok(rows)
}
