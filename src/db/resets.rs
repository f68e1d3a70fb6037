//! The `password_resets` table: one-time links an admin makes for a person who
//! lost their password. Only the hash of a link's secret is stored.

use crate::crypto::sha256_hex;
use crate::db::facts::Fact;
use crate::db::now;
use crate::error::AppResult;
use rusqlite::{Connection, OptionalExtension, params};

/// How long a reset link works.
pub const RESET_TTL: i64 = 24 * 3600;

/// Makes a reset link for `user_id`; earlier unused ones of the account stop
/// working, so only the newest link handed out is live. Answers its expiry.
pub fn insert(conn: &Connection, user_id: &str, secret: &str) -> AppResult<i64> {
    let t = now();
    conn.execute(
        "DELETE FROM password_resets WHERE user_id = ?1 AND used_at IS NULL",
        [user_id],
    )?;
    conn.execute(
        "INSERT INTO password_resets (user_id, token_hash, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![user_id, sha256_hex(secret), t, t + RESET_TTL],
    )?;
    Ok(t + RESET_TTL)
}

/// The account a live link is for, without using it; `None` for a dead link.
pub fn peek(conn: &Connection, secret: &str) -> AppResult<Option<String>> {
    Ok(conn.prepare_cached(
        "SELECT user_id FROM password_resets WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2",
    )?
    .query_row(params![sha256_hex(secret), now()], |r| r.get(0))
    .optional()?)
}

/// Uses a live link in one statement (a second use finds nothing). Answers
/// the account it was for.
pub fn redeem(conn: &Connection, secret: &str) -> AppResult<String> {
    conn.prepare_cached(
        "UPDATE password_resets SET used_at = ?2
         WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2 RETURNING user_id",
    )?
    .query_row(params![sha256_hex(secret), now()], |r| r.get(0))
    .optional()?
    .ok_or_else(|| Fact::LinkInvalid.into())
}
