//! Names that look alike: the UTS #39 confusable skeleton of a name (what it
//! looks like, so "Kitchen" and "Kitсhen" with a Cyrillic с have the same
//! one), registered as the SQL function `skeleton` on every connection. Each
//! named table keeps a `name_skeleton` column (migration 0025), set by the
//! same triggers that keep `name_key`, and indexed, so a create or rename can
//! tell in one index seek whether another row looks the same.

use crate::error::AppResult;
use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, OptionalExtension, params};

/// What a name looks like: its UTS #39 skeleton, of the lowercased name (case
/// differences are already one name to MiauInv).
pub fn skeleton(name: &str) -> String {
    unicode_security::skeleton(&name.to_lowercase()).collect()
}

/// Makes `skeleton(text)` callable from SQL on this connection.
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "skeleton",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let name: Option<String> = ctx.get(0)?;
            Ok(name.map(|n| skeleton(&n)))
        },
    )
}

/// The rows a look-alike is searched among.
pub enum Among {
    Items,
    Projects,
    /// The locations beside it: inside the same parent (or at top level).
    LocationsIn(Option<i64>),
}

/// Another row in use whose name looks like `name` without being it (names
/// equal but for case are the same name), if there is one.
pub fn look_alike(conn: &Connection, among: Among, name: &str, id: i64) -> AppResult<Option<i64>> {
    let (table, parent) = match among {
        Among::Items => ("items", None),
        Among::Projects => ("projects", None),
        Among::LocationsIn(parent) => ("locations", Some(parent.unwrap_or(0))),
    };
    let siblings = match parent {
        Some(_) => "AND coalesce(parent_id, 0) = ?3",
        None => "AND ?3 IS NULL",
    };
    Ok(conn
        .prepare_cached(&format!(
            "SELECT id FROM {table}
              WHERE name_skeleton = skeleton(?1) AND lower(name) <> lower(?1)
                AND id <> ?2 AND archived_at IS NULL {siblings}
              ORDER BY id LIMIT 1"
        ))?
        .query_row(params![name, id, parent], |r| r.get(0))
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::skeleton;

    #[test]
    fn look_alikes_share_a_skeleton_and_other_names_do_not() {
        assert_eq!(skeleton("Kitchen"), skeleton("Kit\u{0441}hen"));
        assert_eq!(skeleton("paypal"), skeleton("\u{0440}ay\u{0440}al"));
        assert_ne!(skeleton("Kitchen"), skeleton("Kitten"));
        assert_eq!(skeleton("Garage"), skeleton("GARAGE"));
    }
}
