//! Where tiny_http's answer on a kept internal connection ends (layer:
//! front): the connection carries the next request only after it. Pure
//! functions over byte slices, no I/O; the parsing is `httparse`'s.

use super::framing::{Chunk, walk_chunked};
use httparse::Status;

/// Longest answer head tiny_http writes (status line and our headers).
const MAX_ANSWER_HEAD: usize = 64 * 1024;

/// Where the answer tiny_http sends on a kept internal connection ends:
/// the connection carries the next request once this one is `Done`.
#[derive(Debug)]
pub enum AnswerEnd {
    /// The head is arriving (the bytes of it seen so far, when it came in
    /// pieces).
    Head(Vec<u8>),
    Body {
        remaining: u64,
    },
    Chunked {
        state: Chunk,
        /// A chunk-size line seen in part, walked again whole.
        partial: Vec<u8>,
    },
    Done,
}

impl AnswerEnd {
    pub fn new() -> AnswerEnd {
        AnswerEnd::Head(Vec::new())
    }

    pub fn is_done(&self) -> bool {
        matches!(self, AnswerEnd::Done)
    }

    /// Follows the next bytes of the answer to a request (`is_head`: a HEAD
    /// request, whose answer has no body) and says how many of them belong
    /// to it. Err: an answer that cannot be framed, after which the
    /// connection cannot be used again.
    pub fn feed(&mut self, buf: &[u8], is_head: bool) -> Result<usize, ()> {
        let mut at = 0;
        loop {
            let rest = &buf[at..];
            match self {
                AnswerEnd::Done => return Ok(at),
                _ if rest.is_empty() => return Ok(at),
                AnswerEnd::Head(seen) => {
                    let had = seen.len();
                    let parsed = match had {
                        0 => parse_answer_head(rest, is_head)?,
                        _ => {
                            seen.extend_from_slice(rest);
                            parse_answer_head(seen, is_head)?
                        }
                    };
                    let Some((len, next)) = parsed else {
                        if had == 0 {
                            seen.extend_from_slice(rest);
                        }
                        return match seen.len() > MAX_ANSWER_HEAD {
                            true => Err(()),
                            false => Ok(buf.len()),
                        };
                    };
                    at += len - had;
                    *self = next;
                }
                AnswerEnd::Body { remaining } => {
                    let n = (*remaining).min(rest.len() as u64);
                    at += n as usize;
                    *remaining -= n;
                    if *remaining == 0 {
                        *self = AnswerEnd::Done;
                    }
                }
                AnswerEnd::Chunked { state, partial } => {
                    let had = partial.len();
                    partial.extend_from_slice(rest);
                    let walk = walk_chunked(*state, partial);
                    match walk.state {
                        Err(()) => return Err(()),
                        Ok(None) => {
                            at += walk.consumed.saturating_sub(had);
                            *self = AnswerEnd::Done;
                        }
                        Ok(Some(next)) => {
                            *state = next;
                            partial.drain(..walk.consumed);
                            return Ok(buf.len());
                        }
                    }
                }
            }
        }
    }
}

/// The length of a complete answer head at the start of `buf` and how its
/// body is framed; None while it is incomplete.
fn parse_answer_head(buf: &[u8], is_head: bool) -> Result<Option<(usize, AnswerEnd)>, ()> {
    let mut headers = [httparse::EMPTY_HEADER; 128];
    let mut answer = httparse::Response::new(&mut headers);
    match answer.parse(buf) {
        Ok(Status::Complete(len)) => Ok(Some((
            len,
            answer_body(answer.code, answer.headers, is_head)?,
        ))),
        Ok(Status::Partial) => Ok(None),
        Err(_) => Err(()),
    }
}

/// How the body of an answer with this status and these headers is framed.
fn answer_body(
    code: Option<u16>,
    headers: &[httparse::Header],
    is_head: bool,
) -> Result<AnswerEnd, ()> {
    let code = code.ok_or(())?;
    // An interim answer would be followed by the real one; tiny_http sends
    // none, since the front answers `Expect` itself.
    if code < 200 {
        return Err(());
    }
    let mut length = None;
    let mut chunked = false;
    for h in headers {
        if h.name.eq_ignore_ascii_case("content-length") {
            let value = std::str::from_utf8(h.value).map_err(|_| ())?;
            length = Some(value.trim().parse::<u64>().map_err(|_| ())?);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            if !h.value.eq_ignore_ascii_case(b"chunked") {
                return Err(());
            }
            chunked = true;
        }
    }
    Ok(
        match (is_head || code == 204 || code == 304, chunked, length) {
            (true, _, _) => AnswerEnd::Done,
            (false, true, _) => AnswerEnd::Chunked {
                state: Chunk::Size { line: 0 },
                partial: Vec::new(),
            },
            (false, false, Some(0)) => AnswerEnd::Done,
            (false, false, Some(remaining)) => AnswerEnd::Body { remaining },
            // Delimited by the end of the connection: not on a kept one.
            (false, false, None) => return Err(()),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `answer` in pieces of `step` bytes plus `extra` after it.
    fn framed(answer: &[u8], is_head: bool, step: usize) -> Result<usize, ()> {
        let mut wire = answer.to_vec();
        wire.extend_from_slice(b"HTTP/1.1 200 OK\r\n");
        let mut end = AnswerEnd::new();
        let mut taken = 0;
        for piece in wire.chunks(step) {
            let n = end.feed(piece, is_head)?;
            taken += n;
            if end.is_done() {
                return Ok(taken);
            }
            assert_eq!(n, piece.len(), "only the last piece ends early");
        }
        Err(())
    }

    #[test]
    fn an_answer_ends_where_its_framing_says_in_any_pieces() {
        let sized = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX: y\r\n\r\nhello";
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n";
        let empty = b"HTTP/1.1 204 No Content\r\nDate: x\r\n\r\n";
        let head_of_get = b"HTTP/1.1 200 OK\r\nContent-Length: 900\r\n\r\n";
        for step in 1..=sized.len() + 20 {
            assert_eq!(framed(sized, false, step), Ok(sized.len()), "step {step}");
            assert_eq!(
                framed(chunked, false, step),
                Ok(chunked.len()),
                "step {step}"
            );
            assert_eq!(framed(empty, false, step), Ok(empty.len()), "step {step}");
            assert_eq!(
                framed(head_of_get, true, step),
                Ok(head_of_get.len()),
                "step {step}"
            );
        }
    }

    #[test]
    fn an_answer_without_framing_cannot_keep_its_connection() {
        let mut end = AnswerEnd::new();
        assert_eq!(end.feed(b"HTTP/1.1 200 OK\r\n\r\nrest", false), Err(()));
        let mut end = AnswerEnd::new();
        assert_eq!(end.feed(b"HTTP/1.1 100 Continue\r\n\r\n", false), Err(()));
        let mut end = AnswerEnd::new();
        let gzip = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n";
        assert_eq!(end.feed(gzip, false), Err(()));
    }
}
