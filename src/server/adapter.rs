//! tiny_http ⇄ our `Request`/`Reply` (layer: http, its top): who the client
//! is (the front's peer header, then trusted proxies), the bounded body, the
//! security headers every answer carries, and the access log line. It routes
//! nothing and renders no pages: the server passes those in.

use crate::error::AppError;
use crate::front::peer::{PEER_HEADER, Peer};
use crate::http::body::{SPOOL_ABOVE, Spooled, too_large};
use crate::http::{MAX_BODY, Method, Reply, Request, split_target};
use std::io::{Read, Write};
use std::net::IpAddr;
use std::path::Path;
use std::time::Instant;

/// Builds our `Request` and reads the body (at most the route's limit, see
/// `router::body_limit`; a large one is spooled to a file in `spool_dir`).
/// `peer` checks the value of the first header, the front's peer tag. Errors found here (an
/// oversized body, a connection that bypassed the front) are answered without
/// routing.
pub fn read_request(
    rq: &mut tiny_http::Request,
    trusted_proxies: &[IpAddr],
    spool_dir: &Path,
    peer: impl Fn(&str) -> Option<Peer>,
) -> (Request, Option<AppError>) {
    let (path, query) = split_target(rq.url());
    // The front puts the real client first in every head; a header of that
    // name anywhere else came from the client and is dropped.
    let front_peer = rq
        .headers()
        .first()
        .filter(|h| h.field.as_str().as_str().eq_ignore_ascii_case(PEER_HEADER))
        .and_then(|h| peer(h.value.as_str()));
    let headers: Vec<(String, String)> = rq
        .headers()
        .iter()
        .map(|h| {
            (
                h.field.as_str().as_str().to_ascii_lowercase(),
                h.value.as_str().to_string(),
            )
        })
        .filter(|(name, _)| name != PEER_HEADER)
        .collect();
    let peer_ip = front_peer.map_or(IpAddr::from([0, 0, 0, 0]), |p| p.addr.ip());
    let mut req = Request {
        method: Method::parse(rq.method().as_str()),
        path,
        query,
        headers,
        body: Vec::new(),
        spool: None,
        client: peer_ip,
        secure: front_peer.is_some_and(|p| p.secure),
    };
    if front_peer.is_none() {
        // Only the front listener may talk to the internal socket: whatever
        // else does would skip every connection limit.
        return (req, Some(crate::api::words::not_via_listener()));
    }
    resolve_client(trusted_proxies, &mut req, peer_ip);

    let limit = crate::router::body_limit(req.method.as_str(), &req.path);
    if rq.body_length().is_some_and(|n| n > limit) {
        return (req, Some(too_large(limit)));
    }
    match read_body(rq.as_reader(), limit, spool_dir) {
        Ok(Body::Memory(body)) => req.body = body,
        Ok(Body::Spooled(spooled)) => req.spool = Some(spooled),
        Ok(Body::TooLarge) => return (req, Some(too_large(limit))),
        Ok(Body::Unspoolable(e)) => {
            let failed = AppError::internal(format_args!(
                "cannot create a temporary file in {}: {e}",
                spool_dir.display()
            ));
            return (req, Some(failed));
        }
        Err(e) => {
            return (req, Some(crate::api::words::unreadable_body(e)));
        }
    }
    (req, None)
}

enum Body {
    Memory(Vec<u8>),
    Spooled(Spooled),
    TooLarge,
    /// The temporary file could not be created: our fault, not the client's.
    Unspoolable(std::io::Error),
}

/// Reads at most `limit` bytes of body: in memory, or, on an upload route,
/// in memory up to `SPOOL_ABOVE` and the rest into an unnamed file in
/// `spool_dir`.
fn read_body(reader: &mut dyn Read, limit: usize, spool_dir: &Path) -> std::io::Result<Body> {
    let mut reader = reader.take(limit as u64 + 1);
    // Only the upload routes (a limit above the default) spool: every other
    // body is JSON, read by handlers from memory.
    let in_memory = match limit > MAX_BODY {
        true => SPOOL_ABOVE,
        false => limit,
    };
    let mut head = Vec::new();
    (&mut reader)
        .take(in_memory as u64 + 1)
        .read_to_end(&mut head)?;
    if head.len() <= in_memory {
        return Ok(Body::Memory(head));
    }
    if limit <= MAX_BODY {
        return Ok(Body::TooLarge);
    }
    let mut file = match tempfile::tempfile_in(spool_dir) {
        Ok(file) => file,
        Err(e) => return Ok(Body::Unspoolable(e)),
    };
    file.write_all(&head)?;
    let rest = std::io::copy(&mut reader, &mut file)?;
    let len = head.len() as u64 + rest;
    if len > limit as u64 {
        return Ok(Body::TooLarge);
    }
    Ok(Body::Spooled(Spooled::new(file, len)))
}

/// Believes `X-Forwarded-For`/`X-Forwarded-Proto` only from configured proxies.
pub fn resolve_client(trusted: &[IpAddr], req: &mut Request, peer: IpAddr) {
    if !trusted.contains(&peer) {
        return;
    }
    // Every X-Forwarded-For line is one list, in order: a proxy may append
    // its own line after one the client sent. The right-most address that is
    // not one of our proxies is the client; the client's own entries are to
    // its left.
    let client = req
        .headers
        .iter()
        .filter(|(name, _)| name == "x-forwarded-for")
        .flat_map(|(_, value)| value.split(','))
        .rev()
        .filter_map(|s| s.trim().parse::<IpAddr>().ok())
        .find(|ip| !trusted.contains(ip));
    if let Some(ip) = client {
        req.client = ip;
    }
    if req
        .header("x-forwarded-proto")
        .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
    {
        req.secure = true;
    }
}

/// Errors are JSON on the API and `/healthz`, and an HTML page (from `page`)
/// everywhere else; a refusal made below the edge is said here, once.
pub fn render_error(
    req: &Request,
    mut err: AppError,
    page: impl FnOnce(&Request, &AppError) -> Reply,
) -> Reply {
    crate::api::words::say(&mut err);
    if let Some(detail) = &err.detail {
        eprintln!(
            "internal error: {} {}: {detail}",
            req.method.as_str(),
            req.path
        );
    }
    if req.is_api() || req.path == "/healthz" {
        Reply::error_json(&err)
    } else {
        page(req, &err)
    }
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Security headers on every response; no caching of API answers or pages.
pub fn decorate(mut reply: Reply, req: &Request) -> Reply {
    let static_asset = req.path.starts_with("/assets/");
    if !static_asset && !reply.has_header("Cache-Control") {
        reply = reply.header("Cache-Control", "no-store");
    }
    // A reply with a policy of its own keeps it: a stored file its sandbox, a
    // label file or the scanner's worker theirs. Two policies would both
    // apply, and the site one would undo what the worker's allows.
    if !reply.has_header("Content-Security-Policy") {
        reply = reply.header("Content-Security-Policy", CSP);
    }
    if !reply.has_header("X-Content-Type-Options") {
        reply = reply.header("X-Content-Type-Options", "nosniff");
    }
    // A page with a one-time link's token in its address sets `no-referrer`.
    if !reply.has_header("Referrer-Policy") {
        reply = reply.header("Referrer-Policy", "same-origin");
    }
    reply = reply.header("X-Frame-Options", "DENY");
    if req.secure {
        reply = reply.header("Strict-Transport-Security", "max-age=31536000");
    }
    reply
}

/// The tiny_http response for `reply`. It names us `MiauInv`: tiny_http would
/// otherwise add `Server: tiny-http (Rust)`, which tells scanners what to try.
pub fn to_tiny(reply: Reply) -> tiny_http::Response<Box<dyn Read + Send>> {
    let (body, length): (Box<dyn Read + Send>, usize) = match reply.spooled {
        Some(file) => {
            let length = usize::try_from(file.len()).unwrap_or(usize::MAX);
            (Box::new(file.reader()), length)
        }
        None => {
            let length = reply.body.len();
            (Box::new(std::io::Cursor::new(reply.body)), length)
        }
    };
    let mut response = tiny_http::Response::new(
        tiny_http::StatusCode(reply.status),
        Vec::new(),
        body,
        Some(length),
        None,
    );
    response.add_header(
        tiny_http::Header::from_bytes(&b"Server"[..], &b"MiauInv"[..]).expect("a valid header"),
    );
    for (name, value) in reply.headers {
        if let Ok(h) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            response.add_header(h);
        }
    }
    response
}

/// Decorates and sends `reply`, then writes the access log line.
pub fn respond(rq: tiny_http::Request, req: &Request, reply: Reply, started: Instant) {
    let reply = decorate(reply, req);
    let status = reply.status;
    let _ = rq.respond(to_tiny(reply));
    // Formatted first and written at once: stderr is unbuffered, and
    // `eprintln!` makes one write(2) per formatted piece (17 for this line)
    // while holding the lock every worker shares.
    let line = format!(
        "{} {} {} {:.1}ms {}\n",
        req.method.as_str(),
        req.path,
        status,
        started.elapsed().as_secs_f64() * 1000.0,
        req.client
    );
    let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)]) -> Request {
        Request {
            method: Method::Get,
            path: "/".into(),
            query: Default::default(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: Vec::new(),
            spool: None,
            client: IpAddr::from([127, 0, 0, 2]),
            secure: false,
        }
    }

    #[test]
    fn every_forwarded_for_line_is_one_list_read_from_the_right() {
        let proxy = IpAddr::from([127, 0, 0, 2]);
        // The client sent its own line first; the proxy appended the real one.
        let mut req = request(&[
            ("x-forwarded-for", "198.51.100.66"),
            ("x-forwarded-for", "198.51.100.7, 127.0.0.2"),
        ]);
        resolve_client(&[proxy], &mut req, proxy);
        assert_eq!(req.client, IpAddr::from([198, 51, 100, 7]));
    }
}
