//! In-memory rate limits (layer: auth/, no HTTP types): per action, one slot per
//! key (a client address, a normalised username, an (account, address) pair).
//! One instance per server. The failed-login and second-factor counters are
//! mirrored to SQLite and survive a restart (`persist`); the rest only guard
//! load and start empty.
//!
//! Memory is bounded whatever clients send:
//! - a slot is keyed by (the first half of) the SHA-256 of its key, so a 1 MB
//!   username costs what a short one does;
//! - a slot is one time (a GCRA "theoretical arrival time": when its count will
//!   have leaked back to zero, in milliseconds since the limiter started), and a
//!   slot at zero is forgotten, so no slot lives longer than its action's window;
//! - each action keeps at most `MAX_SLOTS` slots; beyond that the slot that would
//!   be forgotten soonest goes first (for equal counts, the oldest). A flood of
//!   one-attempt keys therefore evicts its own kind, never a locked pair;
//! - a sweeper thread (one per limiter, ending with it) forgets empty slots every
//!   `SWEEP_EVERY` and, after activity, hands freed heap back to the system, so
//!   memory comes back after a flood even if no request follows.
//!
//! The leaky bucket replaces a log of attempts: `max` attempts fit in a burst,
//! then one more every `window / max`. That is the same limit as "`max` per
//! `window`" for a burst, releases gradually instead of all at once, and needs
//! one instant per key instead of `max`.

mod persist;

use crate::error::{AppError, AppResult};
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// Slots per action at most; about 70 bytes each (24 in the map, 24 in the
/// expiry order, the rest their overhead).
pub const MAX_SLOTS: usize = 20_000;

/// How often the sweeper looks for empty slots (when anything happened).
const SWEEP_EVERY: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Password logins and 2FA second steps, every attempt, per client address.
    LoginIp,
    /// Failed password logins per client address.
    LoginFailuresIp,
    /// Failed password logins per (account, client address): the only lock-out.
    LoginPair,
    /// Failed password logins per account from all addresses: never a refusal,
    /// a growing delay (`login_delay`).
    LoginAccount,
    /// (account, address) pairs that logged in successfully: exempt from the
    /// account-wide delay.
    KnownPair,
    /// Passkey logins per client address: a budget of their own, so password
    /// failures never block a passkey.
    PasskeyLoginIp,
    /// Second-factor code attempts, per account.
    SecondFactor,
    Refresh,
    Register,
    /// Password-confirmed account changes, per account.
    Sensitive,
}

const MINUTE: Duration = Duration::from_secs(60);

impl Action {
    /// (attempts allowed in a burst, window they leak away over)
    fn limit(self) -> (u32, Duration) {
        match self {
            Action::LoginIp | Action::PasskeyLoginIp => (20, MINUTE),
            Action::LoginFailuresIp => (100, MINUTE * 60),
            Action::LoginPair => (10, MINUTE * 15),
            Action::LoginAccount => (ACCOUNT_BUCKET, ACCOUNT_BUCKET_WINDOW),
            Action::KnownPair => (1, MINUTE * 60 * 24 * 30),
            Action::SecondFactor => (5, MINUTE * 5),
            Action::Refresh => (60, MINUTE),
            Action::Register => (10, MINUTE * 10),
            Action::Sensitive => (10, MINUTE * 5),
        }
    }

    /// How long one attempt takes to leak away.
    fn interval(self) -> Duration {
        let (max, window) = self.limit();
        window / max
    }
}

/// The account-wide failure count leaks one failure every 12 s (300 an hour) and
/// holds at most 100, so the delay is gone 10 minutes after an attack stops.
const ACCOUNT_BUCKET: u32 = 100;
const ACCOUNT_BUCKET_WINDOW: Duration = Duration::from_secs(20 * 60);
/// Failures of one account from all addresses before logins of it are slowed.
pub const ACCOUNT_DELAY_AFTER: u32 = 50;
/// Added per failure beyond `ACCOUNT_DELAY_AFTER`.
pub const ACCOUNT_DELAY_STEP: Duration = Duration::from_millis(100);
/// The longest a login is held back: a sleeping login holds a worker.
pub const ACCOUNT_DELAY_MAX: Duration = Duration::from_secs(3);

/// 128 bits of SHA-256: finding another key with a victim's slot would take a
/// second preimage, and half the digest halves every slot.
type Digest = [u8; 16];

/// Milliseconds since the limiter started: 8 bytes where an `Instant` takes 16.
type Millis = u64;

fn millis(d: Duration) -> Millis {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// One action's slots, findable by key and ordered by when they empty.
#[derive(Default)]
struct Table {
    until: HashMap<Digest, Millis>,
    by_expiry: BTreeSet<(Millis, Digest)>,
}

impl Table {
    /// Forgets slots that have leaked empty.
    fn sweep(&mut self, now: Millis) {
        while let Some(&(until, key)) = self.by_expiry.first()
            && until <= now
        {
            self.by_expiry.pop_first();
            self.until.remove(&key);
        }
        // A HashMap keeps its peak capacity; give it back after a flood.
        if self.until.capacity() > 4 * self.until.len().max(1024) {
            self.until.shrink_to_fit();
        }
    }

    fn get(&self, key: &Digest, now: Millis) -> Millis {
        self.until
            .get(key)
            .copied()
            .filter(|t| *t > now)
            .unwrap_or(now)
    }

    fn set(&mut self, key: Digest, until: Millis, now: Millis) {
        if let Some(old) = self.until.insert(key, until) {
            self.by_expiry.remove(&(old, key));
        }
        if until <= now {
            self.until.remove(&key);
            return;
        }
        self.by_expiry.insert((until, key));
        while self.until.len() > MAX_SLOTS
            && let Some((_, soonest)) = self.by_expiry.pop_first()
        {
            self.until.remove(&soonest);
        }
    }

    fn remove(&mut self, key: &Digest) {
        if let Some(old) = self.until.remove(key) {
            self.by_expiry.remove(&(old, *key));
        }
    }
}

pub struct RateLimiter {
    shared: Arc<Tables>,
    /// Logins sleeping in `login_delay` right now.
    delayed: Mutex<usize>,
    /// At most this many logins sleep at once: a quarter of the workers.
    max_delayed: usize,
}

/// The slots, shared with the sweeper thread.
struct Tables {
    /// Time zero of every slot's `Millis`.
    epoch: Instant,
    /// The wall clock at `epoch` (Unix milliseconds), read once: persisted
    /// slots are converted with this one offset, so two exports of the same
    /// slots are equal (reading both clocks at each export made them differ
    /// by a millisecond now and then).
    epoch_unix_ms: i64,
    by_action: Mutex<HashMap<Action, Table>>,
    /// Set by every use; the sweeper trims the heap only after activity.
    touched: AtomicBool,
}

impl Tables {
    fn now(&self) -> Millis {
        millis(self.epoch.elapsed())
    }

    /// Forgets every empty slot; after activity or when slots were dropped,
    /// returns freed heap to the system.
    fn sweep_all(&self) {
        let now = self.now();
        let mut tables = self.by_action.lock().unwrap_or_else(|p| p.into_inner());
        let before: usize = tables.values().map(|t| t.until.len()).sum();
        for table in tables.values_mut() {
            table.sweep(now);
        }
        tables.retain(|_, t| !t.until.is_empty());
        let after: usize = tables.values().map(|t| t.until.len()).sum();
        drop(tables);
        if self.touched.swap(false, Ordering::Relaxed) || after < before {
            crate::memory::give_back_free_memory();
        }
    }
}

/// The sweeper: wakes every `SWEEP_EVERY` and ends once its limiter is gone.
fn sweep_in_background(tables: Weak<Tables>) {
    let _ = std::thread::Builder::new()
        .name("limiter-sweep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(SWEEP_EVERY);
                let Some(tables) = tables.upgrade() else {
                    return;
                };
                tables.sweep_all();
            }
        });
}

impl RateLimiter {
    pub fn new(workers: usize) -> RateLimiter {
        let shared = Arc::new(Tables {
            epoch: Instant::now(),
            epoch_unix_ms: persist::unix_ms(),
            by_action: Mutex::default(),
            touched: AtomicBool::new(false),
        });
        sweep_in_background(Arc::downgrade(&shared));
        RateLimiter {
            shared,
            delayed: Mutex::new(0),
            max_delayed: (workers / 4).max(1),
        }
    }

    /// Runs `f` on an action's table after forgetting its empty slots.
    fn with_table<T>(&self, action: Action, f: impl FnOnce(&mut Table, Millis) -> T) -> T {
        let now = self.shared.now();
        self.shared.touched.store(true, Ordering::Relaxed);
        let mut tables = self
            .shared
            .by_action
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let table = tables.entry(action).or_default();
        table.sweep(now);
        f(table, now)
    }

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
        let window = millis(action.limit().1);
        let step = millis(action.interval());
        let key = digest(action, key);
        self.with_table(action, |table, now| {
            let next = table.get(&key, now) + step;
            let over = next - now;
            if over > window {
                let wait = Duration::from_millis(over - window);
                return Err(AppError::too_many_requests(whole_seconds(wait)));
            }
            if record {
                table.set(key, next, now);
            }
            Ok(())
        })
    }

    /// Gives back one attempt recorded by `hit`. Used where an attempt is counted
    /// before its outcome is known (so parallel attempts cannot slip past the
    /// limit together) and only failures should stay counted.
    pub fn refund(&self, action: Action, key: &str) {
        let step = millis(action.interval());
        let key = digest(action, key);
        self.with_table(action, |table, now| {
            let back = table.get(&key, now).saturating_sub(step);
            table.set(key, back, now);
        });
    }

    /// Forgets the attempts of a key (e.g. failures after a successful login).
    pub fn reset(&self, action: Action, key: &str) {
        let key = digest(action, key);
        self.with_table(action, |table, _| table.remove(&key));
    }

    /// Records an attempt that is never refused: the count only saturates at the
    /// action's burst size (used for the account-wide failure count).
    pub fn record(&self, action: Action, key: &str) {
        let window = millis(action.limit().1);
        let step = millis(action.interval());
        let key = digest(action, key);
        self.with_table(action, |table, now| {
            let next = (table.get(&key, now) + step).min(now + window);
            table.set(key, next, now);
        });
    }

    /// Remembers a key for the action's whole window (e.g. a known pair).
    pub fn remember(&self, action: Action, key: &str) {
        let window = millis(action.limit().1);
        let key = digest(action, key);
        self.with_table(action, |table, now| table.set(key, now + window, now));
    }

    /// Whether `remember` was called for the key within the action's window.
    pub fn remembers(&self, action: Action, key: &str) -> bool {
        let key = digest(action, key);
        self.with_table(action, |table, now| table.get(&key, now) > now)
    }

    /// Attempts currently counted for a key (leaking, so fractional).
    fn level(&self, action: Action, key: &str) -> f64 {
        let step = millis(action.interval());
        let key = digest(action, key);
        self.with_table(action, |table, now| {
            (table.get(&key, now) - now) as f64 / step as f64
        })
    }

    /// The account-wide brake on password guessing: once an account has more than
    /// `ACCOUNT_DELAY_AFTER` recent failures from all addresses together, each
    /// login of it waits `ACCOUNT_DELAY_STEP` per failure beyond that, at most
    /// `ACCOUNT_DELAY_MAX`, before its password is checked. A distributed guesser
    /// is slowed; nobody is locked out.
    ///
    /// The wait is a sleep in the worker, so it is short and few may sleep at once
    /// (a quarter of the workers). When that many already sleep, the attempt is
    /// answered 429 with the delay as `Retry-After` instead: a flood of guesses
    /// at slowed accounts cannot occupy more than a quarter of the server.
    pub fn login_delay(&self, account: &str) -> AppResult<()> {
        let delay = account_delay(self.level(Action::LoginAccount, account));
        if delay.is_zero() {
            return Ok(());
        }
        {
            let mut sleeping = self.delayed.lock().unwrap_or_else(|p| p.into_inner());
            if *sleeping >= self.max_delayed {
                return Err(AppError::too_many_requests(whole_seconds(delay)));
            }
            *sleeping += 1;
        }
        std::thread::sleep(delay);
        *self.delayed.lock().unwrap_or_else(|p| p.into_inner()) -= 1;
        Ok(())
    }

    /// Slots held for an action (for tests and the benchmark's memory row).
    pub fn slots(&self, action: Action) -> usize {
        self.with_table(action, |table, _| table.until.len())
    }
}

/// The delay for an account with `failures` recent failures.
fn account_delay(failures: f64) -> Duration {
    let beyond = failures - f64::from(ACCOUNT_DELAY_AFTER);
    if beyond <= 0.0 {
        return Duration::ZERO;
    }
    ACCOUNT_DELAY_STEP
        .mul_f64(beyond.ceil())
        .min(ACCOUNT_DELAY_MAX)
}

fn whole_seconds(d: Duration) -> u64 {
    d.as_secs() + 1
}

/// The fixed-size key of a slot. The action is part of it so equal strings of
/// different kinds (a username and an address) never share a slot.
fn digest(action: Action, key: &str) -> Digest {
    let full = crate::crypto::sha256(format!("{action:?}\n{key}").as_bytes());
    let mut half = [0u8; 16];
    half.copy_from_slice(&full[..16]);
    half
}

/// The key of an (account, client address) pair.
pub fn pair(account: &str, client: &str) -> String {
    format!("{account}\n{client}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_after_the_limit_with_retry_after() {
        let rl = RateLimiter::new(16);
        for _ in 0..5 {
            rl.hit(Action::SecondFactor, "u").unwrap();
        }
        let err = rl.hit(Action::SecondFactor, "u").unwrap_err();
        assert_eq!(err.status(), 429);
        assert!(err.retry_after.unwrap() > 0);
        // Another key is independent.
        rl.hit(Action::SecondFactor, "v").unwrap();
        // A refund gives one attempt back.
        rl.refund(Action::SecondFactor, "u");
        rl.hit(Action::SecondFactor, "u").unwrap();
        assert!(rl.hit(Action::SecondFactor, "u").is_err());
    }

    #[test]
    fn slots_are_bounded_and_a_flood_evicts_its_own_kind_first() {
        let rl = RateLimiter::new(16);
        for _ in 0..10 {
            rl.hit(Action::LoginPair, "locked").unwrap();
        }
        for i in 0..MAX_SLOTS + 500 {
            rl.hit(Action::LoginPair, &format!("flood{i}")).unwrap();
        }
        assert_eq!(rl.slots(Action::LoginPair), MAX_SLOTS);
        assert_eq!(
            rl.hit(Action::LoginPair, "locked").unwrap_err().status(),
            429
        );
    }

    #[test]
    fn long_keys_cost_a_fixed_size_slot() {
        let rl = RateLimiter::new(16);
        let long = "x".repeat(1 << 20);
        rl.hit(Action::LoginPair, &long).unwrap();
        let tables = rl.shared.by_action.lock().unwrap();
        let table = &tables[&Action::LoginPair];
        assert_eq!(table.until.len(), 1);
        assert_eq!(size_of::<(Millis, Digest)>(), 24);
    }

    #[test]
    fn account_delay_grows_then_stops_at_the_cap() {
        assert_eq!(account_delay(10.0), Duration::ZERO);
        assert_eq!(account_delay(50.0), Duration::ZERO);
        assert_eq!(account_delay(51.0), ACCOUNT_DELAY_STEP);
        assert_eq!(account_delay(60.0), ACCOUNT_DELAY_STEP * 10);
        assert_eq!(account_delay(100.0), ACCOUNT_DELAY_MAX);
        let rl = RateLimiter::new(16);
        for _ in 0..500 {
            rl.record(Action::LoginAccount, "alice");
        }
        let level = rl.level(Action::LoginAccount, "alice");
        assert!(level <= f64::from(ACCOUNT_BUCKET) + 0.01, "{level}");
    }

    #[test]
    fn a_slot_is_forgotten_once_it_has_leaked_empty() {
        let mut table = Table::default();
        table.set([1; 16], 1_000, 0);
        table.set([2; 16], 5_000, 0);
        table.sweep(999);
        assert_eq!(table.until.len(), 2);
        table.sweep(1_000);
        assert_eq!(table.until.len(), 1);
        assert_eq!(table.get(&[1; 16], 1_000), 1_000, "reads as empty");
        table.sweep(5_000);
        assert!(table.until.is_empty() && table.by_expiry.is_empty());
    }

    #[test]
    fn remembered_keys_are_remembered() {
        let rl = RateLimiter::new(16);
        assert!(!rl.remembers(Action::KnownPair, "a"));
        rl.remember(Action::KnownPair, "a");
        assert!(rl.remembers(Action::KnownPair, "a"));
        assert!(!rl.remembers(Action::KnownPair, "b"));
    }
}
