//! Schema set-up and migrations, tracked with `PRAGMA user_version`.
//!
//! - A new database gets `schema.sql` in one transaction.
//! - A database from the original Go program (user_version 0 with its tables) is
//!   rebuilt into the current schema in one transaction: its tables are renamed to
//!   `legacy_*`, the schema is created, rows are copied (duplicate stock and
//!   allocation rows merged by summing), the legacy tables dropped. Data that breaks
//!   a rule we cannot repair (negative quantities, over-allocation, names that clash
//!   case-insensitively, dangling references) stops the upgrade with a list of the
//!   offending rows and leaves the file untouched.
//! - Later schema changes are appended to `MIGRATIONS`, each in its own transaction,
//!   with foreign keys off so a migration may rebuild a table (SQLite's
//!   procedure); each is checked for dangling references before it commits.

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};

pub const SCHEMA: &str = include_str!("../../schema.sql");

/// Numbered migrations after the base schema: `MIGRATIONS[i]` moves the database
/// from version `i + 1` to `i + 2`.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0002_item_counts.sql"),
    include_str!("migrations/0003_item_search.sql"),
    include_str!("migrations/0004_refresh_reuse_window.sql"),
    include_str!("migrations/0005_archive.sql"),
    include_str!("migrations/0006_ceremony_clients.sql"),
    include_str!("migrations/0007_natural_names.sql"),
    include_str!("migrations/0008_tags_fields_codes.sql"),
    include_str!("migrations/0009_nested_locations.sql"),
    include_str!("migrations/0010_roles.sql"),
    include_str!("migrations/0011_item_media.sql"),
    include_str!("migrations/0012_placed_item_keys.sql"),
    include_str!("migrations/0013_sessions_devices.sql"),
    include_str!("migrations/0014_security_events.sql"),
    include_str!("migrations/0015_rate_limits.sql"),
    include_str!("migrations/0016_stock_alerts.sql"),
    include_str!("migrations/0017_movement_undo.sql"),
    include_str!("migrations/0018_stocktakes.sql"),
    include_str!("migrations/0019_consume_undo.sql"),
    include_str!("migrations/0020_security_notices.sql"),
    include_str!("migrations/0021_location_totals.sql"),
    include_str!("migrations/0022_door_rules.sql"),
    include_str!("migrations/0023_credentials.sql"),
    include_str!("migrations/0024_notices.sql"),
    include_str!("migrations/0025_name_skeletons.sql"),
    include_str!("migrations/0026_sso.sql"),
    include_str!("migrations/0027_alert_counts.sql"),
];

/// The version a database has once fully migrated.
pub const LATEST: i64 = 1 + MIGRATIONS.len() as i64;

/// Tables of the original program that we know how to carry over.
const ORIGINAL_TABLES: &[&str] = &[
    "users",
    "refresh_tokens",
    "two_factor_recovery_codes",
    "items",
    "locations",
    "projects",
    "stock",
    "project_items",
];

pub fn migrate(conn: &mut Connection) -> Result<(), String> {
    migrate_to(conn, LATEST)
}

/// Brings the database up to schema version `target` (at most [`LATEST`]);
/// [`migrate`] is this with the latest. Upgrade tests build files of older
/// versions with it.
pub fn migrate_to(conn: &mut Connection, target: i64) -> Result<(), String> {
    let target = target.min(LATEST);
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| format!("cannot read schema version: {e}"))?;
    if version > LATEST {
        return Err(format!(
            "the database has schema version {version}, newer than this MiauInv ({LATEST}); upgrade MiauInv"
        ));
    }
    if version == 0 {
        if is_original(conn).map_err(|e| e.to_string())? {
            upgrade_original(conn)?;
            conn.pragma_update(None, "journal_mode", "WAL")
                .map_err(|e| format!("cannot switch the upgraded database to WAL: {e}"))?;
            eprintln!("upgraded a database of the original MiauInv to schema version 1");
        } else {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Exclusive)
                .map_err(|e| e.to_string())?;
            tx.execute_batch(SCHEMA)
                .map_err(|e| format!("cannot create schema: {e}"))?;
            tx.pragma_update(None, "user_version", 1)
                .map_err(|e| e.to_string())?;
            tx.commit().map_err(|e| e.to_string())?;
        }
    }
    let mut version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| e.to_string())?;
    if version >= target {
        return Ok(());
    }
    // A table rebuild (create, copy, drop, rename) needs foreign keys off: with
    // them on, dropping the old table fails for the rows pointing at it. The
    // pragma does nothing inside a transaction, so it is set around them.
    conn.pragma_update(None, "foreign_keys", "OFF")
        .map_err(|e| e.to_string())?;
    let result = (|| {
        while version < target {
            run_migration(conn, version)?;
            version += 1;
        }
        Ok(())
    })();
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(|e| e.to_string())?;
    result
}

/// Moves the database from `version` to the next, in one transaction that
/// commits only without dangling references.
fn run_migration(conn: &mut Connection, version: i64) -> Result<(), String> {
    let sql = MIGRATIONS[(version - 1) as usize];
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Exclusive)
        .map_err(|e| e.to_string())?;
    tx.execute_batch(sql)
        .map_err(|e| format!("migration to version {} failed: {e}", version + 1))?;
    let dangling: i64 = tx
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .map_err(|e| e.to_string())?;
    if dangling > 0 {
        return Err(format!(
            "migration to version {} would leave {dangling} dangling references; nothing was changed",
            version + 1
        ));
    }
    tx.pragma_update(None, "user_version", version + 1)
        .map_err(|e| e.to_string())?;
    tx.commit().map_err(|e| e.to_string())
}

/// Whether `conn` holds a database of the original program that has not been
/// upgraded yet: no schema version, but the original's tables.
pub fn is_original(conn: &Connection) -> rusqlite::Result<bool> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version != 0 {
        return Ok(false);
    }
    conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('users', 'items')",
        [],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
}

fn table_exists(conn: &Connection, name: &str) -> Result<bool, String> {
    conn.query_row(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [name],
        |_| Ok(()),
    )
    .optional()
    .map(|r| r.is_some())
    .map_err(|e| e.to_string())
}

fn columns(tx: &Transaction<'_>, table: &str) -> Result<Vec<String>, String> {
    let mut stmt = tx
        .prepare(&format!("PRAGMA table_info(\"{table}\")"))
        .map_err(|e| e.to_string())?;
    let cols = stmt
        .query_map([], |r| r.get::<_, String>(1))
        .map_err(|e| e.to_string())?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    Ok(cols)
}

/// `column` if the legacy table has it, else `fallback` (an SQL literal).
fn col_or(cols: &[String], column: &str, fallback: &str) -> String {
    if cols.iter().any(|c| c == column) {
        column.to_string()
    } else {
        format!("{fallback} AS {column}")
    }
}

fn upgrade_original(conn: &mut Connection) -> Result<(), String> {
    // Table rebuilds need foreign keys off; they are checked explicitly before commit.
    conn.pragma_update(None, "foreign_keys", "OFF")
        .map_err(|e| e.to_string())?;
    let result = (|| {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Exclusive)
            .map_err(|e| e.to_string())?;
        rebuild(&tx)?;
        tx.pragma_update(None, "user_version", 1)
            .map_err(|e| e.to_string())?;
        tx.commit().map_err(|e| e.to_string())
    })();
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(|e| e.to_string())?;
    result
}

fn rebuild(tx: &Transaction<'_>) -> Result<(), String> {
    let sql = |tx: &Transaction<'_>, s: &str| tx.execute_batch(s).map_err(|e| format!("{e}: {s}"));

    // Every table the schema is about to create moves aside first; tables we do not
    // know (e.g. an old passkey table) are kept as legacy_<name> so no row is lost.
    let mut present = Vec::new();
    let mut kept = Vec::new();
    for name in schema_tables() {
        if table_exists(tx, &name)? {
            sql(
                tx,
                &format!("ALTER TABLE \"{name}\" RENAME TO \"legacy_{name}\""),
            )?;
            if ORIGINAL_TABLES.contains(&name.as_str()) {
                present.push(name);
            } else {
                kept.push(name);
            }
        }
    }
    // Indexes of the old tables would clash with ours by name.
    let old_indexes: Vec<String> = {
        let mut stmt = tx
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name LIKE 'legacy_%'")
            .map_err(|e| e.to_string())?;
        stmt.query_map([], |r| r.get(0))
            .map_err(|e| e.to_string())?
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?
    };
    for idx in old_indexes {
        sql(tx, &format!("DROP INDEX \"{idx}\""))?;
    }

    check_original(tx, &present)?;
    sql(tx, SCHEMA)?;

    let has = |t: &str| present.iter().any(|p| p == t);
    if has("users") {
        let c = columns(tx, "legacy_users")?;
        sql(tx, &format!(
            "INSERT INTO users (id, username, password, role, two_factor_enabled, two_factor_secret)
             SELECT id, username, password, COALESCE(role, 'user'), COALESCE({}, 0), COALESCE({}, '')
             FROM (SELECT id, username, password, role, {}, {} FROM legacy_users)",
            "two_factor_enabled", "two_factor_secret",
            col_or(&c, "two_factor_enabled", "0"),
            col_or(&c, "two_factor_secret", "''"),
        ))?;
    }
    if has("refresh_tokens") {
        let c = columns(tx, "legacy_refresh_tokens")?;
        sql(tx, &format!(
            "INSERT INTO refresh_tokens (id, user_id, token_hash, expires_at, created_at, revoked, device_info)
             SELECT id, user_id, token_hash, expires_at, created_at, COALESCE(revoked, 0), {}
             FROM legacy_refresh_tokens WHERE user_id IN (SELECT id FROM users)",
            col_or(&c, "device_info", "NULL"),
        ))?;
    }
    if has("two_factor_recovery_codes") {
        sql(tx, "INSERT OR IGNORE INTO two_factor_recovery_codes (id, user_id, code_hash, created_at, used_at)
                 SELECT id, user_id, code_hash, created_at, used_at FROM legacy_two_factor_recovery_codes
                 WHERE user_id IN (SELECT id FROM users)")?;
    }
    if has("items") {
        sql(tx, "INSERT INTO items (id, name, category, description, total_quantity)
                 SELECT id, name, category, description, COALESCE(total_quantity, 0) FROM legacy_items")?;
    }
    if has("locations") {
        sql(
            tx,
            "INSERT INTO locations (id, name) SELECT id, name FROM legacy_locations",
        )?;
    }
    if has("projects") {
        sql(
            tx,
            "INSERT INTO projects (id, name, description) SELECT id, name, description FROM legacy_projects",
        )?;
    }
    // Duplicates are merged into the lowest id by summing their quantities.
    if has("stock") {
        sql(
            tx,
            "INSERT INTO stock (id, item_id, location_id, quantity)
                 SELECT MIN(id), item_id, location_id, SUM(quantity) FROM legacy_stock
                 GROUP BY item_id, location_id",
        )?;
    }
    if has("project_items") {
        sql(
            tx,
            "INSERT INTO project_items (id, item_id, project_id, quantity)
                 SELECT MIN(id), item_id, project_id, SUM(quantity) FROM legacy_project_items
                 GROUP BY item_id, project_id",
        )?;
    }
    // Ids of merged-away rows are never handed out again: each AUTOINCREMENT
    // counter continues from the original's (or its highest id, if higher).
    for name in ["items", "locations", "projects", "stock", "project_items"] {
        if has(name) {
            sql(
                tx,
                &format!(
                    "DELETE FROM sqlite_sequence WHERE name = '{name}';
                     INSERT INTO sqlite_sequence (name, seq) VALUES ('{name}', max(
                         COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'legacy_{name}'), 0),
                         COALESCE((SELECT MAX(id) FROM legacy_{name}), 0),
                         COALESCE((SELECT MAX(id) FROM {name}), 0)));"
                ),
            )?;
        }
    }
    for name in &present {
        sql(tx, &format!("DROP TABLE \"legacy_{name}\""))?;
    }
    for name in &kept {
        eprintln!("upgrade: kept the original table '{name}' as 'legacy_{name}'");
    }
    let dangling: i64 = tx
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .map_err(|e| e.to_string())?;
    if dangling > 0 {
        return Err(format!(
            "upgrade left {dangling} dangling references; database left untouched"
        ));
    }
    Ok(())
}

/// Names of the tables `schema.sql` creates.
fn schema_tables() -> Vec<String> {
    SCHEMA
        .lines()
        .filter_map(|l| l.trim().strip_prefix("CREATE TABLE "))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// Finds rows of the original database that break a rule the new schema enforces
/// and that cannot be repaired automatically. Returns them all at once.
fn check_original(tx: &Transaction<'_>, present: &[String]) -> Result<(), String> {
    let has = |t: &str| present.iter().any(|p| p == t);
    let mut problems = Vec::new();
    let mut collect = |query: &str,
                       describe: &dyn Fn(&rusqlite::Row<'_>) -> rusqlite::Result<String>|
     -> Result<(), String> {
        let mut stmt = tx.prepare(query).map_err(|e| format!("{e}: {query}"))?;
        let rows = stmt
            .query_map([], |r| describe(r))
            .map_err(|e| e.to_string())?;
        for row in rows {
            problems.push(row.map_err(|e| e.to_string())?);
        }
        Ok(())
    };
    if has("items") {
        collect(
            "SELECT id, total_quantity FROM legacy_items WHERE typeof(total_quantity) NOT IN ('integer', 'null') OR total_quantity < 0",
            &|r| {
                Ok(format!(
                    "items id {}: total_quantity {} is negative or not a whole number",
                    r.get::<_, i64>(0)?,
                    value_text(r, 1)
                ))
            },
        )?;
    }
    for (table, label) in [("stock", "stock"), ("project_items", "project_items")] {
        if has(table) {
            collect(
                &format!(
                    "SELECT id, quantity FROM legacy_{table} WHERE typeof(quantity) <> 'integer' OR quantity < 0"
                ),
                &|r| {
                    Ok(format!(
                        "{label} id {}: quantity {} is negative or not a whole number",
                        r.get::<_, i64>(0)?,
                        value_text(r, 1)
                    ))
                },
            )?;
        }
    }
    for table in ["locations", "projects"] {
        if has(table) {
            collect(
                &format!(
                    "SELECT group_concat(id, ', '), lower(name) FROM legacy_{table} GROUP BY lower(name) HAVING count(*) > 1"
                ),
                &|r| {
                    Ok(format!(
                        "{table} ids {}: names differ only in case ('{}')",
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?
                    ))
                },
            )?;
        }
    }
    if has("items") {
        for (table, what) in [("stock", "stocked"), ("project_items", "allocated")] {
            if has(table) {
                collect(
                    &format!("SELECT i.id, i.total_quantity, SUM(t.quantity) FROM legacy_items i JOIN legacy_{table} t ON t.item_id = i.id
                              GROUP BY i.id HAVING SUM(t.quantity) > COALESCE(i.total_quantity, 0)"),
                    &|r| Ok(format!("items id {}: {} units {what} but total_quantity is {}", r.get::<_, i64>(0)?, r.get::<_, i64>(2)?, value_text(r, 1))),
                )?;
            }
        }
    }
    let refs = [
        ("stock", "item_id", "items"),
        ("stock", "location_id", "locations"),
        ("project_items", "item_id", "items"),
        ("project_items", "project_id", "projects"),
    ];
    for (table, column, target) in refs {
        if has(table) {
            let target_table = if has(target) {
                format!("legacy_{target}")
            } else {
                target.to_string()
            };
            collect(
                &format!(
                    "SELECT id, {column} FROM legacy_{table} WHERE {column} NOT IN (SELECT id FROM {target_table})"
                ),
                &|r| {
                    Ok(format!(
                        "{table} id {}: {column} {} does not exist",
                        r.get::<_, i64>(0)?,
                        value_text(r, 1)
                    ))
                },
            )?;
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the database cannot be upgraded without losing or inventing data; fix these rows and start again (nothing was changed):\n  - {}",
            problems.join("\n  - ")
        ))
    }
}

fn value_text(r: &rusqlite::Row<'_>, i: usize) -> String {
    match r.get_ref(i) {
        Ok(v) => match v {
            rusqlite::types::ValueRef::Null => "NULL".into(),
            rusqlite::types::ValueRef::Integer(n) => n.to_string(),
            rusqlite::types::ValueRef::Real(f) => f.to_string(),
            rusqlite::types::ValueRef::Text(t) => format!("'{}'", String::from_utf8_lossy(t)),
            rusqlite::types::ValueRef::Blob(_) => "<blob>".into(),
        },
        Err(_) => "?".into(),
    }
}
