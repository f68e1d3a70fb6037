//! Security notices to the account owner (migration 0020): a login from a new
//! device and two-factor authentication turned off are written to the
//! notification outbox in the transaction that records them in the security
//! log, addressed to the account's own notification email and carried by the
//! email channel an admin chose for them (the `account.security` event). Layer: db.
//!
//! Deliberately narrow: a notice names one recipient, the owner's address,
//! and one channel, which must be an email channel; with no address or no
//! such channel nothing is queued (the security log still has the event). A
//! notice holds what happened, when, from which device and address, and who
//! did it; never a password, code, token or secret.

use crate::db::alerts::EVENT_SECURITY;
use crate::db::security_log::{Event, Kind};
use crate::error::AppResult;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;

/// What a notice is about, as its payload's `notice` says.
pub const NOTICE_NEW_DEVICE: &str = "new_device_login";
pub const NOTICE_TWO_FACTOR_DISABLED: &str = "two_factor_disabled";

/// The account's address for its own notices, if it set one.
pub fn notification_email(conn: &Connection, user_id: &str) -> AppResult<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT notification_email FROM users WHERE id = ?1")?
        .query_row([user_id], |r| r.get(0))
        .optional()?
        .flatten())
}

/// Sets (or, with `None`, clears) the account's notification email.
pub fn set_notification_email(
    conn: &Connection,
    user_id: &str,
    email: Option<&str>,
) -> AppResult<()> {
    conn.prepare_cached("UPDATE users SET notification_email = ?2 WHERE id = ?1")?
        .execute(params![user_id, email])?;
    Ok(())
}

/// Whether a successful login of `user_id` from `device` would be its first
/// from that device in the log (within the retention). Asked before the
/// login's own event is written.
pub fn is_new_device(conn: &Connection, user_id: &str, device: &str) -> AppResult<bool> {
    let known: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM security_events
                             WHERE user_id = ?1 AND kind = ?2 AND device = ?3)",
        )?
        .query_row(
            params![user_id, Kind::LoginSucceeded.as_str(), device],
            |r| r.get(0),
        )?;
    Ok(!known)
}

/// Whether `event` is a successful login from a device the account's log
/// has not seen (ask before the event is written).
pub fn is_new_device_login(conn: &Connection, event: &Event<'_>) -> AppResult<bool> {
    match (event.kind, event.user.id) {
        (Kind::LoginSucceeded, Some(id)) => is_new_device(conn, id, event.device),
        _ => Ok(false),
    }
}

/// Queues the notice `event` sends its account's owner, if any: a login from
/// a new device, or two-factor authentication turned off.
pub fn queue_for(conn: &Connection, event: &Event<'_>, new_device: bool) -> AppResult<()> {
    let notice = match event.kind {
        Kind::LoginSucceeded if new_device => NOTICE_NEW_DEVICE,
        Kind::TwoFactorDisabled => NOTICE_TWO_FACTOR_DISABLED,
        _ => return Ok(()),
    };
    queue(conn, notice, event, crate::db::now())
}

/// Queues the notice `notice` about `event` for its account's owner, inside
/// the caller's transaction. Nothing when the account has no notification
/// email or no enabled email channel carries security notices.
pub fn queue(conn: &Connection, notice: &str, event: &Event<'_>, at: i64) -> AppResult<()> {
    let Some(user_id) = event.user.id else {
        return Ok(());
    };
    let Some(email) = notification_email(conn, user_id)? else {
        return Ok(());
    };
    let Some(channel) = carrier(conn)? else {
        return Ok(());
    };
    // Who did it, when it was someone else (an admin, the command line).
    let by = (event.actor.id != event.user.id).then_some(event.actor.name);
    let payload = json!({
        "notice": notice,
        "username": event.user.name,
        "device": event.device,
        "ip": event.ip,
        "at": at,
        "by": by,
    });
    crate::db::notifications::enqueue_to(conn, EVENT_SECURITY, channel, &email, &payload)?;
    Ok(())
}

/// The enabled email channel (the oldest, if several) that chose to carry
/// security notices.
fn carrier(conn: &Connection) -> AppResult<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT id FROM notification_channels
              WHERE kind = 'email' AND enabled
                AND EXISTS (SELECT 1 FROM json_each(events) WHERE value = ?1)
              ORDER BY id LIMIT 1",
        )?
        .query_row([EVENT_SECURITY], |r| r.get(0))
        .optional()?)
}
