//! Secrets at rest (issues 21 and 28), run at start-up right after the
//! migrations: TOTP secrets and notification channel secrets (SMTP
//! passwords, webhook signing secrets, ntfy tokens) still stored in clear are
//! sealed under the server's key (`crypto::SecretKey`), and recovery-code
//! hashes made with bare SHA-256 are keyed in place (HMAC over the stored
//! SHA-256 hex, which is how codes are checked from now on, so old codes keep
//! working). SQL alone cannot encrypt, so this is Rust rather than a numbered
//! migration. Idempotent: sealed values and keyed hashes carry a prefix and
//! are left alone. One transaction: all or nothing.
//!
//! A value overwritten in place can survive in the file's free space and in
//! the write-ahead log: the conversion runs with `secure_delete` (freed
//! space is zeroed), and when it changed anything the file is rebuilt
//! (`VACUUM`, which also drops what older versions left in free pages) and
//! the log is checkpointed and emptied, so no copy of the file holds the old
//! values in clear. That happens once, on the start that converts.

use crate::crypto::{KEYED_PREFIX, SEALED_PREFIX, SecretKey};
use rusqlite::{Connection, TransactionBehavior, params};

/// Seals every plain TOTP and channel secret and keys every bare
/// recovery-code hash.
pub fn seal_existing(conn: &mut Connection, key: &SecretKey) -> Result<(), String> {
    let fail = |e: rusqlite::Error| format!("cannot encrypt the stored secrets: {e}");
    conn.pragma_update(None, "secure_delete", "ON")
        .map_err(fail)?;
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
    let channels = seal_channel_secrets(&tx, key).map_err(fail)?;
    tx.commit().map_err(fail)?;
    if !plain.is_empty() || !bare.is_empty() || channels > 0 {
        // Once, on the start that converted: no free page and no frame of
        // the log keeps a value that was in clear.
        conn.execute_batch("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")
            .map_err(|e| format!("cannot clear the old copies of the stored secrets: {e}"))?;
        eprintln!(
            "encrypted {} TOTP secret(s) and {channels} notification channel secret(s) and keyed {} recovery code hash(es) under the secret key",
            plain.len(),
            bare.len()
        );
    }
    conn.pragma_update(None, "secure_delete", "OFF")
        .map_err(fail)?;
    Ok(())
}

/// Seals the notification channels' secrets still in clear (an empty one is
/// none); answers how many were sealed.
fn seal_channel_secrets(tx: &Connection, key: &SecretKey) -> rusqlite::Result<usize> {
    let plain: Vec<(i64, String)> = tx
        .prepare(
            "SELECT id, secret FROM notification_channels
              WHERE secret IS NOT NULL AND substr(secret, 1, 5) <> ?1",
        )?
        .query_map([SEALED_PREFIX], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (id, secret) in &plain {
        let sealed = (!secret.is_empty())
            .then(|| key.seal(secret, &crate::db::notifications::secret_binding(*id)));
        tx.execute(
            "UPDATE notification_channels SET secret = ?2 WHERE id = ?1",
            params![id, sealed],
        )?;
    }
    Ok(plain.iter().filter(|(_, s)| !s.is_empty()).count())
}
