//! The `notification_email_confirmations` table (migration 0024): the links
//! mailed to a notification email to confirm it. Only the SHA-256 of a
//! link's secret is stored; a link works once, for a day, and only the
//! newest of an account. The rows outlive their links by a day to count the
//! mails an account and an address were sent. Layer: db.

use crate::crypto::sha256_hex;
use crate::db::now;
use crate::error::AppResult;
use rusqlite::{Connection, OptionalExtension, params};

/// How long a confirmation link works.
pub const LINK_TTL: i64 = 24 * 3600;

/// The window the confirmation mails are counted in (see [`sent_since`]).
pub const WINDOW: i64 = 24 * 3600;

/// Records a confirmation link for `email` of `user_id` made at `at`; older
/// links of the account stop working. Answers the link's expiry.
pub fn insert(conn: &Connection, user_id: &str, email: &str, secret: &str) -> AppResult<i64> {
    let at = now();
    conn.prepare_cached("DELETE FROM notification_email_confirmations WHERE created_at < ?1")?
        .execute([at - WINDOW - LINK_TTL])?;
    void(conn, user_id)?;
    conn.prepare_cached(
        "INSERT INTO notification_email_confirmations (user_id, email, token_hash, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![user_id, email, sha256_hex(secret), at, at + LINK_TTL])?;
    Ok(at + LINK_TTL)
}

/// Every live link of the account stops working (its address changed).
pub fn void(conn: &Connection, user_id: &str) -> AppResult<()> {
    conn.prepare_cached(
        "UPDATE notification_email_confirmations SET token_hash = NULL
          WHERE user_id = ?1 AND token_hash IS NOT NULL",
    )?
    .execute([user_id])?;
    Ok(())
}

/// Confirmation mails sent within [`WINDOW`] before now: to the account, to
/// the address (by any account, in any case), and when the oldest of each
/// leaves the window.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sent {
    pub by_account: i64,
    pub to_address: i64,
    /// When the account's oldest counted mail leaves the window.
    pub account_frees_at: Option<i64>,
    /// When the address's oldest counted mail leaves the window.
    pub address_frees_at: Option<i64>,
}

pub fn sent_since(conn: &Connection, user_id: &str, email: &str) -> AppResult<Sent> {
    let since = now() - WINDOW;
    let (by_account, account_oldest): (i64, Option<i64>) = conn
        .prepare_cached(
            "SELECT count(*), min(created_at) FROM notification_email_confirmations
              WHERE user_id = ?1 AND created_at > ?2",
        )?
        .query_row(params![user_id, since], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let (to_address, address_oldest): (i64, Option<i64>) = conn
        .prepare_cached(
            "SELECT count(*), min(created_at) FROM notification_email_confirmations
              WHERE email = ?1 COLLATE NOCASE AND created_at > ?2",
        )?
        .query_row(params![email, since], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(Sent {
        by_account,
        to_address,
        account_frees_at: account_oldest.map(|t| t + WINDOW),
        address_frees_at: address_oldest.map(|t| t + WINDOW),
    })
}

/// The address a live link confirms, without using it; `None` for a dead
/// link or one whose account has another address by now.
pub fn peek(conn: &Connection, secret: &str) -> AppResult<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT c.email FROM notification_email_confirmations c
               JOIN users u ON u.id = c.user_id AND u.notification_email = c.email
              WHERE c.token_hash = ?1 AND c.expires_at > ?2",
        )?
        .query_row(params![sha256_hex(secret), now()], |r| r.get(0))
        .optional()?)
}

/// Uses a live link and marks its address confirmed, in the caller's
/// transaction; answers the account it was for, or `None` for a dead link
/// (used, replaced, expired, or the account's address changed since).
pub fn redeem(conn: &Connection, secret: &str) -> AppResult<Option<String>> {
    let t = now();
    let Some((user_id, email)) = conn
        .prepare_cached(
            "UPDATE notification_email_confirmations SET token_hash = NULL, used_at = ?2
              WHERE token_hash = ?1 AND expires_at > ?2 RETURNING user_id, email",
        )?
        .query_row(params![sha256_hex(secret), t], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })
        .optional()?
    else {
        return Ok(None);
    };
    let confirmed = conn
        .prepare_cached(
            "UPDATE users SET notification_email_confirmed_at = ?3
              WHERE id = ?1 AND notification_email = ?2",
        )?
        .execute(params![user_id, email, t])?;
    Ok((confirmed == 1).then_some(user_id))
}
