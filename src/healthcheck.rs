//! `miauinv healthcheck` (layer: top, beside `main.rs`): a client that asks
//! the server on this machine for `GET /healthz`, over TLS when the config
//! says so, as Docker's HEALTHCHECK does. It shares no code with the server's
//! request path.

use crate::config::Config;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// Ok if the local server answers `GET /healthz` with 200.
pub fn healthcheck(cfg: &Config) -> Result<(), String> {
    let ip = match cfg.bind_address {
        IpAddr::V4(a) if a.is_unspecified() => IpAddr::from(Ipv4Addr::LOCALHOST),
        IpAddr::V6(a) if a.is_unspecified() => IpAddr::from(Ipv6Addr::LOCALHOST),
        other => other,
    };
    let addr = SocketAddr::new(ip, cfg.port);
    let timeout = Duration::from_secs(3);
    let stream = std::net::TcpStream::connect_timeout(&addr, timeout)
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| e.to_string())?;
    let request = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    let mut answer = Vec::new();
    let read = if cfg.tls {
        let name = rustls::pki_types::ServerName::from(ip);
        let tls = rustls::ClientConnection::new(crate::front::tls::health_probe_config(), name)
            .map_err(|e| format!("TLS setup failed: {e}"))?;
        let mut tls = rustls::StreamOwned::new(tls, stream);
        tls.write_all(request)
            .and_then(|()| tls.read_to_end(&mut answer))
    } else {
        let mut stream = stream;
        stream
            .write_all(request)
            .and_then(|()| stream.read_to_end(&mut answer))
    };
    // A peer closing without TLS close_notify still delivered its answer.
    if let Err(e) = read
        && answer.is_empty()
    {
        return Err(format!("no answer from {addr}: {e}"));
    }
    if answer.starts_with(b"HTTP/1.1 200") {
        Ok(())
    } else {
        let line = answer.split(|&b| b == b'\r').next().unwrap_or_default();
        Err(format!("unhealthy: {}", String::from_utf8_lossy(line)))
    }
}
