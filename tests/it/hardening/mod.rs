//! Deployment and hardening: native TLS (1.2 and 1.3, generated certificate,
//! reload, clear errors), the real client address through the front listener,
//! trusted proxies, limits (slowloris, idle connections, head size, connection
//! cap, body size), security headers and graceful shutdown of the real binary.
//! Every test talks to a real server over loopback sockets.

use crate::common;

use common::raw::*;
use common::wait_until;
use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn login(username: &str, extra_headers: &str) -> Vec<u8> {
    let body = format!(r#"{{"username":"{username}","password":"not the password"}}"#);
    format!(
        "POST /api/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra_headers}\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn write_pair(cert_path: &Path, key_path: &Path, names: &[&str]) {
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let ck = rcgen::generate_simple_self_signed(names).unwrap();
    std::fs::write(cert_path, ck.cert.pem()).unwrap();
    std::fs::write(key_path, ck.signing_key.serialize_pem()).unwrap();
}

mod binary;
mod slow_and_many;
mod tls_and_addresses;
