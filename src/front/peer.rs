//! The signed peer tag (layer: front): how the front tells tiny_http's side who
//! the client of a relayed request is. The header is the first of every
//! relayed head, `X-Miauinv-Peer: <secret> <addr> <https|http>`, with a secret
//! random per process, so nothing else that reaches the internal socket can
//! claim an address or TLS. The adapter (`server::adapter`) reads it through
//! [`PeerTag::read`]; the header's name and the [`Peer`] it yields are the
//! adapter's, since the layers below the front must not import it.

use std::net::SocketAddr;

/// The header naming the client of a relayed request, always the first of its
/// head (written and signed by the front's `PeerTag`).
pub const PEER_HEADER: &str = "x-miauinv-peer";

/// Who is behind a request that came through the front.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    pub addr: SocketAddr,
    pub secure: bool,
}

/// Writes and checks the peer header. The secret never leaves this process.
pub struct PeerTag {
    secret: String,
}

impl PeerTag {
    pub fn new() -> Result<PeerTag, String> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(|e| format!("no randomness: {e}"))?;
        Ok(PeerTag {
            secret: hex::encode(bytes),
        })
    }

    /// The header line (with its CRLF) the front puts after the request line.
    pub fn line(&self, peer: SocketAddr, secure: bool) -> String {
        let scheme = if secure { "https" } else { "http" };
        format!("X-Miauinv-Peer: {} {peer} {scheme}\r\n", self.secret)
    }

    /// The peer in a header value this process's front wrote; `None` for any
    /// other value.
    pub fn read(&self, value: &str) -> Option<Peer> {
        let mut parts = value.split(' ');
        let secret = parts.next()?;
        // Constant time: the comparison must not tell a prober how much matched.
        if !crate::crypto::constant_time_eq(secret.as_bytes(), self.secret.as_bytes()) {
            return None;
        }
        let addr = parts.next()?.parse().ok()?;
        let secure = match parts.next()? {
            "https" => true,
            "http" => false,
            _ => return None,
        };
        parts.next().is_none().then_some(Peer { addr, secure })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_process_tag_is_believed() {
        let tag = PeerTag::new().unwrap();
        let addr: SocketAddr = "192.0.2.1:4000".parse().unwrap();
        let line = tag.line(addr, true);
        let value = line
            .trim_end()
            .strip_prefix("X-Miauinv-Peer: ")
            .expect("header name");
        assert_eq!(tag.read(value), Some(Peer { addr, secure: true }));
        let other = PeerTag::new().unwrap();
        assert_eq!(other.read(value), None, "another process's secret");
        assert_eq!(tag.read(&format!("{value} extra")), None);
    }
}
