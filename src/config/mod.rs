//! The configuration file (`appdata/config.yaml`) and its environment overrides,
//! validated once at start-up. A config written by the original Go program loads
//! unchanged; unknown keys are an error that names the key and line.

use serde::{Deserialize, Deserializer};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// The file written on first start. Every key is commented.
pub const DEFAULT_CONFIG: &str = r#"# MiauInv configuration. Every key can also be set with an environment variable
# named MIAUINV_<KEY> (for example MIAUINV_PORT=9090), which wins over this file.

# TCP port to listen on.
port: "8080"
# SQLite database file; created on first start.
database_path: ./appdata/database.db
# TLS certificate and private key (PEM). Generated (self-signed) on first start
# when `tls` is true and the files do not exist yet.
certificate_path: ./appdata/cert.pem
private_key_path: ./appdata/key.pem
# Whether anyone may create an account. The first account becomes admin.
# Invitations made by an admin work either way.
allow_registration: true
# The role of a new account that registers itself: viewer (reads only) or
# editor (reads and writes the inventory). Admins are made by an admin.
default_role: editor

# Address to bind to (0.0.0.0 = every IPv4 interface, :: = every interface).
bind_address: "0.0.0.0"
# Serve HTTPS directly. Set to false behind a reverse proxy that terminates TLS.
tls: true
# Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto headers are believed.
trusted_proxies: []
# Worker threads answering requests, each with its own database connection.
workers: 16
# bcrypt cost for new password hashes (4-31; each step doubles the work).
bcrypt_cost: 12
# WebAuthn relying party id and origin for passkeys. Empty = derived from the
# host name and port (https://localhost:8080 by default).
rp_id: ""
rp_origin: ""
# The address people open MiauInv at: invitation, password-reset and
# notification-email confirmation links are built on it, and printed QR labels
# point to it ({public_url}/l/i/12 for item 12). Empty = rp_origin. With both
# empty, invitation and reset links are handed out as paths (never built from
# a request's Host header), no notification email can be set, and labels point
# to the address their page was opened at. Set it when phones reach MiauInv by
# another name than the one passkeys use.
public_url: ""

# Limits that keep one small host answering under abuse.
# Open client connections at most; more are refused at once (plain HTTP: 503).
max_connections: 512
# Open connections one client address may hold (behind a reverse proxy: the proxy).
max_connections_per_client: 64
# Seconds for a new connection's TLS handshake and for any complete request head
# (request line and headers, at most 16 KiB).
header_timeout_seconds: 10
# Seconds for a request body (at most 1 MiB) after its head.
body_timeout_seconds: 30
# Seconds an idle keep-alive connection stays open, and the longest pause while
# a response is delivered to a slow client.
idle_timeout_seconds: 60

# Days the security log (logins, credential and role changes) keeps an event.
security_log_days: 365
# Notifications (channels are set up in /admin/notifications).
# The daily digest of low and short items, "HH:MM" in the server's local time;
# empty = no digest.
digest_time: ""
# The first retry of a failed delivery waits this many milliseconds; each
# further one twice as long.
notify_retry_base_ms: 30000
# A delivery still failing this many seconds after its event is given up.
notify_give_up_seconds: 86400
# Backups: a consistent snapshot of the database every this many hours into
# appdata/backups/ (0 = off), keeping the newest `backup_keep` files. Backups
# hold password hashes and 2FA secrets: they are written with mode 0600.
backup_interval_hours: 24
backup_keep: 7

# Single sign-on with your own identity provider (OpenID Connect: Authelia,
# Authentik, Keycloak, Pocket ID, Kanidm, Zitadel...). Each provider is a list
# entry; docs/sign-in-with-your-provider.md has every key and recipes. Any
# provider key can be set with MIAUINV_OIDC_<ID>_<KEY>.
oidc_providers: []
# Whether accounts sign in with a password. false = the login page offers only
# the providers and passkeys; the break_glass_accounts below still may (keep an
# admin there for the day the provider is down).
password_login: true
break_glass_accounts: []
"#;

#[derive(Debug, Clone)]
pub struct Config {
    pub port: u16,
    pub database_path: PathBuf,
    pub certificate_path: PathBuf,
    pub private_key_path: PathBuf,
    pub allow_registration: bool,
    /// "viewer" or "editor" (checked here; `db::users::Role` reads it).
    pub default_role: String,
    pub bind_address: IpAddr,
    pub tls: bool,
    pub trusted_proxies: Vec<IpAddr>,
    pub workers: usize,
    pub bcrypt_cost: u32,
    pub rp_id: String,
    pub rp_origin: String,
    /// Scheme, host and port (no trailing slash, maybe a path) labels encode;
    /// empty = [`Config::public_url`] derives it.
    pub public_url: String,
    pub max_connections: usize,
    pub max_connections_per_client: usize,
    pub header_timeout_seconds: u64,
    pub body_timeout_seconds: u64,
    pub idle_timeout_seconds: u64,
    /// Days a security-log event is kept (1-36500).
    pub security_log_days: u32,
    /// The daily digest's (hour, minute), server local time; `None`: off.
    pub digest_time: Option<(u32, u32)>,
    pub notify_retry_base_ms: u64,
    pub notify_give_up_seconds: u64,
    /// Hours between scheduled backups; 0 turns them off.
    pub backup_interval_hours: u64,
    /// Scheduled backups kept; older ones are deleted.
    pub backup_keep: usize,
    /// Identity providers for single sign-on, in the login page's order.
    pub oidc_providers: Vec<OidcProvider>,
    /// Whether accounts may sign in with a password (the break-glass
    /// accounts always may).
    pub password_login: bool,
    /// Lowercased usernames that may sign in with a password when
    /// `password_login` is false.
    pub break_glass_accounts: Vec<String>,
    /// Directory of the config file; generated secrets live here.
    pub appdata_dir: PathBuf,
}

/// The file's shape. `port` may be a string (as the Go program wrote it) or a number.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default, deserialize_with = "string_or_number")]
    port: Option<String>,
    database_path: Option<String>,
    certificate_path: Option<String>,
    private_key_path: Option<String>,
    allow_registration: Option<bool>,
    default_role: Option<String>,
    bind_address: Option<String>,
    tls: Option<bool>,
    trusted_proxies: Option<Vec<String>>,
    workers: Option<u64>,
    bcrypt_cost: Option<u64>,
    rp_id: Option<String>,
    rp_origin: Option<String>,
    public_url: Option<String>,
    max_connections: Option<u64>,
    max_connections_per_client: Option<u64>,
    header_timeout_seconds: Option<u64>,
    body_timeout_seconds: Option<u64>,
    idle_timeout_seconds: Option<u64>,
    security_log_days: Option<u64>,
    digest_time: Option<String>,
    notify_retry_base_ms: Option<u64>,
    notify_give_up_seconds: Option<u64>,
    backup_interval_hours: Option<u64>,
    backup_keep: Option<u64>,
    oidc_providers: Option<Vec<oidc::FileProvider>>,
    password_login: Option<bool>,
    break_glass_accounts: Option<Vec<String>>,
}

fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum StrOrNum {
        S(String),
        N(u64),
    }
    Ok(Option::<StrOrNum>::deserialize(d)?.map(|v| match v {
        StrOrNum::S(s) => s,
        StrOrNum::N(n) => n.to_string(),
    }))
}

/// The environment a config is resolved against; injected so tests need not
/// touch the process environment.
pub trait Env {
    fn var(&self, key: &str) -> Option<String>;
}

pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, key: &str) -> Option<String> {
        std::env::var(key).ok()
    }
}

impl<F: Fn(&str) -> Option<String>> Env for F {
    fn var(&self, key: &str) -> Option<String> {
        self(key)
    }
}

/// Where the config file lives: `MIAUINV_CONFIG` or `./appdata/config.yaml`.
pub fn config_path(env: &dyn Env) -> PathBuf {
    env.var("MIAUINV_CONFIG")
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("./appdata/config.yaml"))
}

/// Loads the config file (creating it with defaults if missing), applies the
/// environment overrides and validates every value.
pub fn load(path: &Path, env: &dyn Env) -> Result<Config, String> {
    let created = if path.exists() {
        // It may name SMTP or TLS key paths and secrets: an earlier version
        // wrote it readable by everyone.
        crate::files::private_file(path);
        false
    } else {
        if let Some(dir) = path.parent() {
            crate::files::private_dir(dir)?;
        }
        write_private(path, DEFAULT_CONFIG)
            .map_err(|e| format!("cannot write default config {}: {e}", path.display()))?;
        true
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read config {}: {e}", path.display()))?;
    if created {
        eprintln!("created default configuration at {}", path.display());
    }
    let file = parse(&text).map_err(|e| format!("invalid config {}: {e}", path.display()))?;
    let appdata_dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    resolve(file, env, appdata_dir)
}

/// The configuration a fresh `config.yaml` gives, without environment overrides.
pub fn defaults() -> Config {
    let no_env = |_: &str| None;
    resolve(
        parse(DEFAULT_CONFIG).expect("the default config parses"),
        &no_env,
        PathBuf::from("./appdata"),
    )
    .expect("the default config is valid")
}

fn parse(text: &str) -> Result<FileConfig, String> {
    if text.trim().is_empty() {
        return Ok(FileConfig::default());
    }
    serde_saphyr::from_str::<FileConfig>(text).map_err(|e| e.to_string())
}

/// A key the file leaves out takes its value from [`DEFAULT_CONFIG`], so every
/// default is written once: in the commented file a first start writes.
fn or_defaults(file: FileConfig) -> FileConfig {
    let d = parse(DEFAULT_CONFIG).expect("the default config parses");
    FileConfig {
        port: file.port.or(d.port),
        database_path: file.database_path.or(d.database_path),
        certificate_path: file.certificate_path.or(d.certificate_path),
        private_key_path: file.private_key_path.or(d.private_key_path),
        allow_registration: file.allow_registration.or(d.allow_registration),
        default_role: file.default_role.or(d.default_role),
        bind_address: file.bind_address.or(d.bind_address),
        tls: file.tls.or(d.tls),
        trusted_proxies: file.trusted_proxies.or(d.trusted_proxies),
        workers: file.workers.or(d.workers),
        bcrypt_cost: file.bcrypt_cost.or(d.bcrypt_cost),
        rp_id: file.rp_id.or(d.rp_id),
        rp_origin: file.rp_origin.or(d.rp_origin),
        public_url: file.public_url.or(d.public_url),
        max_connections: file.max_connections.or(d.max_connections),
        max_connections_per_client: file
            .max_connections_per_client
            .or(d.max_connections_per_client),
        header_timeout_seconds: file.header_timeout_seconds.or(d.header_timeout_seconds),
        body_timeout_seconds: file.body_timeout_seconds.or(d.body_timeout_seconds),
        idle_timeout_seconds: file.idle_timeout_seconds.or(d.idle_timeout_seconds),
        security_log_days: file.security_log_days.or(d.security_log_days),
        digest_time: file.digest_time.or(d.digest_time),
        notify_retry_base_ms: file.notify_retry_base_ms.or(d.notify_retry_base_ms),
        notify_give_up_seconds: file.notify_give_up_seconds.or(d.notify_give_up_seconds),
        backup_interval_hours: file.backup_interval_hours.or(d.backup_interval_hours),
        backup_keep: file.backup_keep.or(d.backup_keep),
        oidc_providers: file.oidc_providers.or(d.oidc_providers),
        password_login: file.password_login.or(d.password_login),
        break_glass_accounts: file.break_glass_accounts.or(d.break_glass_accounts),
    }
}

fn resolve(file: FileConfig, env: &dyn Env, appdata_dir: PathBuf) -> Result<Config, String> {
    let file = or_defaults(file);
    // The environment wins over the file; the file (with the defaults filled
    // in) has every key.
    let get = |key: &str, file_value: Option<String>| -> Result<(String, &'static str), String> {
        let env_key = format!("MIAUINV_{}", key.to_ascii_uppercase());
        match (env.var(&env_key), file_value) {
            (Some(v), _) => Ok((v, "environment")),
            (None, Some(v)) => Ok((v, "file")),
            (None, None) => Err(format!("config key '{key}' has no value")),
        }
    };
    let bad = |key: &str, value: &str, source: &str, why: &str| {
        format!("config key '{key}' ({source}) has invalid value '{value}': {why}")
    };
    let text = |key: &str, v: Option<String>| get(key, v).map(|(v, _)| v);

    let (v, src) = get("port", file.port)?;
    let port = v
        .trim()
        .parse::<u16>()
        .map_err(|_| bad("port", &v, src, "expected a port number 0-65535"))?;
    let database_path = PathBuf::from(text("database_path", file.database_path)?);
    let certificate_path = PathBuf::from(text("certificate_path", file.certificate_path)?);
    let private_key_path = PathBuf::from(text("private_key_path", file.private_key_path)?);

    let boolean = |key: &str, v: Option<bool>| -> Result<bool, String> {
        let (v, src) = get(key, v.map(|b| b.to_string()))?;
        match v.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err(bad(key, &v, src, "expected true or false")),
        }
    };
    let allow_registration = boolean("allow_registration", file.allow_registration)?;
    let tls = boolean("tls", file.tls)?;
    let (v, src) = get("default_role", file.default_role)?;
    let default_role = match v.trim() {
        r @ ("viewer" | "editor") => r.to_string(),
        _ => return Err(bad("default_role", &v, src, "expected viewer or editor")),
    };

    let (v, src) = get("bind_address", file.bind_address)?;
    let bind_address = v
        .trim()
        .parse()
        .map_err(|_| bad("bind_address", &v, src, "expected an IP address"))?;

    let (v, src) = get("trusted_proxies", file.trusted_proxies.map(|v| v.join(",")))?;
    let trusted_proxies = v
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpAddr>()
                .map_err(|_| bad("trusted_proxies", s, src, "expected IP addresses"))
        })
        .collect::<Result<_, _>>()?;

    let number = |key: &str, v: Option<u64>, min: u64, max: u64| -> Result<u64, String> {
        let (v, src) = get(key, v.map(|n| n.to_string()))?;
        match v.trim().parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(bad(
                key,
                &v,
                src,
                &format!("expected a number from {min} to {max}"),
            )),
        }
    };
    let seconds = |key: &str, v: Option<u64>| number(key, v, 1, 3600);
    let (v, src) = get("digest_time", file.digest_time)?;
    let digest_time = clock_time(v.trim()).map_err(|why| bad("digest_time", &v, src, why))?;

    Ok(Config {
        port,
        database_path,
        certificate_path,
        private_key_path,
        allow_registration,
        default_role,
        bind_address,
        tls,
        trusted_proxies,
        workers: number("workers", file.workers, 2, 256)? as usize,
        bcrypt_cost: number("bcrypt_cost", file.bcrypt_cost, 4, 31)? as u32,
        rp_id: text("rp_id", file.rp_id)?,
        rp_origin: text("rp_origin", file.rp_origin)?,
        public_url: public_url(get("public_url", file.public_url)?, &bad)?,
        max_connections: number("max_connections", file.max_connections, 1, 100_000)? as usize,
        max_connections_per_client: number(
            "max_connections_per_client",
            file.max_connections_per_client,
            1,
            100_000,
        )? as usize,
        header_timeout_seconds: seconds("header_timeout_seconds", file.header_timeout_seconds)?,
        body_timeout_seconds: seconds("body_timeout_seconds", file.body_timeout_seconds)?,
        idle_timeout_seconds: seconds("idle_timeout_seconds", file.idle_timeout_seconds)?,
        security_log_days: number("security_log_days", file.security_log_days, 1, 36_500)? as u32,
        digest_time,
        notify_retry_base_ms: number(
            "notify_retry_base_ms",
            file.notify_retry_base_ms,
            10,
            3_600_000,
        )?,
        notify_give_up_seconds: number(
            "notify_give_up_seconds",
            file.notify_give_up_seconds,
            1,
            30 * 86_400,
        )?,
        backup_interval_hours: number(
            "backup_interval_hours",
            file.backup_interval_hours,
            0,
            8760,
        )?,
        backup_keep: number("backup_keep", file.backup_keep, 1, 10_000)? as usize,
        oidc_providers: oidc::providers(file.oidc_providers.unwrap_or_default(), env)?,
        password_login: boolean("password_login", file.password_login)?,
        break_glass_accounts: oidc::break_glass(file.break_glass_accounts, env),
        appdata_dir,
    })
}

/// `public_url` as given: empty, or an http(s) address without query or
/// fragment (a trailing slash is dropped).
fn public_url(
    (v, src): (String, &'static str),
    bad: &dyn Fn(&str, &str, &str, &str) -> String,
) -> Result<String, String> {
    let t = v.trim().trim_end_matches('/');
    let scheme_ok = t.starts_with("https://") || t.starts_with("http://");
    let host = t.split_once("://").map_or("", |(_, rest)| rest);
    if t.is_empty() {
        return Ok(String::new());
    }
    if !scheme_ok || host.is_empty() || t.contains(['?', '#', ' ']) {
        return Err(bad(
            "public_url",
            &v,
            src,
            "expected the address phones open, e.g. https://inventory.example.com",
        ));
    }
    Ok(t.to_string())
}

impl Config {
    /// The address people open MiauInv at: `public_url`, else `rp_origin`;
    /// None when neither is set. One-time links are built on it (without it,
    /// handed out as paths: never from a request's `Host`); printed labels
    /// too (without it, the address the label page was opened at, which is
    /// what the phone reached).
    pub fn public_url(&self) -> Option<String> {
        match (self.public_url.as_str(), self.rp_origin.trim()) {
            ("", "") => None,
            ("", origin) => Some(origin.trim_end_matches('/').to_string()),
            (set, _) => Some(set.to_string()),
        }
    }

    /// Where backups go: `backups/` in the appdata directory.
    pub fn backups_dir(&self) -> PathBuf {
        self.appdata_dir.join("backups")
    }
}

/// "HH:MM" as (hour, minute); empty is `None`.
fn clock_time(v: &str) -> Result<Option<(u32, u32)>, &'static str> {
    if v.is_empty() {
        return Ok(None);
    }
    let why = "expected HH:MM (00:00 to 23:59) or empty";
    let (h, m) = v.split_once(':').ok_or(why)?;
    match (h.parse::<u32>(), m.parse::<u32>()) {
        (Ok(hour), Ok(minute)) if hour < 24 && minute < 60 && m.len() == 2 => {
            Ok(Some((hour, minute)))
        }
        _ => Err(why),
    }
}

mod oidc;
mod relying_party;
mod secrets;
pub use oidc::OidcProvider;
pub use relying_party::{RelyingParty, relying_party};
pub use secrets::{jwt_secret, secret_key, write_private};

#[cfg(test)]
mod tests;
