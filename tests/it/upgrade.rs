//! A database written by the original Go program (its documented schema, with
//! its data and bcrypt hashes) opens, migrates in place and keeps every row and
//! every password working.

use crate::common;
use common::{Client, TestServer};
use serde_json::json;

/// The original program's schema, as documented (no CHECK/UNIQUE beyond the doc),
/// in the state of an older release that lacked the 2FA columns and device_info.
const ORIGINAL_SCHEMA: &str = "
CREATE TABLE users (id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, password TEXT NOT NULL, role TEXT NOT NULL);
CREATE TABLE refresh_tokens (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, token_hash TEXT NOT NULL,
    expires_at INTEGER NOT NULL, created_at INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0,
    FOREIGN KEY(user_id) REFERENCES users(id));
CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, category TEXT, description TEXT,
    total_quantity INTEGER NOT NULL DEFAULT 0);
CREATE TABLE locations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE);
CREATE TABLE projects (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, description TEXT);
CREATE TABLE stock (id INTEGER PRIMARY KEY AUTOINCREMENT, item_id INTEGER NOT NULL, location_id INTEGER NOT NULL,
    quantity INTEGER NOT NULL, FOREIGN KEY(item_id) REFERENCES items(id), FOREIGN KEY(location_id) REFERENCES locations(id));
CREATE TABLE project_items (id INTEGER PRIMARY KEY AUTOINCREMENT, item_id INTEGER NOT NULL, project_id INTEGER NOT NULL,
    quantity INTEGER NOT NULL, FOREIGN KEY(item_id) REFERENCES items(id), FOREIGN KEY(project_id) REFERENCES projects(id));
";

/// The newer original release: 2FA columns, device_info and recovery codes.
const ORIGINAL_2FA_ADDITIONS: &str = "
ALTER TABLE users ADD COLUMN two_factor_enabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN two_factor_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE refresh_tokens ADD COLUMN device_info TEXT;
CREATE TABLE two_factor_recovery_codes (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, code_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL, used_at INTEGER, UNIQUE(user_id, code_hash),
    FOREIGN KEY(user_id) REFERENCES users(id) ON DELETE CASCADE);
";

fn original_database(dir: &std::path::Path, with_2fa: bool) -> std::path::PathBuf {
    let path = dir.join("database.db");
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute_batch(ORIGINAL_SCHEMA).unwrap();
    if with_2fa {
        db.execute_batch(ORIGINAL_2FA_ADDITIONS).unwrap();
    }
    // Real bcrypt hashes as the Go program wrote them (cost 10, $2a$ prefix).
    let hash = bcrypt::hash_with_result("original password", 10)
        .unwrap()
        .format_for_version(bcrypt::Version::TwoA);
    db.execute(
        "INSERT INTO users (id, username, password, role) VALUES ('7b1f0c5e-0000-4000-8000-000000000001', 'admin', ?1, 'admin')",
        [&hash],
    )
    .unwrap();
    db.execute(
        "INSERT INTO users (id, username, password, role) VALUES ('7b1f0c5e-0000-4000-8000-000000000002', 'worker', ?1, 'user')",
        [&hash],
    )
    .unwrap();
    db.execute_batch(
        "INSERT INTO refresh_tokens (id, user_id, token_hash, expires_at, created_at, revoked)
            VALUES ('r1', '7b1f0c5e-0000-4000-8000-000000000001', 'abc', 4102444800, 1700000000, 0);
         INSERT INTO items (id, name, category, description, total_quantity) VALUES
            (1, 'Resistor 10k', 'Electronics', '1/4 W', 100), (5, 'M3 screw', 'Hardware', NULL, 40);
         INSERT INTO locations (id, name) VALUES (1, 'Shelf A'), (2, 'Drawer 3');
         INSERT INTO projects (id, name, description) VALUES (1, 'Robot arm', 'v2');
         INSERT INTO stock (item_id, location_id, quantity) VALUES (1, 1, 60), (5, 2, 40);
         INSERT INTO project_items (item_id, project_id, quantity) VALUES (1, 1, 20);",
    )
    .unwrap();
    path
}

fn serve_on(dir: tempfile::TempDir) -> TestServer {
    let cfg = dir.path().join("config.yaml");
    std::fs::write(
        &cfg,
        format!(
            "port: 0\nbind_address: 127.0.0.1\ndatabase_path: {}\ntls: false\nbcrypt_cost: 4\nworkers: 4\n",
            dir.path().join("database.db").display()
        ),
    )
    .unwrap();
    TestServer::start_at(dir, cfg)
}

fn check_upgraded(s: &TestServer) {
    let c = s.client();
    // Every password keeps working, roles are kept.
    let r = c.login("admin", "original password");
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["user"]["role"], "admin");
    assert_eq!(
        r.json()["user"]["id"],
        "7b1f0c5e-0000-4000-8000-000000000001"
    );
    let w = Client::new(&s.base).login("worker", "original password");
    assert_eq!(w.status, 200);
    // The original program's "user" could write: it is an editor now.
    assert_eq!(w.json()["user"]["role"], "editor");
    // Every row is still there, with its id.
    let db = rusqlite::Connection::open(s.db_path()).unwrap();
    let count = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(count("SELECT count(*) FROM users"), 2);
    assert_eq!(
        count("SELECT count(*) FROM refresh_tokens WHERE id = 'r1'"),
        1
    );
    assert_eq!(count("SELECT count(*) FROM items"), 2);
    assert_eq!(count("SELECT total_quantity FROM items WHERE id = 5"), 40);
    assert_eq!(count("SELECT count(*) FROM locations"), 2);
    assert_eq!(count("SELECT count(*) FROM projects"), 1);
    assert_eq!(
        count("SELECT quantity FROM stock WHERE item_id = 1 AND location_id = 1"),
        60
    );
    assert_eq!(
        count("SELECT quantity FROM project_items WHERE item_id = 1"),
        20
    );
    assert_eq!(count("PRAGMA user_version"), miauinv::db::migrate::LATEST);
    assert_eq!(
        count("SELECT count(*) FROM sqlite_master WHERE name LIKE 'legacy_%'"),
        0
    );
    // The new columns exist with their defaults.
    assert_eq!(
        count("SELECT count(*) FROM users WHERE token_version = 0 AND two_factor_enabled = 0"),
        2
    );
    let _: Option<String> = db
        .query_row(
            "SELECT device_info FROM refresh_tokens WHERE id = 'r1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    // New rules now hold on the upgraded file.
    let err = db.execute("UPDATE stock SET quantity = -1 WHERE id = 1", []);
    assert!(
        err.is_err(),
        "CHECK constraint must exist after the upgrade"
    );
    // A password change on the upgraded account works and stores a new hash.
    let r = c.post(
        "/api/account/password",
        json!({"old_password": "original password", "new_password": "a brand new password"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
}

#[test]
fn original_database_without_2fa_columns_upgrades_in_place() {
    let dir = tempfile::tempdir().unwrap();
    original_database(dir.path(), false);
    let s = serve_on(dir);
    check_upgraded(&s);
}

#[test]
fn original_database_with_2fa_columns_upgrades_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = original_database(dir.path(), true);
    {
        let db = rusqlite::Connection::open(&path).unwrap();
        db.execute_batch(
            "UPDATE refresh_tokens SET device_info = 'Firefox' WHERE id = 'r1';
             INSERT INTO two_factor_recovery_codes (id, user_id, code_hash, created_at)
                VALUES ('c1', '7b1f0c5e-0000-4000-8000-000000000002', 'deadbeef', 1700000000);",
        )
        .unwrap();
    }
    let s = serve_on(dir);
    // Read before check_upgraded: its password change ends (deletes) the session rows.
    s.client().get("/healthz");
    let db = rusqlite::Connection::open(s.db_path()).unwrap();
    let device: String = db
        .query_row(
            "SELECT device_info FROM refresh_tokens WHERE id = 'r1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(device, "Firefox");
    let codes: i64 = db
        .query_row("SELECT count(*) FROM two_factor_recovery_codes", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(codes, 1);
    check_upgraded(&s);
}

#[test]
fn upgrading_twice_is_a_no_op() {
    let dir = tempfile::tempdir().unwrap();
    original_database(dir.path(), true);
    let mut s = serve_on(dir);
    s.stop();
    let dir = std::mem::replace(&mut s.dir, tempfile::tempdir().unwrap());
    drop(s);
    let s = serve_on(dir);
    check_upgraded(&s);
}

/// A database of this program at schema version 1 (before the kept item
/// counts) moves to the latest version in place: the counts are filled from
/// the rows and follow later writes.
#[test]
fn a_version_1_database_gets_the_kept_item_counts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("miauinv.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(miauinv::db::migrate::SCHEMA).unwrap();
        conn.execute_batch(
            "PRAGMA user_version = 1;
             INSERT INTO items (name, total_quantity) VALUES ('Bolt', 10), ('Nut', 10), ('Washer', 0);
             INSERT INTO locations (name) VALUES ('A'), ('B');
             INSERT INTO projects (name) VALUES ('P');
             INSERT INTO stock (item_id, location_id, quantity) VALUES (1, 1, 2), (1, 2, 0), (2, 1, 5);
             INSERT INTO project_items (item_id, project_id, quantity) VALUES (2, 1, 4);",
        )
        .unwrap();
    }
    let mut conn = miauinv::db::open(&path).unwrap();
    miauinv::db::migrate::migrate(&mut conn).unwrap();
    let counts = |conn: &rusqlite::Connection| -> Vec<(i64, i64, i64)> {
        conn.prepare("SELECT id, location_count, project_count FROM items ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(counts(&conn), [(1, 2, 0), (2, 1, 1), (3, 0, 0)]);
    // The search index covers the items that were there before it.
    let found: i64 = conn
        .query_row(
            "SELECT count(*) FROM items_search WHERE items_search MATCH '\"ASHE\"'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(found, 1);
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, miauinv::db::migrate::LATEST);
    conn.execute_batch(
        "DELETE FROM stock WHERE item_id = 1 AND location_id = 2;
         INSERT INTO project_items (item_id, project_id, quantity) VALUES (1, 1, 1);
         UPDATE stock SET item_id = 1, location_id = 2 WHERE item_id = 2;",
    )
    .unwrap();
    assert_eq!(counts(&conn), [(1, 2, 1), (2, 0, 1), (3, 0, 0)]);
}
