//! Upgrading a database of the original Go MiauInv: built here from the schema
//! its documentation describes (no CHECK, no UNIQUE on stock or allocations),
//! with bcrypt-hashed users, duplicate stock and allocation rows. The upgrade
//! merges duplicates by summing and keeps everything else; data it cannot repair
//! stops it with a list of the offending rows and leaves the file untouched.

use crate::common;
use common::{PASSWORD, TestServer};
use miauinv::{app::App, config, server};
use rusqlite::Connection;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The original program's tables, as documented (storage.InitDB).
const ORIGINAL_SCHEMA: &str = "
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    password TEXT NOT NULL,
    role TEXT NOT NULL,
    two_factor_enabled INTEGER NOT NULL DEFAULT 0,
    two_factor_secret TEXT NOT NULL DEFAULT ''
);
CREATE TABLE refresh_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0,
    device_info TEXT
);
CREATE TABLE two_factor_recovery_codes (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE TABLE items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    category TEXT,
    description TEXT,
    total_quantity INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE locations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL
);
CREATE TABLE projects (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    description TEXT
);
CREATE TABLE stock (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id INTEGER NOT NULL REFERENCES items(id),
    location_id INTEGER NOT NULL REFERENCES locations(id),
    quantity INTEGER NOT NULL
);
CREATE TABLE project_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id INTEGER NOT NULL REFERENCES items(id),
    project_id INTEGER NOT NULL REFERENCES projects(id),
    quantity INTEGER NOT NULL
);
";

const ALICE: &str = "11111111-1111-4111-8111-111111111111";
const BOB: &str = "22222222-2222-4222-8222-222222222222";

/// Writes an original database at `path` with two users, sessions, recovery
/// codes, items, locations, projects and duplicate stock/allocation rows.
fn original_database(path: &Path) {
    let hash = bcrypt::hash(PASSWORD, 4).unwrap();
    let db = Connection::open(path).unwrap();
    db.execute_batch(ORIGINAL_SCHEMA).unwrap();
    db.execute(
        "INSERT INTO users VALUES (?1, 'alice', ?2, 'admin', 0, ''), (?3, 'bob', ?2, 'user', 1, 'JBSWY3DPEHPK3PXP')",
        rusqlite::params![ALICE, hash, BOB],
    )
    .unwrap();
    db.execute_batch(&format!(
        "INSERT INTO refresh_tokens VALUES ('rt-1', '{ALICE}', 'abc123', 4102444800, 1700000000, 0, 'Firefox');
         INSERT INTO two_factor_recovery_codes VALUES ('rc-1', '{BOB}', 'h1', 1700000000, NULL),
                                                      ('rc-2', '{BOB}', 'h2', 1700000000, 1700000500);
         INSERT INTO items VALUES (1, 'Resistor', 'Passives', '10k 0603', 100),
                                  (2, 'Cable', NULL, NULL, 10),
                                  (3, 'Orphan', 'Misc', '', 0);
         INSERT INTO locations VALUES (1, 'Shelf A'), (2, 'Shelf B'), (3, 'Empty box');
         INSERT INTO projects VALUES (1, 'Robot', 'Line follower'), (2, 'Drone', NULL);
         INSERT INTO stock VALUES (1, 1, 1, 10), (2, 1, 1, 15), (3, 1, 2, 5), (4, 2, 1, 4), (5, 2, 1, 0), (6, 1, 1, 2);
         INSERT INTO project_items VALUES (1, 1, 1, 20), (2, 1, 1, 30), (3, 2, 2, 6), (4, 2, 2, 4);"
    ))
    .unwrap();
}

fn config_for(dir: &Path, db: &Path) -> PathBuf {
    let cfg = dir.join("config.yaml");
    std::fs::write(
        &cfg,
        format!(
            "port: 0\nbind_address: 127.0.0.1\ndatabase_path: {}\ntls: false\nbcrypt_cost: 4\nworkers: 4\n",
            db.display()
        ),
    )
    .unwrap();
    cfg
}

fn app_for(cfg: &Path) -> Arc<App> {
    let no_env = |_: &str| None;
    let cfg = config::load(cfg, &no_env).expect("config loads");
    Arc::new(App::new(cfg, "test-secret-that-is-at-least-32-characters").unwrap())
}

#[test]
fn an_original_database_is_upgraded_merging_duplicates_and_keeping_everything_else() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("database.db");
    original_database(&db_path);
    let cfg = config_for(dir.path(), &db_path);
    let s = TestServer::start_at(dir, cfg);

    // The bcrypt hashes carried over: the old passwords still work.
    let alice = s.client();
    let r = alice.login("alice", PASSWORD);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["user"]["role"], "admin");
    assert_eq!(r.json()["user"]["id"], ALICE);
    let bob = s.client();
    let r = bob.login("bob", PASSWORD);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["requires_2fa"], true, "2FA stays on: {}", r.text);

    // Duplicates merged into the lowest id by summing; other rows unchanged.
    let stock = alice.get("/api/stock").json();
    assert_eq!(
        stock,
        json!([
            {"id": 1, "item_id": 1, "item_name": "Resistor", "location_id": 1, "location_name": "Shelf A", "quantity": 27},
            {"id": 3, "item_id": 1, "item_name": "Resistor", "location_id": 2, "location_name": "Shelf B", "quantity": 5},
            {"id": 4, "item_id": 2, "item_name": "Cable", "location_id": 1, "location_name": "Shelf A", "quantity": 4},
        ])
    );
    let allocations = alice.get("/api/association").json();
    assert_eq!(
        allocations,
        json!([
            {"id": 1, "item_id": 1, "item_name": "Resistor", "project_id": 1, "project_name": "Robot", "quantity": 50},
            {"id": 3, "item_id": 2, "item_name": "Cable", "project_id": 2, "project_name": "Drone", "quantity": 10},
        ])
    );
    let items = alice.get("/api/item").json();
    assert_eq!(items.as_array().unwrap().len(), 3);
    assert_eq!(items[0]["name"], "Resistor");
    assert_eq!(items[0]["category"], "Passives");
    assert_eq!(items[0]["description"], "10k 0603");
    assert_eq!(items[0]["total_quantity"], 100);
    assert_eq!(items[0]["stocked_quantity"], 32);
    assert_eq!(items[0]["allocated_quantity"], 50);
    assert_eq!(items[1]["available_quantity"], 0);
    assert_eq!(items[2]["name"], "Orphan");
    let locations = alice.get("/api/location").json();
    assert_eq!(locations.as_array().unwrap().len(), 3);
    assert_eq!(locations[2]["name"], "Empty box");
    let projects = alice.get("/api/project").json();
    assert_eq!(projects[0]["description"], "Line follower");
    assert_eq!(projects[1]["description"], serde_json::Value::Null);

    // The new rules hold from now on, and new rows get fresh ids.
    let r = alice.post(
        "/api/stock",
        json!({"item_id": 1, "location_id": 1, "quantity": 1}),
    );
    assert_eq!(r.code(), "duplicate");
    assert_eq!(r.json()["existing_id"], 1);
    let r = alice.post(
        "/api/stock",
        json!({"item_id": 2, "location_id": 2, "quantity": 3}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["id"], 7);
    let r = alice.post("/api/location", json!({"name": "shelf a"}));
    assert_eq!(r.code(), "name_taken");

    // Sessions and recovery codes survived; nothing of the old tables remains.
    let db = Connection::open(s.db_path()).unwrap();
    let one = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(one("PRAGMA user_version"), miauinv::db::migrate::LATEST);
    assert_eq!(
        one("SELECT count(*) FROM refresh_tokens WHERE id = 'rt-1' AND device_info = 'Firefox'"),
        1
    );
    assert_eq!(
        one("SELECT count(*) FROM two_factor_recovery_codes WHERE used_at IS NULL"),
        1
    );
    assert_eq!(one("SELECT count(*) FROM two_factor_recovery_codes"), 2);
    // Bob's TOTP secret is kept, sealed under the server's key.
    let (bob, sealed): (String, String) = db
        .query_row(
            "SELECT id, two_factor_secret FROM users WHERE username = 'bob'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        s.app.secret_key.open(&sealed, &bob).as_deref(),
        Some("JBSWY3DPEHPK3PXP")
    );
    assert_eq!(
        one("SELECT count(*) FROM sqlite_master WHERE name LIKE 'legacy_%'"),
        0
    );
    assert_eq!(one("SELECT count(*) FROM pragma_foreign_key_check"), 0);
    drop(db);

    // Starting again finds an up-to-date database and keeps it as it is.
    let mut s = s;
    s.stop();
    let app = app_for(&s.dir.path().join("config.yaml"));
    miauinv::db::prepare(&app.config.database_path, &app.secret_key)
        .expect("an upgraded database opens again");
    let db = Connection::open(s.db_path()).unwrap();
    let merged: i64 = db
        .query_row("SELECT quantity FROM stock WHERE id = 1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(merged, 27);
}

#[test]
fn an_original_database_without_two_factor_columns_is_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("database.db");
    {
        let hash = bcrypt::hash(PASSWORD, 4).unwrap();
        let db = Connection::open(&db_path).unwrap();
        db.execute_batch(
            "CREATE TABLE users (id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, password TEXT NOT NULL, role TEXT NOT NULL);
             CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, category TEXT, description TEXT, total_quantity INTEGER NOT NULL DEFAULT 0);",
        )
        .unwrap();
        db.execute(
            "INSERT INTO users VALUES ('u-1', 'carol', ?1, 'admin')",
            [hash],
        )
        .unwrap();
        db.execute(
            "INSERT INTO items (name, total_quantity) VALUES ('Widget', 4)",
            [],
        )
        .unwrap();
    }
    let cfg = config_for(dir.path(), &db_path);
    let s = TestServer::start_at(dir, cfg);
    let c = s.client();
    let r = c.login("carol", PASSWORD);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["user"]["two_factor_enabled"], false);
    assert_eq!(c.get("/api/item").json()[0]["name"], "Widget");
    // Tables the original never had are created empty and work.
    let l = c.post("/api/location", json!({"name": "Box"}));
    assert_eq!(l.status, 201, "{}", l.text);
}

/// Starts a server on `db_path` and returns the refusal message.
fn refused_upgrade(dir: &Path, db_path: &Path) -> String {
    let cfg = config_for(dir, db_path);
    match server::start(app_for(&cfg)) {
        Ok(_) => panic!("the upgrade should have been refused"),
        Err(e) => e,
    }
}

#[test]
fn unrepairable_data_stops_the_upgrade_listing_rows_and_leaves_the_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("database.db");
    original_database(&db_path);
    {
        let db = Connection::open(&db_path).unwrap();
        db.execute_batch(
            "INSERT INTO project_items VALUES (7, 2, 1, 5);   -- Cable: 6 + 4 + 5 = 15 allocated of 10
             UPDATE stock SET quantity = -3 WHERE id = 3;    -- a negative quantity
             INSERT INTO locations VALUES (4, 'SHELF a');     -- clashes case-insensitively",
        )
        .unwrap();
    }
    let before = std::fs::read(&db_path).unwrap();

    let msg = refused_upgrade(dir.path(), &db_path);
    assert!(msg.contains("cannot be upgraded"), "{msg}");
    assert!(
        msg.contains("items id 2: 15 units allocated but total_quantity is 10"),
        "{msg}"
    );
    assert!(msg.contains("stock id 3: quantity -3 is negative"), "{msg}");
    assert!(msg.contains("locations ids 1, 4"), "{msg}");

    let after = std::fs::read(&db_path).unwrap();
    assert!(before == after, "the database file was changed");
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut side = db_path.clone().into_os_string();
        side.push(suffix);
        assert!(!Path::new(&side).exists(), "{suffix} file left behind");
    }

    // Fixing the rows lets the same file upgrade.
    {
        let db = Connection::open(&db_path).unwrap();
        db.execute_batch(
            "DELETE FROM project_items WHERE id = 7;
             UPDATE stock SET quantity = 3 WHERE id = 3;
             UPDATE locations SET name = 'Shelf C' WHERE id = 4;",
        )
        .unwrap();
    }
    let cfg = config_for(dir.path(), &db_path);
    let s = TestServer::start_at(dir, cfg);
    let c = s.client();
    assert_eq!(c.login("alice", PASSWORD).status, 200);
    assert_eq!(c.get("/api/stock?id=3").json()["quantity"], 3);
}

#[test]
fn over_stock_alone_also_stops_the_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("database.db");
    original_database(&db_path);
    {
        let db = Connection::open(&db_path).unwrap();
        // Cable: 4 + 0 + 9 = 13 stocked of 10 once the duplicates are summed.
        db.execute("INSERT INTO stock VALUES (8, 2, 1, 9)", [])
            .unwrap();
    }
    let before = std::fs::read(&db_path).unwrap();
    let msg = refused_upgrade(dir.path(), &db_path);
    assert!(
        msg.contains("items id 2: 13 units stocked but total_quantity is 10"),
        "{msg}"
    );
    assert!(before == std::fs::read(&db_path).unwrap());
}
