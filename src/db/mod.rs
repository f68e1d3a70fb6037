//! SQLite: opening connections with the settings every connection needs, the
//! transaction helpers, and schema set-up/migrations (`migrate`). One file of SQL
//! per aggregate lives beside this one.

pub mod accounts;
pub mod alerts;
pub mod api_tokens;
pub mod backup;
pub mod backup_schedule;
pub mod ceremonies;
pub mod email_confirmations;
pub mod export;
pub mod facts;
pub mod import;
pub mod import_rows;
pub mod invites;
pub mod item_details;
pub mod items;
pub mod labels;
pub mod listing;
pub mod locations;
pub mod media;
pub mod migrate;
pub mod movements;
pub mod named;
pub mod natural;
pub mod notifications;
pub mod passkeys;
pub mod placement;
pub mod places;
pub mod profile;
pub mod projects;
pub mod rate_limits;
pub mod resets;
pub mod search;
pub mod secrets_at_rest;
pub mod security_log;
pub mod security_notices;
pub mod sessions;
pub mod skeleton;
pub mod sso;
pub mod stats;
pub mod stocktakes;
pub mod tags;
pub mod tree;
pub mod two_factor;
pub mod users;

use crate::error::AppResult;
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

/// SQLite's memory budget over all connections of the process, in bytes (see
/// [`prepare`]).
pub const SOFT_HEAP_LIMIT: i64 = 8 * 1024 * 1024;

/// Creates the database directory and file, brings the schema up to date and
/// seals secrets still stored in clear under `key` (at start-up, and
/// `miauinv migrate`).
pub fn prepare(path: &Path, key: &crate::crypto::SecretKey) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        crate::files::private_dir(dir)?;
    }
    // SQLite gives the WAL and SHM the database file's mode: a private
    // database file makes all three private.
    crate::files::create_private(path)?;
    for suffix in ["-wal", "-shm"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        crate::files::private_file(Path::new(&side));
    }
    let mut conn =
        open(path).map_err(|e| format!("cannot open database {}: {e}", path.display()))?;
    // One memory budget for all of SQLite in this process (it applies to every
    // connection): each worker's page cache may still grow to `cache_size`, but
    // beyond this total SQLite recycles the least recently used pages instead
    // of letting 16 caches each hold their own copy of the same hot pages.
    conn.pragma_update(None, "soft_heap_limit", SOFT_HEAP_LIMIT)
        .map_err(|e| format!("cannot set SQLite's memory limit: {e}"))?;
    migrate::migrate(&mut conn)?;
    secrets_at_rest::seal_existing(&mut conn, key)
}

/// Whether the database answers a trivial query (`/healthz`).
pub fn ping(conn: &Connection) -> AppResult<bool> {
    let one: i64 = conn
        .prepare_cached("SELECT 1")?
        .query_row([], |r| r.get(0))?;
    Ok(one == 1)
}

/// The SQL functions the schema's triggers call (`natural_key`, migration 7;
/// `skeleton`, migration 25): registered on every connection that may write
/// a name, or that write fails with "no such function".
pub fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    natural::register(conn)?;
    skeleton::register(conn)
}

/// Opens a connection with foreign keys on, WAL journaling and a busy timeout.
pub fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(5))?;
    // Before anything else: the schema's triggers call it (migration 0007).
    register_functions(&conn)?;
    // A database of the original program keeps its journal mode until its
    // upgrade has succeeded: switching to WAL rewrites the file header, and a
    // refused upgrade must leave the file byte for byte as it was. The upgrade
    // switches it to WAL itself.
    if !migrate::is_original(&conn)? {
        conn.pragma_update(None, "journal_mode", "WAL")?;
    }
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // Plans never depend on bound values. Without this guarantee every
    // statement with `LIKE ?` (every search) was compiled again each time its
    // pattern was bound, in case the pattern allowed an index: quick-find's
    // statement took 210 µs instead of 37. Our patterns all start with `%`,
    // which no index serves, so no plan changes.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    // A small page cache per worker keeps resident memory low on a Pi.
    conn.pragma_update(None, "cache_size", -2000)?;
    Ok(conn)
}

/// Runs `f` in a write transaction that takes the write lock up front
/// (`BEGIN IMMEDIATE`), so reads inside it see data no other writer can change
/// before we commit. Dropping without commit (an `Err`) rolls back.
///
/// Writers of this process queue on an in-process gate first ([`WriterGate`]):
/// SQLite's busy handler sleeps 1, 2, 5, 10 … ms between retries, so workers
/// racing for the file lock slept far longer than the sub-millisecond
/// transactions they waited for (transfers at 16 connections: p99 over
/// 100 ms). Other processes (the admin commands) still meet the busy timeout.
///
/// Before committing, the stock alerts the transaction caused are written to
/// the notification outbox in it ([`alerts::settle`]): an event exists exactly
/// when its change does.
pub fn write<T>(
    conn: &mut Connection,
    f: impl FnOnce(&Transaction<'_>) -> AppResult<T>,
) -> AppResult<T> {
    let gate = writer_gate(conn);
    let _writing = gate.enter()?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let value = f(&tx)?;
    alerts::settle(&tx)?;
    tx.commit()?;
    Ok(value)
}

/// Like [`write`], but `f` decides: `Ok(true)` commits, `Ok(false)` rolls
/// back (an import's dry run, or one with refused rows: all of its writes
/// ran, none stays). A commit settles alerts like every other write, so an
/// import that makes an item low notifies as a stock edit does; a roll-back
/// sends nothing.
pub fn write_or_roll_back(
    conn: &mut Connection,
    f: impl FnOnce(&Transaction<'_>) -> AppResult<bool>,
) -> AppResult<bool> {
    let gate = writer_gate(conn);
    let _writing = gate.enter()?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let keep = f(&tx)?;
    match keep {
        true => {
            alerts::settle(&tx)?;
            tx.commit()?
        }
        false => tx.rollback()?,
    }
    Ok(keep)
}

/// How long a writer waits for the write lock before it is answered 503
/// `server_busy`: far beyond any ordinary write (well under a millisecond),
/// short enough that a client stuck behind a long import hears back.
pub const WRITER_WAIT: Duration = Duration::from_secs(10);

/// The in-process write lock of one database file, with a bounded line.
///
/// Every waiting writer holds a worker thread. Without a bound, one long
/// import left all 16 workers waiting here and even `GET /healthz` went
/// unanswered for 30 s. So while the lock has been held longer than
/// [`SLOW_HOLD`] (an import, never an ordinary write), at most `line` writers
/// wait (the server sets half its workers, [`limit_writers`]) and the others
/// are answered at once; ordinary bursts (16 clients writing at once, each
/// write well under a millisecond) still queue as before. A writer that waited
/// [`WRITER_WAIT`] gives up too. Both get 503 `server_busy` with `Retry-After`.
pub struct WriterGate {
    state: Mutex<GateState>,
    freed: Condvar,
    line: std::sync::atomic::AtomicUsize,
}

struct GateState {
    held_since: Option<std::time::Instant>,
    waiting: usize,
}

/// How long the lock may be held before the line is enforced.
const SLOW_HOLD: Duration = Duration::from_millis(200);

/// The write lock, given back on drop (also on error or panic).
pub struct Writing<'a>(&'a WriterGate);

impl WriterGate {
    fn enter(&self) -> AppResult<Writing<'_>> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let line = self.line.load(std::sync::atomic::Ordering::Relaxed);
        let deadline = std::time::Instant::now() + WRITER_WAIT;
        state.waiting += 1;
        while let Some(since) = state.held_since {
            let now = std::time::Instant::now();
            let slow = now.duration_since(since) > SLOW_HOLD;
            if now >= deadline || (slow && state.waiting > line) {
                state.waiting -= 1;
                return Err(crate::error::AppError::busy());
            }
            // Woken when the lock is given back, or soon enough to notice
            // that the holder has become slow.
            let nap = deadline.saturating_duration_since(now).min(SLOW_HOLD / 2);
            state = self
                .freed
                .wait_timeout(state, nap)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        state.waiting -= 1;
        state.held_since = Some(std::time::Instant::now());
        Ok(Writing(self))
    }
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        let mut state = self.0.state.lock().unwrap_or_else(|p| p.into_inner());
        state.held_since = None;
        // Waking costs a system call; with nobody in line there is no one to wake.
        if state.waiting > 0 {
            self.0.freed.notify_one();
        }
    }
}

/// The writer gate of the database file `conn` is open on: one per file, so
/// servers on different files (tests) never wait for each other.
fn writer_gate(conn: &Connection) -> Arc<WriterGate> {
    gate_of(conn.path().unwrap_or_default())
}

fn gate_of(path: &str) -> Arc<WriterGate> {
    static GATES: OnceLock<Mutex<HashMap<String, Arc<WriterGate>>>> = OnceLock::new();
    let mut gates = GATES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    gates
        .entry(path.to_string())
        .or_insert_with(|| {
            Arc::new(WriterGate {
                state: Mutex::new(GateState {
                    held_since: None,
                    waiting: 0,
                }),
                freed: Condvar::new(),
                line: usize::MAX.into(),
            })
        })
        .clone()
}

/// Caps how many writers may wait for the write lock of the database a
/// connection is open on (the server: half its workers, so the rest keep
/// answering reads).
pub fn limit_writers(conn: &Connection, line: usize) {
    writer_gate(conn)
        .line
        .store(line.max(1), std::sync::atomic::Ordering::Relaxed);
}

/// Runs `f` in a read transaction: one consistent snapshot for several queries.
pub fn read<T>(
    conn: &mut Connection,
    f: impl FnOnce(&Transaction<'_>) -> AppResult<T>,
) -> AppResult<T> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
    let value = f(&tx)?;
    tx.commit()?;
    Ok(value)
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian
/// calendar (Howard Hinnant's civil_from_days), so no date crate is needed.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Whether a rusqlite error is a UNIQUE constraint violation.
pub fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
}
