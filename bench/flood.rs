//! The memory rows: the resident size of a freshly started MiauInv after a flood
//! of failed logins, each from a client of its own (an `X-Forwarded-For` address
//! believed from the bench's trusted proxy, 127.0.0.1), then after a minute of
//! idleness. Two floods:
//! - distinct 1 KB usernames, which no account can have: refused with 400 before
//!   any work, so only the per-address limiter sees them;
//! - distinct usernames of a valid length, which reach bcrypt (at cost 4 here:
//!   the row measures memory, not hashing) and every login limiter.

use crate::load::{self, Proc};
use crate::report::FloodRow;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

/// Connections sending the flood at once.
pub const CONNECTIONS: usize = 4;

/// One flood on a fresh server started from `config` with bcrypt cost 4.
pub fn row(
    bin: &Path,
    config: &Path,
    dir: &Path,
    label: &str,
    requests: usize,
    idle: Duration,
    username: fn(usize) -> String,
) -> Result<FloodRow, String> {
    let yaml = std::fs::read_to_string(config).map_err(|e| e.to_string())?;
    let yaml: String = yaml
        .lines()
        .map(|l| {
            if l.starts_with("bcrypt_cost:") {
                "bcrypt_cost: 4\n".to_string()
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let flood_config = dir.join("config-flood.yaml");
    std::fs::write(&flood_config, yaml).map_err(|e| e.to_string())?;
    let slug: String = label.chars().filter(char::is_ascii_alphanumeric).collect();
    let log = dir.join(format!("server-flood-{slug}.log"));
    let server = load::start_miauinv(bin, &flood_config, load::free_port()?, false, &log)?;
    std::thread::sleep(Duration::from_millis(500));
    let rss_before_kib = server.memory_kib()?.0;
    let started = Instant::now();
    let statuses = send(&server, requests, username)?;
    let seconds = started.elapsed().as_secs_f64();
    let rss_after_kib = server.memory_kib()?.0;
    std::thread::sleep(idle);
    let rss_idle_kib = server.memory_kib()?.0;
    server.stop()?;
    Ok(FloodRow {
        label: label.to_string(),
        requests,
        statuses,
        seconds,
        rss_before_kib,
        rss_after_kib,
        rss_idle_kib,
        idle,
    })
}

/// Sends `requests` failed logins over `CONNECTIONS` keep-alive connections;
/// returns how many got each status.
fn send(
    server: &Proc,
    requests: usize,
    username: fn(usize) -> String,
) -> Result<BTreeMap<u16, usize>, String> {
    let port = server.port;
    let threads: Vec<_> = (0..CONNECTIONS)
        .map(|t| {
            std::thread::spawn(move || -> Result<BTreeMap<u16, usize>, String> {
                let mut statuses = BTreeMap::new();
                let mut conn: Option<TcpStream> = None;
                for i in (t..requests).step_by(CONNECTIONS) {
                    let s = match conn.as_mut() {
                        Some(s) => s,
                        None => conn.insert(connect(port)?),
                    };
                    let (status, close) =
                        login(s, i, &username(i)).map_err(|e| format!("flood login {i}: {e}"))?;
                    *statuses.entry(status).or_default() += 1;
                    if close {
                        conn = None;
                    }
                }
                Ok(statuses)
            })
        })
        .collect();
    let mut all = BTreeMap::new();
    for t in threads {
        for (status, n) in t.join().map_err(|_| "a flood thread panicked")?? {
            *all.entry(status).or_default() += n;
        }
    }
    Ok(all)
}

fn connect(port: u16) -> Result<TcpStream, String> {
    let s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    let _ = s.set_nodelay(true);
    Ok(s)
}

/// One failed login from client number `i`; (status, whether the server closes).
fn login(s: &mut TcpStream, i: usize, username: &str) -> std::io::Result<(u16, bool)> {
    let body = format!(r#"{{"username":"{username}","password":"not the password"}}"#);
    let client = format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255);
    let request = format!(
        "POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         X-Forwarded-For: {client}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(request.as_bytes())?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        let n = s.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = s.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok((status, head.contains("connection: close")))
}

/// A distinct 1 KB username for client `i`.
pub fn kilobyte_username(i: usize) -> String {
    format!("{i:x>1024}")
}

/// A distinct username of a valid length for client `i`.
pub fn valid_username(i: usize) -> String {
    format!("flood-{i}")
}
