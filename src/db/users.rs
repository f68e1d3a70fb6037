//! The `users` table: accounts, roles, 2FA state and the token version.

use crate::db::facts::Fact;
use crate::error::{AppError, AppResult};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

/// What an account may do. Stored as its lowercase name.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads only.
    Viewer,
    /// All inventory reads and writes.
    Editor,
    /// Everything, including users and settings.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    /// A role's name as a person or the config writes it.
    pub fn parse(name: &str) -> Option<Role> {
        match name {
            "viewer" => Some(Role::Viewer),
            "editor" => Some(Role::Editor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// A stored value. The upgrade maps the original program's `user` to
    /// `editor`; a value written by hand that is no role at all grants the
    /// least, never more.
    pub(crate) fn stored(name: &str) -> Role {
        match name {
            "user" => Role::Editor,
            other => Role::parse(other).unwrap_or(Role::Viewer),
        }
    }
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct User {
    pub id: String,
    pub username: String,
    #[serde(skip)]
    pub password_hash: String,
    pub role: Role,
    pub two_factor_enabled: bool,
    #[serde(skip)]
    pub two_factor_secret: String,
    #[serde(skip)]
    pub two_factor_last_step: i64,
    #[serde(skip)]
    pub token_version: i64,
    pub created_at: i64,
    pub disabled: bool,
}

const COLUMNS: &str = "id, username, password, role, two_factor_enabled, two_factor_secret, two_factor_last_step, token_version, created_at, disabled";

fn from_row(r: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        username: r.get(1)?,
        password_hash: r.get(2)?,
        role: Role::stored(&r.get::<_, String>(3)?),
        two_factor_enabled: r.get::<_, i64>(4)? != 0,
        two_factor_secret: r.get(5)?,
        two_factor_last_step: r.get(6)?,
        token_version: r.get(7)?,
        created_at: r.get(8)?,
        disabled: r.get::<_, i64>(9)? != 0,
    })
}

pub fn by_id(conn: &Connection, id: &str) -> AppResult<Option<User>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], from_row)
        .optional()?)
}

/// What every authenticated request needs of its user: name, role and the
/// token version its access token must carry (read with its session,
/// `sessions::identity`). A disabled account has none.
pub struct Identity {
    pub username: String,
    pub role: Role,
    pub token_version: i64,
}

pub fn by_username(conn: &Connection, username: &str) -> AppResult<Option<User>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE username = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([username], from_row)
        .optional()?)
}

/// The longest username stored, in characters. Registration and renames allow
/// 32; an upgraded database of the original program may hold longer ones.
pub fn longest_username(conn: &Connection) -> AppResult<usize> {
    let longest: Option<i64> =
        conn.query_row("SELECT max(length(username)) FROM users", [], |r| r.get(0))?;
    Ok(usize::try_from(longest.unwrap_or(0)).unwrap_or(0))
}

/// Inserts a user with `role`; the first account ever created becomes admin
/// whatever is asked. Call inside a write transaction so two first
/// registrations cannot both become admin.
pub fn insert(
    conn: &Connection,
    username: &str,
    password_hash: &str,
    role: Role,
) -> AppResult<User> {
    let existing: i64 = conn.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?;
    let role = if existing == 0 { Role::Admin } else { role };
    let id = uuid::Uuid::new_v4().to_string();
    conn.execute(
        "INSERT INTO users (id, username, password, role, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, username, password_hash, role.as_str(), crate::db::now()],
    )
    .map_err(taken_or_storage)?;
    by_id(conn, &id)?.ok_or_else(|| AppError::internal("inserted user vanished"))
}

pub fn username_taken() -> AppError {
    Fact::UsernameTaken.into()
}

/// The unique index answering for a writer that got in between a check and
/// the write is `username_taken` too.
fn taken_or_storage(e: rusqlite::Error) -> AppError {
    if crate::db::is_unique_violation(&e) {
        username_taken()
    } else {
        e.into()
    }
}

pub fn set_username(conn: &Connection, id: &str, username: &str) -> AppResult<()> {
    conn.execute(
        "UPDATE users SET username = ?2 WHERE id = ?1",
        params![id, username],
    )
    .map_err(taken_or_storage)?;
    Ok(())
}

/// Stores a new password hash and bumps the token version, so every access token
/// issued before this moment stops working.
pub fn set_password(conn: &Connection, id: &str, hash: &str) -> AppResult<i64> {
    conn.execute(
        "UPDATE users SET password = ?2, token_version = token_version + 1 WHERE id = ?1",
        params![id, hash],
    )?;
    bump_version_value(conn, id)
}

/// Kills every access token of the user (credential change) and returns the new version.
pub fn bump_token_version(conn: &Connection, id: &str) -> AppResult<i64> {
    conn.execute(
        "UPDATE users SET token_version = token_version + 1 WHERE id = ?1",
        [id],
    )?;
    bump_version_value(conn, id)
}

fn bump_version_value(conn: &Connection, id: &str) -> AppResult<i64> {
    Ok(
        conn.query_row("SELECT token_version FROM users WHERE id = ?1", [id], |r| {
            r.get(0)
        })?,
    )
}
