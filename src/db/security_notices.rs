//! Security notices to the account owner (migrations 0020 and 0024): a login
//! from a new device and two-factor authentication turned off are written to
//! the notification outbox in the transaction that records them in the
//! security log, addressed to the account's own notification email and
//! carried by the email channel an admin chose for them (the
//! `account.security` event). Layer: db.
//!
//! Nobody can aim them at a stranger, nor flood an inbox with them:
//! - An address receives nothing but its confirmation link
//!   (`db::email_confirmations`) until that link is opened.
//! - At most [`NOTICES_PER_HOUR`] notices an hour per account; the rest are
//!   held and, an hour after the first held one, told in one summary ("and N
//!   more since …").
//! - New-device logins from an address already noticed within the hour are
//!   held too: a burst of made-up browsers from one address is one notice.
//! - A notice names a device only from the known browsers and systems
//!   (`auth::devices::known`), never text a client chose.
//!
//! Deliberately narrow: a notice names one recipient, the owner's address,
//! and one channel, which must be an email channel; with no confirmed
//! address or no such channel nothing is queued (the security log still has
//! the event). A notice holds what happened, when, from which device and
//! address, and who did it; never a password, code, token or secret.

use crate::db::alerts::EVENT_SECURITY;
use crate::db::security_log::{Event, Kind};
use crate::error::AppResult;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

/// What a notice is about, as its payload's `notice` says.
pub const NOTICE_NEW_DEVICE: &str = "new_device_login";
pub const NOTICE_TWO_FACTOR_DISABLED: &str = "two_factor_disabled";
/// The mail with the link that confirms an address.
pub const NOTICE_CONFIRM_EMAIL: &str = "confirm_email";
/// The notices held back in the last hour, told at once.
pub const NOTICE_SUMMARY: &str = "summary";

/// Notices mailed to one account within an hour at most (the summary counts).
pub const NOTICES_PER_HOUR: i64 = 3;
const HOUR: i64 = 3600;

/// An account's notification email and whether its owner confirmed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub email: String,
    pub confirmed: bool,
}

/// The account's address for its own notices, if it set one.
pub fn address(conn: &Connection, user_id: &str) -> AppResult<Option<Address>> {
    let row: Option<(Option<String>, bool)> = conn
        .prepare_cached(
            "SELECT notification_email, notification_email_confirmed_at IS NOT NULL
               FROM users WHERE id = ?1",
        )?
        .query_row([user_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(row.and_then(|(email, confirmed)| email.map(|email| Address { email, confirmed })))
}

/// The address notices may go to: set and confirmed.
fn confirmed_email(conn: &Connection, user_id: &str) -> AppResult<Option<String>> {
    Ok(address(conn, user_id)?
        .filter(|a| a.confirmed)
        .map(|a| a.email))
}

/// Sets (or, with `None`, clears) the account's notification email. A new
/// address starts unconfirmed, and the links mailed for the old one die.
pub fn set_notification_email(
    conn: &Connection,
    user_id: &str,
    email: Option<&str>,
) -> AppResult<()> {
    conn.prepare_cached(
        "UPDATE users SET notification_email = ?2, notification_email_confirmed_at = NULL
          WHERE id = ?1",
    )?
    .execute(params![user_id, email])?;
    crate::db::email_confirmations::void(conn, user_id)
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
/// the caller's transaction, or holds it for the summary (over the hourly
/// limit, or a new-device login from an address noticed within the hour).
/// Nothing when the account has no confirmed notification email or no
/// enabled email channel carries security notices.
pub fn queue(conn: &Connection, notice: &str, event: &Event<'_>, at: i64) -> AppResult<()> {
    let Some(user_id) = event.user.id else {
        return Ok(());
    };
    let Some(email) = confirmed_email(conn, user_id)? else {
        return Ok(());
    };
    let Some(channel) = carrier(conn)? else {
        return Ok(());
    };
    conn.prepare_cached("DELETE FROM security_notice_log WHERE at < ?1 AND state <> 'held'")?
        .execute([at - 48 * HOUR])?;
    let held = (notice == NOTICE_NEW_DEVICE && noticed_from(conn, user_id, event.ip, at)?)
        || mailed_within_hour(conn, user_id, at)? >= NOTICES_PER_HOUR;
    let state = if held { "held" } else { "mailed" };
    log(conn, user_id, at, notice, event.ip, state)?;
    if held {
        return Ok(());
    }
    // Who did it, when it was someone else (an admin, the command line).
    let by = (event.actor.id != event.user.id).then_some(event.actor.name);
    let payload = json!({
        "notice": notice,
        "username": event.user.name,
        // Only a name from the known lists; null reads "an unknown browser".
        "device": event.known_device,
        "ip": event.ip,
        "at": at,
        "by": by,
    });
    crate::db::notifications::enqueue_to(conn, EVENT_SECURITY, channel, &email, &payload)?;
    Ok(())
}

/// Whether a new-device notice of `user_id` from `ip` was due within the hour.
fn noticed_from(conn: &Connection, user_id: &str, ip: &str, at: i64) -> AppResult<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM security_notice_log
                             WHERE user_id = ?1 AND notice = ?2 AND ip = ?3 AND at > ?4)",
        )?
        .query_row(params![user_id, NOTICE_NEW_DEVICE, ip, at - HOUR], |r| {
            r.get(0)
        })?)
}

fn mailed_within_hour(conn: &Connection, user_id: &str, at: i64) -> AppResult<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM security_notice_log
              WHERE user_id = ?1 AND state = 'mailed' AND at > ?2",
        )?
        .query_row(params![user_id, at - HOUR], |r| r.get(0))?)
}

fn log(
    conn: &Connection,
    user_id: &str,
    at: i64,
    notice: &str,
    ip: &str,
    state: &str,
) -> AppResult<()> {
    conn.prepare_cached(
        "INSERT INTO security_notice_log (user_id, at, notice, ip, state)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![user_id, at, notice, ip, state])?;
    Ok(())
}

/// Whether an account has notices held for an hour or more (a cheap read the
/// sender makes before [`queue_summaries`] takes the write lock).
pub fn summaries_due(conn: &Connection, at: i64) -> AppResult<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM security_notice_log WHERE state = 'held' AND at <= ?1)",
        )?
        .query_row([at - HOUR], |r| r.get(0))?)
}

/// Queues one summary for every account whose oldest held notice is an hour
/// old: how many were held since when, by kind. The held notices are then
/// summarised (also when the address or the channel is gone by now, and
/// nothing can be sent). Answers the summaries queued.
pub fn queue_summaries(conn: &Connection, at: i64) -> AppResult<usize> {
    let due: Vec<(String, i64)> = conn
        .prepare_cached(
            "SELECT user_id, min(at) FROM security_notice_log WHERE state = 'held'
              GROUP BY user_id HAVING min(at) <= ?1",
        )?
        .query_map([at - HOUR], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut queued = 0;
    for (user_id, since) in due {
        let counts = held_counts(conn, &user_id)?;
        conn.prepare_cached(
            "UPDATE security_notice_log SET state = 'summarised'
              WHERE user_id = ?1 AND state = 'held'",
        )?
        .execute([&user_id])?;
        let (Some(email), Some(channel)) = (confirmed_email(conn, &user_id)?, carrier(conn)?)
        else {
            continue;
        };
        let username: String = conn
            .prepare_cached("SELECT username FROM users WHERE id = ?1")?
            .query_row([&user_id], |r| r.get(0))?;
        let payload = json!({
            "notice": NOTICE_SUMMARY,
            "username": username,
            "since": since,
            "at": at,
            "held": counts,
        });
        crate::db::notifications::enqueue_to(conn, EVENT_SECURITY, channel, &email, &payload)?;
        log(conn, &user_id, at, NOTICE_SUMMARY, "", "mailed")?;
        queued += 1;
    }
    Ok(queued)
}

/// The account's held notices by kind: `{"new_device_login": 17, …}`.
fn held_counts(conn: &Connection, user_id: &str) -> AppResult<Value> {
    let rows: Vec<(String, i64)> = conn
        .prepare_cached(
            "SELECT notice, count(*) FROM security_notice_log
              WHERE user_id = ?1 AND state = 'held' GROUP BY notice ORDER BY notice",
        )?
        .query_map([user_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(Value::Object(
        rows.into_iter().map(|(k, n)| (k, n.into())).collect(),
    ))
}

/// Queues the mail with the confirmation link for `email`, carried by
/// `channel`, inside the caller's transaction. `sealed_link` is the link
/// sealed under the server's key ([`link_binding`]): the outbox never holds
/// the link's secret in clear; the sender opens it as it writes the mail.
pub fn queue_confirmation(
    conn: &Connection,
    channel: i64,
    email: &str,
    sealed_link: &str,
    server: &str,
    expires_at: i64,
) -> AppResult<()> {
    let payload = json!({
        "notice": NOTICE_CONFIRM_EMAIL,
        "link": sealed_link,
        "server": server,
        "expires_at": expires_at,
        "at": crate::db::now(),
    });
    crate::db::notifications::enqueue_to(conn, EVENT_SECURITY, channel, email, &payload)?;
    Ok(())
}

/// What a confirmation link is sealed for: the one address it is mailed to.
pub fn link_binding(recipient: &str) -> String {
    format!("notification email confirmation {recipient}")
}

/// The enabled email channel (the oldest, if several) that chose to carry
/// security notices.
pub fn carrier(conn: &Connection) -> AppResult<Option<i64>> {
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
