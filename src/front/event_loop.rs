//! One event loop of the front (layer: front): accepts connections (caps and
//! eviction), wakes the connection an event is for, and sweeps out those whose
//! deadline passed. Every loop accepts from the same listening socket; when
//! the server is full and the accepting loop holds no idle connection, it
//! hands the newcomer to a loop that does, which closes its oldest idle one.

use super::answers::{self, Answer};
use super::backends::{self, Backends};
use super::conn::{Conn, Cx, Verdict};
use super::transport::Transport;
use super::{DRAIN_GRACE, Shared};
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

// mio tokens. The listener and the waker have fixed ones; after them, each
// connection slot owns a pair, one for its client socket and one for an
// internal connection of its request's own (at most one at a time), so that
// an event on either wakes the same connection. Kept internal connections
// have tokens of their own from `backends::FIRST_TOKEN` on, and an event on
// one wakes the connection it is lent to.
const LISTENER: Token = Token(0);
pub(super) const WAKER: Token = Token(1);
const FIRST_SLOT_TOKEN: usize = 2;
const TOKENS_PER_SLOT: usize = 2;

fn client_token(slot: usize) -> Token {
    Token(FIRST_SLOT_TOKEN + slot * TOKENS_PER_SLOT)
}

fn backend_token(slot: usize) -> Token {
    Token(FIRST_SLOT_TOKEN + slot * TOKENS_PER_SLOT + 1)
}

fn slot_of(token: Token) -> usize {
    (token.0 - FIRST_SLOT_TOKEN) / TOKENS_PER_SLOT
}

pub(super) struct EventLoop {
    shared: Arc<Shared>,
    poll: Poll,
    /// Connection slots; a closed connection's slot is reused.
    conns: Vec<Option<Conn>>,
    free: Vec<usize>,
    draining: bool,
    /// This loop's place in `Shared::loops`.
    index: usize,
    backends: Backends,
}

impl EventLoop {
    pub(super) fn new(shared: Arc<Shared>, poll: Poll, index: usize) -> EventLoop {
        let backends = Backends::new(shared.limits.internal_connections);
        EventLoop {
            backends,
            shared,
            poll,
            conns: Vec::new(),
            free: Vec::new(),
            draining: false,
            index,
        }
    }

    pub(super) fn run(mut self, mut listener: TcpListener) {
        if let Err(e) = self
            .poll
            .registry()
            .register(&mut listener, LISTENER, Interest::READABLE)
        {
            eprintln!("listener: cannot register: {e}");
            return;
        }
        let mut listener = Some(listener);
        let mut events = Events::with_capacity(1024);
        let mut next_sweep = Instant::now() + Duration::from_secs(1);
        let mut drain_deadline = None;
        loop {
            let mut wait = next_sweep.saturating_duration_since(Instant::now());
            // Requests waiting for the opening gate try again when its grace
            // may have run out.
            if !self.backends.waiters.is_empty() {
                wait = wait.min(backends::GRACE);
            }
            if let Err(e) = self.poll.poll(&mut events, Some(wait))
                && e.kind() != io::ErrorKind::Interrupted
            {
                eprintln!("listener: poll failed: {e}");
                break;
            }
            for event in events.iter() {
                match event.token() {
                    LISTENER => {
                        if let Some(l) = &listener {
                            self.accept_all(l);
                        }
                    }
                    WAKER => {
                        self.take_handed();
                        self.serve_waiters();
                    }
                    token if token.0 >= backends::FIRST_TOKEN => {
                        if let Some(slot) = self.backends.event(self.poll.registry(), token) {
                            self.pump(slot);
                        }
                    }
                    token => self.pump(slot_of(token)),
                }
            }
            self.serve_waiters();
            if !self.draining && self.shared.draining.load(Ordering::SeqCst) {
                self.draining = true;
                if let Some(mut l) = listener.take() {
                    let _ = self.poll.registry().deregister(&mut l);
                }
                drain_deadline = Some(Instant::now() + DRAIN_GRACE);
            }
            let now = Instant::now();
            if now >= next_sweep || self.draining {
                self.sweep(now);
                self.backends
                    .sweep(self.poll.registry(), now, self.draining);
                if let Some(l) = &listener {
                    // Retry accepts that failed for lack of file descriptors.
                    self.accept_all(l);
                }
                next_sweep = now + Duration::from_millis(if self.draining { 50 } else { 1000 });
            }
            if self.draining
                && (self.conns.iter().all(Option::is_none)
                    || drain_deadline.is_some_and(|d| now >= d))
            {
                for slot in 0..self.conns.len() {
                    self.close(slot);
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

    fn admit(&mut self, stream: TcpStream, peer: SocketAddr) {
        // Counted by the socket's address: behind a reverse proxy that is the
        // proxy's for every client. The front does not read X-Forwarded-For
        // (the adapter does, per request, after the front), so a busy proxy
        // may need a higher `max_connections_per_client`.
        if !self.shared.take_client_slot(peer.ip()) {
            return self.refuse(stream);
        }
        if self.shared.take_server_slot() || self.evict_oldest_idle() {
            return self.settle(stream, peer);
        }
        // Full, and no idle connection here: a loop that has one makes room.
        let shared = self.shared.clone();
        let other = shared
            .loops
            .iter()
            .enumerate()
            .find(|(n, share)| *n != self.index && share.idle.load(Ordering::SeqCst) > 0);
        match other {
            Some((_, share)) => {
                lock(&share.handed).push((stream, peer));
                let _ = share.waker.wake();
            }
            None => {
                self.shared.release_client_slot(peer.ip());
                self.refuse(stream);
            }
        }
    }

    /// Newcomers another loop accepted while the server was full, for this
    /// loop to make room for (their client places are taken).
    fn take_handed(&mut self) {
        let handed = std::mem::take(&mut *lock(&self.shared.loops[self.index].handed));
        for (stream, peer) in handed {
            if self.shared.take_server_slot() || self.evict_oldest_idle() {
                self.settle(stream, peer);
            } else {
                self.shared.release_client_slot(peer.ip());
                self.refuse(stream);
            }
        }
    }

    fn refuse(&self, stream: TcpStream) {
        let answer = answers::bytes(Answer::OverCapacity);
        Transport::refuse(stream, &answer, self.shared.tls.is_some());
    }

    /// Serves a newcomer whose places (client and server) are taken.
    fn settle(&mut self, stream: TcpStream, peer: SocketAddr) {
        let _ = stream.set_nodelay(true);
        let transport = match Transport::new(stream, self.shared.tls.as_deref()) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("listener: TLS session setup failed: {e}");
                self.shared.release(peer.ip());
                return;
            }
        };
        let slot = self.free.pop().unwrap_or_else(|| {
            self.conns.push(None);
            self.conns.len() - 1
        });
        let mut conn = Conn::new(transport, peer);
        if let Err(e) = conn.register(self.poll.registry(), client_token(slot)) {
            eprintln!("listener: cannot register connection: {e}");
            self.shared.release(peer.ip());
            self.free.push(slot);
            return;
        }
        self.conns[slot] = Some(conn);
    }

    /// When the server is full, the oldest idle keep-alive connection of this
    /// loop is closed and its place taken. False if there is none (or another
    /// loop took the place first).
    fn evict_oldest_idle(&mut self) -> bool {
        let oldest = self
            .conns
            .iter()
            .enumerate()
            .filter_map(|(slot, c)| c.as_ref().filter(|c| c.is_idle()).map(|c| (c, slot)))
            .min_by_key(|(c, _)| c.last_activity())
            .map(|(_, slot)| slot);
        match oldest {
            Some(slot) => {
                self.close(slot);
                self.shared.take_server_slot()
            }
            None => false,
        }
    }

    /// Keeps this loop's count of idle connections, which other loops read.
    fn note_idle(&self, was: bool, is: bool) {
        let idle = &self.shared.loops[self.index].idle;
        match (was, is) {
            (false, true) => {
                idle.fetch_add(1, Ordering::SeqCst);
            }
            (true, false) => {
                idle.fetch_sub(1, Ordering::SeqCst);
            }
            _ => {}
        }
    }

    /// Lets the connection in `slot` move bytes (closing it if it is done),
    /// then lets requests that wait for a kept internal connection take the
    /// ones that became free.
    fn pump(&mut self, slot: usize) {
        self.pump_one(slot);
        self.serve_waiters();
    }

    /// Each request waiting now tries once more (one that still cannot go
    /// goes to the back of the line).
    fn serve_waiters(&mut self) {
        for _ in 0..self.backends.waiters.len() {
            if !self.backends.available(&self.shared.opening) {
                return;
            }
            let Some(waiter) = self.backends.waiters.pop_front() else {
                return;
            };
            if self
                .conns
                .get(waiter)
                .and_then(Option::as_ref)
                .is_some_and(Conn::is_waiting)
            {
                self.pump_one(waiter);
            }
        }
    }

    fn pump_one(&mut self, slot: usize) {
        let Some(conn) = self.conns.get_mut(slot).and_then(Option::as_mut) else {
            return;
        };
        let mut cx = Cx {
            registry: self.poll.registry(),
            backend_addr: &self.shared.backend,
            backends: &mut self.backends,
            opening: &self.shared.opening,
            slot,
            backend_token: backend_token(slot),
            tag: &self.shared.tag,
            spool_dir: &self.shared.spool_dir,
            draining: self.draining,
        };
        let was_idle = conn.is_idle();
        let verdict = conn.pump(&mut cx);
        let is_idle = conn.is_idle();
        self.note_idle(was_idle, is_idle);
        if verdict == Verdict::Close {
            self.close(slot);
        }
    }

    fn sweep(&mut self, now: Instant) {
        for slot in 0..self.conns.len() {
            let expired = match &self.conns[slot] {
                Some(c) => now >= c.deadline(&self.shared.limits),
                None => false,
            };
            if expired {
                self.close(slot);
            } else if self.draining {
                self.pump(slot);
            }
        }
    }

    fn close(&mut self, slot: usize) {
        let Some(mut conn) = self.conns.get_mut(slot).and_then(Option::take) else {
            return;
        };
        self.note_idle(conn.is_idle(), false);
        conn.close(self.poll.registry(), &mut self.backends);
        self.shared.release(conn.peer().ip());
        self.free.push(slot);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
