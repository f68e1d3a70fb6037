//! The application value every handler receives: configuration, keys, limiters
//! and templates. No globals, so several servers can run in one process (tests).

use crate::auth::password::Hasher;
use crate::auth::ratelimit::RateLimiter;
use crate::auth::tokens::Keys;
use crate::config::Config;

pub struct App {
    pub config: Config,
    pub keys: Keys,
    pub limiter: RateLimiter,
    pub hasher: Hasher,
    pub templates: minijinja::Environment<'static>,
    /// The WebAuthn relying party (passkeys), from `rp_id`/`rp_origin`.
    pub webauthn: webauthn_rs::prelude::Webauthn,
    /// The longest username a login may name (`api::account::login_username`),
    /// read from the database at the first login.
    pub longest_username: std::sync::OnceLock<usize>,
    /// When this server started (the admin's status shows the uptime).
    pub started: std::time::Instant,
    /// The last scheduled backup of this server (the admin's status).
    pub last_backup: crate::db::backup_schedule::LastBackupCell,
}

impl App {
    pub fn new(config: Config, jwt_secret: &str) -> Result<App, String> {
        Ok(App {
            keys: Keys::new(jwt_secret),
            limiter: RateLimiter::new(config.workers),
            hasher: Hasher::new(config.bcrypt_cost, config.workers),
            templates: crate::templates::environment()?,
            webauthn: crate::auth::passkeys::webauthn(&config)?,
            longest_username: std::sync::OnceLock::new(),
            started: std::time::Instant::now(),
            last_backup: Default::default(),
            config,
        })
    }
}

/// The server at a glance, for the admin: version, uptime, database size,
/// schema version and counts.
#[derive(serde::Serialize)]
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
}

impl App {
    pub fn status(&self, conn: &mut rusqlite::Connection) -> crate::error::AppResult<Status> {
        use crate::db;
        let path = &self.config.database_path;
        let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        // Recent pages live in the write-ahead log until a checkpoint: count them.
        let mut wal = path.clone().into_os_string();
        wal.push("-wal");
        let (accounts, stats) = db::read(conn, |tx| {
            Ok((db::accounts::counts(tx)?, db::stats::load(tx)?))
        })?;
        Ok(Status {
            version: env!("CARGO_PKG_VERSION"),
            uptime_seconds: self.started.elapsed().as_secs(),
            database_bytes: size(path) + size(std::path::Path::new(&wal)),
            schema_version: db::migrate::LATEST,
            accounts,
            stats,
            last_backup: self.last_backup(),
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
