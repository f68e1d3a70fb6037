//! The `rate_limits` table: the mirror of the rate-limit slots that survive a
//! restart (`auth::ratelimit::persist`). One row per slot: the action, the
//! key's 128-bit digest (never the key itself), and when the slot is empty
//! again (Unix milliseconds). It is rewritten whole when the slots changed, so
//! it holds no more rows than the bounded in-memory tables.

use crate::error::AppResult;
use rusqlite::{Connection, params};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub action: String,
    pub digest: Vec<u8>,
    pub until_ms: i64,
}

/// The saved slots that have not run out yet.
pub fn load(conn: &Connection) -> AppResult<Vec<Slot>> {
    let now_ms = crate::db::now() * 1000;
    let mut stmt =
        conn.prepare("SELECT action, digest, until_ms FROM rate_limits WHERE until_ms > ?1")?;
    let rows = stmt.query_map([now_ms], |r| {
        Ok(Slot {
            action: r.get(0)?,
            digest: r.get(1)?,
            until_ms: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Replaces the saved slots with `slots` (inside the caller's transaction).
pub fn replace(conn: &Connection, slots: &[Slot]) -> AppResult<()> {
    conn.execute("DELETE FROM rate_limits", [])?;
    let mut insert = conn.prepare_cached(
        "INSERT OR REPLACE INTO rate_limits (action, digest, until_ms) VALUES (?1, ?2, ?3)",
    )?;
    for slot in slots {
        insert.execute(params![slot.action, slot.digest, slot.until_ms])?;
    }
    Ok(())
}
