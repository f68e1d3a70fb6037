//! The front listener: every public connection is accepted here, in a few
//! event-loop threads (mio), which enforce the connection cap, the timeouts and
//! the request-head size limit, terminate TLS (rustls) when configured, and pass
//! the plaintext byte stream to tiny_http on an internal Unix socket.
//!
//! tiny_http stays MiauInv's HTTP parser; this module frames requests only as
//! far as the limits need (head end, Content-Length, chunked). It deliberately
//! does not parse responses: it relays them.
//!
//! Why a front at all: tiny_http spends a thread per connection and has no read
//! timeouts, so a few thousand idle or trickling clients would exhaust it. Here
//! such a client costs one small state struct and no thread: the internal
//! connection (and with it tiny_http's per-connection thread) is opened only
//! once a complete request head has arrived, and bodies up to `HOLD_BODY` are
//! collected before tiny_http sees the request, so a slow body never ties up a
//! worker.
//!
//! The internal hop is a Unix socket, not loopback TCP: the
//! same bytes cross it without the TCP stack, which was a visible share of every
//! request's cost. The real client address and TLS-ness travel in a header the
//! front puts first in every request head ([`PeerTag`]), signed with a secret
//! of this process so nothing else that reaches the socket can claim them.

use mio::net::{TcpListener, TcpStream, UnixStream};
use mio::{Events, Interest, Poll, Registry, Token, Waker};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::unix::net::{SocketAddr as UnixAddr, UnixListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::http::MAX_BODY;
use crate::tls::Tls;

/// Largest request head (request line and headers) accepted; larger → 431.
pub const MAX_HEAD: usize = 16 * 1024;
/// Bodies up to this size are collected before the request is passed on.
const HOLD_BODY: usize = 64 * 1024;
/// Client bytes buffered at most (a head plus a held body fit).
const UP_CAP: usize = MAX_HEAD + HOLD_BODY + 16 * 1024;
/// Response bytes buffered at most before we stop reading from tiny_http.
const DOWN_CAP: usize = 256 * 1024;
const READ_CHUNK: usize = 64 * 1024;
/// How long a connection that got an error answer is drained before closing,
/// so the client reads the answer instead of a reset.
const LINGER: Duration = Duration::from_secs(2);

const LISTENER: Token = Token(0);
const WAKER: Token = Token(1);

/// The limits of the front listener (config keys of the same names).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    /// For the TLS handshake and a complete request head.
    pub header_timeout: Duration,
    /// For a request body, after its head.
    pub body_timeout: Duration,
    /// Keep-alive idle time, and the longest pause while relaying a response.
    pub idle_timeout: Duration,
}

/// Who is behind a request that came through the front.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    pub addr: SocketAddr,
    pub secure: bool,
}

/// The header naming the client of a request, always the first of its head.
pub const PEER_HEADER: &str = "x-miauinv-peer";

/// Writes and checks the peer header: `X-Miauinv-Peer: <secret> <addr> <https|http>`.
/// The secret is random per process; a header without it is not ours.
pub struct PeerTag {
    secret: String,
}

impl PeerTag {
    pub fn new() -> Result<PeerTag, String> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(|e| format!("no randomness: {e}"))?;
        Ok(PeerTag {
            secret: hex::encode(bytes),
        })
    }

    /// The header line (with its CRLF) the front inserts after the request line.
    fn line(&self, peer: SocketAddr, secure: bool) -> String {
        let scheme = if secure { "https" } else { "http" };
        format!("X-Miauinv-Peer: {} {peer} {scheme}\r\n", self.secret)
    }

    /// The peer in a header value this process's front wrote; `None` for any
    /// other value.
    pub fn read(&self, value: &str) -> Option<Peer> {
        let mut parts = value.split(' ');
        let secret = parts.next()?;
        // Constant time: the comparison must not tell a prober how much matched.
        if !crate::crypto::constant_time_eq(secret.as_bytes(), self.secret.as_bytes()) {
            return None;
        }
        let addr = parts.next()?.parse().ok()?;
        let secure = match parts.next()? {
            "https" => true,
            "http" => false,
            _ => return None,
        };
        parts.next().is_none().then_some(Peer { addr, secure })
    }
}

/// Binds the internal socket tiny_http listens on: `.miauinv-<pid>.sock` in
/// `dir` (the appdata directory, which every deployment has writable, a
/// `scratch` container included), or the temporary directory when that path
/// would be too long for a socket. Not an abstract socket: tiny_http's shutdown
/// connects to its listener by path. A file of that name is left over from an
/// earlier process with our pid (a container's pid 1) and is replaced.
pub fn bind_internal(dir: &std::path::Path) -> io::Result<(UnixListener, UnixAddr)> {
    let name = format!(".miauinv-{}.sock", std::process::id());
    let mut path = dir.join(&name);
    // A socket path has at most 107 bytes; a deeply nested appdata falls back
    // to the system's temporary directory.
    if path.as_os_str().len() > 100 {
        path = std::env::temp_dir().join(name);
    }
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let listener = UnixListener::bind(&path)?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

const RUNNING: u8 = 0;
const DRAINING: u8 = 1;

struct Shared {
    limits: Limits,
    backend: UnixAddr,
    tag: Arc<PeerTag>,
    tls: Option<Arc<Tls>>,
    open: AtomicUsize,
    state: AtomicU8,
}

/// The running front listener.
pub struct Front {
    shared: Arc<Shared>,
    wakers: Vec<Arc<Waker>>,
    loops: Vec<JoinHandle<()>>,
}

impl Front {
    /// Serves `public` with `threads` event loops, relaying to `backend`.
    pub fn start(
        public: std::net::TcpListener,
        backend: UnixAddr,
        tag: Arc<PeerTag>,
        tls: Option<Arc<Tls>>,
        limits: Limits,
        threads: usize,
    ) -> Result<Front, String> {
        public
            .set_nonblocking(true)
            .map_err(|e| format!("cannot configure listener: {e}"))?;
        let shared = Arc::new(Shared {
            limits,
            backend,
            tag,
            tls,
            open: AtomicUsize::new(0),
            state: AtomicU8::new(RUNNING),
        });
        let mut front = Front {
            shared,
            wakers: Vec::new(),
            loops: Vec::new(),
        };
        for n in 0..threads.max(1) {
            let listener = public
                .try_clone()
                .map_err(|e| format!("cannot share listener: {e}"))?;
            let poll = Poll::new().map_err(|e| format!("cannot create poller: {e}"))?;
            let waker = Arc::new(
                Waker::new(poll.registry(), WAKER)
                    .map_err(|e| format!("cannot create waker: {e}"))?,
            );
            let shared = front.shared.clone();
            let handle = std::thread::Builder::new()
                .name(format!("front-{n}"))
                .spawn(move || EventLoop::new(shared, poll).run(TcpListener::from_std(listener)))
                .map_err(|e| format!("cannot start listener thread: {e}"))?;
            front.wakers.push(waker);
            front.loops.push(handle);
        }
        Ok(front)
    }

    /// Stops accepting, closes idle connections, lets requests already received
    /// finish and their responses reach the client (at most `DRAIN_GRACE`), then
    /// closes everything.
    pub fn drain(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.shared.state.store(DRAINING, Ordering::SeqCst);
        for w in &self.wakers {
            let _ = w.wake();
        }
        for l in self.loops.drain(..) {
            let _ = l.join();
        }
    }

    /// Connections open right now.
    pub fn open_connections(&self) -> usize {
        self.shared.open.load(Ordering::Relaxed)
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Longest wait for in-flight requests at shutdown.
pub const DRAIN_GRACE: Duration = Duration::from_secs(10);

/// Where a connection is in the current request, from the client's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// Waiting for (more of) a request head.
    Head,
    /// `remaining` body bytes of a Content-Length request.
    Body {
        remaining: u64,
    },
    Chunked(Chunk),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    Size { line: usize },
    Data { remaining: u64 },
    DataEnd { seen: u8 },
    Trailer { line: usize },
}

enum Transport {
    Plain,
    Tls(Box<rustls::ServerConnection>),
}

struct Conn {
    client: TcpStream,
    peer: SocketAddr,
    transport: Transport,
    backend: Option<UnixStream>,
    /// Client plaintext: `..ready` may go to tiny_http, `..parsed` is framed.
    up: Vec<u8>,
    ready: usize,
    parsed: usize,
    /// Offset in `up` where the current request's head starts.
    request_at: usize,
    framing: Framing,
    /// The current request is held back until its body is complete.
    hold: bool,
    body_seen: usize,
    /// tiny_http's output not yet handed to the client transport.
    down: Vec<u8>,
    accepted: Instant,
    request_started: Option<Instant>,
    last_activity: Instant,
    /// A request was passed on and no response byte has come back yet.
    awaiting: bool,
    served: bool,
    client_eof: bool,
    backend_eof: bool,
    backend_shut: bool,
    /// An answer of our own, sent once tiny_http has finished earlier responses.
    error: Option<&'static str>,
    /// Close once everything queued has reached the client.
    closing: bool,
    linger_until: Option<Instant>,
}

#[derive(PartialEq, Eq)]
enum Verdict {
    Keep,
    Close,
}

struct EventLoop {
    shared: Arc<Shared>,
    poll: Poll,
    conns: Vec<Option<Conn>>,
    free: Vec<usize>,
    scratch: Vec<u8>,
    draining: bool,
}

impl EventLoop {
    fn new(shared: Arc<Shared>, poll: Poll) -> EventLoop {
        EventLoop {
            shared,
            poll,
            conns: Vec::new(),
            free: Vec::new(),
            scratch: vec![0; READ_CHUNK],
            draining: false,
        }
    }

    fn run(mut self, listener: TcpListener) {
        let mut listener = Some(listener);
        if let Some(l) = listener.as_mut()
            && let Err(e) = self
                .poll
                .registry()
                .register(l, LISTENER, Interest::READABLE)
        {
            eprintln!("listener: cannot register: {e}");
            return;
        }
        let mut events = Events::with_capacity(1024);
        let mut next_sweep = Instant::now() + Duration::from_secs(1);
        let mut drain_deadline = None;
        loop {
            let now = Instant::now();
            let wait = next_sweep.saturating_duration_since(now);
            if let Err(e) = self.poll.poll(&mut events, Some(wait))
                && e.kind() != io::ErrorKind::Interrupted
            {
                eprintln!("listener: poll failed: {e}");
                break;
            }
            for event in events.iter() {
                match event.token() {
                    LISTENER => {
                        if let Some(l) = listener.as_ref() {
                            self.accept_all(l);
                        }
                    }
                    WAKER => {}
                    Token(t) => self.pump((t - 2) / 2),
                }
            }
            if !self.draining && self.shared.state.load(Ordering::SeqCst) == DRAINING {
                self.draining = true;
                if let Some(mut l) = listener.take() {
                    let _ = self.poll.registry().deregister(&mut l);
                }
                drain_deadline = Some(Instant::now() + DRAIN_GRACE);
                for id in 0..self.conns.len() {
                    self.pump(id);
                }
            }
            let now = Instant::now();
            if now >= next_sweep || self.draining {
                self.sweep(now);
                if let Some(l) = listener.as_ref() {
                    // Retry accepts that failed for lack of file descriptors.
                    self.accept_all(l);
                }
                next_sweep = now + Duration::from_millis(if self.draining { 50 } else { 1000 });
            }
            if self.draining
                && (self.conns.iter().all(Option::is_none)
                    || drain_deadline.is_some_and(|d| now >= d))
            {
                for id in 0..self.conns.len() {
                    self.close(id);
                }
                return;
            }
        }
    }

    fn accept_all(&mut self, listener: &TcpListener) {
        loop {
            match listener.accept() {
                Ok((stream, peer)) => self.admit(stream, peer),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    // Out of file descriptors or similar: keep the backlog and
                    // retry at the next sweep rather than spin.
                    eprintln!("listener: accept failed: {e}");
                    return;
                }
            }
        }
    }

    fn admit(&mut self, mut stream: TcpStream, peer: SocketAddr) {
        let shared = &self.shared;
        if shared.open.fetch_add(1, Ordering::SeqCst) >= shared.limits.max_connections {
            shared.open.fetch_sub(1, Ordering::SeqCst);
            if shared.tls.is_none() {
                // Best effort: one non-blocking write, then close.
                let _ = stream.write(answers().over_capacity.as_bytes());
            }
            return;
        }
        let _ = stream.set_nodelay(true);
        let transport = match &shared.tls {
            None => Transport::Plain,
            Some(tls) => match rustls::ServerConnection::new(tls.config()) {
                Ok(c) => Transport::Tls(Box::new(c)),
                Err(e) => {
                    eprintln!("listener: TLS session setup failed: {e}");
                    shared.open.fetch_sub(1, Ordering::SeqCst);
                    return;
                }
            },
        };
        let id = match self.free.pop() {
            Some(id) => id,
            None => {
                self.conns.push(None);
                self.conns.len() - 1
            }
        };
        if let Err(e) = self.poll.registry().register(
            &mut stream,
            Token(2 + 2 * id),
            Interest::READABLE | Interest::WRITABLE,
        ) {
            eprintln!("listener: cannot register connection: {e}");
            shared.open.fetch_sub(1, Ordering::SeqCst);
            self.free.push(id);
            return;
        }
        let now = Instant::now();
        self.conns[id] = Some(Conn {
            client: stream,
            peer,
            transport,
            backend: None,
            up: Vec::new(),
            ready: 0,
            parsed: 0,
            request_at: 0,
            framing: Framing::Head,
            hold: false,
            body_seen: 0,
            down: Vec::new(),
            accepted: now,
            request_started: None,
            last_activity: now,
            awaiting: false,
            served: false,
            client_eof: false,
            backend_eof: false,
            backend_shut: false,
            error: None,
            closing: false,
            linger_until: None,
        });
    }

    /// Moves bytes both ways until nothing more can move, then decides.
    fn pump(&mut self, id: usize) {
        let Some(mut conn) = self.conns.get_mut(id).and_then(Option::take) else {
            return;
        };
        let verdict = conn.pump(
            &self.shared,
            self.poll.registry(),
            id,
            &mut self.scratch,
            self.draining,
        );
        self.conns[id] = Some(conn);
        if verdict == Verdict::Close {
            self.close(id);
        }
    }

    fn sweep(&mut self, now: Instant) {
        for id in 0..self.conns.len() {
            let expired = match &self.conns[id] {
                Some(c) => now >= c.deadline(&self.shared.limits),
                None => false,
            };
            if expired {
                self.close(id);
            } else if self.draining {
                self.pump(id);
            }
        }
    }

    fn close(&mut self, id: usize) {
        let Some(mut conn) = self.conns.get_mut(id).and_then(Option::take) else {
            return;
        };
        if let Transport::Tls(tls) = &mut conn.transport {
            tls.send_close_notify();
            let _ = tls.write_tls(&mut conn.client);
        }
        let registry = self.poll.registry();
        let _ = registry.deregister(&mut conn.client);
        if let Some(mut b) = conn.backend.take() {
            let _ = registry.deregister(&mut b);
        }
        self.shared.open.fetch_sub(1, Ordering::SeqCst);
        self.free.push(id);
    }
}

fn error_response(status: &str, code: &str, message: &str) -> String {
    let body = format!("{{\"error\":\"{message}\",\"code\":\"{code}\"}}");
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Front-made answers, built once.
struct Answers {
    head_too_large: String,
    bad_request: String,
    not_ascii: String,
    body_too_large: String,
    unavailable: String,
    over_capacity: String,
}

fn answers() -> &'static Answers {
    static ANSWERS: std::sync::OnceLock<Answers> = std::sync::OnceLock::new();
    ANSWERS.get_or_init(|| Answers {
        head_too_large: error_response(
            "431 Request Header Fields Too Large",
            "request_header_fields_too_large",
            &format!("The request line and headers are larger than {MAX_HEAD} bytes."),
        ),
        bad_request: error_response(
            "400 Bad Request",
            "malformed_request",
            "The request is not valid HTTP/1.1.",
        ),
        not_ascii: error_response(
            "400 Bad Request",
            "malformed_request",
            "The request line and headers must be ASCII: percent-encode other characters in the URL.",
        ),
        body_too_large: error_response(
            "413 Payload Too Large",
            "payload_too_large",
            &format!("The request body is larger than {MAX_BODY} bytes."),
        ),
        unavailable: error_response(
            "503 Service Unavailable",
            "unavailable",
            "The server cannot take the request right now.",
        ),
        over_capacity: error_response(
            "503 Service Unavailable",
            "too_many_connections",
            "The server has too many open connections.",
        ),
    })
}

impl Conn {
    fn pump(
        &mut self,
        shared: &Shared,
        registry: &Registry,
        id: usize,
        scratch: &mut [u8],
        draining: bool,
    ) -> Verdict {
        loop {
            let mut progress = false;
            match self.step(shared, registry, id, scratch, draining) {
                Ok(p) => progress |= p,
                Err(_) => return Verdict::Close,
            }
            if let Some(until) = self.linger_until {
                if Instant::now() >= until {
                    return Verdict::Close;
                }
                if self.client_eof {
                    return Verdict::Close;
                }
            }
            if !progress {
                break;
            }
        }
        self.verdict(draining)
    }

    /// One round of moving bytes; returns whether anything moved.
    fn step(
        &mut self,
        shared: &Shared,
        registry: &Registry,
        id: usize,
        scratch: &mut [u8],
        draining: bool,
    ) -> io::Result<bool> {
        let mut progress = false;
        if self.linger_until.is_some() {
            // Discard whatever the client still sends until it closes.
            progress |= self.discard_client(scratch)?;
            progress |= self.send_client()?;
            return Ok(progress);
        }
        if !self.client_eof && self.error.is_none() && self.up.len() < UP_CAP {
            progress |= self.read_client(scratch)?;
        }
        if self.error.is_none() {
            self.frame(&shared.tag, draining);
        }
        if self.ready > 0 {
            progress |= self.send_backend(shared, registry, id)?;
        }
        if self.backend.is_some() && !self.backend_eof && self.down.len() < DOWN_CAP {
            progress |= self.read_backend(scratch)?;
        }
        progress |= self.finish_half_closed()?;
        if let Some(answer) = self.error
            && (self.backend.is_none() || self.backend_eof)
            && !self.closing
        {
            // Earlier responses on this connection are through: our answer last.
            self.down.extend_from_slice(answer.as_bytes());
            self.closing = true;
            progress = true;
        }
        progress |= self.send_client()?;
        if self.closing && self.error.is_some() && !self.has_pending_out() {
            if let Transport::Tls(tls) = &mut self.transport {
                tls.send_close_notify();
                let _ = flush_tls(tls, &mut self.client);
            }
            let _ = self.client.shutdown(Shutdown::Write);
            self.linger_until = Some(Instant::now() + LINGER);
            progress = true;
        }
        if progress {
            self.last_activity = Instant::now();
        }
        Ok(progress)
    }

    fn read_client(&mut self, scratch: &mut [u8]) -> io::Result<bool> {
        let space = (UP_CAP - self.up.len()).min(scratch.len());
        let mut progress = false;
        match &mut self.transport {
            Transport::Plain => match self.client.read(&mut scratch[..space]) {
                Ok(0) => {
                    self.client_eof = true;
                    progress = true;
                }
                Ok(n) => {
                    self.up.extend_from_slice(&scratch[..n]);
                    progress = true;
                }
                Err(e) if retry_later(&e) => {}
                Err(e) => return Err(e),
            },
            Transport::Tls(tls) => {
                loop {
                    match tls.reader().read(&mut scratch[..space]) {
                        Ok(0) => {
                            self.client_eof = true;
                            progress = true;
                            break;
                        }
                        Ok(n) => {
                            self.up.extend_from_slice(&scratch[..n]);
                            progress = true;
                            break;
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                            self.client_eof = true;
                            progress = true;
                            break;
                        }
                        Err(e) => return Err(e),
                    }
                    if !tls.wants_read() {
                        break;
                    }
                    match tls.read_tls(&mut self.client) {
                        Ok(0) => {
                            self.client_eof = true;
                            progress = true;
                            break;
                        }
                        Ok(_) => {
                            progress = true;
                            if let Err(e) = tls.process_new_packets() {
                                // Send the alert, then give up on the connection.
                                let _ = tls.write_tls(&mut self.client);
                                return Err(io::Error::new(io::ErrorKind::InvalidData, e));
                            }
                        }
                        Err(e) if retry_later(&e) => break,
                        Err(e) => return Err(e),
                    }
                }
                // Handshake messages may be due even without plaintext to send.
                progress |= flush_tls(tls, &mut self.client)?;
            }
        }
        Ok(progress)
    }

    fn discard_client(&mut self, scratch: &mut [u8]) -> io::Result<bool> {
        let mut progress = false;
        loop {
            let n = match &mut self.transport {
                Transport::Plain => match self.client.read(scratch) {
                    Ok(n) => n,
                    Err(e) if retry_later(&e) => return Ok(progress),
                    Err(e) => return Err(e),
                },
                Transport::Tls(tls) => match tls.read_tls(&mut self.client) {
                    Ok(n) => {
                        if tls.process_new_packets().is_err() {
                            return Err(io::ErrorKind::InvalidData.into());
                        }
                        while matches!(tls.reader().read(scratch), Ok(k) if k > 0) {}
                        n
                    }
                    Err(e) if retry_later(&e) => return Ok(progress),
                    Err(e) => return Err(e),
                },
            };
            if n == 0 {
                self.client_eof = true;
                return Ok(true);
            }
            progress = true;
        }
    }

    /// Walks the new client bytes through the request framing, releasing
    /// complete requests (or long bodies as they stream) to tiny_http.
    fn frame(&mut self, tag: &PeerTag, draining: bool) {
        while self.parsed < self.up.len() || self.framing == Framing::Head {
            match self.framing {
                Framing::Head => {
                    if self.parsed == self.up.len() {
                        return;
                    }
                    if self.request_started.is_none() {
                        self.request_started = Some(if self.served {
                            Instant::now()
                        } else {
                            self.accepted
                        });
                    }
                    let head = &self.up[self.request_at..];
                    let end = match find_head_end(head) {
                        Some(end) => end,
                        None => {
                            self.parsed = self.up.len();
                            if head.len() > MAX_HEAD {
                                self.fail(&answers().head_too_large);
                            }
                            return;
                        }
                    };
                    if end > MAX_HEAD {
                        self.fail(&answers().head_too_large);
                        return;
                    }
                    if draining {
                        // A new request after shutdown began: close instead.
                        self.up.truncate(self.ready);
                        self.parsed = self.ready;
                        self.request_at = self.ready;
                        self.closing = true;
                        self.client_eof = true;
                        return;
                    }
                    let (framing, expects_continue) = match body_framing(&head[..end]) {
                        Ok(f) => f,
                        Err(answer) => {
                            self.fail(answer);
                            return;
                        }
                    };
                    // Whose request this is goes first, right after the request
                    // line (the head ends in a blank line, so a line end exists).
                    let line_end = head
                        .windows(2)
                        .position(|w| w == b"\r\n")
                        .map_or(0, |p| p + 2);
                    let line = tag.line(self.peer, matches!(self.transport, Transport::Tls(_)));
                    let at = self.request_at + line_end;
                    self.up.splice(at..at, line.bytes());
                    let end = end + line.len();
                    self.parsed = self.request_at + end;
                    self.body_seen = 0;
                    // A client waiting for "100 Continue" gets it from tiny_http,
                    // which needs the head for that.
                    self.hold = !expects_continue;
                    self.framing = framing;
                    if self.framing == (Framing::Body { remaining: 0 }) {
                        self.framing = Framing::Head;
                    }
                    if self.framing == Framing::Head {
                        self.release_request();
                    } else {
                        self.release_if_long();
                    }
                }
                Framing::Body { remaining } => {
                    let n = (remaining).min((self.up.len() - self.parsed) as u64) as usize;
                    self.parsed += n;
                    self.body_seen += n;
                    let remaining = remaining - n as u64;
                    if remaining == 0 {
                        self.framing = Framing::Head;
                        self.release_request();
                    } else {
                        self.framing = Framing::Body { remaining };
                        self.release_if_long();
                        return;
                    }
                }
                Framing::Chunked(state) => {
                    let start = self.parsed;
                    let result = walk_chunked(state, &self.up[self.parsed..]);
                    self.parsed += result.consumed;
                    self.body_seen += self.parsed - start;
                    match result.state {
                        Err(()) => {
                            self.fail(&answers().bad_request);
                            return;
                        }
                        Ok(None) => {
                            self.framing = Framing::Head;
                            self.release_request();
                        }
                        Ok(Some(state)) => {
                            self.framing = Framing::Chunked(state);
                            if self.body_seen > MAX_BODY + HOLD_BODY {
                                self.fail(&answers().body_too_large);
                                return;
                            }
                            self.release_if_long();
                            return;
                        }
                    }
                }
            }
        }
    }

    /// The current request is complete: tiny_http may have it.
    fn release_request(&mut self) {
        self.ready = self.parsed;
        self.request_at = self.parsed;
        self.hold = false;
        self.awaiting = true;
        self.served = true;
        self.request_started = None;
    }

    /// A body too long to collect streams through from here on.
    fn release_if_long(&mut self) {
        if self.hold && self.body_seen > HOLD_BODY {
            self.hold = false;
        }
        if !self.hold {
            self.ready = self.parsed;
        }
    }

    /// Answer `answer` (after responses already under way) and close.
    fn fail(&mut self, answer: &'static str) {
        self.error = Some(answer);
        // Nothing more of this request goes to tiny_http.
        self.up.truncate(self.ready);
        self.parsed = self.ready;
        self.request_at = self.request_at.min(self.ready);
    }

    fn send_backend(
        &mut self,
        shared: &Shared,
        registry: &Registry,
        id: usize,
    ) -> io::Result<bool> {
        if self.backend.is_none() {
            let mut stream = match UnixStream::connect_addr(&shared.backend) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("listener: cannot reach the workers: {e}");
                    self.fail(&answers().unavailable);
                    return Ok(true);
                }
            };
            registry.register(
                &mut stream,
                Token(3 + 2 * id),
                Interest::READABLE | Interest::WRITABLE,
            )?;
            self.backend = Some(stream);
        }
        let backend = self.backend.as_mut().expect("connected above");
        let mut sent = 0;
        while sent < self.ready {
            match backend.write(&self.up[sent..self.ready]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => sent += n,
                Err(e) if e.kind() == io::ErrorKind::NotConnected => break,
                Err(e) if retry_later(&e) => break,
                Err(e) => return Err(e),
            }
        }
        if sent > 0 {
            self.up.drain(..sent);
            self.ready -= sent;
            self.parsed -= sent;
            self.request_at -= sent;
        }
        Ok(sent > 0)
    }

    fn read_backend(&mut self, scratch: &mut [u8]) -> io::Result<bool> {
        let backend = self.backend.as_mut().expect("checked by caller");
        let space = (DOWN_CAP - self.down.len()).min(scratch.len());
        match backend.read(&mut scratch[..space]) {
            Ok(0) => {
                self.backend_eof = true;
                Ok(true)
            }
            Ok(n) => {
                self.down.extend_from_slice(&scratch[..n]);
                self.awaiting = false;
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
            Err(e) if retry_later(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The client stopped sending (or we stopped listening to it): once all of
    /// its bytes are with tiny_http, tell tiny_http so it finishes and closes.
    fn finish_half_closed(&mut self) -> io::Result<bool> {
        let done_sending = (self.client_eof || self.error.is_some()) && self.ready == 0;
        if done_sending
            && !self.backend_shut
            && let Some(b) = &self.backend
        {
            self.backend_shut = true;
            let _ = b.shutdown(Shutdown::Write);
            return Ok(true);
        }
        Ok(false)
    }

    fn send_client(&mut self) -> io::Result<bool> {
        let mut progress = false;
        match &mut self.transport {
            Transport::Plain => {
                let mut sent = 0;
                while sent < self.down.len() {
                    match self.client.write(&self.down[sent..]) {
                        Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                        Ok(n) => sent += n,
                        Err(e) if retry_later(&e) => break,
                        Err(e) => return Err(e),
                    }
                }
                if sent > 0 {
                    self.down.drain(..sent);
                    progress = true;
                }
            }
            Transport::Tls(tls) => loop {
                if !self.down.is_empty() {
                    let n = tls.writer().write(&self.down)?;
                    if n > 0 {
                        self.down.drain(..n);
                        progress = true;
                    }
                }
                let wrote = flush_tls(tls, &mut self.client)?;
                progress |= wrote;
                if !wrote || self.down.is_empty() {
                    break;
                }
            },
        }
        Ok(progress)
    }

    fn has_pending_out(&self) -> bool {
        !self.down.is_empty()
            || match &self.transport {
                Transport::Plain => false,
                Transport::Tls(tls) => tls.wants_write(),
            }
    }

    fn verdict(&self, draining: bool) -> Verdict {
        if self.linger_until.is_some() {
            return Verdict::Keep;
        }
        let flushed = !self.has_pending_out();
        // tiny_http closed its side (Connection: close, or it saw our EOF).
        if self.backend_eof && flushed && self.error.is_none() {
            return Verdict::Close;
        }
        if self.client_eof && self.backend.is_none() && flushed && self.error.is_none() {
            return Verdict::Close;
        }
        if self.closing && self.error.is_none() && flushed {
            return Verdict::Close;
        }
        if draining && !self.busy() {
            return Verdict::Close;
        }
        Verdict::Keep
    }

    /// Whether a request has been received that is not yet fully answered.
    fn busy(&self) -> bool {
        self.framing != Framing::Head
            || self.awaiting
            || self.ready > 0
            || self.has_pending_out()
            || self.error.is_some()
    }

    fn deadline(&self, limits: &Limits) -> Instant {
        if let Some(until) = self.linger_until {
            return until;
        }
        let request = match (self.framing, self.request_started) {
            // A new connection gets the header timeout for handshake and head.
            (Framing::Head, None) if !self.served => self.accepted + limits.header_timeout,
            (Framing::Head, None) => self.last_activity + limits.idle_timeout,
            (Framing::Head, Some(start)) => start + limits.header_timeout,
            (_, start) => {
                start.unwrap_or(self.accepted) + limits.header_timeout + limits.body_timeout
            }
        };
        if self.awaiting || self.has_pending_out() {
            // A response is on its way: it may pause up to the idle timeout.
            request.max(self.last_activity + limits.idle_timeout)
        } else {
            request
        }
    }
}

fn flush_tls(tls: &mut rustls::ServerConnection, client: &mut TcpStream) -> io::Result<bool> {
    let mut progress = false;
    while tls.wants_write() {
        match tls.write_tls(client) {
            Ok(0) => break,
            Ok(_) => progress = true,
            Err(e) if retry_later(&e) => break,
            Err(e) => return Err(e),
        }
    }
    Ok(progress)
}

fn retry_later(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
    )
}

/// Index just past the blank line ending a request head.
fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

/// How the body of a request with this head is framed. Refuses what could be
/// read two ways (request smuggling) and what tiny_http would misread.
fn body_framing(head: &[u8]) -> Result<(Framing, bool), &'static str> {
    let bad = &answers().bad_request;
    // tiny_http drops a connection whose head holds a non-ASCII byte without
    // answering; say why instead.
    if !head.is_ascii() {
        return Err(&answers().not_ascii);
    }
    let text = std::str::from_utf8(head).map_err(|_| bad.as_str())?;
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or("");
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad);
    };
    if method.is_empty()
        || !method.bytes().all(|b| b.is_ascii_uppercase())
        || target.is_empty()
        || !(version == "HTTP/1.1" || version == "HTTP/1.0")
    {
        return Err(bad);
    }
    let mut length: Option<u64> = None;
    let mut chunked = false;
    let mut expects_continue = false;
    for line in lines.take_while(|l| !l.is_empty()) {
        if line.starts_with([' ', '\t']) {
            return Err(bad); // obsolete line folding
        }
        let (name, value) = line.split_once(':').ok_or(bad.as_str())?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            let n: u64 = value.parse().map_err(|_| bad.as_str())?;
            if length.is_some_and(|l| l != n) {
                return Err(bad);
            }
            length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            if !value.eq_ignore_ascii_case("chunked") || chunked {
                return Err(bad);
            }
            chunked = true;
        } else if name.eq_ignore_ascii_case("expect") {
            expects_continue = value.eq_ignore_ascii_case("100-continue");
        }
    }
    let framing = match (length, chunked) {
        (Some(_), true) => return Err(bad),
        (Some(n), false) if n > MAX_BODY as u64 => return Err(&answers().body_too_large),
        (Some(n), false) => Framing::Body { remaining: n },
        (None, true) => Framing::Chunked(Chunk::Size { line: 0 }),
        (None, false) => Framing::Body { remaining: 0 },
    };
    Ok((framing, expects_continue))
}

struct ChunkWalk {
    consumed: usize,
    /// Ok(None) = body complete; Err = malformed.
    state: Result<Option<Chunk>, ()>,
}

/// Follows chunked framing over `buf` without decoding it.
fn walk_chunked(mut state: Chunk, buf: &[u8]) -> ChunkWalk {
    const MAX_LINE: usize = 1024;
    let mut i = 0;
    // A partial size line is left unconsumed and re-read whole next time.
    if let Chunk::Size { .. } = state {
        state = Chunk::Size { line: 0 };
    }
    while i < buf.len() {
        match state {
            Chunk::Size { line } => {
                let rest = &buf[i..];
                let Some(nl) = rest.iter().position(|&b| b == b'\n') else {
                    if line + rest.len() > MAX_LINE {
                        return ChunkWalk {
                            consumed: i,
                            state: Err(()),
                        };
                    }
                    // Leave the partial line unconsumed; it is re-read later.
                    return ChunkWalk {
                        consumed: i,
                        state: Ok(Some(Chunk::Size { line: rest.len() })),
                    };
                };
                let text = std::str::from_utf8(&rest[..nl]).unwrap_or("!");
                let digits = text.trim_end_matches('\r');
                let digits = digits.split(';').next().unwrap_or("").trim();
                let Ok(size) = u64::from_str_radix(digits, 16) else {
                    return ChunkWalk {
                        consumed: i,
                        state: Err(()),
                    };
                };
                i += nl + 1;
                state = if size == 0 {
                    Chunk::Trailer { line: 0 }
                } else {
                    Chunk::Data { remaining: size }
                };
            }
            Chunk::Data { remaining } => {
                let n = remaining.min((buf.len() - i) as u64);
                i += n as usize;
                state = if n == remaining {
                    Chunk::DataEnd { seen: 0 }
                } else {
                    Chunk::Data {
                        remaining: remaining - n,
                    }
                };
            }
            Chunk::DataEnd { seen } => {
                let expected = if seen == 0 { b'\r' } else { b'\n' };
                if buf[i] != expected {
                    return ChunkWalk {
                        consumed: i,
                        state: Err(()),
                    };
                }
                i += 1;
                state = if seen == 0 {
                    Chunk::DataEnd { seen: 1 }
                } else {
                    Chunk::Size { line: 0 }
                };
            }
            Chunk::Trailer { line } => {
                let b = buf[i];
                i += 1;
                if b == b'\n' {
                    if line == 0 {
                        return ChunkWalk {
                            consumed: i,
                            state: Ok(None),
                        };
                    }
                    state = Chunk::Trailer { line: 0 };
                } else if b != b'\r' {
                    if line >= MAX_LINE {
                        return ChunkWalk {
                            consumed: i,
                            state: Err(()),
                        };
                    }
                    state = Chunk::Trailer { line: line + 1 };
                }
            }
        }
    }
    ChunkWalk {
        consumed: i,
        state: Ok(Some(state)),
    }
}

/// Lets the process open as many sockets as its hard limit allows: each
/// client connection needs up to three descriptors (client, and both ends of
/// the internal connection).
// rlim_t is u64 on the 64-bit Linux targets but not everywhere; the cast keeps
// the comparison portable.
#[allow(clippy::unnecessary_cast)]
pub fn raise_fd_limit(max_connections: usize) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct passed in.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return;
        }
        if limit.rlim_cur < limit.rlim_max {
            let wanted = limit.rlim_max;
            limit.rlim_cur = wanted;
            let _ = libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
        let _ = libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
    }
    let needed = (max_connections as u64) * 3 + 64;
    if (limit.rlim_cur as u64) < needed {
        eprintln!(
            "warning: the open-file limit ({}) is below what max_connections {} needs ({}); lower max_connections or raise the limit (ulimit -n)",
            limit.rlim_cur, max_connections, needed
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_walk_finds_the_end_across_pieces() {
        let body = b"4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nX-T: 1\r\n\r\n";
        for split in 1..body.len() {
            let first = walk_chunked(Chunk::Size { line: 0 }, &body[..split]);
            let state = first.state.unwrap().expect("not done after a prefix");
            let second = walk_chunked(state, &body[first.consumed..]);
            assert_eq!(
                first.consumed + second.consumed,
                body.len(),
                "split {split}"
            );
            assert_eq!(second.state, Ok(None), "split {split}");
        }
    }

    #[test]
    fn chunked_walk_refuses_garbage() {
        let r = walk_chunked(Chunk::Size { line: 0 }, b"zz\r\n");
        assert_eq!(r.state, Err(()));
        let r = walk_chunked(Chunk::Size { line: 0 }, b"1\r\naXY");
        assert_eq!(r.state, Err(()));
    }

    #[test]
    fn smuggling_shapes_are_refused() {
        let both = b"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert!(body_framing(both).is_err());
        let twice = b"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n";
        assert!(body_framing(twice).is_err());
        let folded = b"GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n";
        assert!(body_framing(folded).is_err());
        let ok = b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\n";
        assert_eq!(
            body_framing(ok),
            Ok((Framing::Body { remaining: 3 }, false))
        );
    }
}
