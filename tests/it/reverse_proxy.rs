//! The user guide's reverse-proxy examples, run for real so the documentation
//! cannot drift: the nginx and Caddy configurations are taken from
//! docs/reverse-proxies.md (between
//! `<!-- reverse-proxy-example: … -->` markers), only names, ports and
//! certificate paths replaced, and run as real servers on loopback in front of a
//! real MiauInv. Through each, on a port other than 443: a login, a
//! cookie-authenticated write with a browser's `Origin`, and the rate limit keyed
//! on the real client even when it forges `X-Forwarded-For`.
//!
//! Clients connect from their own loopback addresses (127.0.0.2 and up), so the
//! proxy's own address (127.0.0.1, the trusted proxy) is never the client's.
//! Skipped, with a message saying why, when `nginx` or `caddy` is not installed
//! (`scripts/test-deps` installs both).

use crate::common;
use common::free_port;

use common::raw::connect_from;
use common::{PASSWORD, TestServer};
use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The fenced block after `<!-- reverse-proxy-example: {name} -->` in
/// docs/reverse-proxies.md.
fn readme_example(name: &str) -> String {
    let readme = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/reverse-proxies.md"
    ))
    .expect("docs/reverse-proxies.md");
    let marker = format!("<!-- reverse-proxy-example: {name} -->");
    let after = readme
        .split_once(&marker)
        .unwrap_or_else(|| panic!("docs/reverse-proxies.md has no {marker}"))
        .1;
    let block = after.split_once("```").expect("a fenced block").1;
    let block = block.split_once('\n').expect("a fence line").1;
    block
        .split_once("```")
        .expect("a closing fence")
        .0
        .to_string()
}

/// `text` with `from` replaced by `to`, which must occur in it.
fn replace(text: &str, from: &str, to: &str) -> String {
    assert!(
        text.contains(from),
        "the README example no longer contains {from:?}:\n{text}"
    );
    text.replace(from, to)
}

/// The path of `program` if it is installed.
fn installed(program: &str) -> Option<PathBuf> {
    ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"]
        .iter()
        .map(|d| Path::new(d).join(program))
        .find(|p| p.exists())
}

/// A proxy process, killed when dropped.
struct Proxy {
    child: Child,
    log: PathBuf,
}

impl Proxy {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until something accepts connections on `port`, or the proxy exits.
fn wait_listening(proxy: &mut Proxy, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = proxy.child.try_wait() {
            panic!("the proxy exited ({status}):\n{}", proxy.log());
        }
        assert!(
            Instant::now() < deadline,
            "the proxy does not listen:\n{}",
            proxy.log()
        );
        // The polling step of this wait (it fails with the proxy's log, so it
        // is not `wait_until`).
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// An HTTPS client of the proxy on `port`, trusting only `root` (PEM).
struct Browser {
    port: u16,
    tls: Arc<rustls::ClientConfig>,
}

struct Answer {
    status: u16,
    head: String,
    body: Value,
}

impl Answer {
    fn headers(&self, name: &str) -> Vec<String> {
        self.head
            .lines()
            .filter_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().to_string())
            })
            .collect()
    }

    /// The value a `Set-Cookie` gave `name`.
    fn cookie(&self, name: &str) -> Option<String> {
        self.headers("set-cookie").iter().find_map(|c| {
            let value = c.strip_prefix(&format!("{name}="))?;
            Some(value.split(';').next().unwrap_or("").to_string())
        })
    }
}

impl Browser {
    fn new(port: u16, root: &Path) -> Browser {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(root).unwrap() {
            roots.add(cert.unwrap()).unwrap();
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        Browser {
            port,
            tls: Arc::new(tls),
        }
    }

    /// Waits until a TLS handshake with the proxy completes.
    fn wait_handshake(&self, proxy: &Proxy) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let name = ServerName::try_from("localhost").unwrap();
            let done = TcpStream::connect(("127.0.0.1", self.port)).is_ok_and(|mut tcp| {
                let mut conn = rustls::ClientConnection::new(self.tls.clone(), name).unwrap();
                conn.complete_io(&mut tcp).is_ok() && !conn.is_handshaking()
            });
            if done {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no TLS handshake with the proxy:\n{}",
                proxy.log()
            );
            // The polling step of this wait (it fails with the proxy's log, so it
            // is not `wait_until`).
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// One request from `from` on its own connection, as a browser on this
    /// origin sends it (`Host` and `Origin` with the port).
    fn send(&self, from: [u8; 4], method: &str, path: &str, headers: &str, body: &Value) -> Answer {
        let tcp = connect_from(
            Ipv4Addr::from(from),
            SocketAddr::from((Ipv4Addr::LOCALHOST, self.port)),
        );
        tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        let conn = rustls::ClientConnection::new(self.tls.clone(), name).unwrap();
        let mut s = rustls::StreamOwned::new(conn, tcp);
        let body = body.to_string();
        let host = format!("localhost:{}", self.port);
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nOrigin: https://{host}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\
             {headers}\r\n{body}",
            body.len()
        );
        s.write_all(request.as_bytes())
            .expect("TLS handshake and request");
        let mut raw = Vec::new();
        let mut chunk = [0u8; 8192];
        // The proxy may close without close_notify; what arrived is the answer.
        while let Ok(n) = s.read(&mut chunk) {
            if n == 0 {
                break;
            }
            raw.extend_from_slice(&chunk[..n]);
        }
        let text = String::from_utf8_lossy(&raw).to_string();
        let (head, body) = text
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("no whole answer: {text:?}"));
        Answer {
            status: head.split(' ').nth(1).unwrap().parse().unwrap(),
            head: head.to_string(),
            body: serde_json::from_str(body).unwrap_or(Value::Null),
        }
    }

    fn login(&self, from: [u8; 4], username: &str, password: &str, headers: &str) -> Answer {
        let body = json!({"username": username, "password": password});
        self.send(from, "POST", "/api/login", headers, &body)
    }
}

/// A MiauInv behind a proxy at 127.0.0.1, with one account.
fn miauinv() -> TestServer {
    let s = TestServer::start_with("trusted_proxies: [\"127.0.0.1\"]\n");
    assert_eq!(s.client().register("alice", PASSWORD).status, 201);
    s
}

fn miauinv_port(s: &TestServer) -> u16 {
    let addr: SocketAddr = s.base.trim_start_matches("http://").parse().unwrap();
    addr.port()
}

/// What both proxies must get right, through `browser`.
fn check_through_proxy(browser: &Browser, proxy: &Proxy) {
    let owner = [127, 0, 0, 2];
    // A login through the proxy: secure cookies and HSTS, since the proxy says HTTPS.
    let a = browser.login(owner, "alice", PASSWORD, "");
    assert_eq!(a.status, 200, "{}\n{}", a.body, proxy.log());
    let access = a.cookie("access_token").expect("an access cookie");
    assert!(
        a.headers("set-cookie").iter().all(|c| c.contains("Secure")),
        "{}",
        a.head
    );
    assert!(!a.headers("strict-transport-security").is_empty());

    // A cookie-authenticated write on a port other than 443, with the Origin a
    // browser sends. If this is 403 cross_origin, the proxy dropped the port
    // from Host (or the server's same-origin check does not see it).
    let cookie = format!("Cookie: access_token={access}\r\n");
    let w = browser.send(
        owner,
        "POST",
        "/api/item",
        &cookie,
        &json!({"name": "Drill"}),
    );
    assert_eq!(
        w.status, 201,
        "a cookie-authenticated write through the proxy on port {}: {}",
        browser.port, w.body
    );

    // The rate limit keys on the real client, whatever it claims to be: 20
    // logins a minute from 127.0.0.3, each forging another X-Forwarded-For.
    let guesser = [127, 0, 0, 3];
    for i in 0..20 {
        let forged = format!("X-Forwarded-For: 198.51.100.{i}\r\n");
        let a = browser.login(guesser, &format!("nobody{i}"), "wrong", &forged);
        assert_eq!(a.status, 401, "attempt {i}: {}", a.body);
    }
    let forged = "X-Forwarded-For: 198.51.100.99\r\n";
    let a = browser.login(guesser, "nobody20", "wrong", forged);
    assert_eq!(a.status, 429, "limited by its real address: {}", a.body);
    // Another real client is not limited.
    let a = browser.login([127, 0, 0, 4], "nobody21", "wrong", forged);
    assert_eq!(a.status, 401, "{}", a.body);
}

#[test]
fn the_readme_nginx_example_works_on_another_port() {
    let Some(nginx) = installed("nginx") else {
        println!("SKIPPED: nginx is not installed (scripts/test-deps installs it)");
        return;
    };
    let server = miauinv();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let pair = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    std::fs::write(&cert, pair.cert.pem()).unwrap();
    std::fs::write(&key, pair.signing_key.serialize_pem()).unwrap();
    let port = free_port();

    let example = readme_example("nginx");
    let site = replace(
        &example,
        "listen 443 ",
        &format!("listen 127.0.0.1:{port} "),
    );
    let site = replace(
        &site,
        "/etc/letsencrypt/live/inv.example.com/fullchain.pem",
        &cert.display().to_string(),
    );
    let site = replace(
        &site,
        "/etc/letsencrypt/live/inv.example.com/privkey.pem",
        &key.display().to_string(),
    );
    let site = replace(
        &site,
        "http://127.0.0.1:8080",
        &format!("http://127.0.0.1:{}", miauinv_port(&server)),
    );
    // Everything around the README's server block: one process in the
    // foreground, every file in the temporary directory.
    let d = dir.path().display();
    let conf = format!(
        "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\n\
         error_log {d}/error.log info;\nevents {{ worker_connections 64; }}\n\
         http {{\n access_log off;\n client_body_temp_path {d}/body;\n proxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\n uwsgi_temp_path {d}/uwsgi;\n scgi_temp_path {d}/scgi;\n\
         {site}\n}}\n"
    );
    let conf_path = dir.path().join("nginx.conf");
    std::fs::write(&conf_path, &conf).unwrap();
    let nginx_args = |extra: &[&str]| {
        let mut c = Command::new(&nginx);
        c.arg("-p")
            .arg(dir.path())
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .arg("-c")
            .arg(&conf_path)
            .args(extra);
        c
    };
    // nginx accepts the file (Debian 12's nginx 1.22 refuses `http2 on;`).
    let check = nginx_args(&["-t"]).output().unwrap();
    assert!(
        check.status.success(),
        "nginx refuses the README's configuration:\n{}\n{conf}",
        String::from_utf8_lossy(&check.stderr)
    );
    let child = nginx_args(&[])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut proxy = Proxy {
        child,
        log: dir.path().join("error.log"),
    };
    wait_listening(&mut proxy, port);
    check_through_proxy(&Browser::new(port, &cert), &proxy);
}

#[test]
fn the_readme_caddy_example_works_on_another_port() {
    let Some(caddy) = installed("caddy") else {
        println!("SKIPPED: caddy is not installed (scripts/test-deps installs it)");
        return;
    };
    let server = miauinv();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let example = readme_example("caddy");
    let site = replace(
        &example,
        "inv.example.com {",
        &format!("localhost:{port} {{"),
    );
    let site = replace(
        &site,
        "127.0.0.1:8080",
        &format!("127.0.0.1:{}", miauinv_port(&server)),
    );
    // Around the README's site block: no admin endpoint, no port 80, Caddy's own
    // certificate authority (for localhost) kept in the temporary directory.
    let d = dir.path().display();
    let caddyfile = format!(
        "{{\n admin off\n skip_install_trust\n auto_https disable_redirects\n storage file_system {d}/data\n}}\n{site}"
    );
    let caddyfile_path = dir.path().join("Caddyfile");
    std::fs::write(&caddyfile_path, &caddyfile).unwrap();
    let log = dir.path().join("caddy.log");
    let child = Command::new(&caddy)
        .arg("run")
        .arg("--adapter")
        .arg("caddyfile")
        .arg("--config")
        .arg(&caddyfile_path)
        .env("HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut proxy = Proxy { child, log };
    wait_listening(&mut proxy, port);
    // The client trusts Caddy's own root, made at its first start.
    let root = dir.path().join("data/pki/authorities/local/root.crt");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !root.exists() {
        assert!(Instant::now() < deadline, "no Caddy root:\n{}", proxy.log());
        // The polling step of this wait (it fails with the proxy's log, so it
        // is not `wait_until`).
        std::thread::sleep(Duration::from_millis(50));
    }
    // Caddy issues its leaf certificate just after it listens: until then
    // a handshake ends in an internal-error alert.
    let browser = Browser::new(port, &root);
    browser.wait_handshake(&proxy);
    check_through_proxy(&browser, &proxy);
}
