//! The `api_tokens` table: personal API tokens (`miau_…`) for scripts. Stored
//! as SHA-256 hashes: a token is 32 random bytes, so a fast hash is enough and
//! every request can check one with an index seek.

use crate::crypto::sha256_hex;
use crate::db::facts::Fact;
use crate::db::now;
use crate::db::users::Role;
use crate::error::AppResult;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// GET only.
    Read,
    /// What the owner's role allows, except account, security and admin routes.
    Write,
}

impl Scope {
    fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
        }
    }
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub scope: Scope,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
}

pub fn insert(
    conn: &Connection,
    user_id: &str,
    name: &str,
    scope: Scope,
    secret: &str,
    expires_at: Option<i64>,
) -> AppResult<ApiToken> {
    let t = now();
    conn.execute(
        "INSERT INTO api_tokens (user_id, name, scope, token_hash, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![user_id, name, scope.as_str(), sha256_hex(secret), t, expires_at],
    )?;
    Ok(ApiToken {
        id: conn.last_insert_rowid(),
        name: name.to_string(),
        scope,
        created_at: t,
        last_used_at: None,
        expires_at,
    })
}

fn scope_of(stored: &str) -> Scope {
    // The table's CHECK allows only these two; anything else grants the least.
    if stored == "write" {
        Scope::Write
    } else {
        Scope::Read
    }
}

pub fn list(conn: &Connection, user_id: &str) -> AppResult<Vec<ApiToken>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, scope, created_at, last_used_at, expires_at FROM api_tokens
         WHERE user_id = ?1 ORDER BY id DESC",
    )?;
    let rows = stmt.query_map([user_id], |r| {
        Ok(ApiToken {
            id: r.get(0)?,
            name: r.get(1)?,
            scope: scope_of(&r.get::<_, String>(2)?),
            created_at: r.get(3)?,
            last_used_at: r.get(4)?,
            expires_at: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Revokes (deletes) one of the owner's tokens.
pub fn delete(conn: &Connection, user_id: &str, id: i64) -> AppResult<()> {
    let n = conn.execute(
        "DELETE FROM api_tokens WHERE id = ?1 AND user_id = ?2",
        params![id, user_id],
    )?;
    if n == 0 {
        return Err(Fact::TokenNotFound { id }.into());
    }
    Ok(())
}

/// Revokes (deletes) every token of the account; answers the names of those
/// that were revoked, oldest first, for the security log. Used by account
/// recovery, an admin ending everything, disabling, and by the owner's own
/// "also revoke my API tokens".
pub fn revoke_all(conn: &Connection, user_id: &str) -> AppResult<Vec<String>> {
    let mut stmt =
        conn.prepare_cached("DELETE FROM api_tokens WHERE user_id = ?1 RETURNING id, name")?;
    let mut gone: Vec<(i64, String)> = stmt
        .query_map([user_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    // RETURNING gives no order.
    gone.sort_unstable();
    Ok(gone.into_iter().map(|(_, name)| name).collect())
}

/// Who a presented token speaks for: a live token of an enabled account.
pub struct TokenOwner {
    pub token_id: i64,
    pub user_id: String,
    pub username: String,
    pub role: Role,
    pub scope: Scope,
    pub last_used_at: Option<i64>,
}

pub fn owner(conn: &Connection, secret: &str) -> AppResult<Option<TokenOwner>> {
    Ok(conn
        .prepare_cached(
            "SELECT t.id, u.id, u.username, u.role, t.scope, t.last_used_at
             FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = ?1 AND u.disabled = 0 AND (t.expires_at IS NULL OR t.expires_at > ?2)",
        )?
        .query_row(params![sha256_hex(secret), now()], |r| {
            Ok(TokenOwner {
                token_id: r.get(0)?,
                user_id: r.get(1)?,
                username: r.get(2)?,
                role: Role::stored(&r.get::<_, String>(3)?),
                scope: scope_of(&r.get::<_, String>(4)?),
                last_used_at: r.get(5)?,
            })
        })
        .optional()?)
}

/// Notes a token's use. Once a minute at most: a script polling every second
/// must not turn every read into a write.
pub fn touch(conn: &Connection, owner: &TokenOwner) -> AppResult<()> {
    let t = now();
    if owner.last_used_at.is_some_and(|last| t - last < 60) {
        return Ok(());
    }
    conn.prepare_cached("UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1")?
        .execute(params![owner.token_id, t])?;
    Ok(())
}
