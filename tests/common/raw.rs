//! Raw-socket helpers for the tests of the front: servers started from a
//! config file (plain or TLS), connections from a chosen loopback address,
//! HTTP/1.1 exchanges read byte by byte, and a verifying TLS client.

use miauinv::{app::App, config, server};
use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub const SECRET: &str = "test-secret-that-is-at-least-32-characters";
pub const GENEROUS: Duration = Duration::from_secs(20);

/// A config file in `dir` with test defaults plus `extra` lines.
pub fn write_config(dir: &Path, port: u16, extra: &str) -> PathBuf {
    let path = dir.join("config.yaml");
    let yaml = format!(
        "port: {port}\nbind_address: 127.0.0.1\ndatabase_path: {db}\ncertificate_path: {cert}\nprivate_key_path: {key}\nbcrypt_cost: 4\nworkers: 4\n{extra}",
        db = dir.join("database.db").display(),
        cert = dir.join("cert.pem").display(),
        key = dir.join("key.pem").display(),
    );
    std::fs::write(&path, yaml).unwrap();
    path
}

pub fn start_in(dir: &Path, extra: &str) -> Result<server::Running, String> {
    let cfg_path = write_config(dir, 0, extra);
    let no_env = |_: &str| None;
    let cfg = config::load(&cfg_path, &no_env)?;
    let app = Arc::new(App::new(cfg, SECRET)?);
    server::start(app)
}

/// A TCP connection from a chosen loopback address (127.0.0.0/8 is all ours),
/// so a test can play several distinct clients.
pub fn connect_from(local: Ipv4Addr, server: SocketAddr) -> TcpStream {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
        .expect("a TCP socket");
    socket
        .bind(&SocketAddr::from((local, 0)).into())
        .unwrap_or_else(|e| panic!("bind {local}: {e}"));
    socket
        .connect(&server.into())
        .unwrap_or_else(|e| panic!("connect {server} from {local}: {e}"));
    socket.into()
}

pub fn plain(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(GENEROUS)).unwrap();
    s
}

pub struct Answer {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }
}

/// Sends `request` and reads one response (Content-Length framed).
pub fn exchange<S: Read + Write>(s: &mut S, request: &[u8]) -> Answer {
    s.write_all(request).unwrap();
    s.flush().unwrap();
    read_answer(s).expect("a complete response")
}

pub fn read_answer<S: Read>(s: &mut S) -> Option<Answer> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let mut answer = Answer {
        status,
        head,
        body: String::new(),
    };
    let len: usize = answer
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    answer.body = String::from_utf8_lossy(&buf[head_end..head_end + len]).to_string();
    Some(answer)
}

pub fn get(path: &str, extra_headers: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n{extra_headers}\r\n").into_bytes()
}

pub fn tls_client(
    cert_path: &Path,
    version: &'static rustls::SupportedProtocolVersion,
) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(cert_path).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[version])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

pub type TlsStream = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

/// A TLS connection that verifies the server certificate against `cert_path`
/// for the name "localhost".
pub fn tls_connect(
    tcp: TcpStream,
    cert_path: &Path,
    version: &'static rustls::SupportedProtocolVersion,
) -> TlsStream {
    tcp.set_read_timeout(Some(GENEROUS)).unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(tls_client(cert_path, version), name).unwrap();
    let mut stream = rustls::StreamOwned::new(conn, tcp);
    while stream.conn.is_handshaking() {
        stream
            .conn
            .complete_io(&mut stream.sock)
            .expect("TLS handshake");
    }
    stream
}
