//! The `refresh_tokens` table. Tokens are stored only as SHA-256 hashes; a token
//! is used by revoking its row, so it can be used exactly once.

use crate::crypto::sha256_hex;
use crate::error::AppResult;
use rusqlite::{Connection, OptionalExtension, params};

pub const REFRESH_TTL: i64 = 7 * 24 * 3600;

/// Seconds after its rotation in which a refresh token presented again is
/// refused without revoking the account's sessions: two tabs waking at once
/// send the same token (see migration 0004).
pub const REUSE_GRACE: i64 = 10;

/// Stores a new refresh token's hash for `user_id`.
pub fn insert(conn: &Connection, user_id: &str, token: &str, device_info: &str) -> AppResult<()> {
    let now = crate::db::now();
    conn.prepare_cached(
        "INSERT INTO refresh_tokens (id, user_id, token_hash, expires_at, created_at, revoked, device_info)
         VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6)",
    )?
    .execute(params![
        uuid::Uuid::new_v4().to_string(),
        user_id,
        sha256_hex(token),
        now + REFRESH_TTL,
        now,
        device_info
    ])?;
    Ok(())
}

pub enum Consumed {
    /// The token was live and is now revoked; the owner's id.
    Ok(String),
    /// The token was rotated moments ago (within [`REUSE_GRACE`]): a parallel
    /// refresh of the same client, not theft.
    JustRotated,
    /// The token was already used or revoked: possible theft. The owner's id.
    Reused(String),
    /// Unknown or expired.
    Invalid,
}

/// Revokes a live refresh token in one statement — two concurrent refreshes with
/// the same token cannot both succeed.
pub fn consume(conn: &Connection, token: &str) -> AppResult<Consumed> {
    let hash = sha256_hex(token);
    let now = crate::db::now();
    let owner: Option<String> = conn
        .prepare_cached(
            "UPDATE refresh_tokens SET revoked = 1, revoked_at = ?2
             WHERE token_hash = ?1 AND revoked = 0 AND expires_at > ?2 RETURNING user_id",
        )?
        .query_row(params![hash, now], |r| r.get(0))
        .optional()?;
    if let Some(user) = owner {
        return Ok(Consumed::Ok(user));
    }
    let reused: Option<(String, Option<i64>)> = conn
        .prepare_cached(
            "SELECT user_id, revoked_at FROM refresh_tokens
             WHERE token_hash = ?1 AND revoked = 1 AND expires_at > ?2",
        )?
        .query_row(params![hash, now], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(match reused {
        None => Consumed::Invalid,
        Some((_, Some(at))) if now - at <= REUSE_GRACE => Consumed::JustRotated,
        Some((user, _)) => Consumed::Reused(user),
    })
}

/// Revokes every refresh token of a user by deleting the live rows (expired rows
/// go too). Deleting rather than marking them revoked matters: another device
/// still holding one of them will try to refresh, and a *revoked* token presented
/// again counts as theft and would end the session just issued after a password
/// or passkey change. Rows already revoked by rotation stay for that detection.
pub fn revoke_all(conn: &Connection, user_id: &str) -> AppResult<()> {
    conn.execute(
        "DELETE FROM refresh_tokens WHERE user_id = ?1 AND (revoked = 0 OR expires_at <= ?2)",
        params![user_id, crate::db::now()],
    )?;
    Ok(())
}

/// Live sessions of a user (for the profile page).
pub fn count_live(conn: &Connection, user_id: &str) -> AppResult<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM refresh_tokens WHERE user_id = ?1 AND revoked = 0 AND expires_at > ?2",
        params![user_id, crate::db::now()],
        |r| r.get(0),
    )?)
}
