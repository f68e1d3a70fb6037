//! Shared start-up for integration tests: a real server in-process on an
//! ephemeral port, a temporary appdata with a real SQLite file, bcrypt cost 4,
//! and a real HTTP client (cookies on, redirects off, statuses not errors).
#![allow(dead_code)]

pub mod create;
pub mod raw;
pub mod spawned;

use miauinv::{app::App, config, server};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Waits until `condition` holds, checking every 20 ms; fails the test,
/// naming `what`, when `timeout` passes first. This, never a bare sleep, is
/// how a test waits for something that happens on another thread or in
/// another process: it goes on the moment the thing happened, and a slow
/// machine only makes it wait longer, up to a generous deadline.
pub fn wait_until(timeout: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "waited {timeout:?} and still not: {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub struct TestServer {
    pub base: String,
    pub dir: tempfile::TempDir,
    pub app: Arc<App>,
    running: Option<server::Running>,
}

pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): status {} body {}", self.status, self.text))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_string()
    }
}

/// An answer read as bytes (`Client::send_bytes`).
pub struct BytesResp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl BytesResp {
    /// The answer with its body as text.
    pub fn into_text(self) -> Resp {
        Resp {
            status: self.status,
            headers: self.headers,
            text: String::from_utf8_lossy(&self.body).into_owned(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): status {} body {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

impl TestServer {
    pub fn start() -> TestServer {
        Self::start_with("")
    }

    /// Starts a server whose config file holds `extra_yaml` on top of test defaults.
    pub fn start_with(extra_yaml: &str) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let cfg_path = dir.path().join("config.yaml");
        let yaml = format!(
            "port: 0\nbind_address: 127.0.0.1\ndatabase_path: {}\ntls: false\nbcrypt_cost: 4\nworkers: 8\n{}",
            dir.path().join("database.db").display(),
            extra_yaml
        );
        std::fs::write(&cfg_path, yaml).unwrap();
        Self::start_at(dir, cfg_path)
    }

    /// A server for passkeys in a browser: WebAuthn checks the exact origin, so
    /// the port is bound first and `rp_origin` is `http://localhost:<that port>`
    /// (http://localhost is a secure context). `base` uses localhost too, since
    /// the browser must open the page at that origin.
    pub fn start_with_passkeys() -> TestServer {
        Self::start_bound("localhost", |port| {
            format!("rp_id: localhost\nrp_origin: \"http://localhost:{port}\"\n")
        })
    }

    /// A server at a known address whose `public_url` is that address (the
    /// port is bound first): an identity provider sends the browser back to
    /// `{public_url}/auth/oidc/callback`. `extra_yaml` is added to the config.
    pub fn start_public(extra_yaml: &str) -> TestServer {
        Self::start_bound("127.0.0.1", |port| {
            format!("public_url: \"http://127.0.0.1:{port}\"\n{extra_yaml}")
        })
    }

    /// A server on a port bound before its config is written, so the config
    /// (`extra(port)`) can name its own address; reached at `host`.
    fn start_bound(host: &str, extra: impl FnOnce(u16) -> String) -> TestServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port");
        let port = listener.local_addr().expect("bound address").port();
        let dir = tempfile::tempdir().expect("temp dir");
        let cfg_path = dir.path().join("config.yaml");
        let yaml = format!(
            "port: {port}\nbind_address: 127.0.0.1\ndatabase_path: {}\ntls: false\nbcrypt_cost: 4\nworkers: 8\n{}",
            dir.path().join("database.db").display(),
            extra(port),
        );
        std::fs::write(&cfg_path, yaml).unwrap();
        let no_env = |_: &str| None;
        let cfg = config::load(&cfg_path, &no_env).expect("config loads");
        let app = Arc::new(App::new(cfg, "test-secret-that-is-at-least-32-characters").unwrap());
        let running = server::start_on(app.clone(), listener).expect("server starts");
        TestServer {
            base: format!("http://{host}:{port}"),
            dir,
            app,
            running: Some(running),
        }
    }

    /// Starts a server on the database file `db_path` made beforehand in
    /// `dir` (an older schema, rows written by hand): the upgrade tests.
    pub fn start_on(dir: tempfile::TempDir, db_path: &std::path::Path) -> TestServer {
        let cfg = dir.path().join("config.yaml");
        std::fs::write(
            &cfg,
            format!(
                "port: 0\nbind_address: 127.0.0.1\ndatabase_path: {}\ntls: false\nbcrypt_cost: 4\nworkers: 4\n",
                db_path.display()
            ),
        )
        .unwrap();
        TestServer::start_at(dir, cfg)
    }

    pub fn start_at(dir: tempfile::TempDir, cfg_path: PathBuf) -> TestServer {
        let no_env = |_: &str| None;
        let cfg = config::load(&cfg_path, &no_env).expect("config loads");
        let app = Arc::new(App::new(cfg, "test-secret-that-is-at-least-32-characters").unwrap());
        let running = server::start(app.clone()).expect("server starts");
        TestServer {
            base: format!("http://{}", running.addr()),
            dir,
            app,
            running: Some(running),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn db_path(&self) -> PathBuf {
        self.app.config.database_path.clone()
    }

    /// A fresh client with its own cookie jar.
    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }

    pub fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown();
        }
    }

    /// Stops this server and starts another on the same appdata (config,
    /// database, keys).
    pub fn restart(mut self) -> TestServer {
        self.stop();
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap());
        drop(self);
        let cfg = dir.path().join("config.yaml");
        TestServer::start_at(dir, cfg)
    }

    /// A connection of its own to the server's database file.
    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.db_path()).expect("the database opens")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

pub struct Client {
    pub base: String,
    agent: ureq::Agent,
    pub bearer: Option<String>,
}

impl Client {
    pub fn new(base: &str) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        Client {
            base: base.to_string(),
            agent,
            bearer: None,
        }
    }

    /// Sends a request; `body` is sent as JSON when given.
    pub fn send(&self, method: &str, path: &str, body: Option<Value>) -> Resp {
        self.send_with(method, path, body, &[])
    }

    /// A request to `path` with the bearer token (if any) and `headers`.
    fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
    ) -> ureq::http::request::Builder {
        let url = format!("{}{}", self.base, path);
        let mut builder = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(t) = &self.bearer {
            builder = builder.header("Authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder
    }

    /// Sends `body` as JSON (with `Content-Type: application/json` unless
    /// `headers` name one) and reads the answer as text.
    pub fn send_with(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut headers = headers.to_vec();
        if body.is_some()
            && !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        {
            headers.push(("Content-Type", "application/json"));
        }
        let bytes = body.map(|b| serde_json::to_vec(&b).unwrap());
        self.send_bytes(method, path, bytes.as_deref(), &headers)
            .into_text()
    }

    /// Sends `body` as is with `content_type` (CSV and JSON files) and reads
    /// the answer as text.
    pub fn send_raw(&self, method: &str, path: &str, content_type: &str, body: &[u8]) -> Resp {
        self.send_bytes(method, path, Some(body), &[("Content-Type", content_type)])
            .into_text()
    }

    /// A GET whose body is bytes (downloads): status, headers, body.
    pub fn get_bytes(&self, path: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let r = self.send_bytes("GET", path, None, &[]);
        (r.status, r.headers, r.body)
    }

    /// Sends `body` as raw bytes (uploads) and reads the answer as bytes
    /// (downloads); `body` is left out when `None`.
    pub fn send_bytes(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> BytesResp {
        let builder = self.request(method, path, headers);
        let result = match body {
            Some(b) => self.agent.run(builder.body(b.to_vec()).unwrap()),
            None => self.agent.run(builder.body(()).unwrap()),
        };
        let mut resp = result.unwrap_or_else(|e| panic!("{method} {path} failed: {e}"));
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let body = resp
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_vec()
            .unwrap_or_default();
        BytesResp {
            status,
            headers,
            body,
        }
    }

    pub fn get(&self, path: &str) -> Resp {
        self.send("GET", path, None)
    }
    pub fn post(&self, path: &str, body: Value) -> Resp {
        self.send("POST", path, Some(body))
    }
    /// `POST`s a new row, insists on 201 and returns its id.
    pub fn created(&self, path: &str, body: Value) -> i64 {
        let r = self.post(path, body);
        assert_eq!(r.status, 201, "{path}: {}", r.text);
        r.json()["id"].as_i64().unwrap()
    }
    /// A GET that must answer 200; the body's bytes (downloads, served files).
    pub fn served(&self, path: &str) -> Vec<u8> {
        let r = self.send_bytes("GET", path, None, &[]);
        assert_eq!(r.status, 200, "{path}");
        r.body
    }
    /// Imports a ZIP archive (`dry_run`: checked, nothing written).
    pub fn import_zip(&self, dry_run: bool, archive: &[u8]) -> Resp {
        self.send_raw(
            "POST",
            &format!("/api/import?format=zip&dry_run={dry_run}"),
            "application/zip",
            archive,
        )
    }
    pub fn put(&self, path: &str, body: Value) -> Resp {
        self.send("PUT", path, Some(body))
    }
    pub fn delete(&self, path: &str) -> Resp {
        self.send("DELETE", path, None)
    }

    pub fn register(&self, username: &str, password: &str) -> Resp {
        self.post(
            "/api/register",
            json!({"username": username, "password": password}),
        )
    }

    pub fn login(&self, username: &str, password: &str) -> Resp {
        self.post(
            "/api/login",
            json!({"username": username, "password": password}),
        )
    }

    /// Registers and logs in; the cookie jar then holds the session.
    pub fn signed_up(server: &TestServer, username: &str) -> Client {
        let c = server.client();
        let r = c.register(username, "correct horse battery");
        assert_eq!(r.status, 201, "{}", r.text);
        let r = c.login(username, "correct horse battery");
        assert_eq!(r.status, 200, "{}", r.text);
        c
    }
}

pub const PASSWORD: &str = "correct horse battery";

/// Runs `miauinv --config <dir>/config.yaml ARGS` with `stdin` as its input:
/// (success, stdout then stderr).
pub fn cli_with_input(dir: &std::path::Path, args: &[&str], stdin: &str) -> (bool, String) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_miauinv"))
        .arg("--config")
        .arg(dir.join("config.yaml"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin.as_bytes())
        .expect("the binary reads its input");
    let out = child.wait_with_output().expect("the binary ends");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// [`cli_with_input`] with no input.
pub fn cli(dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    cli_with_input(dir, args, "")
}

/// A port free on 127.0.0.1 a moment ago, for a process that binds its own.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port");
    l.local_addr().expect("bound address").port()
}

/// The token at the end of an invitation or reset link (`…?token=T`).
pub fn token_of(url: &str) -> String {
    url.split("token=")
        .nth(1)
        .expect("a token in the link")
        .to_string()
}

/// The item events in the notification outbox, oldest first: (event, item id).
pub fn outbox(server: &TestServer) -> Vec<(String, i64)> {
    let conn = server.db();
    let mut stmt = conn
        .prepare(
            "SELECT event, item_id FROM notification_outbox WHERE item_id IS NOT NULL ORDER BY id",
        )
        .expect("the outbox is there");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("the outbox reads")
        .collect::<Result<_, _>>()
        .expect("the outbox rows read")
}
