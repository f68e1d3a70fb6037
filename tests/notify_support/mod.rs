//! Real receivers for notification tests, in the test process: an HTTP
//! server on 127.0.0.1:0 that records every request and answers the statuses
//! it is told to, and an SMTP sink that keeps every message.
#![allow(dead_code)]

use crate::common::{TestServer, wait_until};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

#[derive(Default)]
struct State {
    requests: Vec<Recorded>,
    /// Statuses for the next requests, then `fallback`.
    script: VecDeque<u16>,
    fallback: u16,
}

/// A recording HTTP receiver.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl Receiver {
    /// Answers 200 to everything.
    pub fn start() -> Receiver {
        Self::answering(&[], 200)
    }

    /// Answers `script` in turn, then `fallback`.
    pub fn answering(script: &[u16], fallback: u16) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a receiver");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            requests: Vec::new(),
            script: script.iter().copied().collect(),
            fallback,
        }));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = serve(stream, &shared);
            }
        });
        Receiver { url, state }
    }

    /// From now on every request gets `status`.
    pub fn set_status(&self, status: u16) {
        let mut s = self.state.lock().unwrap();
        s.script.clear();
        s.fallback = status;
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }

    /// Waits until `n` requests arrived (at most 10 s) and returns them all.
    pub fn wait_for(&self, n: usize) -> Vec<Recorded> {
        wait_until(
            Duration::from_secs(10),
            &format!("{n} requests arrived"),
            || self.requests().len() >= n,
        );
        self.requests()
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let len = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body)?;
    let status = {
        let mut s = state.lock().unwrap();
        s.requests.push(Recorded {
            method,
            path,
            headers,
            body,
            at: Instant::now(),
        });
        let fallback = s.fallback;
        s.script.pop_front().unwrap_or(fallback)
    };
    let mut out = stream;
    write!(
        out,
        "HTTP/1.1 {status} Status\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    out.flush()
}

/// A minimal SMTP sink (RFC 5321's happy path): every message's DATA, and
/// the envelope recipients (`RCPT TO`) it was sent to.
#[derive(Clone)]
pub struct SmtpSink {
    pub port: u16,
    messages: Arc<Mutex<Vec<String>>>,
    envelopes: Arc<Mutex<Vec<Vec<String>>>>,
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind an SMTP sink");
        let port = listener.local_addr().unwrap().port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let envelopes = Arc::new(Mutex::new(Vec::new()));
        let (shared, to) = (messages.clone(), envelopes.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = smtp_session(stream, &shared, &to);
            }
        });
        SmtpSink {
            port,
            messages,
            envelopes,
        }
    }

    /// The messages received so far.
    pub fn messages(&self) -> Vec<String> {
        self.messages.lock().unwrap().clone()
    }

    /// Each received message's envelope recipients, in order.
    pub fn envelopes(&self) -> Vec<Vec<String>> {
        self.envelopes.lock().unwrap().clone()
    }

    /// Waits until `n` messages arrived (at most 10 s) and returns them all.
    pub fn wait_for(&self, n: usize) -> Vec<String> {
        wait_until(
            Duration::from_secs(10),
            &format!("{n} mails arrived"),
            || self.messages.lock().unwrap().len() >= n,
        );
        self.messages()
    }
}

fn smtp_session(
    stream: TcpStream,
    messages: &Mutex<Vec<String>>,
    envelopes: &Mutex<Vec<Vec<String>>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    let mut rcpt = Vec::new();
    out.write_all(b"220 sink ESMTP\r\n")?;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" | "HELO" => out.write_all(b"250-sink\r\n250 8BITMIME\r\n")?,
            "RCPT" => {
                let to = line.split(['<', '>']).nth(1).unwrap_or_default();
                rcpt.push(to.to_string());
                out.write_all(b"250 OK\r\n")?;
            }
            "DATA" => {
                out.write_all(b"354 go ahead\r\n")?;
                let mut data = String::new();
                loop {
                    let mut l = String::new();
                    if reader.read_line(&mut l)? == 0 {
                        return Ok(());
                    }
                    if l == ".\r\n" {
                        break;
                    }
                    data.push_str(&l);
                }
                envelopes.lock().unwrap().push(std::mem::take(&mut rcpt));
                messages.lock().unwrap().push(data);
                out.write_all(b"250 queued\r\n")?;
            }
            "QUIT" => {
                out.write_all(b"221 bye\r\n")?;
                return Ok(());
            }
            _ => out.write_all(b"250 OK\r\n")?,
        }
    }
}

/// HMAC-SHA-256 written out from RFC 2104 over plain SHA-256, sharing no
/// code with the `hmac` crate the server signs with.
pub fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    let outer = Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize();
    outer.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether the sender has nothing left to do: no delivery is pending (each
/// is sent or given up). Events are queued in the transaction of what caused
/// them, so once this holds every request or mail they cause has arrived.
pub fn nothing_pending(server: &TestServer) -> bool {
    let pending: i64 = server
        .db()
        .query_row(
            "SELECT count(*) FROM notification_deliveries WHERE status = 'pending'",
            [],
            |r| r.get(0),
        )
        .expect("the deliveries read");
    pending == 0
}

/// Waits until the sender has nothing left to do ([`nothing_pending`]).
pub fn wait_all_delivered(server: &TestServer) {
    wait_until(
        Duration::from_secs(20),
        "every delivery is sent or given up",
        || nothing_pending(server),
    );
}
