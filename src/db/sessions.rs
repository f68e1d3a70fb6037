//! The `sessions` and `refresh_tokens` tables. A session is one login on one
//! device; its refresh tokens rotate, each naming the session. Tokens are
//! stored only as SHA-256 hashes; a token is used by revoking its row, so it can
//! be used exactly once. Ending a session deletes its row and its live tokens.

use crate::crypto::sha256_hex;
use crate::error::AppResult;
use rusqlite::{Connection, OptionalExtension, params};

pub const REFRESH_TTL: i64 = 7 * 24 * 3600;

/// Seconds after its rotation in which a refresh token presented again is
/// refused without revoking the account's sessions: two tabs waking at once
/// send the same token (see migration 0004).
pub const REUSE_GRACE: i64 = 10;

/// Where a request comes from, as a session remembers it.
#[derive(Debug, Clone, Default)]
pub struct Device {
    /// The User-Agent header (at most 255 characters).
    pub user_agent: String,
    /// The client address.
    pub ip: String,
}

/// Starts a session of `user_id` on `device`, proved now (a login or a
/// confirmed credential change starts one; see migration 0023); returns its
/// id. Expired sessions of the user go at the same time, so the table stays as
/// small as the live sessions (plus those of people who never come back, until
/// they do).
pub fn create(conn: &Connection, user_id: &str, device: &Device) -> AppResult<String> {
    let now = crate::db::now();
    conn.prepare_cached("DELETE FROM sessions WHERE user_id = ?1 AND expires_at <= ?2")?
        .execute(params![user_id, now])?;
    let id = uuid::Uuid::new_v4().to_string();
    conn.prepare_cached(
        "INSERT INTO sessions (id, user_id, user_agent, ip, created_at, last_used_at, expires_at, authenticated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?5)",
    )?
    .execute(params![
        id,
        user_id,
        device.user_agent,
        device.ip,
        now,
        now + REFRESH_TTL
    ])?;
    Ok(id)
}

/// Stores a new refresh token's hash for `user_id` in session `session_id`,
/// and notes the session as used now from `device`.
pub fn insert(
    conn: &Connection,
    user_id: &str,
    session_id: &str,
    token: &str,
    device: &Device,
) -> AppResult<()> {
    let now = crate::db::now();
    conn.prepare_cached(
        "INSERT INTO refresh_tokens (id, user_id, token_hash, expires_at, created_at, revoked, device_info, session_id)
         VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7)",
    )?
    .execute(params![
        uuid::Uuid::new_v4().to_string(),
        user_id,
        sha256_hex(token),
        now + REFRESH_TTL,
        now,
        device.user_agent,
        session_id
    ])?;
    conn.prepare_cached(
        "UPDATE sessions SET last_used_at = ?2, expires_at = ?3, ip = ?4, user_agent = ?5
         WHERE id = ?1",
    )?
    .execute(params![
        session_id,
        now,
        now + REFRESH_TTL,
        device.ip,
        device.user_agent
    ])?;
    Ok(())
}

pub enum Consumed {
    /// The token was live and is now revoked: the owner's id and its session
    /// (none for a token of a session that has since been ended).
    Ok(String, Option<String>),
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
    let owner: Option<(String, Option<String>)> = conn
        .prepare_cached(
            "UPDATE refresh_tokens SET revoked = 1, revoked_at = ?2
             WHERE token_hash = ?1 AND revoked = 0 AND expires_at > ?2
             RETURNING user_id, (SELECT s.id FROM sessions s WHERE s.id = session_id)",
        )?
        .query_row(params![hash, now], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if let Some((user, session)) = owner {
        return Ok(Consumed::Ok(user, session));
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
    conn.execute("DELETE FROM sessions WHERE user_id = ?1", [user_id])?;
    Ok(())
}

/// Ends one session of `user_id` (its live refresh tokens go with it, as in
/// [`revoke_all`]). False when the user has no such session.
pub fn end(conn: &Connection, user_id: &str, session_id: &str) -> AppResult<bool> {
    let gone = conn.execute(
        "DELETE FROM sessions WHERE id = ?1 AND user_id = ?2",
        params![session_id, user_id],
    )?;
    conn.execute(
        "DELETE FROM refresh_tokens WHERE session_id = ?1 AND user_id = ?2 AND revoked = 0",
        params![session_id, user_id],
    )?;
    Ok(gone > 0)
}

/// Ends every session of `user_id` but `keep`; returns how many ended.
pub fn end_others(conn: &Connection, user_id: &str, keep: &str) -> AppResult<usize> {
    let gone = conn.execute(
        "DELETE FROM sessions WHERE user_id = ?1 AND id <> ?2",
        params![user_id, keep],
    )?;
    conn.execute(
        "DELETE FROM refresh_tokens WHERE user_id = ?1 AND revoked = 0
         AND (session_id IS NULL OR session_id <> ?2)",
        params![user_id, keep],
    )?;
    Ok(gone)
}

/// One session as the settings page lists it.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct SessionRow {
    pub id: String,
    pub user_agent: String,
    pub ip: String,
    pub created_at: i64,
    pub last_used_at: i64,
    /// The identity provider it signed in through, if any.
    pub sso_provider: Option<String>,
}

/// The live sessions of a user, most recently used first.
pub fn list(conn: &Connection, user_id: &str) -> AppResult<Vec<SessionRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, user_agent, ip, created_at, last_used_at, sso_provider FROM sessions
         WHERE user_id = ?1 AND expires_at > ?2 ORDER BY last_used_at DESC, created_at DESC",
    )?;
    let rows = stmt.query_map(params![user_id, crate::db::now()], |r| {
        Ok(SessionRow {
            id: r.get(0)?,
            user_agent: r.get(1)?,
            ip: r.get(2)?,
            created_at: r.get(3)?,
            last_used_at: r.get(4)?,
            sso_provider: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The identity behind an access token of session `session_id`: one lookup by
/// primary key per request. None when the session was ended or the account
/// disabled or deleted.
pub fn identity(
    conn: &Connection,
    user_id: &str,
    session_id: &str,
) -> AppResult<Option<crate::db::users::Identity>> {
    Ok(conn
        .prepare_cached(
            "SELECT u.username, u.role, u.token_version FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.id = ?1 AND s.user_id = ?2 AND u.disabled = 0",
        )?
        .query_row(params![session_id, user_id], |r| {
            Ok(crate::db::users::Identity {
                username: r.get(0)?,
                role: crate::db::users::Role::stored(&r.get::<_, String>(1)?),
                token_version: r.get(2)?,
            })
        })
        .optional()?)
}

/// When session `session_id` of `user_id` last proved who is behind it (its
/// login, or the credential change that issued it); none when it has ended.
pub fn authenticated_at(
    conn: &Connection,
    user_id: &str,
    session_id: &str,
) -> AppResult<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT authenticated_at FROM sessions WHERE id = ?1 AND user_id = ?2 AND expires_at > ?3",
        )?
        .query_row(params![session_id, user_id, crate::db::now()], |r| {
            r.get(0)
        })
        .optional()?)
}

/// Live sessions of a user (for the profile page).
pub fn count_live(conn: &Connection, user_id: &str) -> AppResult<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM refresh_tokens WHERE user_id = ?1 AND revoked = 0 AND expires_at > ?2",
        params![user_id, crate::db::now()],
        |r| r.get(0),
    )?)
}
