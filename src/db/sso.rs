//! The `sso_identities` and `sso_flows` tables (migration 0026): who an
//! identity at a provider is in MiauInv, and the sign-ins under way. A flow
//! is found by its state's hash and taken once: the row is deleted as it is
//! read, so a state (and with it the code it came back with) is never used
//! twice.

use crate::crypto::sha256_hex;
use crate::db::now;
use crate::error::AppResult;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

/// Seconds a sign-in may spend at the provider.
pub const FLOW_TTL: i64 = 600;

/// A sign-in under way, as stored (beside the hashes of its state and of
/// the browser's binding, which find and check it).
#[derive(Debug)]
pub struct Flow {
    pub provider: String,
    pub verifier: String,
    pub nonce: String,
    pub next: String,
    pub link_user_id: Option<String>,
}

/// Keeps a flow for `FLOW_TTL` seconds; expired flows go at the same time.
pub fn start_flow(conn: &Connection, state: &str, binding: &str, flow: &Flow) -> AppResult<()> {
    let now = now();
    conn.prepare_cached("DELETE FROM sso_flows WHERE expires_at <= ?1")?
        .execute([now])?;
    conn.prepare_cached(
        "INSERT INTO sso_flows (state_hash, binding_hash, provider, verifier, nonce, next, link_user_id, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        sha256_hex(state),
        sha256_hex(binding),
        flow.provider,
        flow.verifier,
        flow.nonce,
        flow.next,
        flow.link_user_id,
        now + FLOW_TTL
    ])?;
    Ok(())
}

/// Takes the flow of `state` out of the table, the one use it has, and
/// answers it when it is live and `binding` (the browser's cookie) is the
/// one it was bound to.
pub fn take_flow(conn: &Connection, state: &str, binding: &str) -> AppResult<Option<Flow>> {
    Ok(conn
        .prepare_cached(
            "DELETE FROM sso_flows WHERE state_hash = ?1
             RETURNING binding_hash, provider, verifier, nonce, next, link_user_id, expires_at",
        )?
        .query_row([sha256_hex(state)], |r| {
            Ok((
                r.get::<_, String>(0)?,
                Flow {
                    provider: r.get(1)?,
                    verifier: r.get(2)?,
                    nonce: r.get(3)?,
                    next: r.get(4)?,
                    link_user_id: r.get(5)?,
                },
                r.get::<_, i64>(6)?,
            ))
        })
        .optional()?
        .filter(|(bound, _, expires)| {
            *expires > now()
                && crate::crypto::constant_time_eq(sha256_hex(binding).as_bytes(), bound.as_bytes())
        })
        .map(|(_, flow, _)| flow))
}

/// The account an identity belongs to.
pub fn owner(conn: &Connection, issuer: &str, subject: &str) -> AppResult<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT user_id FROM sso_identities WHERE issuer = ?1 AND subject = ?2")?
        .query_row([issuer, subject], |r| r.get(0))
        .optional()?)
}

/// Whether the account already has an identity at `issuer`.
pub fn has_issuer(conn: &Connection, user_id: &str, issuer: &str) -> AppResult<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM sso_identities WHERE user_id = ?1 AND issuer = ?2")?
        .query_row([user_id, issuer], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Links an identity to an account (the caller checked it is nobody's).
pub fn link(
    conn: &Connection,
    user_id: &str,
    provider: &str,
    issuer: &str,
    subject: &str,
    email: &str,
) -> AppResult<()> {
    conn.prepare_cached(
        "INSERT INTO sso_identities (issuer, subject, user_id, provider, email, created_at, last_login_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL)",
    )?
    .execute(params![issuer, subject, user_id, provider, email, now()])?;
    Ok(())
}

/// Notes a sign-in with the identity, and the email the provider gave.
pub fn touch(conn: &Connection, issuer: &str, subject: &str, email: &str) -> AppResult<()> {
    conn.prepare_cached(
        "UPDATE sso_identities SET last_login_at = ?3, email = ?4 WHERE issuer = ?1 AND subject = ?2",
    )?
    .execute(params![issuer, subject, now(), email])?;
    Ok(())
}

/// Removes the account's identity through `provider`; whether there was one.
pub fn unlink(conn: &Connection, user_id: &str, provider: &str) -> AppResult<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM sso_identities WHERE user_id = ?1 AND provider = ?2")?
        .execute([user_id, provider])?
        > 0)
}

/// One linked identity, as its owner sees it in Settings.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Linked {
    /// The config id of the provider it was linked through.
    pub provider: String,
    pub email: String,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
}

pub fn linked(conn: &Connection, user_id: &str) -> AppResult<Vec<Linked>> {
    let mut stmt = conn.prepare_cached(
        "SELECT provider, email, created_at, last_login_at FROM sso_identities
         WHERE user_id = ?1 ORDER BY provider",
    )?;
    let rows = stmt.query_map([user_id], |r| {
        Ok(Linked {
            provider: r.get(0)?,
            email: r.get(1)?,
            created_at: r.get(2)?,
            last_login_at: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The accounts whose confirmed notification email is `email` (any case).
pub fn by_confirmed_email(conn: &Connection, email: &str) -> AppResult<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM users WHERE notification_email = ?1 COLLATE NOCASE
         AND notification_email_confirmed_at IS NOT NULL",
    )?;
    let rows = stmt.query_map([email], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The ways into an account besides its identities at providers: a
/// password, passkeys; and how many identities it has.
pub struct WaysIn {
    pub password: bool,
    pub passkeys: i64,
    pub identities: i64,
}

pub fn ways_in(conn: &Connection, user_id: &str) -> AppResult<WaysIn> {
    Ok(conn
        .prepare_cached(
            "SELECT password <> '',
                    (SELECT count(*) FROM passkeys WHERE user_id = ?1),
                    (SELECT count(*) FROM sso_identities WHERE user_id = ?1)
             FROM users WHERE id = ?1",
        )?
        .query_row([user_id], |r| {
            Ok(WaysIn {
                password: r.get(0)?,
                passkeys: r.get(1)?,
                identities: r.get(2)?,
            })
        })?)
}

/// Marks a new session as signed in through `provider`.
pub fn mark_session(conn: &Connection, session_id: &str, provider: &str) -> AppResult<()> {
    conn.prepare_cached("UPDATE sessions SET sso_provider = ?2 WHERE id = ?1")?
        .execute([session_id, provider])?;
    Ok(())
}

/// The provider a session was signed in through.
pub fn session_provider(conn: &Connection, session_id: &str) -> AppResult<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT sso_provider FROM sessions WHERE id = ?1")?
        .query_row([session_id], |r| r.get(0))
        .optional()?
        .flatten())
}
