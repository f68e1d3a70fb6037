//! The `invites` table: one-time invitation links with a role and an expiry.
//! Only the hash of a link's secret is stored; the link is shown once.

use crate::crypto::sha256_hex;
use crate::db::facts::Fact;
use crate::db::now;
use crate::db::users::Role;
use crate::error::AppResult;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Invite {
    pub id: i64,
    pub role: Role,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub used_by: Option<String>,
    pub revoked_at: Option<i64>,
    /// "pending", "used", "revoked" or "expired".
    pub state: &'static str,
}

pub fn insert(
    conn: &Connection,
    secret: &str,
    role: Role,
    created_by: &str,
    expires_at: i64,
) -> AppResult<i64> {
    conn.execute(
        "INSERT INTO invites (token_hash, role, created_by, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![sha256_hex(secret), role.as_str(), created_by, now(), expires_at],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Every invitation, newest first, with the names of who made and used it.
pub fn list(conn: &Connection) -> AppResult<Vec<Invite>> {
    let t = now();
    let mut stmt = conn.prepare_cached(
        "SELECT i.id, i.role, c.username, i.created_at, i.expires_at, i.used_at, u.username, i.revoked_at
         FROM invites i LEFT JOIN users c ON c.id = i.created_by LEFT JOIN users u ON u.id = i.used_by
         ORDER BY i.id DESC",
    )?;
    let rows = stmt.query_map([], |r| {
        let used_at: Option<i64> = r.get(5)?;
        let revoked_at: Option<i64> = r.get(7)?;
        let expires_at: i64 = r.get(4)?;
        Ok(Invite {
            id: r.get(0)?,
            role: Role::stored(&r.get::<_, String>(1)?),
            created_by: r.get(2)?,
            created_at: r.get(3)?,
            expires_at,
            used_at,
            used_by: r.get(6)?,
            revoked_at,
            state: match (used_at, revoked_at) {
                (Some(_), _) => "used",
                (None, Some(_)) => "revoked",
                _ if expires_at <= t => "expired",
                _ => "pending",
            },
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Revokes a pending invitation; true if there was one to revoke.
pub fn revoke(conn: &Connection, id: i64) -> AppResult<bool> {
    Ok(conn.execute(
        "UPDATE invites SET revoked_at = ?2 WHERE id = ?1 AND used_at IS NULL AND revoked_at IS NULL",
        params![id, now()],
    )? == 1)
}

/// The role a live invitation grants, without using it (the page that shows
/// the form asks first); `None` for a dead link.
pub fn peek(conn: &Connection, secret: &str) -> AppResult<Option<Role>> {
    Ok(conn.prepare_cached(
        "SELECT role FROM invites WHERE token_hash = ?1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?2",
    )?
    .query_row(params![sha256_hex(secret), now()], |r| r.get::<_, String>(0))
    .optional()?
    .map(|r| Role::stored(&r)))
}

/// Uses a live invitation for the account `user_id` in one statement, so two
/// registrations with the same link cannot both succeed. Answers its role.
pub fn redeem(conn: &Connection, secret: &str, user_id: &str) -> AppResult<Role> {
    conn.prepare_cached(
        "UPDATE invites SET used_at = ?2, used_by = ?3
         WHERE token_hash = ?1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?2
         RETURNING role",
    )?
    .query_row(params![sha256_hex(secret), now(), user_id], |r| {
        r.get::<_, String>(0)
    })
    .optional()?
    .map(|r| Role::stored(&r))
    .ok_or_else(|| Fact::LinkInvalid.into())
}
