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
            config,
        })
    }
}
