//! The server (the top layer, above the front): it prepares the database,
//! starts the front listener (`front/`: connection caps, timeouts, TLS), which
//! relays each complete request to tiny_http on an internal Unix socket, and N
//! workers, each with its own SQLite connection, that call `recv()`;
//! `unblock()` wakes them for shutdown. What happens to one request (who the
//! client is, the body, security headers, the access log) is in
//! `server::adapter`; which handler answers it is `router::dispatch`.

pub mod adapter;

use crate::app::App;
use crate::db;
use crate::error::{AppError, AppResult};
use crate::front::tls::Tls;
use crate::front::{Front, Limits, PeerTag};
use std::net::{SocketAddr, TcpListener};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A running server. Dropping it shuts it down gracefully.
pub struct Running {
    addr: SocketAddr,
    front: Option<Front>,
    tls: Option<Arc<Tls>>,
    server: Arc<tiny_http::Server>,
    stopping: Arc<AtomicBool>,
    workers: Vec<JoinHandle<()>>,
    /// Saves the persistent rate-limit counters; told to finish (with a last
    /// save) once the workers are done.
    keeper: Option<(Arc<AtomicBool>, JoinHandle<()>)>,
    /// The notification sender (`notify/`), stopped after the workers.
    notifier: Option<crate::notify::Sender>,
    backups: Option<db::backup_schedule::Schedule>,
    /// Held while serving: `miauinv restore` refuses while it is taken.
    _lock: Option<db::backup::ServeLock>,
}

impl Running {
    /// The public address (port 0 in the config is resolved here).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Whether clients speak HTTPS to us.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// `https://addr` or `http://addr`.
    pub fn url(&self) -> String {
        let scheme = if self.is_tls() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Re-reads the certificate and key (SIGHUP). New connections use them;
    /// on error the old ones stay in use. Without TLS there is nothing to do.
    pub fn reload_tls(&self) -> Result<(), String> {
        match &self.tls {
            Some(tls) => tls.reload(),
            None => Ok(()),
        }
    }

    /// Stops accepting, lets requests already received finish and reach their
    /// clients, closes every database connection and returns once all
    /// workers have exited.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(backups) = self.backups.take() {
            backups.stop();
        }
        if let Some(front) = self.front.take() {
            front.drain();
        }
        self.stopping.store(true, Ordering::SeqCst);
        for _ in 0..self.workers.len() {
            self.server.unblock();
        }
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
        if let Some((done, keeper)) = self.keeper.take() {
            done.store(true, Ordering::SeqCst);
            let _ = keeper.join();
        }
        self.notifier.take();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Prepares the database (schema, migrations) and starts serving on the
/// configured address.
pub fn start(app: Arc<App>) -> Result<Running, String> {
    let addr = SocketAddr::new(app.config.bind_address, app.config.port);
    let listener = TcpListener::bind(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    start_on(app, listener)
}

/// Like [`start`] on an already bound listener (tests bind port 0).
pub fn start_on(app: Arc<App>, listener: TcpListener) -> Result<Running, String> {
    let cfg = &app.config;
    let lock = db::backup::try_lock(&cfg.database_path)?;
    if lock.is_none() {
        eprintln!(
            "warning: {} is held: another MiauInv serves this appdata",
            db::backup::lock_path(&cfg.database_path).display()
        );
    }
    db::prepare(&app.config.database_path, &app.secret_key)?;
    let backups = scheduled_backups(&app)?;
    let tls = match cfg.tls {
        true => Some(Arc::new(Tls::load_or_generate(
            &cfg.certificate_path,
            &cfg.private_key_path,
        )?)),
        false => None,
    };
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    // tiny_http listens on an internal Unix socket; the front listener is its
    // one client.
    let socket_dir = cfg
        .database_path
        .parent()
        .unwrap_or(std::path::Path::new("."));
    let (internal, internal_addr) = crate::front::bind_internal(socket_dir)
        .map_err(|e| format!("cannot open the internal socket: {e}"))?;
    let server = Arc::new(
        tiny_http::Server::from_listener(internal, None)
            .map_err(|e| format!("cannot serve: {e}"))?,
    );
    let tag = Arc::new(PeerTag::new()?);
    let stopping = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::with_capacity(cfg.workers);
    for n in 0..cfg.workers {
        let (app, server, stopping, tag) =
            (app.clone(), server.clone(), stopping.clone(), tag.clone());
        let worker = std::thread::Builder::new()
            .name(format!("worker-{n}"))
            .spawn(move || worker_loop(&app, &server, &tag, &stopping))
            .map_err(|e| format!("cannot start worker: {e}"))?;
        workers.push(worker);
    }
    let limits = Limits {
        max_connections: cfg.max_connections,
        max_connections_per_client: cfg.max_connections_per_client,
        header_timeout: Duration::from_secs(cfg.header_timeout_seconds),
        body_timeout: Duration::from_secs(cfg.body_timeout_seconds),
        idle_timeout: Duration::from_secs(cfg.idle_timeout_seconds),
        // As many as there are workers: more could only queue in tiny_http.
        internal_connections: cfg.workers,
    };
    crate::front::raise_fd_limit(limits.max_connections);
    // One event loop per core (at most 4): TLS work is spread, and an idle
    // connection costs no thread.
    let threads = std::thread::available_parallelism()
        .map(|n| n.get().min(4))
        .unwrap_or(1);
    let keeper = keep_limits(app.clone())?;
    let mut running = Running {
        addr,
        front: None,
        tls: tls.clone(),
        server,
        stopping,
        workers,
        keeper: Some(keeper),
        notifier: Some(crate::notify::Sender::start(
            crate::notify::Settings::from_config(cfg, app.secret_key.clone()),
        )?),
        backups,
        _lock: lock,
    };
    running.front = Some(Front::start(
        listener,
        internal_addr,
        tag,
        tls,
        limits,
        threads,
        app.config.appdata_dir.clone(),
    )?);
    // Start-up (migrations, the sealing pass, the first statements of the
    // background threads) frees what it allocated, but glibc keeps it
    // resident in the middle of its heap: an idle server gives it back.
    crate::memory::give_back_free_memory();
    Ok(running)
}

/// How often the keeper saves changed rate-limit counters: a crash loses at
/// most this much of an attacker's count.
const SAVE_LIMITS_EVERY: Duration = Duration::from_secs(2);

/// Restores the persistent rate-limit counters and starts the thread that
/// saves them when they change (and once more when told to finish).
fn keep_limits(app: Arc<App>) -> Result<(Arc<AtomicBool>, JoinHandle<()>), String> {
    let fail = |e: crate::error::AppError| format!("cannot restore the rate limits: {e}");
    let mut conn = db::open(&app.config.database_path)
        .map_err(|e| format!("cannot open the database: {e}"))?;
    let saved = db::rate_limits::load(&conn).map_err(fail)?;
    app.limiter.import(&saved);
    let done = Arc::new(AtomicBool::new(false));
    let finish = done.clone();
    let keeper = std::thread::Builder::new()
        .name("limits-keeper".into())
        .spawn(move || {
            let mut written = app.limiter.export();
            let mut last = Instant::now();
            loop {
                let finishing = finish.load(Ordering::SeqCst);
                if finishing || last.elapsed() >= SAVE_LIMITS_EVERY {
                    last = Instant::now();
                    let now = app.limiter.export();
                    if now != written {
                        match db::write(&mut conn, |tx| db::rate_limits::replace(tx, &now)) {
                            Ok(()) => written = now,
                            Err(e) => eprintln!("cannot save the rate limits: {e}"),
                        }
                    }
                }
                if finishing {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        })
        .map_err(|e| format!("cannot start the rate-limit keeper: {e}"))?;
    Ok((done, keeper))
}

/// The backup thread, unless `backup_interval_hours` is 0.
fn scheduled_backups(app: &App) -> Result<Option<db::backup_schedule::Schedule>, String> {
    let cfg = &app.config;
    if cfg.backup_interval_hours == 0 {
        return Ok(None);
    }
    let plan = db::backup_schedule::Plan {
        database_path: cfg.database_path.clone(),
        dir: cfg.backups_dir(),
        interval: Duration::from_secs(cfg.backup_interval_hours * 3600),
        keep: cfg.backup_keep,
        first_after: Duration::from_secs(10 * 60),
    };
    db::backup_schedule::Schedule::start(plan, app.last_backup.clone()).map(Some)
}

fn worker_loop(app: &App, server: &tiny_http::Server, tag: &PeerTag, stopping: &AtomicBool) {
    // Each worker opens its SQLite connection on its first request: an idle
    // server keeps no parsed schema or page cache for workers it never used.
    let mut conn = None;
    loop {
        match server.recv() {
            Ok(rq) => handle(app, tag, &mut conn, rq),
            Err(_) if stopping.load(Ordering::SeqCst) => break,
            Err(e) => eprintln!("accept error: {e}"),
        }
    }
    // Dropping the connection closes it; a final checkpoint keeps the WAL small.
    if let Some(conn) = conn {
        let _ = conn.pragma_update(None, "wal_checkpoint", "PASSIVE");
    }
}

/// The worker's connection, opened now if it has none yet.
fn connection<'c>(
    app: &App,
    conn: &'c mut Option<rusqlite::Connection>,
) -> AppResult<&'c mut rusqlite::Connection> {
    if conn.is_none() {
        let opened = db::open(&app.config.database_path)
            .map_err(|e| AppError::internal(format_args!("cannot open the database: {e}")))?;
        // Half the workers may wait for the write lock; the others keep
        // answering reads and /healthz behind a long import.
        db::limit_writers(&opened, (app.config.workers / 2).max(1));
        *conn = Some(opened);
    }
    Ok(conn.as_mut().expect("opened above"))
}

/// Answers one request: read it, route it (panics caught), respond.
fn handle(
    app: &App,
    tag: &PeerTag,
    conn: &mut Option<rusqlite::Connection>,
    mut rq: tiny_http::Request,
) {
    let started = Instant::now();
    let (req, early_error) = adapter::read_request(
        &mut rq,
        &app.config.trusted_proxies,
        &app.config.appdata_dir,
        |v| tag.read(v),
    );
    let error_reply = |err: AppError| {
        adapter::render_error(&req, err, |r, e| crate::pages::error_page(app, r, e))
    };
    let reply = match early_error.map_or_else(|| connection(app, conn), Err) {
        Err(err) => error_reply(err),
        Ok(c) => match catch_unwind(AssertUnwindSafe(|| crate::router::dispatch(app, c, &req))) {
            Ok(Ok(reply)) => reply,
            Ok(Err(err)) => error_reply(err),
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                // A fresh connection next time: this one may be mid-transaction.
                *conn = None;
                error_reply(AppError::internal(format_args!("handler panicked: {what}")))
            }
        },
    };
    adapter::respond(rq, &req, reply, started);
}
