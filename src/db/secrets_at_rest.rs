//! Secrets at rest (issue 21), run at start-up right after the migrations:
//! TOTP secrets still stored in clear are sealed under the server's key
//! (`crypto::SecretKey`), and recovery-code hashes made with bare SHA-256 are
//! keyed in place (HMAC over the stored SHA-256 hex, which is how codes are
//! checked from now on, so old codes keep working). SQL alone cannot encrypt,
//! so this is Rust rather than a numbered migration. Idempotent: sealed values
//! and keyed hashes carry a prefix and are left alone. One transaction: all or
//! nothing.

use crate::crypto::{KEYED_PREFIX, SEALED_PREFIX, SecretKey};
use rusqlite::{Connection, TransactionBehavior, params};

/// Seals every plain TOTP secret and keys every bare recovery-code hash.
pub fn seal_existing(conn: &mut Connection, key: &SecretKey) -> Result<(), String> {
    let fail = |e: rusqlite::Error| format!("cannot encrypt the stored secrets: {e}");
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(fail)?;
    let plain: Vec<(String, String)> = {
        let mut stmt = tx
            .prepare(
                "SELECT id, two_factor_secret FROM users
                 WHERE two_factor_secret <> '' AND substr(two_factor_secret, 1, 5) <> ?1",
            )
            .map_err(fail)?;
        let rows = stmt
            .query_map([SEALED_PREFIX], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(fail)?;
        rows.collect::<Result<_, _>>().map_err(fail)?
    };
    for (id, secret) in &plain {
        tx.execute(
            "UPDATE users SET two_factor_secret = ?2 WHERE id = ?1",
            params![id, key.seal(secret, id)],
        )
        .map_err(fail)?;
    }
    let bare: Vec<(String, String)> = {
        let mut stmt = tx
            .prepare(
                "SELECT id, code_hash FROM two_factor_recovery_codes
                 WHERE substr(code_hash, 1, 3) <> ?1",
            )
            .map_err(fail)?;
        let rows = stmt
            .query_map([KEYED_PREFIX], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(fail)?;
        rows.collect::<Result<_, _>>().map_err(fail)?
    };
    for (id, hash) in &bare {
        tx.execute(
            "UPDATE two_factor_recovery_codes SET code_hash = ?2 WHERE id = ?1",
            params![id, key.keyed_hash(hash)],
        )
        .map_err(fail)?;
    }
    tx.commit().map_err(fail)?;
    if !plain.is_empty() || !bare.is_empty() {
        eprintln!(
            "encrypted {} TOTP secret(s) and keyed {} recovery code hash(es) under the secret key",
            plain.len(),
            bare.len()
        );
    }
    Ok(())
}
