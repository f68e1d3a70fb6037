//! The notification sender: one background thread, started with the server
//! and stopped at shutdown, that delivers the outbox (`db/notifications.rs`)
//! to webhooks, ntfy and email, and queues the daily digest. Layer: notify
//! (beside auth: it uses config and db, and nothing above).
//!
//! - At least once: a delivery is marked sent only after the receiver
//!   accepted it, so a crash in between sends it again; every message carries
//!   the event id for receivers to de-duplicate.
//! - Failures are retried with exponential backoff (`notify_retry_base_ms`,
//!   doubling) until `notify_give_up_seconds` after the event, then marked
//!   failed with the last error (the admin page shows it).
//! - Request workers never send: they only write the outbox in their
//!   transaction. The sender talks to the network outside any transaction.

pub mod channels;
pub mod digest;
pub mod email;
pub mod message;
pub mod security;

use crate::config::Config;
use crate::crypto::SecretKey;
use crate::db::{self, notifications, security_notices};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the sender looks for due deliveries.
const POLL: Duration = Duration::from_millis(200);
/// Deliveries taken per look.
const BATCH: i64 = 32;

/// What the sender needs from the config.
#[derive(Clone)]
pub struct Settings {
    pub database_path: PathBuf,
    pub retry_base_ms: u64,
    pub give_up_ms: i64,
    pub digest_time: Option<(u32, u32)>,
    /// Names this server in webhook bodies.
    pub server: String,
    /// Opens the channels' secrets and the confirmation links, which the
    /// database keeps sealed, as a delivery is made.
    pub key: Arc<SecretKey>,
}

impl Settings {
    pub fn from_config(config: &Config, key: Arc<SecretKey>) -> Settings {
        let server = match config.rp_origin.trim() {
            "" => format!("miauinv:{}", config.port),
            origin => origin.to_string(),
        };
        Settings {
            database_path: config.database_path.clone(),
            retry_base_ms: config.notify_retry_base_ms,
            give_up_ms: config.notify_give_up_seconds as i64 * 1000,
            digest_time: config.digest_time,
            server,
            key,
        }
    }
}

/// The running sender thread. Dropping it stops the thread (after the
/// delivery in flight, at most one request timeout).
pub struct Sender {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Sender {
    pub fn start(settings: Settings) -> Result<Sender, String> {
        let (stop, stopped) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("notifications".into())
            .spawn(move || run(&settings, &stopped))
            .map_err(|e| format!("cannot start the notification sender: {e}"))?;
        Ok(Sender {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        // Dropping the channel's sending end wakes the thread.
        self.stop.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(settings: &Settings, stopped: &mpsc::Receiver<()>) {
    let agent = channels::agent();
    let mut conn = None;
    let mut digest = digest::Schedule::default();
    loop {
        match stopped.recv_timeout(POLL) {
            Err(RecvTimeoutError::Timeout) => {}
            _ => return,
        }
        if conn.is_none() {
            match db::open(&settings.database_path) {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    eprintln!("notifications: cannot open the database: {e}");
                    continue;
                }
            }
        }
        let c = conn.as_mut().expect("opened above");
        if let Err(e) = digest.queue_if_due(c, settings.digest_time) {
            eprintln!("notifications: the digest could not be queued: {e}");
        }
        if let Err(e) = queue_summaries(c) {
            eprintln!("notifications: the security notice summaries could not be queued: {e}");
        }
        if let Err(e) = deliver_due(settings, &agent, c, stopped) {
            eprintln!("notifications: {e}");
            // A fresh connection next time, in case this one is the trouble.
            conn = None;
        }
    }
}

/// Queues the summaries of security notices held for an hour
/// (`db::security_notices`): a read each turn, a write only when one is due.
fn queue_summaries(conn: &mut rusqlite::Connection) -> Result<(), crate::error::AppError> {
    let now = db::now();
    if db::read(conn, |tx| security_notices::summaries_due(tx, now))? {
        db::write(conn, |tx| security_notices::queue_summaries(tx, now))?;
    }
    Ok(())
}

/// Attempts every due delivery, recording each outcome in its own write.
fn deliver_due(
    settings: &Settings,
    agent: &ureq::Agent,
    conn: &mut rusqlite::Connection,
    stopped: &mpsc::Receiver<()>,
) -> Result<(), crate::error::AppError> {
    let due = db::read(conn, |tx| notifications::due(tx, now_ms(), BATCH))?;
    for d in due {
        if !matches!(stopped.try_recv(), Err(mpsc::TryRecvError::Empty)) {
            return Ok(());
        }
        let result = channels::deliver(agent, settings, &d);
        let error = result.err();
        let outcome = match &error {
            None => notifications::Outcome::Sent,
            Some(e) => {
                let next_ms = now_ms() + backoff_ms(settings.retry_base_ms, d.attempts);
                if next_ms > d.created_at * 1000 + settings.give_up_ms {
                    notifications::Outcome::Failed { error: e }
                } else {
                    notifications::Outcome::Retry { next_ms, error: e }
                }
            }
        };
        db::write(conn, |tx| {
            notifications::record_attempt(tx, d.delivery_id, outcome)
        })?;
    }
    Ok(())
}

/// The wait after the `attempts + 1`-th failure: base, 2 × base, 4 × base …
/// (capped at 2^20 × base: beyond that the give-up time decides anyway).
pub fn backoff_ms(base_ms: u64, attempts: i64) -> i64 {
    let doublings = attempts.clamp(0, 20) as u32;
    (base_ms.saturating_mul(1 << doublings)).min(i64::MAX as u64) as i64
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::backoff_ms;

    #[test]
    fn backoff_doubles_from_the_base() {
        assert_eq!(backoff_ms(1000, 0), 1000);
        assert_eq!(backoff_ms(1000, 1), 2000);
        assert_eq!(backoff_ms(1000, 3), 8000);
        assert_eq!(backoff_ms(1000, 500), 1000 << 20);
    }
}
