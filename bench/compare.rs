//! `bench/run --compare REV`: the A/B gate. Two builds (REV's, cached by
//! commit by `bench/run`, and the work tree's) run side by side, each on an
//! appdata of its own seeded the same way through the public API (so a
//! REV with an older schema seeds just as well), and the headline rows are
//! loaded alternately, A then B, then B then A, for `rounds` rounds. Each
//! row's figure is the median over the rounds of B / A; a row worse than
//! A by more than the noise floor fails the run (exit 1).
//!
//! The noise floor was measured by comparing a build against itself
//! (`bench/run --compare HEAD` on a clean tree); bench/ANALYSIS.md has the
//! runs, and `FLOOR_*` below are what they gave, rounded up.

use crate::load::{self, Load, Proc, Wrk};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Throughput rows: B may be this much slower than A before the gate fails.
pub const FLOOR_SPEED: f64 = 0.10;
/// Memory rows: B may hold this much more than A before the gate fails.
pub const FLOOR_MEMORY: f64 = 0.06;

const USER: &str = "bench";
const PASSWORD: &str = "bench-password-123";
/// What each side is seeded with (through the API).
const ITEMS: i64 = 500;
const LOCATIONS: i64 = 20;
/// Items 1..=TRANSFER_ITEMS are stocked at locations 1 and 2 with plenty, so
/// a transfer never runs out.
const TRANSFER_ITEMS: i64 = 20;
const CONNECTIONS: usize = 16;
/// The connections of the load that drives the peak resident size.
const PEAK_CONNECTIONS: usize = 64;

pub struct Compare {
    /// A: the reference build (REV).
    pub reference: PathBuf,
    pub reference_label: String,
    /// B: the build under test (the work tree).
    pub candidate: PathBuf,
    pub rounds: usize,
    pub seconds: u32,
    pub lua_dir: PathBuf,
    pub out: Option<PathBuf>,
}

/// A headline row: its name, and how it is loaded.
struct Row {
    label: &'static str,
    path: &'static str,
    script: &'static str,
}

const ROWS: [Row; 4] = [
    Row {
        label: "Item read `GET /api/item?id=N`",
        path: "/api/item",
        script: "item_by_id.lua",
    },
    Row {
        label: "50-item page `GET /api/item?limit=50`",
        path: "/api/item?limit=50",
        script: "get.lua",
    },
    Row {
        label: "Dashboard `GET /dashboard`",
        path: "/dashboard",
        script: "get.lua",
    },
    Row {
        label: "Transfer `POST /api/stock/transfer`",
        path: "/api/stock/transfer",
        script: "transfer.lua",
    },
];

/// One side's figures of one round.
#[derive(Default, Clone)]
struct Round {
    /// req/s per row of `ROWS`, and their p99.
    rps: Vec<f64>,
    p99: Vec<f64>,
    idle_anon_kib: u64,
    idle_rss_kib: u64,
    peak_kib: u64,
}

/// A side running: its server, token and directory.
struct Running {
    proc: Proc,
    token: String,
}

pub fn run(c: &Compare) -> Result<bool, String> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let sides = [&c.reference, &c.candidate];
    let mut rounds: [Vec<Round>; 2] = [Vec::new(), Vec::new()];
    for round in 0..c.rounds {
        eprintln!("compare: round {} of {}", round + 1, c.rounds);
        // A then B in even rounds, B then A in odd ones: a drift of the
        // machine during a round weighs on both alike.
        let order: [usize; 2] = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        let mut running: [Option<Running>; 2] = [None, None];
        let mut figures = [Round::default(), Round::default()];
        for &side in &order {
            let dir = tmp.path().join(format!("r{round}-{side}"));
            running[side] = Some(start_seeded(sides[side], &dir)?);
        }
        for &side in &order {
            let r = running[side].as_ref().expect("started above");
            let (rss, _) = r.proc.memory_kib()?;
            let (anon, _) = r.proc.resident_split_kib()?;
            figures[side].idle_rss_kib = rss;
            figures[side].idle_anon_kib = anon;
        }
        for row in &ROWS {
            for &side in &order {
                let r = running[side].as_ref().expect("started above");
                eprintln!("compare: {} on {}", row.label, name(c, side));
                let l = wrk(c, r, row, CONNECTIONS).run()?;
                clean(row.label, &l)?;
                figures[side].rps.push(l.ok_rps());
                figures[side].p99.push(l.p99_ms);
            }
        }
        for &side in &order {
            let r = running[side].as_ref().expect("started above");
            let l = wrk(c, r, &ROWS[0], PEAK_CONNECTIONS).run()?;
            clean("peak load", &l)?;
            figures[side].peak_kib = r.proc.memory_kib()?.1;
        }
        for (side, f) in figures.into_iter().enumerate() {
            rounds[side].push(f);
        }
        drop(running);
    }
    let (table, pass) = verdict(c, &rounds);
    println!("{table}");
    if let Some(out) = &c.out {
        std::fs::write(out, &table).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    }
    Ok(pass)
}

fn name(c: &Compare, side: usize) -> &str {
    match side {
        0 => &c.reference_label,
        _ => "work tree",
    }
}

fn wrk<'a>(c: &'a Compare, r: &Running, row: &Row, connections: usize) -> Wrk<'a> {
    Wrk {
        lua_dir: &c.lua_dir,
        script: row.script,
        url: format!("{}{}", r.proc.base(), row.path),
        connections,
        seconds: c.seconds,
        env: vec![
            ("BENCH_TOKEN".into(), r.token.clone()),
            ("BENCH_ITEMS".into(), ITEMS.to_string()),
            ("BENCH_TRANSFER_ITEMS".into(), TRANSFER_ITEMS.to_string()),
            ("BENCH_LOC_A".into(), "1".into()),
            ("BENCH_LOC_B".into(), "2".into()),
        ],
    }
}

fn clean(what: &str, l: &Load) -> Result<(), String> {
    if l.requests == 0 || l.status_errors > 0 || l.socket_errors > 0 {
        return Err(format!(
            "{what}: {} requests, {} not 2xx/3xx, {} socket errors",
            l.requests, l.status_errors, l.socket_errors
        ));
    }
    Ok(())
}

/// Starts `bin` on a fresh appdata in `dir`, seeds it through the API and
/// restarts it, so that its idle figures are those of a server that has
/// only started (the seeding's allocations are gone with the first process).
fn start_seeded(bin: &Path, dir: &Path) -> Result<Running, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let config = dir.join("config.yaml");
    let yaml = format!(
        "port: 0\nbind_address: 127.0.0.1\ndatabase_path: {db}\ncertificate_path: {d}/cert.pem\n\
         private_key_path: {d}/key.pem\nallow_registration: true\ntls: false\n\
         trusted_proxies: [\"127.0.0.1\"]\nworkers: 16\nbcrypt_cost: 4\n\
         max_connections_per_client: 1000\nbackup_interval_hours: 0\n",
        db = dir.join("database.db").display(),
        d = dir.display(),
    );
    std::fs::write(&config, yaml).map_err(|e| e.to_string())?;
    let first = load::start_miauinv(
        bin,
        &config,
        load::free_port()?,
        false,
        &dir.join("seed.log"),
    )?;
    seed(&first)?;
    first.stop()?;
    let proc = load::start_miauinv(
        bin,
        &config,
        load::free_port()?,
        false,
        &dir.join("serve.log"),
    )?;
    // A moment of rest: start-up's threads settle before the idle reading.
    std::thread::sleep(Duration::from_millis(500));
    let token = login(&proc)?;
    Ok(Running { proc, token })
}

fn login(proc: &Proc) -> Result<String, String> {
    let (status, body) = send(proc, "", "POST", "/api/login", json_login())?;
    body["access_token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("login answered {status}: {body}"))
}

fn json_login() -> serde_json::Value {
    serde_json::json!({"username": USER, "password": PASSWORD})
}

/// The first account (an admin), locations, items and their stock.
fn seed(proc: &Proc) -> Result<(), String> {
    let (status, body) = send(proc, "", "POST", "/api/register", json_login())?;
    if status != 201 && status != 200 {
        return Err(format!("register answered {status}: {body}"));
    }
    let token = login(proc)?;
    let must = |method: &str, path: &str, body: serde_json::Value| -> Result<i64, String> {
        let (status, answer) = send(proc, &token, method, path, body)?;
        match status {
            200 | 201 => Ok(answer["id"].as_i64().unwrap_or(0)),
            s => Err(format!("{method} {path} answered {s}: {answer}")),
        }
    };
    for n in 1..=LOCATIONS {
        must(
            "POST",
            "/api/location",
            serde_json::json!({"name": format!("Shelf {n}")}),
        )?;
    }
    for n in 1..=ITEMS {
        let places: &[(i64, i64)] = if n <= TRANSFER_ITEMS {
            &[(1, 500_000), (2, 500_000)]
        } else {
            &[(n % LOCATIONS + 1, n % 50 + 1)]
        };
        let total: i64 = places.iter().map(|(_, q)| q).sum();
        let id = must(
            "POST",
            "/api/item",
            serde_json::json!({
                "name": format!("Part {n}"),
                "description": "A part on a shelf.",
                "total_quantity": total,
            }),
        )?;
        for &(location, quantity) in places {
            must(
                "POST",
                "/api/stock",
                serde_json::json!({"item_id": id, "location_id": location, "quantity": quantity}),
            )?;
        }
    }
    Ok(())
}

fn send(
    proc: &Proc,
    token: &str,
    method: &str,
    path: &str,
    body: serde_json::Value,
) -> Result<(u16, serde_json::Value), String> {
    let agent = load::insecure_agent();
    let url = format!("{}{path}", proc.base());
    let mut request = ureq::http::Request::builder().method(method).uri(&url);
    if !token.is_empty() {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    let request = request
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .map_err(|e| e.to_string())?;
    let mut resp = agent
        .run(request)
        .map_err(|e| format!("{method} {path} failed: {e}"))?;
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    Ok((status, serde_json::from_str(&text).unwrap_or_default()))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// The table, and whether every headline row is within the noise floor.
fn verdict(c: &Compare, rounds: &[Vec<Round>; 2]) -> (String, bool) {
    let mut t = String::new();
    let mut pass = true;
    let _ = writeln!(
        t,
        "A/B: A = {}, B = the work tree; {} rounds of {} s per row, alternating; median of B/A per round\n",
        c.reference_label, c.rounds, c.seconds
    );
    let _ = writeln!(
        t,
        "| Row | A (median) | B (median) | B/A per round | median B/A | verdict |"
    );
    let _ = writeln!(t, "|---|--:|--:|---|--:|---|");
    let mut row = |label: &str, unit: &str, a: Vec<f64>, b: Vec<f64>, higher_is_better: bool| {
        let ratios: Vec<f64> = a.iter().zip(&b).map(|(a, b)| b / a).collect();
        let m = median(ratios.clone());
        let ok = match higher_is_better {
            true => m >= 1.0 - FLOOR_SPEED,
            false => m <= 1.0 + FLOOR_MEMORY,
        };
        pass &= ok;
        let per: Vec<String> = ratios.iter().map(|r| format!("{r:.3}")).collect();
        let _ = writeln!(
            t,
            "| {label} | {:.1} {unit} | {:.1} {unit} | {} | **{m:.3}** | {} |",
            median(a),
            median(b),
            per.join(", "),
            if ok { "ok" } else { "WORSE" }
        );
    };
    let side = |s: usize, f: &dyn Fn(&Round) -> f64| rounds[s].iter().map(f).collect::<Vec<f64>>();
    for (n, r) in ROWS.iter().enumerate() {
        row(
            &format!("{} (16 connections)", r.label),
            "req/s",
            side(0, &|x| x.rps[n]),
            side(1, &|x| x.rps[n]),
            true,
        );
    }
    let mib = |k: u64| k as f64 / 1024.0;
    row(
        "Idle anonymous memory (heap, stacks)",
        "MiB",
        side(0, &|x| mib(x.idle_anon_kib)),
        side(1, &|x| mib(x.idle_anon_kib)),
        false,
    );
    row(
        "Idle resident size",
        "MiB",
        side(0, &|x| mib(x.idle_rss_kib)),
        side(1, &|x| mib(x.idle_rss_kib)),
        false,
    );
    row(
        "Peak resident size (after 64 connections)",
        "MiB",
        side(0, &|x| mib(x.peak_kib)),
        side(1, &|x| mib(x.peak_kib)),
        false,
    );
    let _ = writeln!(t, "\np99 (ms), median over rounds:\n");
    let _ = writeln!(t, "| Row | A | B |");
    let _ = writeln!(t, "|---|--:|--:|");
    for (n, r) in ROWS.iter().enumerate() {
        let _ = writeln!(
            t,
            "| {} | {:.2} | {:.2} |",
            r.label,
            median(side(0, &|x| x.p99[n])),
            median(side(1, &|x| x.p99[n]))
        );
    }
    let _ = writeln!(
        t,
        "\nNoise floor: {:.0} % for speed, {:.0} % for memory (bench/ANALYSIS.md). Verdict: {}",
        FLOOR_SPEED * 100.0,
        FLOOR_MEMORY * 100.0,
        if pass {
            "PASS"
        } else {
            "FAIL: a headline row is worse than A beyond the noise floor"
        }
    );
    (t, pass)
}
