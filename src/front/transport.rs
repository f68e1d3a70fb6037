//! A client's byte stream (layer: front): a non-blocking TCP socket, plain or
//! with rustls in between. The rest of the front moves plaintext through
//! [`Transport`] and never asks which kind it is.

use super::tls::Tls;
use mio::net::TcpStream;
use mio::{Interest, Registry, Token};
use std::io::{self, Read, Write};
use std::net::Shutdown;

pub struct Transport {
    socket: TcpStream,
    tls: Option<Box<rustls::ServerConnection>>,
}

/// What a read brought.
#[derive(Debug, PartialEq, Eq)]
pub enum Received {
    Bytes(usize),
    /// The client will send nothing more.
    End,
    /// Nothing now; wait for the next readiness event.
    Nothing,
}

impl Transport {
    /// Wraps an accepted socket; with `tls`, a server handshake begins.
    pub fn new(socket: TcpStream, tls: Option<&Tls>) -> Result<Transport, rustls::Error> {
        let tls = match tls {
            Some(tls) => Some(Box::new(rustls::ServerConnection::new(tls.config())?)),
            None => None,
        };
        Ok(Transport { socket, tls })
    }

    pub fn is_secure(&self) -> bool {
        self.tls.is_some()
    }

    pub fn register(&mut self, registry: &Registry, token: Token) -> io::Result<()> {
        registry.register(
            &mut self.socket,
            token,
            Interest::READABLE | Interest::WRITABLE,
        )
    }

    pub fn deregister(&mut self, registry: &Registry) {
        let _ = registry.deregister(&mut self.socket);
    }

    /// Appends at most `max` plaintext bytes to `into`. Over TLS this also
    /// reads and answers handshake records, which may bring no plaintext.
    pub fn receive(&mut self, into: &mut Vec<u8>, max: usize) -> io::Result<Received> {
        let mut chunk = [0u8; 16 * 1024];
        let max = max.min(chunk.len());
        let Some(tls) = &mut self.tls else {
            return match self.socket.read(&mut chunk[..max]) {
                Ok(0) => Ok(Received::End),
                Ok(n) => {
                    into.extend_from_slice(&chunk[..n]);
                    Ok(Received::Bytes(n))
                }
                Err(e) if retry_later(&e) => Ok(Received::Nothing),
                Err(e) => Err(e),
            };
        };
        let mut received = Received::Nothing;
        loop {
            match tls.reader().read(&mut chunk[..max]) {
                Ok(0) => {
                    received = Received::End;
                    break;
                }
                Ok(n) => {
                    into.extend_from_slice(&chunk[..n]);
                    received = Received::Bytes(n);
                    break;
                }
                // No plaintext buffered: read more records below.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    received = Received::End;
                    break;
                }
                Err(e) => return Err(e),
            }
            if !tls.wants_read() {
                break;
            }
            match tls.read_tls(&mut self.socket) {
                Ok(0) => {
                    received = Received::End;
                    break;
                }
                Ok(_) => {
                    if let Err(e) = tls.process_new_packets() {
                        // Send the alert, then give up on the connection.
                        let _ = tls.write_tls(&mut self.socket);
                        return Err(io::Error::new(io::ErrorKind::InvalidData, e));
                    }
                    // Handshake records count as progress even without plaintext.
                    if received == Received::Nothing {
                        received = Received::Bytes(0);
                    }
                }
                Err(e) if retry_later(&e) => break,
                Err(e) => return Err(e),
            }
        }
        // Handshake messages may be due even without plaintext to send.
        flush_tls(tls, &mut self.socket)?;
        Ok(received)
    }

    /// Reads and drops whatever the client still sends (after our last
    /// answer); `true` once it has closed.
    pub fn discard(&mut self) -> io::Result<bool> {
        let mut sink = Vec::new();
        loop {
            sink.clear();
            match self.receive(&mut sink, usize::MAX)? {
                Received::End => return Ok(true),
                Received::Nothing => return Ok(false),
                Received::Bytes(_) => {}
            }
        }
    }

    /// Sends as much of `out` as the socket takes, removing what was sent.
    /// Returns whether anything moved.
    pub fn send(&mut self, out: &mut Vec<u8>) -> io::Result<bool> {
        let mut progress = false;
        let Some(tls) = &mut self.tls else {
            let mut sent = 0;
            while sent < out.len() {
                match self.socket.write(&out[sent..]) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(n) => sent += n,
                    Err(e) if retry_later(&e) => break,
                    Err(e) => return Err(e),
                }
            }
            out.drain(..sent);
            return Ok(sent > 0);
        };
        loop {
            if !out.is_empty() {
                let n = tls.writer().write(out)?;
                if n > 0 {
                    out.drain(..n);
                    progress = true;
                }
            }
            let wrote = flush_tls(tls, &mut self.socket)?;
            progress |= wrote;
            if !wrote || out.is_empty() {
                return Ok(progress);
            }
        }
    }

    /// Whether bytes accepted by `send` still wait for the socket.
    pub fn has_pending(&self) -> bool {
        self.tls.as_ref().is_some_and(|tls| tls.wants_write())
    }

    /// Ends our direction (TLS close_notify, then FIN) while still reading.
    pub fn shutdown_write(&mut self) {
        if let Some(tls) = &mut self.tls {
            tls.send_close_notify();
            let _ = flush_tls(tls, &mut self.socket);
        }
        let _ = self.socket.shutdown(Shutdown::Write);
    }

    /// Last words before the socket is dropped: a TLS close_notify.
    pub fn close(&mut self) {
        if let Some(tls) = &mut self.tls {
            tls.send_close_notify();
            let _ = tls.write_tls(&mut self.socket);
        }
    }

    /// Best effort, for a connection refused at the door: one write, no wait.
    /// Over TLS there is no session to say it in, so nothing is said.
    pub fn refuse(mut socket: TcpStream, answer: &[u8], tls: bool) {
        if !tls {
            let _ = socket.write(answer);
        }
    }
}

fn flush_tls(tls: &mut rustls::ServerConnection, socket: &mut TcpStream) -> io::Result<bool> {
    let mut progress = false;
    while tls.wants_write() {
        match tls.write_tls(socket) {
            Ok(0) => break,
            Ok(_) => progress = true,
            Err(e) if retry_later(&e) => break,
            Err(e) => return Err(e),
        }
    }
    Ok(progress)
}

pub fn retry_later(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
    )
}
