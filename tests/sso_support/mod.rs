//! An OpenID provider in the test process that signs whatever the test asks
//! for: discovery, a key set, an authorization endpoint that sends the
//! browser straight back with a code (or an error), a token endpoint that
//! checks the client secret, the code (once) and the PKCE verifier, and user
//! info. The ID token it signs can be tampered with on purpose (another
//! nonce, audience or issuer, an expiry in the past, `alg: none`, a key it
//! does not publish), so every refusal of the ID token check is tried
//! against a real HTTP exchange. Keys are RSA, made with OpenSSL.
#![allow(dead_code)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Map, Value, json};
use sha2::Digest;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const CLIENT_ID: &str = "miauinv-test";
pub const CLIENT_SECRET: &str = "test-client-secret";

/// What the next ID token gets wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tamper {
    #[default]
    Nothing,
    Nonce,
    Audience,
    Issuer,
    Expired,
    AlgNone,
    UnknownKey,
    ForgedSignature,
    /// The user info names another subject than the ID token.
    UserinfoSubject,
}

/// Who signs in next, and how.
#[derive(Debug, Clone, Default)]
pub struct Script {
    pub sub: String,
    /// Claims beside `sub` in the ID token (email, groups, amr …).
    pub claims: Map<String, Value>,
    /// Claims only the user info gives.
    pub userinfo_only: Map<String, Value>,
    pub tamper: Tamper,
    /// The authorization endpoint answers `error=access_denied`.
    pub deny: bool,
}

struct Issued {
    nonce: String,
    challenge: String,
    used: bool,
    sub: String,
}

#[derive(Default)]
struct State {
    script: Script,
    codes: HashMap<String, Issued>,
    tokens: HashMap<String, String>,
    /// Token-endpoint refusals, by OAuth error code, for the tests to read.
    refusals: Vec<String>,
}

pub struct Provider {
    pub issuer: String,
    pub port: u16,
    state: Arc<Mutex<State>>,
    server: Arc<tiny_http::Server>,
}

impl Drop for Provider {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

struct Keys {
    published: EncodingKey,
    unpublished: EncodingKey,
    jwk: Value,
}

fn rsa_key() -> (EncodingKey, Value) {
    let rsa = openssl::rsa::Rsa::generate(2048).expect("an RSA key");
    let der = rsa.private_key_to_der().expect("DER");
    let jwk = json!({
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": "key-1",
        "n": B64.encode(rsa.n().to_vec()),
        "e": B64.encode(rsa.e().to_vec()),
    });
    (EncodingKey::from_rsa_der(&der), jwk)
}

impl Provider {
    /// Starts on an ephemeral port.
    pub fn start() -> Provider {
        Provider::start_on(0)
    }

    /// Starts on `port` (a provider that comes up after MiauInv did).
    pub fn start_on(port: u16) -> Provider {
        let server = Arc::new(tiny_http::Server::http(("127.0.0.1", port)).expect("bind"));
        let port = server.server_addr().to_ip().expect("an IP address").port();
        let issuer = format!("http://127.0.0.1:{port}");
        let state = Arc::new(Mutex::new(State::default()));
        let (published, jwk) = rsa_key();
        let (unpublished, _) = rsa_key();
        let keys = Arc::new(Keys {
            published,
            unpublished,
            jwk,
        });
        for _ in 0..2 {
            let (server, state, keys, issuer) =
                (server.clone(), state.clone(), keys.clone(), issuer.clone());
            std::thread::spawn(move || {
                for request in server.incoming_requests() {
                    serve(request, &state, &keys, &issuer);
                }
            });
        }
        Provider {
            issuer,
            port,
            state,
            server,
        }
    }

    pub fn tamper(&self, tamper: Tamper) {
        self.state.lock().unwrap().script.tamper = tamper;
    }

    pub fn deny(&self) {
        self.state.lock().unwrap().script.deny = true;
    }

    pub fn userinfo_only(&self, claims: Value) {
        self.state.lock().unwrap().script.userinfo_only = claims.as_object().cloned().unwrap();
    }

    pub fn refusals(&self) -> Vec<String> {
        self.state.lock().unwrap().refusals.clone()
    }
}

impl Idp for Provider {
    fn issuer(&self) -> &str {
        &self.issuer
    }

    fn next(&self, sub: &str, claims: Value) {
        let mut s = self.state.lock().unwrap();
        s.script = Script {
            sub: sub.to_string(),
            claims: claims.as_object().cloned().unwrap_or_default(),
            ..Script::default()
        };
    }

    /// This provider sends the browser straight back.
    fn authorize(&self, location: &str) -> String {
        let agent = no_redirects();
        let answer = agent.get(location).call().expect("the provider answers");
        assert_eq!(answer.status().as_u16(), 302, "the provider redirects back");
        answer.headers()["location"].to_str().unwrap().to_string()
    }
}

fn no_redirects() -> ureq::Agent {
    ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .build()
        .into()
}

/// An OpenID provider as the tests use it: the fake one above, or a real
/// one (`MockIdp`).
pub trait Idp {
    fn issuer(&self) -> &str;
    /// The next sign-in is `sub` with these claims.
    fn next(&self, sub: &str, claims: Value);
    /// What the provider's sign-in page does for the person at `location`:
    /// the address it sends the browser back to.
    fn authorize(&self, location: &str) -> String;

    /// The config entry of this provider, indented under `oidc_providers:`.
    fn yaml(&self, id: &str, extra: &str) -> String {
        let mut out = format!(
            "  - id: {id}\n    name: Test IdP\n    issuer: {}\n    client_id: {CLIENT_ID}\n    client_secret: {CLIENT_SECRET}\n",
            self.issuer()
        );
        for line in extra.lines().filter(|l| !l.trim().is_empty()) {
            out.push_str("    ");
            out.push_str(line);
            out.push('\n');
        }
        out
    }
}

/// A real OpenID provider: `oidc-provider-mock` from PyPI (installed into
/// its venv by scripts/test-deps), started on a free port. Its sign-in page
/// takes a subject; the claims are set beforehand with its `PUT /users/{sub}`.
pub struct MockIdp {
    process: Spawned,
    sub: Mutex<String>,
}

/// A provider in a process of its own, killed with its test.
struct Spawned {
    child: std::process::Child,
    issuer: String,
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Spawned {
    /// Starts `command`, a provider that listens on `port`, and waits until
    /// its discovery document answers.
    fn start(mut command: std::process::Command, port: u16, what: &str) -> Spawned {
        let child = command
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{what} does not start: {e}"));
        let process = Spawned {
            child,
            issuer: format!("http://127.0.0.1:{port}"),
        };
        let discovery = format!("{}/.well-known/openid-configuration", process.issuer);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while no_redirects()
            .get(&discovery)
            .call()
            .ok()
            .map(|r| r.status().as_u16())
            != Some(200)
        {
            assert!(
                std::time::Instant::now() < deadline,
                "{what} did not come up"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        process
    }
}

/// A tool `scripts/test-deps` installs below `~/.cache/miauinv`.
fn cached(path: &str) -> std::path::PathBuf {
    let home = std::env::var("HOME").unwrap_or_default();
    let path = std::path::Path::new(&home)
        .join(".cache/miauinv")
        .join(path);
    assert!(
        path.exists(),
        "{} is missing: run scripts/test-deps",
        path.display()
    );
    path
}

impl MockIdp {
    pub fn start() -> MockIdp {
        let port = free_port();
        let mut command = std::process::Command::new(cached("oidc-venv/bin/oidc-provider-mock"));
        command.args(["--port", &port.to_string(), "--require-nonce", "true"]);
        MockIdp {
            process: Spawned::start(command, port, "oidc-provider-mock"),
            sub: Mutex::new(String::new()),
        }
    }
}

impl Idp for MockIdp {
    fn issuer(&self) -> &str {
        &self.process.issuer
    }

    fn next(&self, sub: &str, claims: Value) {
        let r = no_redirects()
            .put(&format!("{}/users/{sub}", self.process.issuer))
            .send_json(&claims)
            .expect("the mock takes the claims");
        assert_eq!(r.status().as_u16(), 204);
        *self.sub.lock().unwrap() = sub.to_string();
    }

    /// The person types the subject into the mock's form and authorizes.
    fn authorize(&self, location: &str) -> String {
        let sub = self.sub.lock().unwrap().clone();
        let answer = no_redirects()
            .post(location)
            .send_form([("sub", sub.as_str())])
            .expect("the mock answers");
        assert_eq!(answer.status().as_u16(), 302, "the mock redirects back");
        answer.headers()["location"].to_str().unwrap().to_string()
    }
}

/// A strict, certified OpenID provider: the `oidc-provider` package from
/// npm (installed by scripts/test-deps) running `oidc-provider.mjs` on Node.
/// It is told MiauInv's redirect and post-logout addresses, so the server
/// is started first, on the port `free_port` chose for the provider.
pub struct NodeIdp {
    process: Spawned,
    sub: Mutex<String>,
}

/// A loopback port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl NodeIdp {
    pub fn start(port: u16, redirect_uri: &str, post_logout: &str) -> NodeIdp {
        let dir = cached("oidc-node/node_modules/oidc-provider")
            .join("../..")
            .canonicalize()
            .unwrap();
        // Beside its node_modules, where Node resolves the package from.
        let script = dir.join("miauinv-provider.mjs");
        std::fs::write(&script, include_str!("oidc-provider.mjs")).unwrap();
        let mut command = std::process::Command::new("node");
        command
            .arg(&script)
            .args([&port.to_string(), redirect_uri, post_logout]);
        NodeIdp {
            process: Spawned::start(command, port, "oidc-provider"),
            sub: Mutex::new(String::new()),
        }
    }
}

impl Idp for NodeIdp {
    fn issuer(&self) -> &str {
        &self.process.issuer
    }

    /// The claims follow from the account id (`oidc-provider.mjs`).
    fn next(&self, sub: &str, _claims: Value) {
        *self.sub.lock().unwrap() = sub.to_string();
    }

    /// The person signs in on the development pages and consents, in one
    /// browser session (a cookie-keeping agent): every redirect is
    /// followed by hand until the one back to MiauInv.
    fn authorize(&self, location: &str) -> String {
        let sub = self.sub.lock().unwrap().clone();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .max_redirects(0)
            .http_status_as_error(false)
            .build()
            .into();
        let mut url = location.to_string();
        for _ in 0..10 {
            if !url.starts_with(&self.process.issuer) {
                return url;
            }
            let mut answer = agent.get(&url).call().expect("the provider answers");
            if let Some(next) = answer.headers().get("location") {
                url = absolute(&self.process.issuer, next.to_str().unwrap());
                continue;
            }
            let page = answer.body_mut().read_to_string().unwrap();
            let prompt = if page.contains("value=\"login\"") {
                "login"
            } else {
                "consent"
            };
            let answer = agent
                .post(&url)
                .send_form([
                    ("prompt", prompt),
                    ("login", sub.as_str()),
                    ("password", "any"),
                ])
                .expect("the provider takes the form");
            let next = answer
                .headers()
                .get("location")
                .expect("a redirect after the form");
            url = absolute(&self.process.issuer, next.to_str().unwrap());
        }
        panic!("oidc-provider never sent the browser back: {url}");
    }
}

fn absolute(issuer: &str, location: &str) -> String {
    if location.starts_with('/') {
        format!("{issuer}{location}")
    } else {
        location.to_string()
    }
}

fn respond(request: tiny_http::Request, status: u16, body: Value) {
    let header = tiny_http::Header::from_bytes("Content-Type", "application/json").unwrap();
    let _ = request.respond(
        tiny_http::Response::from_string(body.to_string())
            .with_status_code(status)
            .with_header(header),
    );
}

fn query(url: &str) -> HashMap<String, String> {
    let q = url.split_once('?').map_or("", |(_, q)| q);
    url::form_urlencoded::parse(q.as_bytes())
        .into_owned()
        .collect()
}

fn serve(mut request: tiny_http::Request, state: &Mutex<State>, keys: &Keys, issuer: &str) {
    let url = request.url().to_string();
    let path = url.split('?').next().unwrap_or("").to_string();
    match path.as_str() {
        "/.well-known/openid-configuration" => respond(
            request,
            200,
            json!({
                "issuer": issuer,
                "authorization_endpoint": format!("{issuer}/authorize"),
                "token_endpoint": format!("{issuer}/token"),
                "jwks_uri": format!("{issuer}/jwks"),
                "userinfo_endpoint": format!("{issuer}/userinfo"),
                "end_session_endpoint": format!("{issuer}/logout"),
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
            }),
        ),
        "/jwks" => respond(request, 200, json!({ "keys": [keys.jwk] })),
        "/authorize" => {
            let q = query(&url);
            let mut s = state.lock().unwrap();
            let redirect = q.get("redirect_uri").cloned().unwrap_or_default();
            let st = q.get("state").cloned().unwrap_or_default();
            let location = if s.script.deny {
                format!(
                    "{redirect}?error=access_denied&error_description=The+user+said+no&state={st}"
                )
            } else {
                let code = format!("code-{}", s.codes.len() + 1);
                let issued = Issued {
                    nonce: q.get("nonce").cloned().unwrap_or_default(),
                    challenge: q.get("code_challenge").cloned().unwrap_or_default(),
                    used: false,
                    sub: s.script.sub.clone(),
                };
                s.codes.insert(code.clone(), issued);
                format!(
                    "{redirect}?code={code}&state={st}&iss={}",
                    url::form_urlencoded::byte_serialize(issuer.as_bytes()).collect::<String>()
                )
            };
            let header = tiny_http::Header::from_bytes("Location", location).unwrap();
            let _ = request.respond(tiny_http::Response::empty(302).with_header(header));
        }
        "/token" => {
            let mut body = String::new();
            let _ = request.as_reader().read_to_string(&mut body);
            let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
                .into_owned()
                .collect();
            let basic = format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD
                    .encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
            );
            let authorized = request
                .headers()
                .iter()
                .any(|h| h.field.equiv("Authorization") && h.value.as_str() == basic);
            let mut s = state.lock().unwrap();
            if !authorized {
                s.refusals.push("invalid_client".into());
                return respond(request, 401, json!({ "error": "invalid_client" }));
            }
            let code = form.get("code").cloned().unwrap_or_default();
            let verifier = form.get("code_verifier").cloned().unwrap_or_default();
            let challenge = B64.encode(sha2::Sha256::digest(verifier.as_bytes()));
            let refusal = match s.codes.get(&code) {
                None => Some("invalid_grant"),
                Some(i) if i.used => Some("invalid_grant"),
                Some(i) if i.challenge != challenge => Some("invalid_grant"),
                Some(_) => None,
            };
            if let Some(error) = refusal {
                s.refusals.push(error.into());
                return respond(
                    request,
                    400,
                    json!({ "error": error, "error_description": "code or verifier" }),
                );
            }
            let issued = s.codes.get_mut(&code).unwrap();
            issued.used = true;
            let (nonce, sub) = (issued.nonce.clone(), issued.sub.clone());
            let access = format!("access-{code}");
            s.tokens.insert(access.clone(), sub.clone());
            let token = id_token(&s.script, keys, issuer, &sub, &nonce);
            respond(
                request,
                200,
                json!({ "access_token": access, "token_type": "Bearer", "expires_in": 300, "id_token": token }),
            );
        }
        "/userinfo" => {
            let token = request
                .headers()
                .iter()
                .find(|h| h.field.equiv("Authorization"))
                .map(|h| h.value.as_str().trim_start_matches("Bearer ").to_string())
                .unwrap_or_default();
            let s = state.lock().unwrap();
            let Some(sub) = s.tokens.get(&token).cloned() else {
                return respond(request, 401, json!({ "error": "invalid_token" }));
            };
            let mut claims = s.script.claims.clone();
            claims.extend(s.script.userinfo_only.clone());
            let sub = if s.script.tamper == Tamper::UserinfoSubject {
                format!("{sub}-other")
            } else {
                sub
            };
            claims.insert("sub".into(), sub.into());
            respond(request, 200, Value::Object(claims));
        }
        _ => respond(request, 404, json!({ "error": "not_found" })),
    }
}

fn id_token(script: &Script, keys: &Keys, issuer: &str, sub: &str, nonce: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let t = script.tamper;
    let mut claims = script.claims.clone();
    let pick = |bad: bool, good: &str, wrong: &str| {
        if bad {
            wrong.to_string()
        } else {
            good.to_string()
        }
    };
    claims.insert("sub".into(), sub.into());
    claims.insert(
        "iss".into(),
        pick(t == Tamper::Issuer, issuer, "http://127.0.0.1:1/other").into(),
    );
    claims.insert(
        "aud".into(),
        pick(t == Tamper::Audience, CLIENT_ID, "another-client").into(),
    );
    claims.insert(
        "nonce".into(),
        pick(t == Tamper::Nonce, nonce, "not-the-nonce").into(),
    );
    claims.insert("iat".into(), (now - 5).into());
    let exp = if t == Tamper::Expired {
        now - 600
    } else {
        now + 300
    };
    claims.insert("exp".into(), exp.into());
    if t == Tamper::AlgNone {
        let head = B64.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let body = B64.encode(Value::Object(claims).to_string());
        return format!("{head}.{body}.");
    }
    let mut header = Header::new(Algorithm::RS256);
    let (kid, key) = match t {
        Tamper::UnknownKey => ("key-2", &keys.unpublished),
        // The published key's id on another key: the signature fails.
        Tamper::ForgedSignature => ("key-1", &keys.unpublished),
        _ => ("key-1", &keys.published),
    };
    header.kid = Some(kid.into());
    jsonwebtoken::encode(&header, &Value::Object(claims), key).expect("signed")
}
