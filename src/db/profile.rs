//! An account's overview as `/api/profile` and the profile pages show it: the
//! user row and the counts of its recovery codes, passkeys and live sessions.

use crate::db::{passkeys, security_notices, sessions, two_factor, users};
use crate::error::AppResult;
use rusqlite::Connection;
use serde::Serialize;

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Profile {
    pub id: String,
    pub username: String,
    pub role: crate::db::users::Role,
    pub created_at: i64,
    pub two_factor_enabled: bool,
    pub recovery_codes_remaining: i64,
    pub passkeys: i64,
    pub active_sessions: i64,
    /// Where the account's own security notices go (none: nowhere).
    pub notification_email: Option<String>,
    /// Whether the owner opened the link mailed to `notification_email`:
    /// until then nothing but that link is sent there.
    pub notification_email_confirmed: bool,
}

/// The profile of `user_id`, or `None` when the account no longer exists.
pub fn load(conn: &Connection, user_id: &str) -> AppResult<Option<Profile>> {
    let Some(user) = users::by_id(conn, user_id)? else {
        return Ok(None);
    };
    let address = security_notices::address(conn, user_id)?;
    Ok(Some(Profile {
        recovery_codes_remaining: two_factor::unused_recovery_codes(conn, user_id)?,
        passkeys: passkeys::count(conn, user_id)?,
        active_sessions: sessions::count_live(conn, user_id)?,
        notification_email: address.as_ref().map(|a| a.email.clone()),
        notification_email_confirmed: address.is_some_and(|a| a.confirmed),
        id: user.id,
        username: user.username,
        role: user.role,
        created_at: user.created_at,
        two_factor_enabled: user.two_factor_enabled,
    }))
}
