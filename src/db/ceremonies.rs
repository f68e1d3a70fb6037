//! The `webauthn_ceremonies` table: passkey ceremonies in progress, each behind
//! the SHA-256 of a one-time token. Rows are taken with `DELETE … RETURNING`,
//! so any worker can finish a ceremony and only once. The policy (token, cap,
//! expiry, errors) is in `auth/passkeys.rs`.

use crate::error::AppResult;
use rusqlite::{Connection, OptionalExtension, params};

/// What a ceremony row was started for; a token only finishes its own kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeremonyKind {
    Register,
    Login,
}

impl CeremonyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CeremonyKind::Register => "register",
            CeremonyKind::Login => "login",
        }
    }
}

/// A ceremony row as stored: who started it, the passkey's name (registration)
/// and the serialised webauthn-rs state.
pub struct CeremonyRow {
    pub user_id: Option<String>,
    pub name: Option<String>,
    pub state: String,
    pub expires_at: i64,
}

/// A new row, already serialised; `token_hash` is the SHA-256 of the token.
pub struct NewCeremony<'a> {
    pub token_hash: &'a str,
    pub kind: CeremonyKind,
    pub user_id: Option<&'a str>,
    /// The client group that started a login (see `auth::passkeys::client_group`).
    pub client: Option<&'a str>,
    pub name: Option<&'a str>,
    pub state: &'a str,
    pub expires_at: i64,
}

/// Deletes every row that expired at or before `now`.
pub fn sweep_expired(conn: &Connection, now: i64) -> AppResult<()> {
    conn.prepare_cached("DELETE FROM webauthn_ceremonies WHERE expires_at <= ?1")?
        .execute([now])?;
    Ok(())
}

/// Whose ceremonies in progress to count.
pub enum Pending<'a> {
    /// Every login ceremony.
    Logins,
    /// The login ceremonies one client group started.
    LoginsFrom(&'a str),
}

/// How many ceremonies of `which` are in progress.
pub fn pending(conn: &Connection, which: Pending<'_>) -> AppResult<i64> {
    let login = CeremonyKind::Login.as_str();
    Ok(match which {
        Pending::Logins => conn
            .prepare_cached("SELECT count(*) FROM webauthn_ceremonies WHERE kind = ?1")?
            .query_row([login], |r| r.get(0))?,
        Pending::LoginsFrom(client) => conn
            .prepare_cached(
                "SELECT count(*) FROM webauthn_ceremonies WHERE client = ?1 AND kind = ?2",
            )?
            .query_row([client, login], |r| r.get(0))?,
    })
}

/// Keeps only the `keep` newest registrations a user has in progress: opening
/// the passkey dialog again and again replaces older attempts instead of
/// piling them up.
pub fn trim_registrations(conn: &Connection, user_id: &str, keep: i64) -> AppResult<()> {
    conn.prepare_cached(
        "DELETE FROM webauthn_ceremonies WHERE kind = ?2 AND user_id = ?1 AND token_hash NOT IN
            (SELECT token_hash FROM webauthn_ceremonies WHERE kind = ?2 AND user_id = ?1
             ORDER BY expires_at DESC LIMIT ?3)",
    )?
    .execute(params![user_id, CeremonyKind::Register.as_str(), keep])?;
    Ok(())
}

pub fn insert(conn: &Connection, new: &NewCeremony<'_>) -> AppResult<()> {
    conn.prepare_cached(
        "INSERT INTO webauthn_ceremonies (token_hash, kind, user_id, name, state, expires_at, client)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        new.token_hash,
        new.kind.as_str(),
        new.user_id,
        new.name,
        new.state,
        new.expires_at,
        new.client
    ])?;
    Ok(())
}

/// Deletes and returns the row of this token hash and kind (and, when given,
/// user): a token of another kind or user does not match and is left alone.
pub fn take(
    conn: &Connection,
    token_hash: &str,
    kind: CeremonyKind,
    user_id: Option<&str>,
) -> AppResult<Option<CeremonyRow>> {
    Ok(conn
        .prepare_cached(
            "DELETE FROM webauthn_ceremonies
             WHERE token_hash = ?1 AND kind = ?2 AND (?3 IS NULL OR user_id = ?3)
             RETURNING user_id, name, state, expires_at",
        )?
        .query_row(params![token_hash, kind.as_str(), user_id], |r| {
            Ok(CeremonyRow {
                user_id: r.get(0)?,
                name: r.get(1)?,
                state: r.get(2)?,
                expires_at: r.get(3)?,
            })
        })
        .optional()?)
}

/// Ends every ceremony a user started (a registration begun before passkeys
/// were disabled must not finish after it).
pub fn delete_for_user(conn: &Connection, user_id: &str) -> AppResult<()> {
    conn.prepare_cached("DELETE FROM webauthn_ceremonies WHERE user_id = ?1")?
        .execute([user_id])?;
    Ok(())
}
