//! One client connection (layer: front): its lifecycle as one [`Phase`], and
//! the relay of each request to tiny_http.
//!
//! The rule that shapes it: nobody in tiny_http ever waits for a client.
//! - A request goes to tiny_http only once it is complete, head and body
//!   (`Expect: 100-continue` is answered here).
//! - Each request borrows one of the event loop's kept internal connections
//!   (`backends.rs`) for exactly as long as its request and answer take, and
//!   gives it back; a client idling on keep-alive holds no internal
//!   connection and no tiny_http thread. (tiny_http 0.12's pool runs one task
//!   per connection, so a connection lent to an idle client would hold a
//!   thread.) A request that finds none free waits (`Phase::Waiting`).
//!   An HTTP/1.0 request and a chunked or spooled body get a connection of
//!   their own, marked `Connection: close`, as every request once did.
//! - The response is read to its end into `out`, however slowly the client
//!   takes it: a slow reader costs a buffer, never a worker.
//! - A body above `SPOOL_ABOVE` bytes on a route that takes more than the
//!   default 1 MiB (the uploads) waits in an unnamed temporary file instead of
//!   memory, and is relayed from there 64 KiB at a time.
//!
//! Requests on one connection are served one after another; pipelined ones
//! wait in `input` until the answer before them is complete.

use super::Limits;
use super::answers::{self, Answer};
use super::backends::{Backends, OpeningGate, Turn};
use super::framing::{self, BodyWalk, CHUNK_OVERHEAD, Framing, Head, MAX_HEAD};
use super::outbox::Outbox;
use super::peer::PeerTag;
use super::relay::{Link, Relay, Spool};
use super::transport::{Received, Transport};
use crate::http::MAX_BODY;
use mio::{Registry, Token};
use std::io;
use std::net::SocketAddr;
use std::os::unix::net::SocketAddr as UnixAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Client bytes buffered at most: a head and a whole body fit (a larger body
/// is spooled, see `Spool`).
const UP_CAP: usize = MAX_HEAD + MAX_BODY + CHUNK_OVERHEAD;
/// Answers buffered for a client that does not read them. A client that keeps
/// pipelining past this is closed; a single answer is always read whole.
const OUT_CAP: usize = 4 * 1024 * 1024;
/// Buffer capacity a connection keeps between requests; more is given back.
const KEEP_CAPACITY: usize = 64 * 1024;
/// How long a connection that got an error answer is drained before closing,
/// so the client reads the answer instead of a reset.
const LINGER: Duration = Duration::from_secs(2);
/// The longest the server may pause while it works on one request (not the
/// client's pause, so not the idle timeout): far above a bounded import on a
/// slow host.
const SERVER_WORK: Duration = Duration::from_secs(30 * 60);

/// Where a connection is in its life.
enum Phase {
    /// Waiting for a request head: `since` its first byte arrived (or, on a
    /// new connection, since it was accepted), `None` while idle.
    Head { since: Option<Instant> },
    /// The head is parsed; the body arrives in `input[..seen]`.
    Body {
        head: Head,
        framing: Framing,
        seen: usize,
        since: Instant,
        spool: Option<Spool>,
    },
    /// The request is complete (its body is `input[..body_len]`) and waits
    /// for a kept internal connection to be free.
    Waiting { head: Head, body_len: usize },
    /// The request is with tiny_http; its answer streams into `out`.
    Relay(Relay),
    /// What is queued goes out, then the connection closes.
    Finish,
    /// An answer of our own is queued; once it is out our side closes, and
    /// the client's bytes are discarded until `linger_until`.
    Refuse { linger_until: Option<Instant> },
}

/// What the event loop decides after moving bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Keep,
    Close,
}

/// What a connection needs from its event loop.
pub struct Cx<'a> {
    pub registry: &'a Registry,
    pub backend_addr: &'a UnixAddr,
    /// The event loop's kept internal connections.
    pub backends: &'a mut Backends,
    pub opening: &'a Arc<OpeningGate>,
    /// This connection's slot in its event loop.
    pub slot: usize,
    /// The token of an internal connection of this request's own.
    pub backend_token: Token,
    pub tag: &'a PeerTag,
    pub spool_dir: &'a Path,
    pub draining: bool,
}

pub struct Conn {
    transport: Transport,
    peer: SocketAddr,
    phase: Phase,
    /// Client plaintext not yet relayed: the current request, then whatever
    /// the client pipelined behind it.
    input: Vec<u8>,
    /// Answers not yet handed to the transport.
    out: Outbox,
    accepted: Instant,
    last_activity: Instant,
    served: bool,
    client_done: bool,
}

impl Conn {
    pub fn new(transport: Transport, peer: SocketAddr) -> Conn {
        let now = Instant::now();
        Conn {
            transport,
            peer,
            phase: Phase::Head { since: None },
            input: Vec::new(),
            out: Outbox::default(),
            accepted: now,
            last_activity: now,
            served: false,
            client_done: false,
        }
    }

    pub fn register(&mut self, registry: &Registry, token: Token) -> io::Result<()> {
        self.transport.register(registry, token)
    }

    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    pub fn last_activity(&self) -> Instant {
        self.last_activity
    }

    /// The lifecycle: what each phase waits for and which phase follows it.
    /// Returns whether the phase changed or bytes moved.
    fn advance(&mut self, cx: &mut Cx) -> io::Result<bool> {
        let now = Instant::now();
        let before = std::mem::discriminant(&self.phase);
        let mut moved = false;
        self.phase = match std::mem::replace(&mut self.phase, Phase::Finish) {
            Phase::Head { since } => match framing::parse_head(&self.input) {
                Err(refusal) => self.refuse(Answer::Refused(refusal)),
                Ok(None) if self.client_done => Phase::Finish,
                Ok(None) => Phase::Head {
                    since: since.or_else(|| (!self.input.is_empty()).then(|| self.head_clock())),
                },
                // Shutdown has begun: no new requests.
                Ok(Some(_)) if cx.draining => Phase::Finish,
                Ok(Some(_)) if self.out.len() > OUT_CAP => {
                    return Err(io::Error::other("pipelined answers are not being read"));
                }
                Ok(Some(head)) => {
                    self.input.drain(..head.len);
                    if head.expects_continue
                        && head.framing != (Framing::Body { remaining: 0 })
                        && self.input.is_empty()
                    {
                        self.out.push(answers::CONTINUE, None)?;
                    }
                    let spool = match Spool::wanted(head.framing, head.max_body) {
                        false => None,
                        true => match Spool::create(cx.spool_dir) {
                            Ok(spool) => Some(spool),
                            Err(e) => {
                                eprintln!("listener: cannot spool a request body: {e}");
                                self.phase = self.refuse(Answer::Unavailable);
                                return Ok(true);
                            }
                        },
                    };
                    Phase::Body {
                        framing: head.framing,
                        seen: 0,
                        since: since.unwrap_or(now),
                        head,
                        spool,
                    }
                }
            },
            Phase::Body {
                head,
                framing,
                seen,
                since,
                mut spool,
            } => {
                let spooled = spool.as_ref().map_or(0, |s| s.len);
                match framing::walk_body(&self.input, framing, seen, spooled, head.max_body) {
                    Err(refusal) => self.refuse(Answer::Refused(refusal)),
                    Ok(BodyWalk::Complete(length)) => {
                        self.begin_relay(head, length, spool, Turn::New, cx)
                    }
                    Ok(BodyWalk::More { .. }) if self.client_done => Phase::Finish,
                    Ok(BodyWalk::More { framing, mut seen }) => {
                        if let Some(spool) = &mut spool {
                            if let Err(e) = spool.take(&mut self.input, seen) {
                                eprintln!("listener: cannot spool a request body: {e}");
                                self.phase = self.refuse(Answer::Unavailable);
                                return Ok(true);
                            }
                            seen = 0;
                        }
                        Phase::Body {
                            head,
                            framing,
                            seen,
                            since,
                            spool,
                        }
                    }
                }
            }
            // Its turn comes when the line reaches it (`serve_waiters` takes
            // it out of the line first), not at its own next event.
            waiting @ Phase::Waiting { .. } if cx.backends.waiters.contains(&cx.slot) => waiting,
            Phase::Waiting { head, body_len } => {
                self.begin_relay(head, body_len, None, Turn::Waited, cx)
            }
            Phase::Relay(mut relay) => {
                let (progress, ended) = relay.pump(&mut self.out, cx.spool_dir)?;
                moved = progress;
                if !ended {
                    self.phase = Phase::Relay(relay);
                    return Ok(moved);
                }
                let Relay {
                    link,
                    received,
                    close_after,
                    reusable,
                    ..
                } = relay;
                match link {
                    Link::Kept(backend) if reusable => cx.backends.give_back(backend),
                    Link::Kept(backend) => cx.backends.drop_backend(cx.registry, backend),
                    Link::Own(mut stream) => {
                        let _ = cx.registry.deregister(&mut stream);
                    }
                }
                match received {
                    // tiny_http closed without a word.
                    0 => self.refuse(Answer::Unavailable),
                    _ => {
                        self.served = true;
                        // A large body's buffer is not kept for an idle client.
                        if self.input.capacity() > KEEP_CAPACITY {
                            self.input.shrink_to(KEEP_CAPACITY.max(self.input.len()));
                        }
                        match close_after || self.client_done {
                            true => Phase::Finish,
                            false => Phase::Head { since: None },
                        }
                    }
                }
            }
            Phase::Finish => Phase::Finish,
            Phase::Refuse { linger_until: None } if !self.has_pending_out() => {
                self.transport.shutdown_write();
                Phase::Refuse {
                    linger_until: Some(now + LINGER),
                }
            }
            refusing @ Phase::Refuse { .. } => refusing,
        };
        Ok(moved || before != std::mem::discriminant(&self.phase))
    }

    /// When the head timer of a request starts: a new connection's first head
    /// (and TLS handshake) counts from the accept.
    fn head_clock(&self) -> Instant {
        match self.served {
            true => Instant::now(),
            false => self.accepted,
        }
    }

    /// Queues `answer` and stops reading requests.
    fn refuse(&mut self, answer: Answer) -> Phase {
        self.input.clear();
        // Our own answer is small: it joins memory, or the file behind
        // an answer still being spilled.
        if let Err(e) = self.out.push(&answers::bytes(answer), None) {
            eprintln!("listener: cannot queue an answer: {e}");
        }
        Phase::Refuse { linger_until: None }
    }

    /// Hands the complete request to tiny_http: on a kept internal
    /// connection when one is free (else it waits for one), or on one of its
    /// own. The body's first `body_len` bytes are in `input`, after what
    /// `spool` holds.
    fn begin_relay(
        &mut self,
        head: Head,
        body_len: usize,
        spool: Option<Spool>,
        turn: Turn,
        cx: &mut Cx,
    ) -> Phase {
        let keep = spool.is_none() && head.fits_kept_connection();
        // A new request goes behind those already waiting: else a client
        // that pipelines takes back, for its next request, the connection
        // its last answer just gave back, and everyone waiting starves until
        // its pipeline is done.
        if keep && turn == Turn::New && !cx.backends.waiters.is_empty() {
            cx.backends.waiters.push_back(cx.slot);
            return Phase::Waiting { head, body_len };
        }
        let link = match keep {
            true => cx
                .backends
                .lend(cx.registry, cx.backend_addr, cx.slot, cx.opening)
                .map(|lent| lent.map(|(backend, opening)| (Link::Kept(backend), opening))),
            false => Link::own(cx.registry, cx.backend_addr, cx.backend_token)
                .map(|link| Some((link, None))),
        };
        let (link, opening) = match link {
            Ok(Some(lent)) => lent,
            Ok(None) => {
                cx.backends.waiters.push_back(cx.slot);
                // Only a kept connection is waited for: no spooled body here.
                return Phase::Waiting { head, body_len };
            }
            Err(e) => {
                eprintln!("listener: cannot relay a request: {e}");
                return self.refuse(Answer::Unavailable);
            }
        };
        let peer = cx.tag.line(self.peer, self.transport.is_secure());
        match Relay::start(
            link,
            opening,
            &head,
            &peer,
            &mut self.input,
            body_len,
            spool,
        ) {
            Ok(relay) => Phase::Relay(relay),
            Err(e) => {
                eprintln!("listener: cannot relay a request: {e}");
                self.refuse(Answer::Unavailable)
            }
        }
    }

    /// Moves bytes until nothing more moves, then decides.
    pub fn pump(&mut self, cx: &mut Cx) -> Verdict {
        loop {
            match self.step(cx) {
                Ok(true) => continue,
                Ok(false) => break,
                Err(_) => return Verdict::Close,
            }
        }
        self.verdict(cx.draining)
    }

    fn step(&mut self, cx: &mut Cx) -> io::Result<bool> {
        let mut progress = false;
        if let Phase::Refuse {
            linger_until: Some(_),
        } = self.phase
        {
            self.client_done |= self.transport.discard()?;
            self.out.refill()?;
            self.transport.send(&mut self.out.buf)?;
            return Ok(false);
        }
        let reading = matches!(
            self.phase,
            Phase::Head { .. } | Phase::Body { .. } | Phase::Waiting { .. } | Phase::Relay(_)
        );
        if reading && !self.client_done && self.input.len() < UP_CAP {
            let room = UP_CAP - self.input.len();
            match self.transport.receive(&mut self.input, room)? {
                Received::Bytes(_) => progress = true,
                Received::End => {
                    self.client_done = true;
                    progress = true;
                }
                Received::Nothing => {}
            }
        }
        progress |= self.advance(cx)?;
        self.out.refill()?;
        progress |= self.transport.send(&mut self.out.buf)?;
        // Nor the buffer of a large or long-unread answer.
        self.out.shrink(KEEP_CAPACITY);
        if progress {
            self.last_activity = Instant::now();
        }
        Ok(progress)
    }

    fn has_pending_out(&self) -> bool {
        !self.out.is_empty() || self.transport.has_pending()
    }

    fn verdict(&self, draining: bool) -> Verdict {
        let flushed = !self.has_pending_out();
        match self.phase {
            Phase::Finish if flushed => Verdict::Close,
            Phase::Refuse {
                linger_until: Some(until),
            } if self.client_done || Instant::now() >= until => Verdict::Close,
            // Shutting down: a connection between requests just closes.
            Phase::Head { .. } if draining && flushed => Verdict::Close,
            _ => Verdict::Keep,
        }
    }

    /// A keep-alive connection between requests with nothing to deliver:
    /// the first to go when the server is full.
    pub fn is_idle(&self) -> bool {
        self.served
            && matches!(self.phase, Phase::Head { since: None })
            && self.input.is_empty()
            && !self.has_pending_out()
    }

    /// When this connection is cut off unless something moves.
    pub fn deadline(&self, limits: &Limits) -> Instant {
        let idle = self.last_activity + limits.idle_timeout;
        let deadline = match self.phase {
            Phase::Head { since: Some(start) } => start + limits.header_timeout,
            Phase::Head { since: None } if !self.served => self.accepted + limits.header_timeout,
            Phase::Head { since: None } => idle,
            // A spooled upload gets the same minimum rate as a small body:
            // the body timeout for each MiB its route takes.
            Phase::Body {
                since, ref head, ..
            } => {
                let mibs = (head.max_body / MAX_BODY).max(1) as u32;
                since + limits.header_timeout + limits.body_timeout * mibs
            }
            // While the server works on the request (a large import on a
            // slow host can take minutes) the pause is not the client's: the
            // idle timeout is for clients, and the cap only keeps a stuck
            // handler from holding the connection for ever.
            Phase::Relay(_) if !self.has_pending_out() => {
                self.last_activity + limits.idle_timeout.max(SERVER_WORK)
            }
            // A response may pause up to the idle timeout while a slow client
            // reads it, and so may the wait for an internal connection.
            Phase::Waiting { .. }
            | Phase::Relay(_)
            | Phase::Finish
            | Phase::Refuse { linger_until: None } => idle,
            Phase::Refuse {
                linger_until: Some(until),
            } => return until,
        };
        match self.has_pending_out() {
            true => deadline.max(idle),
            false => deadline,
        }
    }

    /// Whether a complete request waits for a kept internal connection.
    pub fn is_waiting(&self) -> bool {
        matches!(self.phase, Phase::Waiting { .. })
    }

    /// Last words and deregistration before the connection is dropped. A
    /// kept internal connection whose answer was not read to its end cannot
    /// carry another request: it is closed too.
    pub fn close(&mut self, registry: &Registry, backends: &mut Backends) {
        self.transport.close();
        self.transport.deregister(registry);
        if let Phase::Relay(relay) = std::mem::replace(&mut self.phase, Phase::Finish) {
            match relay.link {
                Link::Kept(backend) => backends.drop_backend(registry, backend),
                Link::Own(mut stream) => {
                    let _ = registry.deregister(&mut stream);
                }
            }
        }
    }
}
