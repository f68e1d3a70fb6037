//! Request bodies too large to hold in memory (layer: http): above
//! [`SPOOL_ABOVE`] bytes the adapter writes the body to an unnamed temporary
//! file (`O_TMPFILE`: nothing is left behind, even after a crash) and handlers
//! read it from there, so five parallel 15 MiB uploads cost file space, not
//! resident memory.

use crate::error::AppError;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::sync::Arc;

/// Bodies larger than this go to a temporary file (in the front and in the
/// adapter); every JSON body of the API is far below it.
pub const SPOOL_ABOVE: usize = 64 * 1024;

/// A photo upload: a phone camera's JPEG is a few MiB; 15 MiB leaves room for
/// a large camera file while keeping the spooled upload and its decode bounded.
/// The routes take it (`router`), and so do the pages, which show it.
pub const MAX_PHOTO: usize = 15 * 1024 * 1024;
/// An import file (CSV, Homebox, a MiauInv export).
pub const MAX_IMPORT: usize = 50 * 1024 * 1024;
/// An attachment upload (datasheets, manuals, receipts).
pub const MAX_ATTACHMENT: usize = 25 * 1024 * 1024;

/// A request body on disk.
#[derive(Debug, Clone)]
pub struct Spooled {
    file: Arc<File>,
    len: u64,
}

impl Spooled {
    pub fn new(file: File, len: u64) -> Spooled {
        Spooled {
            file: Arc::new(file),
            len,
        }
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Reads the file from its start, on its own offset (`pread`), so any
    /// thread may send it.
    pub fn reader(&self) -> SpooledReader {
        SpooledReader {
            file: self.file.clone(),
            at: 0,
            len: self.len,
        }
    }
}

/// A spooled body being read, e.g. sent as an answer.
pub struct SpooledReader {
    file: Arc<File>,
    at: u64,
    len: u64,
}

impl Read for SpooledReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.len.saturating_sub(self.at);
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

/// A body from wherever it was kept: buffered and seekable, as image decoders
/// want it.
pub enum BodyReader<'a> {
    Memory(Cursor<&'a [u8]>),
    File(BufReader<&'a File>),
}

impl<'a> BodyReader<'a> {
    pub fn memory(bytes: &'a [u8]) -> BodyReader<'a> {
        BodyReader::Memory(Cursor::new(bytes))
    }

    /// Reads `spooled` from its start.
    pub fn file(spooled: &'a Spooled) -> io::Result<BodyReader<'a>> {
        let mut file: &File = &spooled.file;
        file.seek(SeekFrom::Start(0))?;
        Ok(BodyReader::File(BufReader::with_capacity(64 * 1024, file)))
    }
}

impl Read for BodyReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            BodyReader::Memory(c) => c.read(buf),
            BodyReader::File(f) => f.read(buf),
        }
    }
}

impl BufRead for BodyReader<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self {
            BodyReader::Memory(c) => c.fill_buf(),
            BodyReader::File(f) => f.fill_buf(),
        }
    }

    fn consume(&mut self, amt: usize) {
        match self {
            BodyReader::Memory(c) => c.consume(amt),
            BodyReader::File(f) => f.consume(amt),
        }
    }
}

impl Seek for BodyReader<'_> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        match self {
            BodyReader::Memory(c) => c.seek(pos),
            BodyReader::File(f) => f.seek(pos),
        }
    }
}

/// The 413 for a body over `limit` bytes (the adapter's and the front's).
pub fn too_large(limit: usize) -> AppError {
    super::Refused::TooLarge { limit }.into()
}
