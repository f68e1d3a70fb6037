//! Request framing for the front (layer: front): where a request head ends,
//! how its body is delimited, and the head as it is relayed to tiny_http.
//!
//! The parsing is `httparse`'s (request heads, chunk-size lines); what stays
//! here is policy: which framings are refused because two parsers could read
//! them two ways (request smuggling), which MiauInv never needs, and the size
//! limits. Pure functions over byte slices, no I/O.

use crate::http::MAX_BODY;
use httparse::Status;

/// Largest request head (request line and headers) accepted; larger → 431.
pub const MAX_HEAD: usize = 16 * 1024;
/// Most header lines in one head; more → 431. A browser sends about twenty.
const MAX_HEADERS: usize = 256;
/// Chunked bodies are relayed as they came, so their framing overhead counts
/// too: the wire bytes of a chunked body may exceed the route's limit by this much.
pub const CHUNK_OVERHEAD: usize = 64 * 1024;
/// Longest chunk-size or trailer line.
const MAX_LINE: usize = 1024;

/// Why the front refuses a request without passing it on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not HTTP/1.x as MiauInv accepts it (including every smuggling shape).
    Malformed,
    /// Raw bytes above 127 in the head: tiny_http would close without a word.
    NotAscii,
    HeadTooLarge,
    /// The body is larger than its route takes (the limit, in bytes).
    BodyTooLarge(usize),
    /// An upload (a route taking more than the default body) that carries no
    /// credentials at all: every such route needs an account, so it can only
    /// be refused, and is refused before its megabytes arrive and are spooled.
    Unauthenticated,
}

/// How the body of a request is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `remaining` body bytes of a Content-Length request (0: no body).
    Body {
        remaining: u64,
    },
    Chunked(Chunk),
}

/// Where a walk through a chunked body stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chunk {
    /// Before a chunk-size line (`line`: bytes of it seen but not consumed).
    Size {
        line: usize,
    },
    Data {
        remaining: u64,
    },
    /// The CRLF after a chunk's data (`seen`: how many of its two bytes).
    DataEnd {
        seen: u8,
    },
    Trailer {
        line: usize,
    },
}

/// A complete, accepted request head.
#[derive(Debug)]
pub struct Head {
    /// Bytes of the head, its blank line included.
    pub len: usize,
    pub framing: Framing,
    /// The client sent `Expect: 100-continue` and waits for our go-ahead.
    pub expects_continue: bool,
    /// The client closes after this answer (`Connection: close`, HTTP/1.0).
    pub close: bool,
    /// The largest body the addressed route takes (`router::body_limit`).
    pub max_body: usize,
    /// A HEAD request: its answer has a length but no body.
    pub is_head: bool,
    /// HTTP/1.`minor`.
    minor: u8,
    /// `METHOD target HTTP/1.x\r\n`.
    request_line: String,
    /// The header lines relayed (each ending in CRLF): all but the hop-by-hop
    /// ones the front answers for itself.
    relayed_headers: String,
}

impl Head {
    /// The head as tiny_http gets it: `first_header` (the front's peer line)
    /// right after the request line. On a kept internal connection
    /// (`keep`) tiny_http serves the next request after this one; otherwise
    /// `Connection: close` makes this the only one.
    pub fn relayed(&self, first_header: &str, keep: bool) -> Vec<u8> {
        let mut head = String::with_capacity(
            self.request_line.len() + first_header.len() + self.relayed_headers.len() + 21,
        );
        head.push_str(&self.request_line);
        head.push_str(first_header);
        head.push_str(&self.relayed_headers);
        if !keep {
            head.push_str("Connection: close\r\n");
        }
        head.push_str("\r\n");
        head.into_bytes()
    }

    /// Whether this request may go on a kept internal connection: HTTP/1.1
    /// (tiny_http closes after an HTTP/1.0 request) and not a chunked body
    /// (tiny_http does not read an unread chunked body to its end, so the
    /// next request on the connection would start inside it).
    pub fn fits_kept_connection(&self) -> bool {
        self.minor == 1 && !matches!(self.framing, Framing::Chunked(_))
    }
}

/// Parses the request head at the start of `buf`: `Ok(None)` while it is
/// incomplete (and not yet too large).
pub fn parse_head(buf: &[u8]) -> Result<Option<Head>, Refusal> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let len = match request.parse(buf) {
        Ok(Status::Partial) if buf.len() > MAX_HEAD => return Err(Refusal::HeadTooLarge),
        Ok(Status::Partial) => return Ok(None),
        Ok(Status::Complete(len)) if len > MAX_HEAD => return Err(Refusal::HeadTooLarge),
        Ok(Status::Complete(len)) if !buf[..len].is_ascii() => return Err(Refusal::NotAscii),
        Ok(Status::Complete(len)) => len,
        Err(httparse::Error::TooManyHeaders) => return Err(Refusal::HeadTooLarge),
        Err(_) => {
            // Say "ASCII only" when that is what broke the parse.
            let end = find_head_end(buf).unwrap_or(buf.len()).min(MAX_HEAD);
            return Err(match buf[..end].is_ascii() {
                true => Refusal::Malformed,
                false => Refusal::NotAscii,
            });
        }
    };
    let (Some(method), Some(target), Some(minor)) = (request.method, request.path, request.version)
    else {
        return Err(Refusal::Malformed);
    };
    // tiny_http matches methods by their upper-case names only.
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) || target.is_empty() {
        return Err(Refusal::Malformed);
    }
    let mut length: Option<u64> = None;
    let mut chunked = false;
    let mut expects_continue = false;
    let mut connection = String::new();
    let mut relayed_headers = String::new();
    let mut credentials = false;
    for header in request.headers.iter() {
        // ASCII was checked for the whole head above.
        let value = std::str::from_utf8(header.value)
            .map_err(|_| Refusal::NotAscii)?
            .trim();
        let name = header.name;
        if name.eq_ignore_ascii_case("content-length") {
            // Digits only: "+3" or "3, 3" could be read two ways.
            if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Refusal::Malformed);
            }
            let n: u64 = value.parse().map_err(|_| Refusal::Malformed)?;
            if length.is_some_and(|l| l != n) {
                return Err(Refusal::Malformed);
            }
            length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            // Only a single plain "chunked": anything else is how smuggling
            // starts, and no client of ours sends it.
            if !value.eq_ignore_ascii_case("chunked") || chunked {
                return Err(Refusal::Malformed);
            }
            chunked = true;
        } else if name.eq_ignore_ascii_case("authorization") || name.eq_ignore_ascii_case("cookie")
        {
            // Whether they are valid is the router's question (it needs the
            // database); here only whether there are any.
            credentials |= !value.is_empty();
        } else if name.eq_ignore_ascii_case("expect") && value.eq_ignore_ascii_case("100-continue")
        {
            // Answered by the front; tiny_http must not answer it again.
            expects_continue = true;
            continue;
        } else if name.eq_ignore_ascii_case("connection")
            || name.eq_ignore_ascii_case("keep-alive")
            || name.eq_ignore_ascii_case("te")
        {
            // Hop-by-hop: the client's connection is the front's business
            // (and a client's `TE` must not choose how tiny_http frames the
            // answer the front reads back).
            if name.eq_ignore_ascii_case("connection") {
                connection.push_str(&value.to_ascii_lowercase());
                connection.push(',');
            }
            continue;
        }
        relayed_headers.push_str(name);
        relayed_headers.push_str(": ");
        relayed_headers.push_str(value);
        relayed_headers.push_str("\r\n");
    }
    // The route's limit is known from the head, so an oversized body is
    // refused before a byte of it is read.
    let path = target.split('?').next().unwrap_or(target);
    let max_body = crate::router::body_limit(method, path);
    if max_body > MAX_BODY && !credentials {
        return Err(Refusal::Unauthenticated);
    }
    let framing = match (length, chunked) {
        (Some(_), true) => return Err(Refusal::Malformed),
        (Some(n), false) if n > max_body as u64 => return Err(Refusal::BodyTooLarge(max_body)),
        (Some(n), false) => Framing::Body { remaining: n },
        (None, true) => Framing::Chunked(Chunk::Size { line: 0 }),
        (None, false) => Framing::Body { remaining: 0 },
    };
    // The same reading of `Connection` as tiny_http's.
    let close = connection.contains("close")
        || connection.contains("upgrade")
        || (minor == 0 && !connection.contains("keep-alive"));
    Ok(Some(Head {
        len,
        framing,
        expects_continue,
        close,
        max_body,
        is_head: method == "HEAD",
        minor,
        request_line: format!("{method} {target} HTTP/1.{minor}\r\n"),
        relayed_headers,
    }))
}

/// How far a body has arrived.
pub enum BodyWalk {
    /// All of it: the body is `input[..length]`.
    Complete(usize),
    More {
        framing: Framing,
        seen: usize,
    },
}

/// Walks the body bytes in `input` past `seen` (`spooled` bytes of it
/// are already in a file).
pub fn walk_body(
    input: &[u8],
    framing: Framing,
    seen: usize,
    spooled: u64,
    max_body: usize,
) -> Result<BodyWalk, Refusal> {
    match framing {
        Framing::Body { remaining } => {
            let have = (input.len() - seen) as u64;
            Ok(match have >= remaining {
                true => BodyWalk::Complete(seen + remaining as usize),
                false => BodyWalk::More {
                    framing: Framing::Body {
                        remaining: remaining - have,
                    },
                    seen: input.len(),
                },
            })
        }
        Framing::Chunked(state) => {
            // A partial chunk-size line is not consumed: walked again whole.
            let walk = walk_chunked(state, &input[seen..]);
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

/// Index just past the blank line ending a request head.
fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

/// How the body of a request with this (complete) head is framed, and whether
/// it expects `100 Continue` (what the unit tests below ask of a head).
#[cfg(test)]
fn body_framing(head: &[u8]) -> Result<(Framing, bool), Refusal> {
    match parse_head(head)? {
        Some(h) => Ok((h.framing, h.expects_continue)),
        None => Err(Refusal::Malformed),
    }
}

pub struct ChunkWalk {
    pub consumed: usize,
    /// Ok(None) = body complete; Err = malformed.
    pub state: Result<Option<Chunk>, ()>,
}

/// Follows chunked framing over `buf` without decoding it. A partial size
/// line is left unconsumed and read again whole once more bytes arrived.
pub fn walk_chunked(mut state: Chunk, buf: &[u8]) -> ChunkWalk {
    let mut i = 0;
    let stop = |consumed, state| ChunkWalk { consumed, state };
    if let Chunk::Size { .. } = state {
        state = Chunk::Size { line: 0 };
    }
    while i < buf.len() {
        match state {
            Chunk::Size { .. } => {
                let rest = &buf[i..];
                match httparse::parse_chunk_size(rest) {
                    // httparse reads an empty size line as 0, which would end
                    // the body where tiny_http sees an error: refuse it.
                    Ok(Status::Complete((used, size)))
                        if used <= MAX_LINE && rest[0].is_ascii_hexdigit() =>
                    {
                        i += used;
                        state = match size {
                            0 => Chunk::Trailer { line: 0 },
                            _ => Chunk::Data { remaining: size },
                        };
                    }
                    Ok(Status::Partial) if rest.len() <= MAX_LINE => {
                        let line = rest.len();
                        return stop(i, Ok(Some(Chunk::Size { line })));
                    }
                    _ => return stop(i, Err(())),
                }
            }
            Chunk::Data { remaining } => {
                let n = remaining.min((buf.len() - i) as u64);
                i += n as usize;
                state = match remaining - n {
                    0 => Chunk::DataEnd { seen: 0 },
                    remaining => Chunk::Data { remaining },
                };
            }
            Chunk::DataEnd { seen } => {
                let expected = if seen == 0 { b'\r' } else { b'\n' };
                if buf[i] != expected {
                    return stop(i, Err(()));
                }
                i += 1;
                state = match seen {
                    0 => Chunk::DataEnd { seen: 1 },
                    _ => Chunk::Size { line: 0 },
                };
            }
            Chunk::Trailer { line } => {
                let b = buf[i];
                i += 1;
                match b {
                    b'\n' if line == 0 => return stop(i, Ok(None)),
                    b'\n' => state = Chunk::Trailer { line: 0 },
                    b'\r' => {}
                    _ if line >= MAX_LINE => return stop(i, Err(())),
                    _ => state = Chunk::Trailer { line: line + 1 },
                }
            }
        }
    }
    stop(i, Ok(Some(state)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_walk_finds_the_end_across_pieces() {
        let body = b"4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nX-T: 1\r\n\r\n";
        for split in 1..body.len() {
            let first = walk_chunked(Chunk::Size { line: 0 }, &body[..split]);
            let state = first.state.unwrap().expect("not done after a prefix");
            let second = walk_chunked(state, &body[first.consumed..]);
            assert_eq!(
                first.consumed + second.consumed,
                body.len(),
                "split {split}"
            );
            assert_eq!(second.state, Ok(None), "split {split}");
        }
    }

    #[test]
    fn chunked_walk_refuses_garbage() {
        let r = walk_chunked(Chunk::Size { line: 0 }, b"zz\r\n");
        assert_eq!(r.state, Err(()));
        let r = walk_chunked(Chunk::Size { line: 0 }, b"1\r\naXY");
        assert_eq!(r.state, Err(()));
    }

    #[test]
    fn smuggling_shapes_are_refused() {
        let both = b"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert!(body_framing(both).is_err());
        let twice = b"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n";
        assert!(body_framing(twice).is_err());
        let folded = b"GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n";
        assert!(body_framing(folded).is_err());
        let ok = b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\n";
        assert_eq!(
            body_framing(ok),
            Ok((Framing::Body { remaining: 3 }, false))
        );
    }

    #[test]
    fn signed_or_listed_lengths_and_empty_chunk_sizes_are_refused() {
        let signed = b"POST / HTTP/1.1\r\nContent-Length: +3\r\n\r\n";
        assert_eq!(body_framing(signed), Err(Refusal::Malformed));
        let listed = b"POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\n";
        assert_eq!(body_framing(listed), Err(Refusal::Malformed));
        let gzip = b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n";
        assert_eq!(body_framing(gzip), Err(Refusal::Malformed));
        let r = walk_chunked(Chunk::Size { line: 0 }, b"\r\n\r\n");
        assert_eq!(r.state, Err(()));
    }

    #[test]
    fn the_relayed_head_keeps_or_closes_the_internal_connection() {
        let raw = b"POST /api/x HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi";
        let head = parse_head(raw).unwrap().unwrap();
        assert_eq!(head.len, raw.len() - 2);
        assert!(head.expects_continue && !head.close);
        let relayed = String::from_utf8(head.relayed("X-Peer: me\r\n", false)).unwrap();
        assert_eq!(
            relayed,
            "POST /api/x HTTP/1.1\r\nX-Peer: me\r\nHost: a\r\nContent-Length: 2\r\nConnection: close\r\n\r\n"
        );
        assert!(head.fits_kept_connection());
        let kept = String::from_utf8(head.relayed("X-Peer: me\r\n", true)).unwrap();
        assert_eq!(
            kept,
            "POST /api/x HTTP/1.1\r\nX-Peer: me\r\nHost: a\r\nContent-Length: 2\r\n\r\n"
        );
        let chunked = b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTE: identity\r\n\r\n";
        let chunked = parse_head(chunked).unwrap().unwrap();
        assert!(
            !chunked.fits_kept_connection(),
            "an unread chunked body would desynchronise it"
        );
        assert!(
            !String::from_utf8(chunked.relayed("", false))
                .unwrap()
                .contains("TE:")
        );
        let old = parse_head(b"GET / HTTP/1.0\r\n\r\n").unwrap().unwrap();
        assert!(old.close, "HTTP/1.0 closes unless it asks for keep-alive");
        assert!(!old.fits_kept_connection());
    }

    #[test]
    fn heads_are_limited_in_size_and_to_ascii() {
        let huge = format!("GET / HTTP/1.1\r\nX: {}", "a".repeat(MAX_HEAD));
        assert_eq!(
            parse_head(huge.as_bytes()).err(),
            Some(Refusal::HeadTooLarge)
        );
        let many = format!("GET / HTTP/1.1\r\n{}\r\n", "X: a\r\n".repeat(300));
        assert_eq!(
            parse_head(many.as_bytes()).err(),
            Some(Refusal::HeadTooLarge)
        );
        let raw = b"GET /?q=\xc3\xa4 HTTP/1.1\r\n\r\n";
        assert_eq!(parse_head(raw).err(), Some(Refusal::NotAscii));
        assert!(matches!(parse_head(b"GET / HTTP/1.1\r\nHost"), Ok(None)));
    }
}
