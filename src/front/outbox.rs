//! What a connection still has to send its client (layer: front): answers
//! are read from tiny_http at memory speed however slowly the client takes
//! them (`conn.rs`), so a large answer (an attachment download) would sit
//! whole in memory for as long as the client needs. Past [`SPILL_ABOVE`]
//! bytes the rest goes to an unnamed temporary file and comes back 256 KiB
//! at a time as the client reads: memory stays bounded per connection.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// Bytes kept in memory before the rest spills to a file: every page and
/// JSON answer fits; a large download spills.
pub const SPILL_ABOVE: usize = 1024 * 1024;
/// How much comes back from the file at a time.
const REFILL: usize = 256 * 1024;

#[derive(Default)]
pub struct Outbox {
    /// The next bytes to send.
    pub buf: Vec<u8>,
    spill: Option<Spill>,
}

/// Bytes written to the file after `buf`, and how many came back already.
struct Spill {
    file: File,
    written: u64,
    read: u64,
}

impl Outbox {
    /// Queues `bytes` after everything queued before them: in memory, or in
    /// the file once there is one or memory holds `SPILL_ABOVE` (`dir`: where
    /// the file may be created; none for our own small answers).
    pub fn push(&mut self, bytes: &[u8], dir: Option<&Path>) -> io::Result<()> {
        if self.spill.is_none()
            && self.buf.len() + bytes.len() > SPILL_ABOVE
            && let Some(dir) = dir
        {
            match tempfile::tempfile_in(dir) {
                Ok(file) => {
                    self.spill = Some(Spill {
                        file,
                        written: 0,
                        read: 0,
                    })
                }
                // Memory then: the answer is still delivered.
                Err(e) => eprintln!("listener: cannot spill an answer to a file: {e}"),
            }
        }
        match &mut self.spill {
            Some(spill) => {
                spill.file.write_all_at(bytes, spill.written)?;
                spill.written += bytes.len() as u64;
            }
            None => self.buf.extend_from_slice(bytes),
        }
        Ok(())
    }

    /// Brings spilled bytes back into `buf` when it runs low; the file goes
    /// once it has been read to its end.
    pub fn refill(&mut self) -> io::Result<()> {
        let Some(spill) = &mut self.spill else {
            return Ok(());
        };
        if self.buf.len() >= REFILL / 4 {
            return Ok(());
        }
        let want = REFILL.min((spill.written - spill.read) as usize);
        let start = self.buf.len();
        self.buf.resize(start + want, 0);
        let n = spill.file.read_at(&mut self.buf[start..], spill.read)?;
        self.buf.truncate(start + n);
        spill.read += n as u64;
        if spill.read == spill.written {
            self.spill = None;
        }
        Ok(())
    }

    /// Bytes still to send, in memory and in the file.
    pub fn len(&self) -> usize {
        let spilled = self
            .spill
            .as_ref()
            .map_or(0, |s| (s.written - s.read) as usize);
        self.buf.len() + spilled
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Gives back a large buffer once everything is sent.
    pub fn shrink(&mut self, keep: usize) {
        if self.is_empty() && self.buf.capacity() > keep {
            self.buf = Vec::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_answer_spills_and_comes_back_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut out = Outbox::default();
        out.push(b"HTTP/1.1 100 Continue\r\n\r\n", None).unwrap();
        let big: Vec<u8> = (0..3 * SPILL_ABOVE).map(|i| (i % 251) as u8).collect();
        for piece in big.chunks(16 * 1024) {
            out.push(piece, Some(dir.path())).unwrap();
        }
        out.push(b"tail", None).unwrap();
        assert!(
            out.buf.len() <= SPILL_ABOVE,
            "memory holds at most the spill size"
        );
        let mut sent = Vec::new();
        while !out.is_empty() {
            out.refill().unwrap();
            sent.extend(out.buf.drain(..out.buf.len().min(100_000)));
        }
        let mut expected = b"HTTP/1.1 100 Continue\r\n\r\n".to_vec();
        expected.extend(&big);
        expected.extend(b"tail");
        assert!(sent == expected);
    }
}
