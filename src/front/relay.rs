//! One request's trip to tiny_http (layer: front): its internal connection,
//! the request written to it (from memory, or a large body from its spool
//! file 64 KiB at a time), and the answer read back into the client's buffer.

use super::framing::Framing;
use super::outbox::Outbox;
use super::transport::retry_later;
use crate::http::MAX_BODY;
use crate::http::body::SPOOL_ABOVE;
use mio::net::UnixStream;
use std::fs::File;
use std::io::{self, Read, Write};
use std::net::Shutdown;
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

/// One request's internal connection to tiny_http.
pub(super) struct Relay {
    pub(super) backend: UnixStream,
    /// What is sent next: the head and body, or the head and then 64 KiB
    /// windows of `body_file`.
    pub(super) request: Vec<u8>,
    pub(super) sent: usize,
    pub(super) body_file: Option<File>,
    pub(super) received: usize,
    pub(super) close_after: bool,
}

impl Relay {
    /// Sends the request and reads the response into `out`, however much is
    /// already waiting there. Returns (bytes moved, tiny_http has closed).
    /// (A large answer spills to a file in `spool_dir`, see `Outbox`.)
    pub(super) fn pump(&mut self, out: &mut Outbox, spool_dir: &Path) -> io::Result<(bool, bool)> {
        let mut moved = false;
        while self.sent < self.request.len() {
            match self.backend.write(&self.request[self.sent..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.sent += n;
                    moved = true;
                    if self.sent == self.request.len() && self.refill()? {
                        continue;
                    }
                    if self.sent == self.request.len() {
                        // Nothing more comes on this connection.
                        let _ = self.backend.shutdown(Shutdown::Write);
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
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match self.backend.read(&mut chunk) {
                Ok(0) => return Ok((true, true)),
                Ok(n) => {
                    out.push(&chunk[..n], Some(spool_dir))?;
                    self.received += n;
                    moved = true;
                }
                Err(e) if retry_later(&e) || e.kind() == io::ErrorKind::NotConnected => {
                    return Ok((moved, false));
                }
                Err(e) if is_closed(&e) => return Ok((true, true)),
                Err(e) => return Err(e),
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
