//! The `passkeys` table: registered WebAuthn credentials (public keys only), their
//! names, signature counters, backup flags and last use.

use crate::error::{AppError, AppResult};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;
use webauthn_rs::prelude::Passkey;

/// A passkey as the account settings list it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PasskeyEntry {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    /// The authenticator may sync this passkey to other devices (e.g. a cloud keychain).
    pub backup_eligible: bool,
    /// The passkey is currently backed up / synced.
    pub backup_state: bool,
}

/// A stored credential with what a login needs to verify and update it.
pub struct StoredPasskey {
    pub id: String,
    pub user_id: String,
    pub sign_count: i64,
    credential: String,
}

impl StoredPasskey {
    /// The webauthn-rs credential stored at registration (updated after logins).
    pub fn passkey(&self) -> AppResult<Passkey> {
        serde_json::from_str(&self.credential).map_err(|e| {
            AppError::internal(format_args!("stored passkey {} unreadable: {e}", self.id))
        })
    }
}

const ENTRY_COLUMNS: &str = "id, name, created_at, last_used_at, backup_eligible, backup_state";

fn entry(r: &Row<'_>) -> rusqlite::Result<PasskeyEntry> {
    Ok(PasskeyEntry {
        id: r.get(0)?,
        name: r.get(1)?,
        created_at: r.get(2)?,
        last_used_at: r.get(3)?,
        backup_eligible: r.get::<_, i64>(4)? != 0,
        backup_state: r.get::<_, i64>(5)? != 0,
    })
}

/// The user's passkeys, oldest first.
pub fn list(conn: &Connection, user_id: &str) -> AppResult<Vec<PasskeyEntry>> {
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM passkeys WHERE user_id = ?1 ORDER BY created_at, rowid"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([user_id], entry)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The user's credentials, e.g. to exclude them from a new registration.
pub fn credentials_of(conn: &Connection, user_id: &str) -> AppResult<Vec<Passkey>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, user_id, sign_count, credential FROM passkeys WHERE user_id = ?1",
    )?;
    let rows = stmt.query_map([user_id], stored)?;
    rows.collect::<rusqlite::Result<Vec<_>>>()?
        .iter()
        .map(StoredPasskey::passkey)
        .collect()
}

fn stored(r: &Row<'_>) -> rusqlite::Result<StoredPasskey> {
    Ok(StoredPasskey {
        id: r.get(0)?,
        user_id: r.get(1)?,
        sign_count: r.get(2)?,
        credential: r.get(3)?,
    })
}

/// The credential with this (raw) credential id, of whichever user owns it.
pub fn by_credential_id(conn: &Connection, raw_id: &[u8]) -> AppResult<Option<StoredPasskey>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, user_id, sign_count, credential FROM passkeys WHERE credential_id = ?1",
        )?
        .query_row([credential_id_text(raw_id)], stored)
        .optional()?)
}

/// The counter and backup flags webauthn-rs recorded in a credential. The type
/// is opaque by design; its serialised form is the stored format and stable
/// within webauthn-rs 0.5.
fn counters(passkey: &Passkey) -> AppResult<(i64, bool, bool)> {
    let v = serde_json::to_value(passkey)
        .map_err(|e| AppError::internal(format_args!("passkey not serialisable: {e}")))?;
    let cred = &v["cred"];
    Ok((
        cred["counter"].as_i64().unwrap_or(0),
        cred["backup_eligible"].as_bool().unwrap_or(false),
        cred["backup_state"].as_bool().unwrap_or(false),
    ))
}

fn credential_json(passkey: &Passkey) -> AppResult<String> {
    serde_json::to_string(passkey)
        .map_err(|e| AppError::internal(format_args!("passkey not serialisable: {e}")))
}

/// Stores a newly registered credential. A credential id already stored (for any
/// account) is a 409.
pub fn insert(
    conn: &Connection,
    user_id: &str,
    name: &str,
    passkey: &Passkey,
) -> AppResult<PasskeyEntry> {
    let (counter, backup_eligible, backup_state) = counters(passkey)?;
    let id = uuid::Uuid::new_v4().to_string();
    conn.prepare_cached(
        "INSERT INTO passkeys (id, user_id, name, credential_id, credential, sign_count,
                               backup_eligible, backup_state, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        id,
        user_id,
        name,
        credential_id_text(passkey.cred_id().as_ref()),
        credential_json(passkey)?,
        counter,
        backup_eligible,
        backup_state,
        crate::db::now()
    ])
    .map_err(|e| {
        if crate::db::is_unique_violation(&e) {
            crate::error::AppError::from(crate::db::facts::Fact::PasskeyExists)
        } else {
            e.into()
        }
    })?;
    let sql = format!("SELECT {ENTRY_COLUMNS} FROM passkeys WHERE id = ?1");
    Ok(conn.prepare_cached(&sql)?.query_row([&id], entry)?)
}

/// Records a successful login: the updated credential, its counter and backup
/// flags, and the time of use.
pub fn record_use(conn: &Connection, id: &str, passkey: &Passkey) -> AppResult<()> {
    let (counter, backup_eligible, backup_state) = counters(passkey)?;
    conn.prepare_cached(
        "UPDATE passkeys SET credential = ?2, sign_count = ?3, backup_eligible = ?4,
                             backup_state = ?5, last_used_at = ?6
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        credential_json(passkey)?,
        counter,
        backup_eligible,
        backup_state,
        crate::db::now()
    ])?;
    Ok(())
}

/// Removes one passkey of the user; false if there is no such passkey.
pub fn delete(conn: &Connection, user_id: &str, id: &str) -> AppResult<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM passkeys WHERE id = ?1 AND user_id = ?2")?
        .execute([id, user_id])?
        > 0)
}

/// Removes every passkey of the user and returns how many there were.
pub fn delete_all(conn: &Connection, user_id: &str) -> AppResult<usize> {
    Ok(conn
        .prepare_cached("DELETE FROM passkeys WHERE user_id = ?1")?
        .execute([user_id])?)
}

/// Credential ids are stored and compared as base64url without padding.
pub fn credential_id_text(raw: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

/// How many passkeys the user has.
pub fn count(conn: &Connection, user_id: &str) -> AppResult<i64> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM passkeys WHERE user_id = ?1")?
        .query_row([user_id], |r| r.get(0))?)
}
