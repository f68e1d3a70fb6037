//! One client connection (layer: front): its lifecycle as one [`Phase`], and
//! the relay of each request to tiny_http.
//!
//! The rule that shapes it: nobody in tiny_http ever waits for a client.
//! - A request goes to tiny_http only once it is complete, head and body
//!   (`Expect: 100-continue` is answered here).
//! - Each request gets an internal connection of its own, marked
//!   `Connection: close`, so tiny_http serves exactly one request on it and
//!   closes it; a client idling on keep-alive holds no internal connection and
//!   no tiny_http thread. (tiny_http 0.12's pool runs one task per connection
//!   and can leave a queued task without a thread while its threads sit on
//!   idle connections: with short tasks, the queue always drains.)
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
use super::framing::{self, CHUNK_OVERHEAD, Framing, Head, MAX_HEAD, Refusal};
use super::outbox::Outbox;
use super::peer::PeerTag;
use super::relay::{Relay, Spool};
use super::transport::{Received, Transport};
use crate::http::MAX_BODY;
use mio::net::UnixStream;
use mio::{Interest, Registry, Token};
use std::io::{self, Seek, SeekFrom};
use std::net::SocketAddr;
use std::os::unix::net::SocketAddr as UnixAddr;
use std::path::Path;
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
    /// The request is with tiny_http; its answer streams into `out`.
    Relay(Relay),
    /// What is queued goes out, then the connection closes.
    Finish,
    /// An answer of our own is queued; once it is out our side closes, and
    /// the client's bytes are discarded until `linger_until`.
    Refuse { linger_until: Option<Instant> },
}

/// How far a body has arrived.
enum BodyWalk {
    /// All of it: the body is `input[..length]`.
    Complete(usize),
    More {
        framing: Framing,
        seen: usize,
    },
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
    fn advance(&mut self, cx: &Cx) -> io::Result<bool> {
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
                match self.walk_body(framing, seen, spooled, head.max_body) {
                    Err(refusal) => self.refuse(Answer::Refused(refusal)),
                    Ok(BodyWalk::Complete(length)) => {
                        match self.start_relay(&head, length, spool, cx) {
                            Ok(relay) => Phase::Relay(relay),
                            Err(e) => {
                                eprintln!("listener: cannot relay a request: {e}");
                                self.refuse(Answer::Unavailable)
                            }
                        }
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
            Phase::Relay(mut relay) => {
                let (progress, ended) = relay.pump(&mut self.out, cx.spool_dir)?;
                moved = progress;
                match ended {
                    false => Phase::Relay(relay),
                    // tiny_http closed without a word.
                    true if relay.received == 0 => self.refuse(Answer::Unavailable),
                    true => {
                        let _ = cx.registry.deregister(&mut relay.backend);
                        self.served = true;
                        // A large body's buffer is not kept for an idle client.
                        if self.input.capacity() > KEEP_CAPACITY {
                            self.input.shrink_to(KEEP_CAPACITY.max(self.input.len()));
                        }
                        match relay.close_after || self.client_done {
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

    /// Walks the body bytes in `input` past `seen` (`spooled` bytes of it
    /// are already in a file).
    fn walk_body(
        &self,
        framing: Framing,
        seen: usize,
        spooled: u64,
        max_body: usize,
    ) -> Result<BodyWalk, Refusal> {
        match framing {
            Framing::Body { remaining } => {
                let have = (self.input.len() - seen) as u64;
                Ok(match have >= remaining {
                    true => BodyWalk::Complete(seen + remaining as usize),
                    false => BodyWalk::More {
                        framing: Framing::Body {
                            remaining: remaining - have,
                        },
                        seen: self.input.len(),
                    },
                })
            }
            Framing::Chunked(state) => {
                // A partial chunk-size line is not consumed: walked again whole.
                let walk = framing::walk_chunked(state, &self.input[seen..]);
                let seen = seen + walk.consumed;
                match walk.state {
                    Err(()) => Err(Refusal::Malformed),
                    Ok(None) => Ok(BodyWalk::Complete(seen)),
                    Ok(Some(_)) if spooled + seen as u64 > (max_body + CHUNK_OVERHEAD) as u64 => {
                        Err(Refusal::BodyTooLarge(max_body))
                    }
                    Ok(Some(state)) => Ok(BodyWalk::More {
                        framing: Framing::Chunked(state),
                        seen,
                    }),
                }
            }
        }
    }

    /// Opens this request's internal connection and queues head and body
    /// (the body's first `body_len` bytes are in `input`, after what `spool`
    /// holds).
    fn start_relay(
        &mut self,
        head: &Head,
        body_len: usize,
        spool: Option<Spool>,
        cx: &Cx,
    ) -> io::Result<Relay> {
        let body_file = match spool {
            None => None,
            Some(mut spool) => {
                spool.take(&mut self.input, body_len)?;
                spool.file.seek(SeekFrom::Start(0))?;
                Some(spool.file)
            }
        };
        let body_len = if body_file.is_some() { 0 } else { body_len };
        let mut backend = UnixStream::connect_addr(cx.backend_addr)?;
        cx.registry.register(
            &mut backend,
            cx.backend_token,
            Interest::READABLE | Interest::WRITABLE,
        )?;
        let secure = self.transport.is_secure();
        let mut request = head.relayed(&cx.tag.line(self.peer, secure));
        request.extend(self.input.drain(..body_len));
        Ok(Relay {
            backend,
            request,
            sent: 0,
            body_file,
            received: 0,
            close_after: head.close,
        })
    }

    /// Moves bytes until nothing more moves, then decides.
    pub fn pump(&mut self, cx: &Cx) -> Verdict {
        loop {
            match self.step(cx) {
                Ok(true) => continue,
                Ok(false) => break,
                Err(_) => return Verdict::Close,
            }
        }
        self.verdict(cx.draining)
    }

    fn step(&mut self, cx: &Cx) -> io::Result<bool> {
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
            Phase::Head { .. } | Phase::Body { .. } | Phase::Relay(_)
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
            // A response may pause up to the idle timeout.
            Phase::Relay(_) | Phase::Finish | Phase::Refuse { linger_until: None } => idle,
            Phase::Refuse {
                linger_until: Some(until),
            } => return until,
        };
        match self.has_pending_out() {
            true => deadline.max(idle),
            false => deadline,
        }
    }

    /// Last words and deregistration before the connection is dropped.
    pub fn close(&mut self, registry: &Registry) {
        self.transport.close();
        self.transport.deregister(registry);
        if let Phase::Relay(relay) = &mut self.phase {
            let _ = registry.deregister(&mut relay.backend);
        }
    }
}
