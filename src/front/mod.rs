//! The front listener (layer: front, the top of the request path): every
//! public connection is accepted here, in a few event-loop threads (mio),
//! which enforce the connection caps, the timeouts and the size limits,
//! terminate TLS (rustls) when configured, and relay each complete request to
//! tiny_http on an internal Unix socket, over a few kept internal connections
//! that each carry one request at a time (`backends.rs`).
//!
//! Why a front at all: tiny_http spends a thread per connection and has no
//! timeouts, so a few thousand idle or trickling clients would exhaust it, and
//! a worker reading a body or writing an answer would wait on the network.
//! Here a client costs a small state struct and its buffers, never a thread:
//! tiny_http gets a request only once it is complete and hands back its answer
//! at memory speed (`conn.rs` says how).
//!
//! It deliberately does not interpret requests beyond their framing
//! (`framing.rs`), nor answers at all: tiny_http and the adapter behind it
//! (`server::adapter`) do that.
//!
//! The internal hop is a Unix socket, not loopback TCP: the same bytes cross
//! it without the TCP stack. The real client address and TLS-ness travel in a
//! signed header the front puts first in every relayed head (`peer.rs`).

mod answer_end;
mod answers;
mod backends;
mod conn;
mod event_loop;
mod framing;
mod outbox;
pub mod peer;
mod relay;
pub mod tls;
mod transport;

pub use framing::MAX_HEAD;
pub use peer::PeerTag;

use event_loop::{EventLoop, WAKER};
use mio::net::TcpListener;
use mio::{Poll, Waker};
use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::os::unix::net::{SocketAddr as UnixAddr, UnixListener};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use tls::Tls;

/// The limits of the front listener (config keys of the same names).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    /// Connections one client address may hold open.
    pub max_connections_per_client: usize,
    /// For the TLS handshake and a complete request head.
    pub header_timeout: Duration,
    /// For a request body, after its head.
    pub body_timeout: Duration,
    /// Keep-alive idle time, and the longest pause while a response is
    /// delivered to a slow client.
    pub idle_timeout: Duration,
    /// Kept internal connections to tiny_http each event loop may open.
    pub internal_connections: usize,
}

/// Longest wait for in-flight requests at shutdown.
pub const DRAIN_GRACE: Duration = Duration::from_secs(10);

/// What the event loops share.
struct Shared {
    limits: Limits,
    backend: UnixAddr,
    tag: Arc<PeerTag>,
    tls: Option<Arc<Tls>>,
    /// Where large request bodies are spooled (`conn.rs`).
    spool_dir: PathBuf,
    open: AtomicUsize,
    per_client: Mutex<HashMap<IpAddr, usize>>,
    draining: AtomicBool,
    /// Per event loop: its waker, how many idle keep-alive connections it
    /// holds, and newcomers handed to it to make room for (see `admit`).
    loops: Vec<LoopShare>,
    /// One internal connection opens at a time (`backends.rs` says why).
    opening: Arc<backends::OpeningGate>,
}

struct LoopShare {
    waker: Arc<Waker>,
    idle: AtomicUsize,
    handed: Mutex<Vec<(mio::net::TcpStream, std::net::SocketAddr)>>,
}

impl Shared {
    fn take_server_slot(&self) -> bool {
        let max = self.limits.max_connections;
        self.open
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < max).then_some(n + 1)
            })
            .is_ok()
    }

    fn take_client_slot(&self, ip: IpAddr) -> bool {
        let mut counts = self.per_client.lock().unwrap_or_else(|p| p.into_inner());
        let count = counts.entry(ip).or_insert(0);
        if *count >= self.limits.max_connections_per_client {
            return false;
        }
        *count += 1;
        true
    }

    fn release_client_slot(&self, ip: IpAddr) {
        let mut counts = self.per_client.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = counts.get_mut(&ip) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&ip);
            }
        }
    }

    /// Gives back both places of a connection that closes.
    fn release(&self, ip: IpAddr) {
        self.release_client_slot(ip);
        self.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The running front listener.
pub struct Front {
    shared: Arc<Shared>,
    loops: Vec<JoinHandle<()>>,
}

impl Front {
    /// Serves `public` with `threads` event loops, relaying to `backend`;
    /// large request bodies wait in unnamed files in `spool_dir`.
    pub fn start(
        public: std::net::TcpListener,
        backend: UnixAddr,
        tag: Arc<PeerTag>,
        tls: Option<Arc<Tls>>,
        limits: Limits,
        threads: usize,
        spool_dir: PathBuf,
    ) -> Result<Front, String> {
        public
            .set_nonblocking(true)
            .map_err(|e| format!("cannot configure listener: {e}"))?;
        // Every poller and waker first: each loop can wake any other.
        let mut polls = Vec::new();
        let mut loops = Vec::new();
        for _ in 0..threads.max(1) {
            let poll = Poll::new().map_err(|e| format!("cannot create poller: {e}"))?;
            let waker = Waker::new(poll.registry(), WAKER)
                .map_err(|e| format!("cannot create waker: {e}"))?;
            polls.push(poll);
            loops.push(LoopShare {
                waker: Arc::new(waker),
                idle: AtomicUsize::new(0),
                handed: Mutex::new(Vec::new()),
            });
        }
        let opening = Arc::new(backends::OpeningGate::new(
            loops.iter().map(|l| l.waker.clone()).collect(),
        ));
        let shared = Arc::new(Shared {
            opening,
            limits,
            backend,
            tag,
            tls,
            spool_dir,
            open: AtomicUsize::new(0),
            per_client: Mutex::new(HashMap::new()),
            draining: AtomicBool::new(false),
            loops,
        });
        let mut front = Front {
            shared,
            loops: Vec::new(),
        };
        for (n, poll) in polls.into_iter().enumerate() {
            let listener = public
                .try_clone()
                .map_err(|e| format!("cannot share listener: {e}"))?;
            let shared = front.shared.clone();
            let handle = std::thread::Builder::new()
                .name(format!("front-{n}"))
                .spawn(move || EventLoop::new(shared, poll, n).run(TcpListener::from_std(listener)))
                .map_err(|e| format!("cannot start listener thread: {e}"))?;
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
        self.shared.draining.store(true, Ordering::SeqCst);
        for share in &self.shared.loops {
            let _ = share.waker.wake();
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

/// Lets the process open as many sockets as its hard limit allows: each
/// client connection needs up to three descriptors (client, and both ends of
/// the internal connection of its request in flight).
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
