//! bcrypt hashing and verification, and the gate that keeps bcrypt from
//! occupying every worker: at most half the workers may be hashing or waiting to
//! hash at once, so reads stay fast while logins run flat out.

use crate::error::{AppError, AppResult};
use std::sync::atomic::{AtomicUsize, Ordering};

/// bcrypt only looks at the first 72 bytes; longer passwords are refused rather
/// than silently truncated.
pub const MAX_PASSWORD_BYTES: usize = 72;
pub const MIN_PASSWORD_CHARS: usize = 8;

pub fn validate_new(password: &str, field: &str) -> AppResult<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::invalid_field(
            field,
            format!("The password must be at least {MIN_PASSWORD_CHARS} characters long."),
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AppError::invalid_field(
            field,
            format!(
                "The password must be at most {MAX_PASSWORD_BYTES} bytes long (bcrypt's limit)."
            ),
        ));
    }
    Ok(())
}

pub struct Hasher {
    cost: u32,
    in_flight: AtomicUsize,
    max_in_flight: usize,
    /// A hash of a random password at our cost, made on first need: verifying
    /// against it spends the same time on unknown usernames as on known ones.
    dummy: std::sync::OnceLock<String>,
}

impl Hasher {
    pub fn new(cost: u32, workers: usize) -> Hasher {
        Hasher {
            cost,
            in_flight: AtomicUsize::new(0),
            max_in_flight: (workers / 2).max(1),
            dummy: std::sync::OnceLock::new(),
        }
    }

    /// Runs `f` if a bcrypt slot is free, else answers 503 with Retry-After.
    fn gated<T>(&self, f: impl FnOnce() -> T) -> AppResult<T> {
        let before = self.in_flight.fetch_add(1, Ordering::AcqRel);
        struct Release<'a>(&'a AtomicUsize);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::AcqRel);
            }
        }
        let _release = Release(&self.in_flight);
        if before >= self.max_in_flight {
            return Err(AppError::busy());
        }
        Ok(f())
    }

    pub fn hash(&self, password: &str) -> AppResult<String> {
        self.gated(|| bcrypt::hash(password, self.cost))?
            .map_err(|e| AppError::internal(format_args!("bcrypt hash: {e}")))
    }

    /// Verifies `password` against a stored hash; `None` (unknown user) spends the
    /// same time and returns false. Malformed stored hashes count as a mismatch.
    pub fn verify(&self, password: &str, stored: Option<&str>) -> AppResult<bool> {
        if password.len() > MAX_PASSWORD_BYTES {
            // bcrypt would truncate; such a password can never have been set.
            return Ok(false);
        }
        self.gated(|| match stored {
            Some(hash) => bcrypt::verify(password, hash).unwrap_or(false),
            None => {
                let dummy = self.dummy.get_or_init(|| {
                    bcrypt::hash(super::random_token(16), self.cost).unwrap_or_default()
                });
                let _ = bcrypt::verify(password, dummy);
                false
            }
        })
    }
}
