//! The server: the front listener (`listener.rs`: connection cap, timeouts,
//! TLS) relays to tiny_http on an internal loopback port, where N workers, each
//! with its own SQLite connection, call `recv()`; `unblock()` wakes them for
//! shutdown. Everything per request (the real client address, reading the body,
//! routing, rendering errors, security headers, the access log) is a function
//! this loop calls.

use crate::app::App;
use crate::config::Config;
use crate::db;
use crate::error::{AppError, AppResult, Kind};
use crate::http::{MAX_BODY, Method, Reply, Request, split_target};
use crate::listener::{Front, Limits, PEER_HEADER, PeerTag};
use crate::tls::Tls;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
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
    prepare_database(&app)?;
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
    let (internal, internal_addr) = crate::listener::bind_internal(socket_dir)
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
        header_timeout: Duration::from_secs(cfg.header_timeout_seconds),
        body_timeout: Duration::from_secs(cfg.body_timeout_seconds),
        idle_timeout: Duration::from_secs(cfg.idle_timeout_seconds),
    };
    crate::listener::raise_fd_limit(limits.max_connections);
    // One event loop per core (at most 4): TLS work is spread, and an idle
    // connection costs no thread.
    let threads = std::thread::available_parallelism()
        .map(|n| n.get().min(4))
        .unwrap_or(1);
    let mut running = Running {
        addr,
        front: None,
        tls: tls.clone(),
        server,
        stopping,
        workers,
    };
    running.front = Some(Front::start(
        listener,
        internal_addr,
        tag,
        tls,
        limits,
        threads,
    )?);
    Ok(running)
}

/// Creates the database directory and file and brings the schema up to date.
pub fn prepare_database(app: &App) -> Result<(), String> {
    let path = &app.config.database_path;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut conn =
        db::open(path).map_err(|e| format!("cannot open database {}: {e}", path.display()))?;
    // One memory budget for all of SQLite in this process (it applies to every
    // connection): each worker's page cache may still grow to `cache_size`, but
    // beyond this total SQLite recycles the least recently used pages instead
    // of letting 16 caches each hold their own copy of the same hot pages.
    conn.pragma_update(None, "soft_heap_limit", db::SOFT_HEAP_LIMIT)
        .map_err(|e| format!("cannot set SQLite's memory limit: {e}"))?;
    db::migrate::migrate(&mut conn)
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
        *conn = Some(opened);
    }
    Ok(conn.as_mut().expect("opened above"))
}

/// Answers one request: parse, route (panics caught), decorate, respond, log.
fn handle(
    app: &App,
    tag: &PeerTag,
    conn: &mut Option<rusqlite::Connection>,
    mut rq: tiny_http::Request,
) {
    let started = Instant::now();
    let (req, early_error) = read_request(app, tag, &mut rq);
    let reply = match early_error.map_or_else(|| connection(app, conn), Err) {
        Err(err) => render_error(app, &req, &err),
        Ok(c) => match catch_unwind(AssertUnwindSafe(|| crate::router::dispatch(app, c, &req))) {
            Ok(Ok(reply)) => reply,
            Ok(Err(err)) => render_error(app, &req, &err),
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                // A fresh connection next time: this one may be mid-transaction.
                *conn = None;
                render_error(
                    app,
                    &req,
                    &AppError::internal(format_args!("handler panicked: {what}")),
                )
            }
        },
    };
    let reply = decorate(reply, &req);
    let status = reply.status;
    let _ = rq.respond(to_tiny(reply));
    // Formatted first and written at once: stderr is unbuffered, and
    // `eprintln!` makes one write(2) per formatted piece (17 for this line)
    // while holding the lock every worker shares.
    let line = format!(
        "{} {} {} {:.1}ms {}\n",
        req.method.as_str(),
        req.path,
        status,
        started.elapsed().as_secs_f64() * 1000.0,
        req.client
    );
    let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
}

/// Builds our `Request` and reads the body (at most 1 MiB). Errors found here
/// (oversized body, a connection that bypassed the front listener) are
/// answered without routing.
fn read_request(
    app: &App,
    tag: &PeerTag,
    rq: &mut tiny_http::Request,
) -> (Request, Option<AppError>) {
    let (path, query) = split_target(rq.url());
    // The front puts the real client first in every head; a header of that
    // name anywhere else came from the client and is dropped.
    let front_peer = rq
        .headers()
        .first()
        .filter(|h| h.field.as_str().as_str().eq_ignore_ascii_case(PEER_HEADER))
        .and_then(|h| tag.read(h.value.as_str()));
    let headers: Vec<(String, String)> = rq
        .headers()
        .iter()
        .map(|h| {
            (
                h.field.as_str().as_str().to_ascii_lowercase(),
                h.value.as_str().to_string(),
            )
        })
        .filter(|(name, _)| name != PEER_HEADER)
        .collect();
    let peer = front_peer.map_or(IpAddr::from([0, 0, 0, 0]), |p| p.addr.ip());
    let mut req = Request {
        method: Method::parse(rq.method().as_str()),
        path,
        query,
        headers,
        body: Vec::new(),
        client: peer,
        secure: front_peer.is_some_and(|p| p.secure),
    };
    if front_peer.is_none() {
        // Only the front listener may talk to the internal socket: whatever
        // else does would skip every connection limit.
        return (
            req,
            Some(AppError::forbidden(
                "not_via_listener",
                "Connect to MiauInv's public port.",
            )),
        );
    }
    resolve_client(app, &mut req, peer);

    let too_large = || {
        AppError::new(
            Kind::PayloadTooLarge,
            "payload_too_large",
            format!("The request body is larger than {} bytes.", MAX_BODY),
        )
    };
    if rq.body_length().is_some_and(|n| n > MAX_BODY) {
        return (req, Some(too_large()));
    }
    let mut body = Vec::new();
    if let Err(e) = rq
        .as_reader()
        .take(MAX_BODY as u64 + 1)
        .read_to_end(&mut body)
    {
        return (
            req,
            Some(AppError::bad_request(
                "unreadable_body",
                format!("The request body could not be read: {e}."),
            )),
        );
    }
    if body.len() > MAX_BODY {
        return (req, Some(too_large()));
    }
    req.body = body;
    (req, None)
}

/// Believes `X-Forwarded-For`/`X-Forwarded-Proto` only from configured proxies.
fn resolve_client(app: &App, req: &mut Request, peer: IpAddr) {
    let trusted = &app.config.trusted_proxies;
    if !trusted.contains(&peer) {
        return;
    }
    if let Some(xff) = req.header("x-forwarded-for") {
        // The right-most address not belonging to a trusted proxy is the client.
        let client = xff
            .split(',')
            .rev()
            .filter_map(|s| s.trim().parse::<IpAddr>().ok())
            .find(|ip| !trusted.contains(ip));
        if let Some(ip) = client {
            req.client = ip;
        }
    }
    if req
        .header("x-forwarded-proto")
        .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
    {
        req.secure = true;
    }
}

/// Errors are JSON on the API and HTML on pages.
fn render_error(app: &App, req: &Request, err: &AppError) -> Reply {
    if req.is_api() || req.path == "/healthz" {
        Reply::error_json(err)
    } else {
        crate::pages::error_page(app, req, err)
    }
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Security headers on every response; no caching of API answers or pages.
fn decorate(mut reply: Reply, req: &Request) -> Reply {
    let static_asset = req.path.starts_with("/assets/");
    if !static_asset && !reply.has_header("Cache-Control") {
        reply = reply.header("Cache-Control", "no-store");
    }
    reply = reply
        .header("Content-Security-Policy", CSP)
        .header("X-Content-Type-Options", "nosniff")
        .header("X-Frame-Options", "DENY")
        .header("Referrer-Policy", "same-origin");
    if req.secure {
        reply = reply.header("Strict-Transport-Security", "max-age=31536000");
    }
    reply
}

fn to_tiny(reply: Reply) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    let mut response = tiny_http::Response::from_data(reply.body).with_status_code(reply.status);
    for (name, value) in reply.headers {
        if let Ok(h) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            response.add_header(h);
        }
    }
    response
}

/// `miauinv healthcheck`: exits 0 if the server on this machine answers
/// `GET /healthz` with 200, over TLS when the config says so.
pub fn healthcheck(cfg: &Config) -> Result<(), String> {
    use std::io::Write;
    let ip = match cfg.bind_address {
        IpAddr::V4(a) if a.is_unspecified() => IpAddr::from(Ipv4Addr::LOCALHOST),
        IpAddr::V6(a) if a.is_unspecified() => IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
        other => other,
    };
    let addr = SocketAddr::new(ip, cfg.port);
    let timeout = Duration::from_secs(3);
    let stream = std::net::TcpStream::connect_timeout(&addr, timeout)
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| e.to_string())?;
    let request = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    let mut answer = Vec::new();
    let read = if cfg.tls {
        let name = rustls::pki_types::ServerName::from(ip);
        let tls = rustls::ClientConnection::new(crate::tls::health_probe_config(), name)
            .map_err(|e| format!("TLS setup failed: {e}"))?;
        let mut tls = rustls::StreamOwned::new(tls, stream);
        tls.write_all(request)
            .and_then(|()| tls.read_to_end(&mut answer))
    } else {
        let mut stream = stream;
        stream
            .write_all(request)
            .and_then(|()| stream.read_to_end(&mut answer))
    };
    // A peer closing without TLS close_notify still delivered its answer.
    if let Err(e) = read
        && answer.is_empty()
    {
        return Err(format!("no answer from {addr}: {e}"));
    }
    if answer.starts_with(b"HTTP/1.1 200") {
        Ok(())
    } else {
        let line = answer.split(|&b| b == b'\r').next().unwrap_or_default();
        Err(format!("unhealthy: {}", String::from_utf8_lossy(line)))
    }
}
