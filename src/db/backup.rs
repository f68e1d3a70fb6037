//! Backups of the live database (layer: db): consistent snapshots through
//! SQLite's online backup API into private files (mode 0600: a backup holds
//! password hashes, TOTP secrets and token hashes), checked with
//! `integrity_check`; their default names and pruning; the lock a serving
//! server holds so `miauinv restore` can refuse; and restoring a file in place
//! of the database after checking it. The scheduled backups' thread is in
//! `backup_schedule.rs`. Deliberately no HTTP here: `api/backup.rs` serves a
//! snapshot as a download.

use super::migrate;
use rusqlite::Connection;
use rusqlite::backup::{Backup, StepResult};
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Pages copied per step of the online backup, with a short pause between
/// steps, so a rollback-journal database is never read-locked for long.
const PAGES_PER_STEP: i32 = 256;
const PAUSE_BETWEEN_STEPS: Duration = Duration::from_millis(1);
/// The online backup starts over whenever another connection writes to the
/// source between steps; under a steady stream of writes it could restart
/// forever. After this many restarts the rest is copied in one step: in WAL
/// mode (ours) that is one read transaction, which blocks no writer (only the
/// checkpoint waits for it).
const RESTARTS_BEFORE_ONE_STEP: u32 = 3;

/// A written, checked backup file.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub path: PathBuf,
    pub bytes: u64,
}

/// `miauinv-YYYYMMDD-HHMMSS.db` for a Unix time, in UTC.
pub fn default_name(unix: i64) -> String {
    format!("miauinv-{}.db", stamp(unix))
}

/// `YYYYMMDD-HHMMSS` in UTC: sorts by time, safe in a file name.
pub fn stamp(unix: i64) -> String {
    let (y, m, d) = super::civil_from_days(unix.div_euclid(86_400));
    let s = unix.rem_euclid(86_400);
    format!(
        "{y:04}{m:02}{d:02}-{:02}{:02}{:02}",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

/// A default-named file in `dir` after every backup already there: two
/// backups in the same second get `-2`, `-3` …, always above the highest
/// suffix of that second, so the newest file always sorts last.
pub fn fresh_path(dir: &Path, unix: i64) -> PathBuf {
    let stamp = stamp(unix);
    let highest = backups_in(dir)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| sequence(p).filter(|(s, _)| *s == stamp).map(|(_, n)| n))
        .max();
    match highest {
        None => dir.join(default_name(unix)),
        Some(n) => dir.join(format!("miauinv-{stamp}-{}.db", n + 1)),
    }
}

/// A default name's time stamp and its same-second number (1 without suffix).
fn sequence(path: &Path) -> Option<(String, u64)> {
    let name = path.file_name()?.to_str()?;
    let core = name.strip_prefix("miauinv-")?.strip_suffix(".db")?;
    let (stamp, n) = core.split_at(core.len().min(15));
    let n = match n {
        "" => 1,
        n => n.strip_prefix('-')?.parse().ok()?,
    };
    Some((stamp.to_string(), n))
}

/// Copies the database `src` is open on into `dest` while others keep
/// writing, checks the copy and makes it private. The copy is written beside
/// `dest` under a temporary name and renamed when complete, so `dest` is
/// either absent or a whole, checked backup.
pub fn snapshot(src: &Connection, dest: &Path) -> Result<Snapshot, String> {
    // A directory made here is private; one the admin chose is theirs.
    if let Some(dir) = dest.parent().filter(|d| !d.exists()) {
        crate::files::private_dir(dir)?;
    }
    let partial = with_suffix(dest, ".partial");
    remove_with_journals(&partial);
    let result = write_copy(src, &partial).and_then(|()| {
        std::fs::rename(&partial, dest)
            .map_err(|e| format!("cannot move the backup to {}: {e}", dest.display()))
    });
    if let Err(e) = result {
        remove_with_journals(&partial);
        return Err(e);
    }
    let bytes = std::fs::metadata(dest).map(|m| m.len()).unwrap_or(0);
    Ok(Snapshot {
        path: dest.to_path_buf(),
        bytes,
    })
}

fn write_copy(src: &Connection, path: &Path) -> Result<(), String> {
    // Created empty with mode 0600 before SQLite opens it: the secrets are
    // never readable by others, not even for a moment.
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    let mut copy = Connection::open(path).map_err(|e| format!("cannot open the copy: {e}"))?;
    copy_pages(src, &mut copy).map_err(|e| format!("the backup failed: {e}"))?;
    let problems = integrity_problems(&copy).map_err(|e| format!("cannot check the copy: {e}"))?;
    if !problems.is_empty() {
        return Err(format!(
            "the copy fails integrity_check: {}",
            problems.join("; ")
        ));
    }
    // One self-contained file (no -wal beside it) that opens read-only too.
    copy.pragma_update(None, "journal_mode", "DELETE")
        .map_err(|e| format!("cannot finish the copy: {e}"))?;
    copy.close()
        .map_err(|(_, e)| format!("cannot close the copy: {e}"))?;
    let file = File::open(path).map_err(|e| e.to_string())?;
    file.sync_all()
        .map_err(|e| format!("cannot write the copy to disk: {e}"))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| e.to_string())
}

fn copy_pages(src: &Connection, dest: &mut Connection) -> rusqlite::Result<()> {
    let backup = Backup::new(src, dest)?;
    let mut restarts = 0;
    let mut remaining = i32::MAX;
    loop {
        let pages = match restarts >= RESTARTS_BEFORE_ONE_STEP {
            true => -1,
            false => PAGES_PER_STEP,
        };
        match backup.step(pages)? {
            StepResult::Done => return Ok(()),
            StepResult::More => {
                let now_left = backup.progress().remaining;
                if now_left > remaining {
                    restarts += 1;
                }
                remaining = now_left;
            }
            // Busy or locked: another connection holds a lock the step
            // needs; wait a little and try again.
            _ => std::thread::sleep(Duration::from_millis(5)),
        }
        std::thread::sleep(PAUSE_BETWEEN_STEPS);
    }
}

/// What `PRAGMA integrity_check` finds wrong (empty when the file is sound).
pub fn integrity_problems(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let found: Vec<String> = rows.collect::<rusqlite::Result<_>>()?;
    Ok(found.into_iter().filter(|l| l != "ok").collect())
}

/// Deletes the oldest default-named backups in `dir` beyond the newest `keep`;
/// returns the files removed.
pub fn prune(dir: &Path, keep: usize) -> Result<Vec<PathBuf>, String> {
    let mut found = backups_in(dir)?;
    let excess = found.len().saturating_sub(keep);
    let old: Vec<PathBuf> = found.drain(..excess).collect();
    for path in &old {
        std::fs::remove_file(path).map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
    }
    Ok(old)
}

/// The default-named backups in `dir`, oldest first (their names sort by time).
pub fn backups_in(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot list {}: {e}", dir.display())),
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| sequence(p).is_some())
        .collect();
    // By time, then by the `-2`, `-3` … of backups taken in the same second.
    found.sort_by_key(|p| sequence(p));
    Ok(found)
}

/// Held by a serving server for its lifetime: `miauinv restore` must not swap
/// the file under a running server's connections. An `flock` dies with its
/// process, so a crashed server leaves no stale lock behind.
pub struct ServeLock {
    _file: File,
}

/// The lock file of a database: `miauinv.lock` in its directory (the appdata).
pub fn lock_path(db_path: &Path) -> PathBuf {
    db_path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join("miauinv.lock")
}

/// Takes the lock without waiting: `None` when another holder has it.
pub fn try_lock(db_path: &Path) -> Result<Option<ServeLock>, String> {
    use std::os::fd::AsRawFd;
    let path = lock_path(db_path);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    // SAFETY: flock on a file descriptor we own and keep open in ServeLock.
    let taken = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
    Ok(taken.then_some(ServeLock { _file: file }))
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    /// Where the database that was replaced now is.
    pub kept: Option<PathBuf>,
    pub from_version: i64,
    pub to_version: i64,
}

/// Puts the backup `from` in place of the database at `db_path`: checks a
/// copy of it (SQLite, `integrity_check`, MiauInv's tables, a schema version
/// this binary knows), migrates the copy if older, keeps the current database
/// as `<db>.before-restore-<time>` and renames the copy into place. The caller
/// holds the [`ServeLock`]. `from` itself is never changed.
/// `key` is this appdata's secret key: secrets the backup still holds in
/// clear are encrypted under it as the copy is migrated.
pub fn restore(
    db_path: &Path,
    from: &Path,
    now: i64,
    key: &crate::crypto::SecretKey,
) -> Result<Restored, String> {
    let staged = with_suffix(db_path, ".restoring");
    remove_with_journals(&staged);
    let result = stage(from, &staged, key).and_then(|from_version| {
        let kept = set_aside(db_path, now)?;
        std::fs::rename(&staged, db_path)
            .map_err(|e| format!("cannot move the backup into place: {e}"))?;
        Ok(Restored {
            kept,
            from_version,
            to_version: migrate::LATEST,
        })
    });
    if result.is_err() {
        remove_with_journals(&staged);
    }
    result
}

/// Copies `from` to `staged`, checks it and migrates it; its schema version
/// before the migration.
fn stage(from: &Path, staged: &Path, key: &crate::crypto::SecretKey) -> Result<i64, String> {
    let mut header = Vec::with_capacity(16);
    File::open(from)
        .and_then(|f| f.take(16).read_to_end(&mut header))
        .map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    if header != b"SQLite format 3\0" {
        return Err(format!("{} is not an SQLite database", from.display()));
    }
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(staged)
        .and_then(|mut out| std::io::copy(&mut File::open(from)?, &mut out))
        .map_err(|e| format!("cannot copy {}: {e}", from.display()))?;
    let version = check_restorable(staged)?;
    super::prepare(staged, key)?;
    let conn = Connection::open(staged).map_err(|e| e.to_string())?;
    let foreign = foreign_objects(&conn)?;
    drop(conn);
    if !foreign.is_empty() {
        return Err(format!(
            "the backup holds schema objects a MiauInv database does not have: {}; it was not restored",
            foreign.join(", ")
        ));
    }
    let conn = super::open(staged).map_err(|e| e.to_string())?;
    conn.pragma_update(None, "journal_mode", "DELETE")
        .map_err(|e| e.to_string())?;
    conn.close().map_err(|(_, e)| e.to_string())?;
    Ok(version)
}

/// The checks a file must pass to replace the database; its schema version.
fn check_restorable(path: &Path) -> Result<i64, String> {
    let conn = Connection::open(path).map_err(|e| format!("cannot open the backup: {e}"))?;
    let problems = integrity_problems(&conn)
        .map_err(|e| format!("the backup is not a readable SQLite database: {e}"))?;
    if !problems.is_empty() {
        return Err(format!(
            "the backup fails integrity_check: {}",
            problems.join("; ")
        ));
    }
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('users', 'items', 'locations')",
            [],
            |r| r.get(0),
        )
        .map_err(|e| e.to_string())?;
    if tables != 3 {
        return Err("the backup is not a MiauInv database (it lacks its tables)".into());
    }
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| e.to_string())?;
    if version > migrate::LATEST {
        return Err(format!(
            "the backup has schema version {version}, newer than this MiauInv ({}); upgrade MiauInv first",
            migrate::LATEST
        ));
    }
    Ok(version)
}

/// The schema objects of a migrated database that a fresh migration to the
/// same version does not make, as `trigger users_admin`. A backup is a whole
/// database: a trigger it carries (say `AFTER INSERT ON users`, making every
/// new account an admin) would run inside the server. Tables and indexes
/// must be ours by name; triggers and views by their SQL too. Allowed
/// besides: SQLite's own objects and the `legacy_*` tables (and their
/// indexes) an upgrade from the original program keeps.
pub fn foreign_objects(conn: &Connection) -> Result<Vec<String>, String> {
    let mut fresh = Connection::open_in_memory().map_err(|e| e.to_string())?;
    super::register_functions(&fresh).map_err(|e| e.to_string())?;
    migrate::migrate(&mut fresh)?;
    let ours = schema_objects(&fresh).map_err(|e| e.to_string())?;
    let theirs =
        schema_objects(conn).map_err(|e| format!("cannot read the backup's schema: {e}"))?;
    Ok(theirs
        .into_iter()
        .filter(|o| !o.name.starts_with("sqlite_"))
        .filter(|o| {
            !(o.table.starts_with("legacy_") && matches!(o.kind.as_str(), "table" | "index"))
        })
        .filter(|o| !ours.iter().any(|m| m.same_as(o)))
        .map(|o| format!("{} {}", o.kind, o.name))
        .collect())
}

struct SchemaObject {
    kind: String,
    name: String,
    table: String,
    sql: String,
}

impl SchemaObject {
    fn same_as(&self, other: &SchemaObject) -> bool {
        self.kind == other.kind
            && self.name == other.name
            && self.table == other.table
            && (matches!(self.kind.as_str(), "table" | "index") || self.sql == other.sql)
    }
}

fn schema_objects(conn: &Connection) -> rusqlite::Result<Vec<SchemaObject>> {
    let mut stmt =
        conn.prepare("SELECT type, name, tbl_name, COALESCE(sql, '') FROM sqlite_master")?;
    let rows = stmt.query_map([], |r| {
        let sql: String = r.get(3)?;
        Ok(SchemaObject {
            kind: r.get(0)?,
            name: r.get(1)?,
            table: r.get(2)?,
            // Whitespace never changes what a statement does.
            sql: sql.split_whitespace().collect::<Vec<_>>().join(" "),
        })
    })?;
    rows.collect()
}

/// Moves the current database (all of it: its WAL is checkpointed into the
/// file first) to `<db>.before-restore-<time>` and removes its stale -wal
/// and -shm, which belong to the old file.
fn set_aside(db_path: &Path, now: i64) -> Result<Option<PathBuf>, String> {
    if !db_path.exists() {
        return Ok(None);
    }
    let conn = Connection::open(db_path).map_err(|e| e.to_string())?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .map_err(|e| format!("cannot checkpoint the current database: {e}"))?;
    conn.close().map_err(|(_, e)| e.to_string())?;
    let kept = with_suffix(db_path, &format!(".before-restore-{}", stamp(now)));
    std::fs::rename(db_path, &kept)
        .map_err(|e| format!("cannot keep the current database: {e}"))?;
    for journal in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(db_path, journal));
    }
    Ok(Some(kept))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn remove_with_journals(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(with_suffix(path, suffix));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_are_utc_and_sort_by_time() {
        assert_eq!(default_name(0), "miauinv-19700101-000000.db");
        assert_eq!(default_name(1_764_400_000), "miauinv-20251129-070640.db");
    }
}
