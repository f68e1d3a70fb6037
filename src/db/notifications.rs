//! Notification channels, the outbox and its deliveries (migration 0011).
//! Events enter the outbox in the transaction of their change
//! (`alerts::settle`) or here (a channel's test message, the daily digest);
//! the sender (`notify/`) takes due deliveries and records what happened.
//! Layer: db.

use crate::crypto::SecretKey;
use crate::error::AppResult;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

/// A channel as stored. `secret` (the webhook's signing secret, the ntfy
/// token, the SMTP password) is never serialised: answers show a hint only.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Channel {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub enabled: bool,
    pub events: Vec<String>,
    pub settings: serde_json::Value,
    #[serde(skip)]
    pub secret: Option<SealedSecret>,
    pub created_at: i64,
}

/// A channel's secret as the database keeps it: sealed under the server's
/// key (`appdata/secret.key`) and bound to its channel, so neither the
/// database file nor a backup of it holds the secret in clear, and a sealed
/// value copied to another channel does not open. Only the sender opens it,
/// as it delivers; it does not print itself.
#[derive(Clone)]
pub struct SealedSecret(String);

impl std::fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealedSecret(..)")
    }
}

impl SealedSecret {
    /// The secret; `None` when it does not open under `key` (a database
    /// restored without its `secret.key`, or a value changed by hand).
    pub fn open(&self, key: &SecretKey, channel_id: i64) -> Option<String> {
        key.open(&self.0, &secret_binding(channel_id))
    }
}

/// What a channel's secret is sealed for: its row.
pub fn secret_binding(channel_id: i64) -> String {
    format!("notification_channels {channel_id}")
}

/// What [`save`] does to a channel's secret.
#[derive(Debug, Clone, Copy)]
pub enum SecretChange<'a> {
    Keep,
    Clear,
    /// Seal and keep this one.
    Set(&'a str),
}

fn sealed(stored: Option<String>) -> Option<SealedSecret> {
    stored.filter(|s| !s.is_empty()).map(SealedSecret)
}

const CHANNEL_ROWS: &str = "SELECT id, name, kind, enabled, events, settings, secret, created_at FROM notification_channels";

fn channel_from_row(r: &Row<'_>) -> rusqlite::Result<Channel> {
    let events: String = r.get(4)?;
    let settings: String = r.get(5)?;
    Ok(Channel {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: r.get(2)?,
        enabled: r.get(3)?,
        // Written by `save` from typed values only.
        events: serde_json::from_str(&events).unwrap_or_default(),
        settings: serde_json::from_str(&settings).unwrap_or_default(),
        secret: sealed(r.get(6)?),
        created_at: r.get(7)?,
    })
}

pub fn channels(conn: &Connection) -> AppResult<Vec<Channel>> {
    Ok(conn
        .prepare_cached(&format!("{CHANNEL_ROWS} ORDER BY id"))?
        .query_map([], channel_from_row)?
        .collect::<Result<Vec<_>, _>>()?)
}

pub fn channel(conn: &Connection, id: i64) -> AppResult<Option<Channel>> {
    Ok(conn
        .prepare_cached(&format!("{CHANNEL_ROWS} WHERE id = ?1"))?
        .query_row([id], channel_from_row)
        .optional()?)
}

/// Inserts (`channel.id == 0`) or replaces the channel and changes its
/// secret as told (a new one sealed under `key` for the channel's row, which
/// is why a new channel's secret is written after its insert, in the
/// caller's transaction); returns its id. `channel.secret` itself is not
/// written.
pub fn save(
    conn: &Connection,
    key: &SecretKey,
    c: &Channel,
    secret: SecretChange<'_>,
) -> AppResult<i64> {
    let events = serde_json::to_string(&c.events).expect("strings serialise");
    let settings = c.settings.to_string();
    let id =
        if c.id == 0 {
            conn.prepare_cached(
            "INSERT INTO notification_channels (name, kind, enabled, events, settings, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![c.name, c.kind, c.enabled, events, settings, crate::db::now()])?;
            conn.last_insert_rowid()
        } else {
            conn.prepare_cached(
            "UPDATE notification_channels SET name = ?2, enabled = ?3, events = ?4, settings = ?5
              WHERE id = ?1",
        )?
        .execute(params![c.id, c.name, c.enabled, events, settings])?;
            c.id
        };
    let stored = match secret {
        SecretChange::Keep => return Ok(id),
        SecretChange::Clear => None,
        SecretChange::Set(plain) => Some(key.seal(plain, &secret_binding(id))),
    };
    conn.prepare_cached("UPDATE notification_channels SET secret = ?2 WHERE id = ?1")?
        .execute(params![id, stored])?;
    Ok(id)
}

/// Removes the channel and, through the foreign keys, its deliveries.
pub fn delete(conn: &Connection, id: i64) -> AppResult<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM notification_channels WHERE id = ?1")?
        .execute([id])?
        > 0)
}

/// Puts an event in the outbox: for `channel_id` only (a test message), or
/// for every enabled channel that chose `event` (the fan-out trigger).
pub fn enqueue(
    conn: &Connection,
    event: &str,
    channel_id: Option<i64>,
    payload: &serde_json::Value,
) -> AppResult<String> {
    let event_id = hex::encode(crate::crypto::random_bytes(16));
    conn.prepare_cached(
        "INSERT INTO notification_outbox (event_id, event, channel_id, payload, created_at)
         VALUES (?1, ?2, ?3, ?4, unixepoch())",
    )?
    .execute(params![event_id, event, channel_id, payload.to_string()])?;
    Ok(event_id)
}

/// Puts an event for `recipient` only in the outbox, to be carried by
/// `channel_id` (a security notice to an account's owner: the channel's own
/// recipients never see it).
pub fn enqueue_to(
    conn: &Connection,
    event: &str,
    channel_id: i64,
    recipient: &str,
    payload: &serde_json::Value,
) -> AppResult<String> {
    let event_id = hex::encode(crate::crypto::random_bytes(16));
    conn.prepare_cached(
        "INSERT INTO notification_outbox (event_id, event, channel_id, recipient, payload, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, unixepoch())",
    )?
    .execute(params![event_id, event, channel_id, recipient, payload.to_string()])?;
    Ok(event_id)
}

/// A delivery the sender may attempt now, with its event and channel.
#[derive(Debug)]
pub struct Due {
    pub delivery_id: i64,
    pub attempts: i64,
    pub event_id: String,
    pub event: String,
    /// The item (for item events) or the digest's lists, as JSON.
    pub payload: String,
    /// When the event happened (seconds).
    pub created_at: i64,
    /// The one address this goes to instead of the channel's recipients
    /// (a security notice); never sent anywhere but by email.
    pub recipient: Option<String>,
    pub channel: Channel,
}

/// Up to `limit` deliveries due at `now_ms`, oldest first.
pub fn due(conn: &Connection, now_ms: i64, limit: i64) -> AppResult<Vec<Due>> {
    let sql = "SELECT d.id, d.attempts, o.event_id, o.event, o.payload, o.created_at,
                c.id, c.name, c.kind, c.enabled, c.events, c.settings, c.secret, c.created_at,
                o.recipient
           FROM notification_deliveries d INDEXED BY notification_deliveries_due
           JOIN notification_outbox o ON o.id = d.outbox_id
           JOIN notification_channels c ON c.id = d.channel_id
          WHERE d.status = 'pending' AND d.next_attempt_ms <= ?1
          ORDER BY d.next_attempt_ms, d.id LIMIT ?2";
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt
        .query_map(params![now_ms, limit], |r| {
            let channel = Channel {
                id: r.get(6)?,
                name: r.get(7)?,
                kind: r.get(8)?,
                enabled: r.get(9)?,
                events: serde_json::from_str(&r.get::<_, String>(10)?).unwrap_or_default(),
                settings: serde_json::from_str(&r.get::<_, String>(11)?).unwrap_or_default(),
                secret: sealed(r.get(12)?),
                created_at: r.get(13)?,
            };
            Ok(Due {
                delivery_id: r.get(0)?,
                attempts: r.get(1)?,
                event_id: r.get(2)?,
                event: r.get(3)?,
                payload: r.get(4)?,
                created_at: r.get(5)?,
                recipient: r.get(14)?,
                channel,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// What an attempt came to.
pub enum Outcome<'a> {
    Sent,
    /// Try again at `next_ms`.
    Retry {
        next_ms: i64,
        error: &'a str,
    },
    /// Given up (the retry window is over).
    Failed {
        error: &'a str,
    },
}

pub fn record_attempt(conn: &Connection, delivery_id: i64, outcome: Outcome<'_>) -> AppResult<()> {
    let (status, next_ms, error) = match outcome {
        Outcome::Sent => ("sent", None, None),
        Outcome::Retry { next_ms, error } => ("pending", Some(next_ms), Some(error)),
        Outcome::Failed { error } => ("failed", None, Some(error)),
    };
    conn.prepare_cached(
        "UPDATE notification_deliveries
            SET status = ?2, attempts = attempts + 1,
                next_attempt_ms = COALESCE(?3, next_attempt_ms),
                last_error = COALESCE(?4, last_error), updated_at = unixepoch()
          WHERE id = ?1",
    )?
    .execute(params![delivery_id, status, next_ms, error])?;
    Ok(())
}

/// A delivery as the admin page lists it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Delivery {
    pub id: i64,
    pub channel_id: i64,
    pub channel: String,
    pub event: String,
    pub event_id: String,
    pub item_name: Option<String>,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The latest deliveries, newest change first.
pub fn recent(conn: &Connection, limit: i64) -> AppResult<Vec<Delivery>> {
    Ok(conn
        .prepare_cached(
            "SELECT d.id, c.id, c.name, o.event, o.event_id, json_extract(o.payload, '$.name'),
                    d.status, d.attempts, d.last_error, o.created_at, d.updated_at
               FROM notification_deliveries d
               JOIN notification_outbox o ON o.id = d.outbox_id
               JOIN notification_channels c ON c.id = d.channel_id
              ORDER BY d.updated_at DESC, d.id DESC LIMIT ?1",
        )?
        .query_map([limit], |r| {
            Ok(Delivery {
                id: r.get(0)?,
                channel_id: r.get(1)?,
                channel: r.get(2)?,
                event: r.get(3)?,
                event_id: r.get(4)?,
                item_name: r.get(5)?,
                status: r.get(6)?,
                attempts: r.get(7)?,
                last_error: r.get(8)?,
                created_at: r.get(9)?,
                updated_at: r.get(10)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?)
}
