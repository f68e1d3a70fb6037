//! The counters that survive a restart (issue 21): failed logins (per address,
//! per (account, address) pair, per account) and second-factor attempts. A
//! restart must not reset an attacker's budget, so these slots are mirrored
//! to SQLite (`db::rate_limits`): restored when the server starts and saved
//! by the server's keeper thread every few seconds when they changed, and once
//! more at shutdown. Requests never wait for the disk: the login path stays an
//! in-memory check. The mirror is as bounded as the tables it mirrors
//! (`MAX_SLOTS` per action). Counters that only guard load stay in memory.

use super::{Action, RateLimiter, millis};
use crate::db::rate_limits::Slot;

/// The actions whose counts are kept across restarts.
const PERSISTENT: [Action; 4] = [
    Action::LoginFailuresIp,
    Action::LoginPair,
    Action::LoginAccount,
    Action::SecondFactor,
];

pub(super) fn unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn name(action: Action) -> String {
    format!("{action:?}")
}

impl RateLimiter {
    /// The live slots of the persistent actions, with wall-clock expiry, in a
    /// stable order (so two exports compare equal when nothing changed).
    pub fn export(&self) -> Vec<Slot> {
        let now = self.shared.now();
        let start = self.shared.epoch_unix_ms;
        let tables = self
            .shared
            .by_action
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let mut slots = Vec::new();
        for action in PERSISTENT {
            let Some(table) = tables.get(&action) else {
                continue;
            };
            for (digest, until) in &table.until {
                if *until > now {
                    slots.push(Slot {
                        action: name(action),
                        digest: digest.to_vec(),
                        until_ms: start + *until as i64,
                    });
                }
            }
        }
        slots.sort_by(|a, b| (&a.action, &a.digest).cmp(&(&b.action, &b.digest)));
        slots
    }

    /// Restores saved slots (at start-up). Unknown actions, malformed digests
    /// and slots already empty are skipped; none is restored for longer than
    /// its action's window.
    pub fn import(&self, slots: &[Slot]) {
        let now = self.shared.now();
        let unix = self.shared.epoch_unix_ms + now as i64;
        let mut tables = self
            .shared
            .by_action
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        for slot in slots {
            let Some(action) = PERSISTENT.into_iter().find(|a| name(*a) == slot.action) else {
                continue;
            };
            let Ok(digest) = <[u8; 16]>::try_from(slot.digest.as_slice()) else {
                continue;
            };
            let left = slot.until_ms - unix;
            if left <= 0 {
                continue;
            }
            let left = (left as u64).min(millis(action.limit().1));
            tables
                .entry(action)
                .or_default()
                .set(digest, now + left, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exported_slots_restore_into_a_new_limiter() {
        let before = RateLimiter::new(16);
        for _ in 0..10 {
            before.hit(Action::LoginPair, "alice\n10.0.0.1").unwrap();
        }
        before.hit(Action::Refresh, "10.0.0.1").unwrap();
        let saved = before.export();
        assert_eq!(saved.len(), 1, "only the persistent actions");
        assert_eq!(saved, before.export(), "stable when nothing changed");
        let after = RateLimiter::new(16);
        after.import(&saved);
        assert_eq!(
            after
                .hit(Action::LoginPair, "alice\n10.0.0.1")
                .unwrap_err()
                .status(),
            429
        );
        after.hit(Action::LoginPair, "bob\n10.0.0.1").unwrap();
    }
}
