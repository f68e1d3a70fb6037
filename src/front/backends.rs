//! The kept internal connections of one event loop (layer: front).
//!
//! Opening an internal connection per request cost a connect, an accept in
//! tiny_http's thread, a new task in its pool, and a close: 12–22 % of a
//! small read (bench/ANALYSIS.md). So each event loop keeps up to `cap`
//! connections to tiny_http open and lends each to one request at a time:
//! the request goes in whole, its answer is read to its end (`AnswerEnd`),
//! and the connection comes back for the next request.
//!
//! What stays true from the connection-per-request design: tiny_http reads
//! only complete requests, written at memory speed, and its answers are read
//! at memory speed; a tiny_http thread waits on the front, never on a client.
//! A request that finds every connection lent waits here (`waiters`), not
//! in tiny_http's queue, and is served by the next connection given back.
//!
//! A connection that breaks is dropped and the next request opens another;
//! one idle for `IDLE` is closed, so that an idle server keeps no
//! tiny_http thread for it.
//!
//! **One connection opens at a time, in the whole process** (`Opening`).
//! tiny_http's pool gives each new connection to an idle thread if its count
//! of idle threads says there is one, and that count lags: a thread woken for
//! one connection still counts as idle until it runs. A second connection
//! accepted in that moment is queued for a thread that will never come while
//! every thread serves a kept connection (seen in
//! `front_pool::eight_requests_on_fresh_connections_…`: answers waited until
//! a connection was closed). So a new connection is opened only once the one
//! opened before it has had its first answer byte, that is, a thread, or
//! `GRACE` has passed (a first request may be long; the thread comes in
//! microseconds). Requests that meet a connection opening wait like those
//! that meet all connections lent. A connection of a request's own (an
//! upload) does not wait for the gate: it is closed after its one answer,
//! so its thread comes back, and an upload must not wait for an import.
//! The rare race left (an upload's connection accepted in the same moment as
//! a kept one's) delays the kept one until a thread frees, at most until an
//! idle connection closes.

use mio::net::UnixStream;
use mio::{Interest, Registry, Token};
use std::collections::VecDeque;
use std::io::{self, Read};
use std::os::unix::net::SocketAddr as UnixAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long a kept connection's opening holds the gate at most: its first
/// request may be a long one (an export), and tiny_http's thread takes the
/// connection within microseconds, so after this the next may open anyway.
pub(super) const GRACE: Duration = Duration::from_millis(50);

/// Whether a kept internal connection is opening anywhere in the process
/// (since when, in microseconds after `epoch`, plus one; 0: none), and the
/// event loops to wake when it has opened (their waiting requests may open
/// the next).
pub(super) struct OpeningGate {
    taken_at: AtomicU64,
    epoch: Instant,
    wakers: Vec<Arc<mio::Waker>>,
}

impl OpeningGate {
    pub(super) fn new(wakers: Vec<Arc<mio::Waker>>) -> OpeningGate {
        OpeningGate {
            taken_at: AtomicU64::new(0),
            epoch: Instant::now(),
            wakers,
        }
    }

    fn now(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64 + 1
    }

    /// Whether a connection is opening and within its grace.
    pub(super) fn busy(&self) -> bool {
        let at = self.taken_at.load(Ordering::SeqCst);
        at != 0 && self.now().saturating_sub(at) < GRACE.as_micros() as u64
    }
}

/// The right to open a kept internal connection, held until it has its
/// first answer byte (or is dropped unanswered) or for `GRACE`; giving it
/// up wakes every event loop.
pub(super) struct Opening {
    gate: Arc<OpeningGate>,
    at: u64,
}

impl Opening {
    pub(super) fn take(gate: &Arc<OpeningGate>) -> Option<Opening> {
        let held = gate.taken_at.load(Ordering::SeqCst);
        if gate.busy() {
            return None;
        }
        let at = gate.now();
        gate.taken_at
            .compare_exchange(held, at, Ordering::SeqCst, Ordering::SeqCst)
            .ok()
            .map(|_| Opening {
                gate: gate.clone(),
                at,
            })
    }
}

impl Drop for Opening {
    fn drop(&mut self) {
        // Only if no other took it since, once this one's grace was over.
        let _ = self
            .gate
            .taken_at
            .compare_exchange(self.at, 0, Ordering::SeqCst, Ordering::SeqCst);
        for waker in &self.gate.wakers {
            let _ = waker.wake();
        }
    }
}

/// Tokens of kept connections start here, far above every client slot's.
pub(super) const FIRST_TOKEN: usize = usize::MAX / 2;
/// How long an unused kept connection stays open.
const IDLE: Duration = Duration::from_secs(10);

/// A kept connection, lent to one request.
pub(super) struct Backend {
    pub(super) stream: UnixStream,
    id: usize,
}

pub(super) struct Backends {
    cap: usize,
    /// Connections open, lent or not.
    open: usize,
    /// Not lent, the most recently used last.
    idle: Vec<(Backend, Instant)>,
    /// Per connection id: the client slot it is lent to.
    lent_to: Vec<Option<usize>>,
    free_ids: Vec<usize>,
    /// Client slots whose complete request waits for a connection, in order
    /// of arrival. A slot may be listed twice or no longer wait: whoever
    /// takes it from here checks.
    pub(super) waiters: VecDeque<usize>,
}

/// Whether a request asking for a kept connection is new, or has waited in
/// line (`waiters`) for one already.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Turn {
    New,
    Waited,
}

impl Backends {
    pub(super) fn new(cap: usize) -> Backends {
        Backends {
            cap: cap.max(1),
            open: 0,
            idle: Vec::new(),
            lent_to: Vec::new(),
            free_ids: Vec::new(),
            waiters: VecDeque::new(),
        }
    }

    /// Whether a waiting request could get a connection now.
    pub(super) fn available(&self, opening: &OpeningGate) -> bool {
        !self.idle.is_empty() || (self.open < self.cap && !opening.busy())
    }

    /// Lends a connection to the request of `slot`: an idle one, or a new
    /// one while fewer than `cap` are open and no other is opening (the
    /// `Opening` comes with it then). None when it has to wait.
    pub(super) fn lend(
        &mut self,
        registry: &Registry,
        addr: &UnixAddr,
        slot: usize,
        gate: &Arc<OpeningGate>,
    ) -> io::Result<Option<(Backend, Option<Opening>)>> {
        let (backend, opening) = match self.idle.pop() {
            Some((backend, _)) => (backend, None),
            None if self.open < self.cap => {
                let Some(opening) = Opening::take(gate) else {
                    return Ok(None);
                };
                let mut stream = UnixStream::connect_addr(addr)?;
                let id = self.free_ids.pop().unwrap_or_else(|| {
                    self.lent_to.push(None);
                    self.lent_to.len() - 1
                });
                let token = Token(FIRST_TOKEN + id);
                if let Err(e) =
                    registry.register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)
                {
                    self.free_ids.push(id);
                    return Err(e);
                }
                self.open += 1;
                (Backend { stream, id }, Some(opening))
            }
            None => return Ok(None),
        };
        self.lent_to[backend.id] = Some(slot);
        Ok(Some((backend, opening)))
    }

    /// Takes back a connection whose answer was read to its end.
    pub(super) fn give_back(&mut self, backend: Backend) {
        self.lent_to[backend.id] = None;
        self.idle.push((backend, Instant::now()));
    }

    /// Closes a connection that cannot carry another request (broken, or
    /// its answer was not read to its end).
    pub(super) fn drop_backend(&mut self, registry: &Registry, mut backend: Backend) {
        let _ = registry.deregister(&mut backend.stream);
        self.lent_to[backend.id] = None;
        self.free_ids.push(backend.id);
        self.open -= 1;
    }

    /// The client slot an event on `token` is for; None for an idle
    /// connection, which is then checked (an idle connection has nothing to
    /// say: what it says is its end) and dropped if it ended.
    pub(super) fn event(&mut self, registry: &Registry, token: Token) -> Option<usize> {
        let id = token.0 - FIRST_TOKEN;
        if let Some(slot) = self.lent_to.get(id).copied().flatten() {
            return Some(slot);
        }
        let at = self.idle.iter().position(|(b, _)| b.id == id)?;
        let mut byte = [0u8; 1];
        match self.idle[at].0.stream.read(&mut byte) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            _ => {
                let (backend, _) = self.idle.swap_remove(at);
                self.drop_backend(registry, backend);
            }
        }
        None
    }

    /// Closes the connections unused for `IDLE` (all of them when draining).
    pub(super) fn sweep(&mut self, registry: &Registry, now: Instant, draining: bool) {
        let mut n = 0;
        while n < self.idle.len() {
            if draining || now.duration_since(self.idle[n].1) >= IDLE {
                let (backend, _) = self.idle.swap_remove(n);
                self.drop_backend(registry, backend);
            } else {
                n += 1;
            }
        }
    }
}
