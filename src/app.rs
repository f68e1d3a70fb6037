//! The application value every handler receives: configuration, keys, limiters
//! and templates. No globals, so several servers can run in one process (tests).

use crate::auth::password::Hasher;
use crate::auth::ratelimit::RateLimiter;
use crate::auth::tokens::Keys;
use crate::config::Config;

pub struct App {
    pub config: Config,
    pub keys: Keys,
    /// Seals TOTP secrets and channel secrets and keys recovery-code hashes
    /// (`appdata/secret.key`); shared with the notification sender, which
    /// opens the channel secrets as it delivers.
    pub secret_key: std::sync::Arc<crate::crypto::SecretKey>,
    pub limiter: RateLimiter,
    pub hasher: Hasher,
    pub templates: minijinja::Environment<'static>,
    /// The WebAuthn relying party (passkeys), from `rp_id`/`rp_origin`.
    pub webauthn: webauthn_rs::prelude::Webauthn,
    /// The longest username a login may name (`api::accounts::account::login_username`),
    /// read from the database at the first login.
    pub longest_username: std::sync::OnceLock<usize>,
    /// Turns for decoding uploaded photos (`rules::photo`): one at a time, at
    /// most half the workers in line.
    pub photo_decodes: Gate,
    /// Turns for imports (`api::data::import`): one at a time, nobody in line (a
    /// second import is answered 503 at once). Parsing a large document is
    /// what costs memory, so one at a time bounds it however many arrive.
    pub imports: Gate,
    /// When this server started (the admin's status shows the uptime).
    pub started: std::time::Instant,
    /// The last scheduled backup of this server (the admin's status).
    pub last_backup: crate::db::backup_schedule::LastBackupCell,
    /// The identity providers for single sign-on, with what was fetched of
    /// them (`oidc_providers`).
    pub sso: crate::sso::Sso,
}

/// The public address providers send people back to: `public_url`, else
/// the passkeys' origin (which is derived from the port when unset).
fn sso_base(config: &Config) -> Result<String, String> {
    match config.public_url() {
        Some(url) => Ok(url),
        None => Ok(crate::config::relying_party(config)?
            .origin
            .as_str()
            .trim_end_matches('/')
            .to_string()),
    }
}

impl App {
    pub fn new(config: Config, jwt_secret: &str) -> Result<App, String> {
        Ok(App {
            keys: Keys::new(jwt_secret),
            secret_key: std::sync::Arc::new(crate::config::secret_key(&config.appdata_dir)?),
            limiter: RateLimiter::new(config.workers),
            hasher: Hasher::new(config.bcrypt_cost, config.workers),
            templates: crate::templates::environment()?,
            webauthn: crate::auth::passkeys::webauthn(&config)?,
            sso: crate::sso::Sso::new(&config.oidc_providers, &sso_base(&config)?)?,
            longest_username: std::sync::OnceLock::new(),
            photo_decodes: Gate::new(1, (config.workers / 2).max(2)),
            imports: Gate::new(1, 1),
            started: std::time::Instant::now(),
            last_backup: Default::default(),
            config,
        })
    }
}

/// Turns for memory-heavy work: `slots` run at once, and at most `line`
/// callers run or wait; beyond that [`Gate::enter`] refuses at once (each
/// waiting caller holds a worker, which must stay free for everyone else).
pub struct Gate {
    /// (running, waiting).
    state: std::sync::Mutex<(usize, usize)>,
    freed: std::sync::Condvar,
    slots: usize,
    line: usize,
}

/// A turn through a [`Gate`], given back on drop (also on error or panic).
pub struct Turn<'a>(&'a Gate);

impl Gate {
    pub fn new(slots: usize, line: usize) -> Gate {
        Gate {
            state: std::sync::Mutex::new((0, 0)),
            freed: std::sync::Condvar::new(),
            slots: slots.max(1),
            line: line.max(slots).max(1),
        }
    }

    /// Waits for a turn; `None` when the line is full.
    pub fn enter(&self) -> Option<Turn<'_>> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.0 + state.1 >= self.line {
            return None;
        }
        state.1 += 1;
        while state.0 >= self.slots {
            state = self.freed.wait(state).unwrap_or_else(|p| p.into_inner());
        }
        state.1 -= 1;
        state.0 += 1;
        Some(Turn(self))
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut state = self.0.state.lock().unwrap_or_else(|p| p.into_inner());
        state.0 -= 1;
        self.0.freed.notify_one();
    }
}

/// The server at a glance, for the admin: version, uptime, database size,
/// schema version and counts.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct Status {
    pub version: &'static str,
    pub uptime_seconds: u64,
    pub database_bytes: u64,
    pub schema_version: i64,
    pub accounts: crate::db::accounts::Counts,
    pub stats: crate::db::stats::Stats,
    /// The newest backup: this server's last scheduled run, else the newest
    /// file in the backups directory.
    pub last_backup: Option<crate::db::backup_schedule::LastBackup>,
    pub sign_in: SignIn,
}

/// How people sign in to this server, for the admin.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct SignIn {
    /// `password_login`: whether accounts may sign in with a password.
    pub password_login: bool,
    /// The active admins listed in `break_glass_accounts`, who sign in with
    /// a password whatever `password_login` says: the way in on the day the
    /// identity provider is down.
    pub break_glass_admins: Vec<String>,
    /// The identity providers (`oidc_providers`).
    pub providers: Vec<ProviderInfo>,
    /// The redirect URI to register at every provider.
    pub redirect_uri: String,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct ProviderInfo {
    pub id: String,
    pub name: String,
    pub issuer: String,
}

impl App {
    pub fn status(&self, conn: &mut rusqlite::Connection) -> crate::error::AppResult<Status> {
        use crate::db;
        let path = &self.config.database_path;
        let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        // Recent pages live in the write-ahead log until a checkpoint: count them.
        let mut wal = path.clone().into_os_string();
        wal.push("-wal");
        let (accounts, stats, admins) = db::read(conn, |tx| {
            Ok((
                db::accounts::counts(tx)?,
                db::stats::load(tx)?,
                db::accounts::active_admins(tx)?,
            ))
        })?;
        let sign_in = SignIn {
            password_login: self.config.password_login,
            break_glass_admins: admins
                .into_iter()
                .filter(|a| self.config.break_glass_accounts.contains(a))
                .collect(),
            providers: self
                .sso
                .providers()
                .map(|p| ProviderInfo {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    issuer: p.issuer.clone(),
                })
                .collect(),
            redirect_uri: self.sso.redirect_uri().to_string(),
        };
        Ok(Status {
            version: env!("CARGO_PKG_VERSION"),
            uptime_seconds: self.started.elapsed().as_secs(),
            database_bytes: size(path) + size(std::path::Path::new(&wal)),
            schema_version: db::migrate::LATEST,
            accounts,
            stats,
            last_backup: self.last_backup(),
            sign_in,
        })
    }
}

impl App {
    pub fn last_backup(&self) -> Option<crate::db::backup_schedule::LastBackup> {
        let recorded = self
            .last_backup
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        recorded.or_else(|| crate::db::backup_schedule::newest_on_disk(&self.config.backups_dir()))
    }
}
