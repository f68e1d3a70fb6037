//! One request's trip to tiny_http (layer: front): its internal connection
//! (kept, or its own), the request written to it (from memory, or a large
//! body from its spool file 64 KiB at a time), and the answer read back into
//! the client's buffer.

use super::answer_end::AnswerEnd;
use super::backends::{Backend, Opening};
use super::framing::{Framing, Head};
use super::outbox::Outbox;
use super::transport::retry_later;
use crate::http::MAX_BODY;
use crate::http::body::SPOOL_ABOVE;
use mio::net::UnixStream;
use mio::{Interest, Registry, Token};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::net::Shutdown;
use std::os::unix::net::SocketAddr as UnixAddr;
use std::path::Path;

/// A large body on its way: the bytes walked so far, in an unnamed file.
pub(super) struct Spool {
    pub(super) file: File,
    pub(super) len: u64,
}

impl Spool {
    /// Whether a body framed so, for a route taking `max_body`, is spooled.
    pub(super) fn wanted(framing: Framing, max_body: usize) -> bool {
        max_body > MAX_BODY
            && match framing {
                Framing::Body { remaining } => remaining > SPOOL_ABOVE as u64,
                Framing::Chunked(_) => true,
            }
    }

    pub(super) fn create(dir: &Path) -> io::Result<Spool> {
        Ok(Spool {
            file: tempfile::tempfile_in(dir)?,
            len: 0,
        })
    }

    /// Moves the first `n` bytes of `input` to the file.
    pub(super) fn take(&mut self, input: &mut Vec<u8>, n: usize) -> io::Result<()> {
        self.file.write_all(&input[..n])?;
        input.drain(..n);
        self.len += n as u64;
        Ok(())
    }
}

/// The internal connection a request travels on.
pub(super) enum Link {
    /// A kept connection, lent by the event loop's `Backends`.
    Kept(Backend),
    /// A connection of this request alone (an HTTP/1.0 request, or a chunked
    /// or spooled body), which tiny_http closes after its answer.
    Own(UnixStream),
}

impl Link {
    /// An internal connection for one request alone, its events on `token`.
    pub(super) fn own(registry: &Registry, addr: &UnixAddr, token: Token) -> io::Result<Link> {
        let mut stream = UnixStream::connect_addr(addr)?;
        registry.register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)?;
        Ok(Link::Own(stream))
    }

    pub(super) fn stream(&mut self) -> &mut UnixStream {
        match self {
            Link::Kept(backend) => &mut backend.stream,
            Link::Own(stream) => stream,
        }
    }
}

/// One request's trip to tiny_http.
pub(super) struct Relay {
    pub(super) link: Link,
    /// What is sent next: the head and body, or the head and then 64 KiB
    /// windows of `body_file`.
    pub(super) request: Vec<u8>,
    pub(super) sent: usize,
    pub(super) body_file: Option<File>,
    pub(super) received: usize,
    pub(super) close_after: bool,
    /// On a kept connection: where the answer ends.
    pub(super) end: AnswerEnd,
    pub(super) is_head: bool,
    /// The request went out whole and the answer ended where its framing
    /// said, with nothing after it: the kept connection can carry the next.
    pub(super) reusable: bool,
    /// Held while this connection is new and unanswered (`backends.rs`).
    opening: Option<Opening>,
}

impl Relay {
    /// Queues `head` (after the signed `peer` line) and the body on
    /// `link`: the body's first `body_len` bytes are taken from `input`,
    /// after what `spool` holds.
    pub(super) fn start(
        link: Link,
        opening: Option<Opening>,
        head: &Head,
        peer: &str,
        input: &mut Vec<u8>,
        body_len: usize,
        spool: Option<Spool>,
    ) -> io::Result<Relay> {
        let body_file = match spool {
            None => None,
            Some(mut spool) => {
                spool.take(input, body_len)?;
                spool.file.seek(SeekFrom::Start(0))?;
                Some(spool.file)
            }
        };
        let body_len = if body_file.is_some() { 0 } else { body_len };
        let keep = matches!(link, Link::Kept(_));
        let mut request = head.relayed(peer, keep);
        request.extend(input.drain(..body_len));
        Ok(Relay {
            link,
            request,
            sent: 0,
            body_file,
            received: 0,
            close_after: head.close,
            end: AnswerEnd::new(),
            is_head: head.is_head,
            reusable: false,
            opening,
        })
    }

    /// Sends the request and reads the answer into `out`, however much is
    /// already waiting there. Returns (bytes moved, the answer has ended:
    /// read to its end, or tiny_http closed). (A large answer spills to a
    /// file in `spool_dir`, see `Outbox`.)
    pub(super) fn pump(&mut self, out: &mut Outbox, spool_dir: &Path) -> io::Result<(bool, bool)> {
        let mut moved = false;
        let kept = matches!(self.link, Link::Kept(_));
        while self.sent < self.request.len() {
            match self.link.stream().write(&self.request[self.sent..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.sent += n;
                    moved = true;
                    if self.sent == self.request.len() && self.refill()? {
                        continue;
                    }
                    if self.sent == self.request.len() {
                        // Nothing more comes on a connection of its own.
                        if !kept {
                            let _ = self.link.stream().shutdown(Shutdown::Write);
                        }
                        self.request = Vec::new();
                        self.sent = 0;
                        break;
                    }
                }
                Err(e) if retry_later(&e) || e.kind() == io::ErrorKind::NotConnected => break,
                // tiny_http answered early (a malformed request) and closed:
                // its answer is still to be read.
                Err(e) if is_closed(&e) => {
                    self.request = Vec::new();
                    self.sent = 0;
                    self.body_file = None;
                    self.close_after |= kept;
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        let mut chunk = [0u8; 16 * 1024];
        loop {
            let n = match self.link.stream().read(&mut chunk) {
                Ok(n) if n > 0 => n,
                Err(e) if retry_later(&e) || e.kind() == io::ErrorKind::NotConnected => {
                    return Ok((moved, false));
                }
                // tiny_http closed: on a connection of its own that is the
                // answer's end; on a kept one the answer is cut short, and so
                // is the client's connection after what it got.
                Ok(_) => {
                    self.close_after |= kept;
                    return Ok((true, true));
                }
                Err(e) if is_closed(&e) => {
                    self.close_after |= kept;
                    return Ok((true, true));
                }
                Err(e) => return Err(e),
            };
            moved = true;
            // A thread of tiny_http's has this connection: the next may open.
            self.opening = None;
            if !kept {
                out.push(&chunk[..n], Some(spool_dir))?;
                self.received += n;
                continue;
            }
            // An answer that cannot be framed ends the connection (and the
            // client's, whose answer may be cut short).
            let Ok(take) = self.end.feed(&chunk[..n], self.is_head) else {
                out.push(&chunk[..n], Some(spool_dir))?;
                self.received += n;
                self.close_after = true;
                return Ok((true, true));
            };
            out.push(&chunk[..take], Some(spool_dir))?;
            self.received += take;
            if self.end.is_done() {
                // tiny_http answers before the request is whole only when
                // it is about to close; bytes after the answer are none of
                // ours. Either way the connection is not used again.
                self.reusable = take == n && self.request.is_empty() && self.body_file.is_none();
                return Ok((true, true));
            }
        }
    }
}

impl Relay {
    /// Puts the next window of a spooled body in `request`; false when there
    /// is none (no file, or its end).
    fn refill(&mut self) -> io::Result<bool> {
        let Some(file) = &mut self.body_file else {
            return Ok(false);
        };
        self.request.clear();
        self.request.resize(64 * 1024, 0);
        let n = file.read(&mut self.request)?;
        self.request.truncate(n);
        self.sent = 0;
        if n == 0 {
            self.body_file = None;
        }
        Ok(n > 0)
    }
}

fn is_closed(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
    )
}
