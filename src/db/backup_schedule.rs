//! Scheduled backups (layer: db): one background thread per server takes a
//! snapshot every `backup_interval_hours` into `appdata/backups/`, prunes the
//! oldest beyond `backup_keep`, logs each run and records the last one for the
//! admin's status. The server starts it and stops it at shutdown.

use super::backup;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

/// The most recent backup: when, whether it succeeded, which file.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct LastBackup {
    /// Unix time.
    pub at: i64,
    pub ok: bool,
    /// The file name in the backups directory.
    pub file: String,
    pub bytes: u64,
    pub error: Option<String>,
}

/// Shared between the thread and the admin's status.
pub type LastBackupCell = Arc<Mutex<Option<LastBackup>>>;

/// What the thread needs to know.
pub struct Plan {
    pub database_path: PathBuf,
    pub dir: PathBuf,
    pub interval: Duration,
    pub keep: usize,
    /// The earliest first backup after start: a server restarted for an
    /// upgrade, or one started for a test, does not copy its database at once.
    pub first_after: Duration,
}

/// The running thread; [`Schedule::stop`] ends it (a backup in progress
/// finishes first).
pub struct Schedule {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Schedule {
    pub fn start(plan: Plan, last: LastBackupCell) -> Result<Schedule, String> {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let signal = stop.clone();
        let thread = std::thread::Builder::new()
            .name("backups".into())
            .spawn(move || run(&plan, &last, &signal))
            .map_err(|e| format!("cannot start the backup thread: {e}"))?;
        Ok(Schedule {
            stop,
            thread: Some(thread),
        })
    }

    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        let (flag, wake) = &*self.stop;
        *flag.lock().unwrap_or_else(|p| p.into_inner()) = true;
        wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Schedule {
    fn drop(&mut self) {
        self.halt();
    }
}

fn run(plan: &Plan, last: &LastBackupCell, stop: &(Mutex<bool>, Condvar)) {
    let mut due = first_due(plan);
    loop {
        let (flag, wake) = stop;
        let mut stopped = flag.lock().unwrap_or_else(|p| p.into_inner());
        while !*stopped {
            let now = SystemTime::now();
            let Ok(wait) = due.duration_since(now) else {
                break;
            };
            stopped = wake
                .wait_timeout(stopped, wait)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        if *stopped {
            return;
        }
        drop(stopped);
        let outcome = take(plan);
        *last.lock().unwrap_or_else(|p| p.into_inner()) = Some(outcome);
        due = SystemTime::now() + plan.interval;
    }
}

/// One interval after the newest backup on disk, but not before `first_after`.
fn first_due(plan: &Plan) -> SystemTime {
    let earliest = SystemTime::now() + plan.first_after;
    let newest = backup::backups_in(&plan.dir)
        .ok()
        .and_then(|found| found.last().cloned())
        .and_then(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    match newest {
        Some(at) => (at + plan.interval).max(earliest),
        None => earliest,
    }
}

/// Takes one backup, prunes, logs; what happened.
pub fn take(plan: &Plan) -> LastBackup {
    let at = super::now();
    let dest = backup::fresh_path(&plan.dir, at);
    let file = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let result = super::open(&plan.database_path)
        .map_err(|e| format!("cannot open the database: {e}"))
        .and_then(|conn| backup::snapshot(&conn, &dest))
        .and_then(|snap| backup::prune(&plan.dir, plan.keep).map(|_| snap));
    match result {
        Ok(snap) => {
            eprintln!(
                "backup: wrote {} ({} bytes)",
                snap.path.display(),
                snap.bytes
            );
            LastBackup {
                at,
                ok: true,
                file,
                bytes: snap.bytes,
                error: None,
            }
        }
        Err(e) => {
            eprintln!("backup: FAILED to write {}: {e}", dest.display());
            LastBackup {
                at,
                ok: false,
                file,
                bytes: 0,
                error: Some(e),
            }
        }
    }
}

/// The newest backup file on disk, for a status before this server took one
/// (a file gets its final name only after it passed `integrity_check`).
pub fn newest_on_disk(dir: &Path) -> Option<LastBackup> {
    let path = backup::backups_in(dir).ok()?.pop()?;
    let meta = std::fs::metadata(&path).ok()?;
    let at = meta
        .modified()
        .ok()?
        .duration_since(SystemTime::UNIX_EPOCH)
        .ok()?
        .as_secs() as i64;
    Some(LastBackup {
        at,
        ok: true,
        file: path.file_name()?.to_string_lossy().into_owned(),
        bytes: meta.len(),
        error: None,
    })
}
