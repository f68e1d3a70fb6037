//! Backups and restore: `miauinv backup` while clients write, the admin's
//! download, scheduled backups with pruning, and `miauinv restore` (refused
//! while serving; an older schema is migrated; the restored database serves
//! identically).

use crate::common;
use common::raw::GENEROUS;
use common::{Client, PASSWORD, TestServer, cli, wait_until};
use miauinv::db::{backup, backup_schedule};
use miauinv::{app::App, config, server};
use rusqlite::Connection;
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// A server on an existing appdata (after a restore), and its address.
fn serve_again(dir: &Path) -> (server::Running, String) {
    let no_env = |_: &str| None;
    let cfg = config::load(&dir.join("config.yaml"), &no_env).expect("config loads");
    let app = Arc::new(App::new(cfg, "test-secret-that-is-at-least-32-characters").unwrap());
    let running = server::start(app).expect("server starts");
    let base = format!("http://{}", running.addr());
    (running, base)
}

fn one(db: &Connection, sql: &str) -> i64 {
    db.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// The snapshot is sound and each stock row equals the sum of its history.
fn assert_consistent(path: &Path) {
    let db = Connection::open(path).unwrap();
    assert_eq!(
        backup::integrity_problems(&db).unwrap(),
        Vec::<String>::new()
    );
    let mismatched = one(
        &db,
        "SELECT count(*) FROM stock s WHERE s.quantity != (SELECT COALESCE(sum(delta), 0) FROM movements m
           WHERE m.kind = 'stock' AND m.item_id = s.item_id AND m.location_id = s.location_id)",
    );
    assert_eq!(mismatched, 0, "stock rows that disagree with their history");
    let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "a backup holds secrets");
}

#[test]
fn a_backup_taken_while_sixteen_clients_write_is_sound_and_matches_its_history() {
    let s = TestServer::start();
    let admin = Client::signed_up(&s, "alice");
    let shelf = admin.created("/api/location", json!({"name": "Shelf"}));
    let mut rows = Vec::new();
    for n in 0..16 {
        let item = admin.created(
            "/api/item",
            json!({"name": format!("Part {n}"), "total_quantity": 1_000_000}),
        );
        rows.push(admin.created(
            "/api/stock",
            json!({"item_id": item, "location_id": shelf, "quantity": 1}),
        ));
    }
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let written = Arc::new(std::sync::atomic::AtomicI64::new(0));
    let writers: Vec<_> = rows
        .into_iter()
        .map(|row| {
            let (stop, written, base) = (stop.clone(), written.clone(), s.base.clone());
            let c = Client::new(&base);
            assert_eq!(c.login("alice", PASSWORD).status, 200);
            std::thread::spawn(move || {
                let mut q = 1;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    q += 1;
                    let r = c.put(&format!("/api/stock?id={row}"), json!({"quantity": q}));
                    assert_eq!(r.status, 200, "{}", r.text);
                    written.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
                q
            })
        })
        .collect();
    let writes = || written.load(std::sync::atomic::Ordering::SeqCst);
    wait_until(GENEROUS, "the clients are writing", || writes() >= 16 * 5);
    let before = writes();
    let (ok, said) = cli(s.dir.path(), &["backup"]);
    let during = writes() - before;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for w in writers {
        w.join().unwrap();
    }
    assert!(ok, "{said}");
    assert!(during > 0, "the clients kept writing during the backup");
    let written = backup::backups_in(&s.dir.path().join("backups")).unwrap();
    assert_eq!(written.len(), 1, "{said}");
    let name = written[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string();
    assert!(said.contains(&name) && said.contains("bytes"), "{said}");
    assert_consistent(&written[0]);

    // A named file works too.
    let named = s.dir.path().join("mine.db");
    let (ok, said) = cli(s.dir.path(), &["backup", named.to_str().unwrap()]);
    assert!(ok, "{said}");
    assert_consistent(&named);
}

#[test]
fn the_admin_downloads_a_fresh_snapshot_and_no_one_else_does() {
    let s = TestServer::start();
    let admin = Client::signed_up(&s, "alice");
    admin.created("/api/item", json!({"name": "Bolt", "total_quantity": 3}));
    let editor = Client::signed_up(&s, "bob");
    assert_eq!(editor.get("/api/admin/backup").status, 403);

    let (status, headers, body) = admin.get_bytes("/api/admin/backup");
    assert_eq!(status, 200);
    let disposition = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-disposition"))
        .map(|(_, v)| v.clone())
        .unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"miauinv-"),
        "{disposition}"
    );
    assert!(body.starts_with(b"SQLite format 3\0"));
    let copy = s.dir.path().join("downloaded.db");
    std::fs::write(&copy, &body).unwrap();
    let db = Connection::open(&copy).unwrap();
    assert_eq!(
        one(&db, "SELECT count(*) FROM items WHERE name = 'Bolt'"),
        1
    );
    assert_eq!(one(&db, "SELECT count(*) FROM users"), 2);
    // The download is in the security log, with who took it.
    let log = admin.get("/api/security-events?limit=50").json();
    let taken = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "backup_downloaded")
        .count();
    assert_eq!(taken, 1, "{log}");
    // No temporary copy is left behind.
    let left: Vec<_> = std::fs::read_dir(s.dir.path().join("backups"))
        .unwrap()
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn scheduled_backups_run_prune_the_oldest_and_report_the_last() {
    let s = TestServer::start();
    Client::signed_up(&s, "alice");
    let dir = s.dir.path().join("backups");
    let last: backup_schedule::LastBackupCell = Default::default();
    let schedule = backup_schedule::Schedule::start(
        backup_schedule::Plan {
            database_path: s.db_path(),
            dir: dir.clone(),
            interval: Duration::from_millis(150),
            keep: 2,
            first_after: Duration::ZERO,
        },
        last.clone(),
    )
    .unwrap();
    // Three backups, so the oldest was pruned at least once.
    let mut seen = std::collections::HashSet::new();
    wait_until(GENEROUS, "three scheduled backups ran", || {
        if let Some(b) = last.lock().unwrap().as_ref() {
            seen.insert(b.file.clone());
        }
        seen.len() >= 3
    });
    schedule.stop();
    let kept = backup::backups_in(&dir).unwrap();
    assert_eq!(kept.len(), 2, "pruned to backup_keep: {kept:?}");
    let last = last.lock().unwrap().clone().expect("a backup ran");
    assert!(last.ok, "{last:?}");
    assert_eq!(
        kept.last().unwrap().file_name().unwrap().to_string_lossy(),
        last.file
    );
    for file in &kept {
        assert_consistent(file);
    }

    // The admin's status shows the newest backup.
    let admin = s.client();
    assert_eq!(admin.login("alice", PASSWORD).status, 200);
    let status = admin.get("/api/admin/status").json();
    assert_eq!(status["last_backup"]["file"], last.file.as_str());
    assert_eq!(status["last_backup"]["ok"], true);
    let page = admin.get("/admin").text;
    assert!(page.contains(&last.file), "the admin page names it");
}

#[test]
fn restore_is_refused_while_a_server_runs_on_the_appdata() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    c.created("/api/item", json!({"name": "Bolt", "total_quantity": 3}));
    let file = s.dir.path().join("copy.db");
    let (ok, said) = cli(s.dir.path(), &["backup", file.to_str().unwrap()]);
    assert!(ok, "{said}");
    let (ok, said) = cli(s.dir.path(), &["restore", file.to_str().unwrap()]);
    assert!(!ok);
    assert!(said.contains("server is running"), "{said}");
    assert!(!kept_files(s.dir.path()).iter().any(|_| true));
    assert_eq!(c.get("/api/item").status, 200, "still serving");
}

fn kept_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".before-restore-"))
        .collect()
}

#[test]
fn a_restored_database_serves_identically() {
    let mut s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let shelf = c.created("/api/location", json!({"name": "Shelf"}));
    let bolt = c.created(
        "/api/item",
        json!({"name": "Bolt", "total_quantity": 9, "tags": ["metal"]}),
    );
    c.created(
        "/api/stock",
        json!({"item_id": bolt, "location_id": shelf, "quantity": 4}),
    );
    let file = s.dir.path().join("before.db");
    let (ok, said) = cli(s.dir.path(), &["backup", file.to_str().unwrap()]);
    assert!(ok, "{said}");
    let items_then = c.get("/api/item").text;
    let history_then = c.get(&format!("/api/item/history?id={bolt}")).text;
    // Changed after the backup: the restore takes it back.
    c.created("/api/item", json!({"name": "Nut", "total_quantity": 1}));
    s.stop();

    let (ok, said) = cli(s.dir.path(), &["restore", file.to_str().unwrap()]);
    assert!(ok, "{said}");
    assert_eq!(kept_files(s.dir.path()).len(), 1, "{said}");
    let (_running, base) = serve_again(s.dir.path());
    let c = Client::new(&base);
    assert_eq!(c.login("alice", PASSWORD).status, 200, "same password");
    assert_eq!(c.get("/api/item").text, items_then);
    assert_eq!(
        c.get(&format!("/api/item/history?id={bolt}")).text,
        history_then
    );
    // The restored database's security log says so (issue 28).
    let page = c.get("/api/security-events?all=true").json();
    let restored: Vec<_> = page["events"]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|e| e["kind"] == "database_restored")
        .collect();
    assert_eq!(restored.len(), 1, "{page}");
    assert_eq!(restored[0]["details"]["file"], "before.db", "{page}");
    assert_eq!(restored[0]["actor"], "command line", "{page}");
}

#[test]
fn a_backup_of_an_older_schema_is_checked_and_migrated_on_restore() {
    let mut s = TestServer::start();
    Client::signed_up(&s, "alice");
    s.stop();
    // A database at schema version 5 with one admin and an item.
    let old = s.dir.path().join("old.db");
    {
        let mut db = Connection::open(&old).unwrap();
        miauinv::db::register_functions(&db).unwrap();
        miauinv::db::migrate::migrate_to(&mut db, 5).unwrap();
        let hash = bcrypt::hash(PASSWORD, 4).unwrap();
        db.execute(
            "INSERT INTO users (id, username, password, role) VALUES ('u-1', 'carol', ?1, 'admin')",
            [hash],
        )
        .unwrap();
        db.execute(
            "INSERT INTO items (name, total_quantity) VALUES ('Washer', 12)",
            [],
        )
        .unwrap();
    }
    // Not a database, not MiauInv's, newer than this binary: refused, nothing moved.
    let junk = s.dir.path().join("junk.db");
    std::fs::write(&junk, b"hello").unwrap();
    let (ok, said) = cli(s.dir.path(), &["restore", junk.to_str().unwrap()]);
    assert!(!ok && said.contains("not an SQLite database"), "{said}");
    let foreign = s.dir.path().join("foreign.db");
    Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE notes (body TEXT)")
        .unwrap();
    let (ok, said) = cli(s.dir.path(), &["restore", foreign.to_str().unwrap()]);
    assert!(!ok && said.contains("not a MiauInv database"), "{said}");
    let newer = s.dir.path().join("newer.db");
    std::fs::copy(&old, &newer).unwrap();
    Connection::open(&newer)
        .unwrap()
        .pragma_update(None, "user_version", 999)
        .unwrap();
    let (ok, said) = cli(s.dir.path(), &["restore", newer.to_str().unwrap()]);
    assert!(!ok && said.contains("newer than this MiauInv"), "{said}");
    assert!(kept_files(s.dir.path()).is_empty());

    let (ok, said) = cli(s.dir.path(), &["restore", old.to_str().unwrap()]);
    assert!(ok, "{said}");
    assert!(said.contains("from schema version 5"), "{said}");
    let (_running, base) = serve_again(s.dir.path());
    let c = Client::new(&base);
    assert_eq!(c.login("carol", PASSWORD).status, 200);
    assert_eq!(
        c.login("alice", PASSWORD).status,
        401,
        "alice was not in it"
    );
    let items = c.get("/api/item").json();
    assert_eq!(items[0]["name"], "Washer", "{items}");
}
