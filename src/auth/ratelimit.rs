//! In-memory rate limits: a sliding window of attempts per (action, key), keyed
//! by client address and by account. One instance per server; state is lost on
//! restart, which is acceptable for a single-instance home server.

use crate::error::{AppError, AppResult};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Password logins and passkey logins, per client address.
    LoginIp,
    /// Failed password or second-factor attempts, per account.
    LoginAccount,
    /// Second-factor code attempts, per account.
    SecondFactor,
    Refresh,
    Register,
    /// Password-confirmed account changes, per account.
    Sensitive,
}

impl Action {
    /// (attempts allowed, window)
    fn limit(self) -> (usize, Duration) {
        let minute = Duration::from_secs(60);
        match self {
            Action::LoginIp => (20, minute),
            Action::LoginAccount => (10, minute * 5),
            Action::SecondFactor => (5, minute * 5),
            Action::Refresh => (60, minute),
            Action::Register => (10, minute * 10),
            Action::Sensitive => (10, minute * 5),
        }
    }
}

#[derive(Default)]
pub struct RateLimiter {
    hits: Mutex<HashMap<(Action, String), VecDeque<Instant>>>,
}

impl RateLimiter {
    /// Records an attempt; refuses with 429 and `Retry-After` when over the limit.
    pub fn hit(&self, action: Action, key: &str) -> AppResult<()> {
        self.check(action, key, true)
    }

    /// Refuses if the limit is already reached, without recording anything. Used
    /// before work whose failures are recorded separately (`hit` on failure).
    pub fn ensure(&self, action: Action, key: &str) -> AppResult<()> {
        self.check(action, key, false)
    }

    fn check(&self, action: Action, key: &str, record: bool) -> AppResult<()> {
        let (max, window) = action.limit();
        let now = Instant::now();
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        if hits.len() > 50_000 {
            // Bound memory under a flood of distinct keys: forget expired entries.
            hits.retain(|(a, _), q| {
                q.back()
                    .is_some_and(|t| now.duration_since(*t) < a.limit().1)
            });
        }
        let queue = hits.entry((action, key.to_string())).or_default();
        while queue
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            queue.pop_front();
        }
        if queue.len() >= max {
            let oldest = *queue.front().expect("queue is non-empty when at the limit");
            let wait = window.saturating_sub(now.duration_since(oldest)).as_secs() + 1;
            return Err(AppError::too_many_requests(wait));
        }
        if record {
            queue.push_back(now);
        }
        Ok(())
    }

    /// Gives back one attempt recorded by `hit`. Used where an attempt is counted
    /// before its outcome is known (so parallel attempts cannot slip past the
    /// limit together) and only failures should stay counted.
    pub fn refund(&self, action: Action, key: &str) {
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(queue) = hits.get_mut(&(action, key.to_string())) {
            queue.pop_back();
        }
    }

    /// Forgets the attempts of a key (e.g. failures after a successful login).
    pub fn reset(&self, action: Action, key: &str) {
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        hits.remove(&(action, key.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_after_the_limit_with_retry_after() {
        let rl = RateLimiter::default();
        for _ in 0..5 {
            rl.hit(Action::SecondFactor, "u").unwrap();
        }
        let err = rl.hit(Action::SecondFactor, "u").unwrap_err();
        assert_eq!(err.status(), 429);
        assert!(err.retry_after.unwrap() > 0);
        // Another key is independent.
        rl.hit(Action::SecondFactor, "v").unwrap();
    }
}
