//! What a run measured, the targets judged against it, and the Markdown
//! written to BENCHMARKS.md. Every throughput is shown beside the baseline's at
//! the same connection count, as a ratio, because absolute numbers drift
//! between runs and machines. The hand-written analysis (what limits each
//! missed figure, what was fixed) lives in `bench/ANALYSIS.md` and is included.

mod format;
pub mod guide;
mod pages;
mod render;
mod targets;

use crate::load::Load;
use crate::seed::{TRANSFER_TOTAL, TransferLedger};
pub use render::{render, summary};
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

/// One dashboard page opened in headless Chromium (bench/pages.rs).
pub struct PageRow {
    pub items: i64,
    pub page: String,
    pub path: String,
    pub html_bytes: u64,
    pub dom_nodes: u64,
    /// From navigation start to the end of the `load` event.
    pub load_ms: f64,
    /// From navigation start to the end of the last data request the page made.
    pub data_ms: f64,
}

/// One type-to-search field: a keystroke to its suggestions, painted.
pub struct PickerRow {
    pub items: i64,
    pub page: String,
    pub field: String,
    pub query: String,
    pub ms: f64,
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
/// … and what it must fall under once the flood has been idle a minute.
const FLOOD_IDLE_TARGET_KIB: u64 = 30 * 1024;

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
    /// Photos and attachments (bench/uploads.rs).
    pub uploads: Option<crate::uploads::UploadRow>,
    pub pages: Vec<PageRow>,
    pub pickers: Vec<PickerRow>,
    /// The low-power profile (`bench/one_core.rs`) and its item count.
    pub one_core: Vec<OneCoreRow>,
    pub one_core_items: i64,
    pub notes: Vec<String>,
}

/// One row of the low-power profile: the server on one core, 4 connections.
pub struct OneCoreRow {
    pub label: String,
    pub load: Load,
    /// The p99 it must stay within; None for a row reported only.
    pub limit_ms: Option<f64>,
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
            uploads: None,
            pages: Vec::new(),
            pickers: Vec::new(),
            one_core: Vec::new(),
            one_core_items: 0,
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
