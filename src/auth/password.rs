//! bcrypt hashing and verification, and the gate that keeps bcrypt from
//! occupying every worker and every core: at most half the workers may be
//! hashing or waiting to hash at once (more are answered 503 at once), and at
//! most one hash per core but one runs at a time, so a core stays free for
//! everything else and reads stay fast while logins run flat out.

use crate::error::{AppError, AppResult};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// The longest a request waits for a free bcrypt slot before it is answered 503.
const SLOT_WAIT: Duration = Duration::from_secs(10);

/// bcrypt only looks at the first 72 bytes; longer passwords are refused rather
/// than silently truncated.
pub const MAX_PASSWORD_BYTES: usize = 72;
pub const MIN_PASSWORD_CHARS: usize = 8;

pub struct Hasher {
    cost: u32,
    /// (hashing, waiting to hash)
    gate: Mutex<(usize, usize)>,
    slot_freed: Condvar,
    /// Hashes running at once: the cores but one (at least one).
    slots: usize,
    /// Requests hashing or waiting at once: half the workers.
    max_in_flight: usize,
    /// A hash of a random password at our cost, made on first need: verifying
    /// against it spends the same time on unknown usernames as on known ones.
    dummy: std::sync::OnceLock<String>,
}

impl Hasher {
    pub fn new(cost: u32, workers: usize) -> Hasher {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let max_in_flight = (workers / 2).max(1);
        Hasher {
            cost,
            gate: Mutex::new((0, 0)),
            slot_freed: Condvar::new(),
            slots: cores.saturating_sub(1).clamp(1, max_in_flight),
            max_in_flight,
            dummy: std::sync::OnceLock::new(),
        }
    }

    /// Runs `f` once a bcrypt slot is free. Answers 503 with Retry-After when
    /// half the workers are already hashing or waiting, or after `SLOT_WAIT`.
    /// Waiting (rather than refusing) keeps logins that arrive together from
    /// failing; running fewer hashes than cores keeps one core for reads, since
    /// more parallel hashes would not log anyone in sooner.
    fn gated<T>(&self, f: impl FnOnce() -> T) -> AppResult<T> {
        let mut state = self.gate.lock().unwrap_or_else(|p| p.into_inner());
        if state.0 + state.1 >= self.max_in_flight {
            return Err(AppError::busy());
        }
        state.1 += 1;
        let deadline = Instant::now() + SLOT_WAIT;
        while state.0 >= self.slots {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                state.1 -= 1;
                return Err(AppError::busy());
            }
            state = self
                .slot_freed
                .wait_timeout(state, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        state.1 -= 1;
        state.0 += 1;
        drop(state);
        struct Release<'a>(&'a Hasher);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                let mut state = self.0.gate.lock().unwrap_or_else(|p| p.into_inner());
                state.0 -= 1;
                self.0.slot_freed.notify_one();
            }
        }
        let _release = Release(self);
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
                    bcrypt::hash(crate::crypto::random_token(16), self.cost).unwrap_or_default()
                });
                let _ = bcrypt::verify(password, dummy);
                false
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::mpsc;

    #[test]
    fn hashes_beyond_the_slots_wait_their_turn_and_all_finish() {
        let hasher = Arc::new(Hasher::new(4, 8));
        let running = Arc::new(Mutex::new((0usize, 0usize)));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (hasher, running) = (hasher.clone(), running.clone());
                std::thread::spawn(move || {
                    hasher.gated(|| {
                        let mut r = running.lock().unwrap();
                        r.0 += 1;
                        r.1 = r.1.max(r.0);
                        drop(r);
                        std::thread::sleep(Duration::from_millis(20));
                        running.lock().unwrap().0 -= 1;
                    })
                })
            })
            .collect();
        for t in threads {
            assert!(t.join().unwrap().is_ok(), "a waiting hash was refused");
        }
        let most = running.lock().unwrap().1;
        assert!(most <= hasher.slots, "{most} hashes ran at once");
    }

    #[test]
    fn more_than_half_the_workers_hashing_or_waiting_are_refused_with_503() {
        // Two workers: one may hash or wait; a second at the same time is refused.
        let hasher = Arc::new(Hasher::new(4, 2));
        let (entered_tx, entered) = mpsc::channel();
        let (release, release_rx) = mpsc::channel::<()>();
        let first = {
            let hasher = hasher.clone();
            std::thread::spawn(move || {
                hasher.gated(|| {
                    entered_tx.send(()).unwrap();
                    release_rx.recv().unwrap();
                })
            })
        };
        entered.recv().unwrap();
        let refused = hasher.gated(|| ()).unwrap_err();
        assert_eq!(refused.status(), 503);
        release.send(()).unwrap();
        assert!(first.join().unwrap().is_ok());
        assert!(hasher.gated(|| ()).is_ok(), "the slot was not given back");
    }
}
