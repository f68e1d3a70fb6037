//! Accounts as an admin manages them: the list with what each person has set
//! up, roles, disabling and deleting, always keeping one active admin.

use crate::db::facts::Fact;
use crate::db::users::Role;
use crate::db::{api_tokens, now, sessions, users};
use crate::error::AppResult;
use rusqlite::{Connection, params};
use serde::Serialize;

/// One account in the admin's list.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Account {
    pub id: String,
    pub username: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
    pub two_factor_enabled: bool,
    pub passkeys: i64,
    pub active_sessions: i64,
    pub api_tokens: i64,
    /// Whether the account has a password (one made through an identity
    /// provider has none until its owner sets one).
    pub password: bool,
    /// The identity providers (config ids) linked to the account.
    pub sso_providers: Vec<String>,
}

pub fn list(conn: &Connection) -> AppResult<Vec<Account>> {
    let mut stmt = conn.prepare_cached(
        "SELECT u.id, u.username, u.role, u.disabled, u.created_at, u.last_login_at, u.two_factor_enabled,
                (SELECT count(*) FROM passkeys p WHERE p.user_id = u.id),
                (SELECT count(*) FROM refresh_tokens r WHERE r.user_id = u.id AND r.revoked = 0 AND r.expires_at > ?1),
                (SELECT count(*) FROM api_tokens t WHERE t.user_id = u.id AND (t.expires_at IS NULL OR t.expires_at > ?1)),
                u.password <> '',
                (SELECT group_concat(s.provider, ' ') FROM sso_identities s WHERE s.user_id = u.id)
         FROM users u ORDER BY u.username",
    )?;
    let rows = stmt.query_map([now()], |r| {
        Ok(Account {
            id: r.get(0)?,
            username: r.get(1)?,
            role: users::Role::stored(&r.get::<_, String>(2)?),
            disabled: r.get::<_, i64>(3)? != 0,
            created_at: r.get(4)?,
            last_login_at: r.get(5)?,
            two_factor_enabled: r.get::<_, i64>(6)? != 0,
            passkeys: r.get(7)?,
            active_sessions: r.get(8)?,
            api_tokens: r.get(9)?,
            password: r.get(10)?,
            sso_providers: r
                .get::<_, Option<String>>(11)?
                .map(|s| s.split(' ').map(String::from).collect())
                .unwrap_or_default(),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The account with this id, or the fact that there is none.
pub fn get(conn: &Connection, id: &str) -> AppResult<users::User> {
    users::by_id(conn, id)?.ok_or_else(|| Fact::UserNotFound.into())
}

/// Whether `target` is the last active admin: a change that makes it
/// anything else would leave nobody to run the server.
pub fn is_last_admin(conn: &Connection, target: &users::User) -> AppResult<bool> {
    if target.role != Role::Admin || target.disabled {
        return Ok(false);
    }
    let others: i64 = conn.query_row(
        "SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0 AND id <> ?1",
        [&target.id],
        |r| r.get(0),
    )?;
    Ok(others == 0)
}

/// Refuses a change that would leave no active admin: `target` stops being an
/// active admin by it. Call inside the write transaction that makes the change.
fn keep_an_admin(conn: &Connection, target: &users::User) -> AppResult<()> {
    if is_last_admin(conn, target)? {
        return Err(Fact::LastAdmin.into());
    }
    Ok(())
}

/// Gives the account another role. Its access tokens carry no rights (each
/// request reads the role), so the change holds from the next request on.
pub fn set_role(conn: &Connection, id: &str, role: Role) -> AppResult<users::User> {
    let user = get(conn, id)?;
    if role != Role::Admin {
        keep_an_admin(conn, &user)?;
    }
    conn.execute(
        "UPDATE users SET role = ?2 WHERE id = ?1",
        params![id, role.as_str()],
    )?;
    get(conn, id)
}

/// Disables or enables an account. Disabling ends every credential at once
/// ([`end_credentials`]): enabling it again brings none of them back. Answers
/// the account and the names of the API tokens revoked.
pub fn set_disabled(
    conn: &Connection,
    id: &str,
    disabled: bool,
) -> AppResult<(users::User, Vec<String>)> {
    let user = get(conn, id)?;
    let mut revoked = Vec::new();
    if disabled {
        keep_an_admin(conn, &user)?;
        revoked = end_credentials(conn, id)?;
    }
    conn.execute(
        "UPDATE users SET disabled = ?2 WHERE id = ?1",
        params![id, disabled as i64],
    )?;
    Ok((get(conn, id)?, revoked))
}

/// Ends everything that speaks for the account: every session (access and
/// refresh tokens alike) and every personal API token. What an admin's "end
/// all sessions", disabling, and account recovery (a reset link, the command
/// line) do: whoever held a stolen session may have made a token with it.
/// Answers the names of the API tokens revoked.
pub fn end_credentials(conn: &Connection, id: &str) -> AppResult<Vec<String>> {
    get(conn, id)?;
    users::bump_token_version(conn, id)?;
    sessions::revoke_all(conn, id)?;
    api_tokens::revoke_all(conn, id)
}

/// Deletes the account with its sessions, passkeys, codes and API tokens
/// (cascades). Inventory history keeps the name it was recorded under.
pub fn delete(conn: &Connection, id: &str) -> AppResult<()> {
    let user = get(conn, id)?;
    keep_an_admin(conn, &user)?;
    conn.execute("DELETE FROM users WHERE id = ?1", [id])?;
    Ok(())
}

/// Notes a successful login (shown in the admin's list).
pub fn touch_login(conn: &Connection, id: &str) -> AppResult<()> {
    conn.prepare_cached("UPDATE users SET last_login_at = ?2 WHERE id = ?1")?
        .execute(params![id, now()])?;
    Ok(())
}

/// The usernames of the active admins.
pub fn active_admins(conn: &Connection) -> AppResult<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT username FROM users WHERE role = 'admin' AND disabled = 0 ORDER BY username",
    )?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Counts for the admin's server view.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Counts {
    pub users: i64,
    pub admins: i64,
    pub disabled: i64,
    pub pending_invites: i64,
}

pub fn counts(conn: &Connection) -> AppResult<Counts> {
    Ok(conn
        .prepare_cached(
            "SELECT (SELECT count(*) FROM users),
                    (SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0),
                    (SELECT count(*) FROM users WHERE disabled = 1),
                    (SELECT count(*) FROM invites WHERE used_at IS NULL AND revoked_at IS NULL AND expires_at > ?1)",
        )?
        .query_row([now()], |r| {
            Ok(Counts {
                users: r.get(0)?,
                admins: r.get(1)?,
                disabled: r.get(2)?,
                pending_invites: r.get(3)?,
            })
        })?)
}
