//! 2FA state in storage: the TOTP columns of `users` (secret, enabled flag, last
//! accepted time step) and the `two_factor_recovery_codes` table. Every function
//! runs inside the caller's write transaction.

use crate::error::AppResult;
use rusqlite::{Connection, params};

/// Records `step` as the last accepted TOTP step — compare-and-set, so of two
/// requests racing with the same code only one changes the row. True if this
/// call accepted the step.
pub fn accept_step(conn: &Connection, user_id: &str, step: i64) -> AppResult<bool> {
    let changed = conn
        .prepare_cached(
            "UPDATE users SET two_factor_last_step = ?2
             WHERE id = ?1 AND two_factor_enabled = 1 AND two_factor_last_step < ?2",
        )?
        .execute(params![user_id, step])?;
    Ok(changed == 1)
}

/// Turns 2FA on with `secret`, remembering the step of the code that confirmed
/// it (so that code cannot log in afterwards). False if 2FA was already on.
pub fn enable(conn: &Connection, user_id: &str, secret: &str, step: i64) -> AppResult<bool> {
    let changed = conn.execute(
        "UPDATE users SET two_factor_enabled = 1, two_factor_secret = ?2, two_factor_last_step = ?3
         WHERE id = ?1 AND two_factor_enabled = 0",
        params![user_id, secret, step],
    )?;
    Ok(changed == 1)
}

/// Turns 2FA off: flag, secret and last step cleared, every recovery code deleted.
pub fn disable(conn: &Connection, user_id: &str) -> AppResult<()> {
    conn.execute(
        "UPDATE users SET two_factor_enabled = 0, two_factor_secret = '', two_factor_last_step = 0
         WHERE id = ?1",
        [user_id],
    )?;
    conn.execute(
        "DELETE FROM two_factor_recovery_codes WHERE user_id = ?1",
        [user_id],
    )?;
    Ok(())
}

/// Replaces every recovery code of the user (used or not) with the codes of
/// `code_hashes` (`auth::recovery_codes::hash`: only hashes are stored).
pub fn replace_recovery_codes(
    conn: &Connection,
    user_id: &str,
    code_hashes: &[String],
) -> AppResult<()> {
    conn.execute(
        "DELETE FROM two_factor_recovery_codes WHERE user_id = ?1",
        [user_id],
    )?;
    let now = crate::db::now();
    let mut insert = conn.prepare_cached(
        "INSERT INTO two_factor_recovery_codes (id, user_id, code_hash, created_at, used_at)
         VALUES (?1, ?2, ?3, ?4, NULL)",
    )?;
    for hash in code_hashes {
        insert.execute(params![
            uuid::Uuid::new_v4().to_string(),
            user_id,
            hash,
            now
        ])?;
    }
    Ok(())
}

/// Uses up a recovery code: one statement marks the matching unused row, so a
/// code works exactly once even when two logins race for it. True only if this
/// call changed exactly one row.
pub fn consume_recovery_code(conn: &Connection, user_id: &str, code_hash: &str) -> AppResult<bool> {
    let changed = conn
        .prepare_cached(
            "UPDATE two_factor_recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL",
        )?
        .execute(params![crate::db::now(), user_id, code_hash])?;
    Ok(changed == 1)
}

/// Recovery codes of the user not yet used.
pub fn unused_recovery_codes(conn: &Connection, user_id: &str) -> AppResult<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM two_factor_recovery_codes WHERE user_id = ?1 AND used_at IS NULL",
        )?
        .query_row([user_id], |r| r.get(0))?)
}
