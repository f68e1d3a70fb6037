//! The other doors: notifications from an import, the API's own routes, one import at a time,
//! `miauinv restore`, and the writer line.

use super::*;

#[test]
fn a_committed_import_that_makes_an_item_low_notifies_and_a_dry_run_does_not() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let screws = c.created(
        "/api/item",
        json!({"name": "Screws", "total_quantity": 10, "min_quantity": 5}),
    );
    assert_eq!(outbox(&s), []);
    let with_total = |total: i64| {
        document(json!({"items": [{"id": screws, "name": "Screws", "total_quantity": total}]}))
    };
    let r = import_json(&c, true, &with_total(2));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(outbox(&s), [], "a dry run queues nothing");
    assert_eq!(
        c.get(&format!("/api/item?id={screws}")).json()["low"],
        false
    );

    let r = import_json(&c, false, &with_total(2));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(c.get(&format!("/api/item?id={screws}")).json()["low"], true);
    assert_eq!(outbox(&s), [("item.low".to_string(), screws)]);

    let r = import_json(&c, false, &with_total(10));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        outbox(&s),
        [
            ("item.low".to_string(), screws),
            ("item.back_above_min".to_string(), screws)
        ]
    );
}

#[test]
fn a_count_cannot_lift_an_items_total_past_the_limit() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let shelf = c.created("/api/location", json!({"name": "Shelf"}));
    let bolt = c.created(
        "/api/item",
        json!({"name": "Bolt", "total_quantity": MAX_QUANTITY - 5}),
    );
    let count = |n: i64| {
        c.post(
            "/api/stock/count",
            json!({"item_id": bolt, "location_id": shelf, "counted": n}),
        )
    };
    let r = count(6);
    assert_eq!(
        (r.status, r.code()),
        (409, "total_too_large".into()),
        "{}",
        r.text
    );
    let item = c.get(&format!("/api/item?id={bolt}")).json();
    assert_eq!(item["total_quantity"], MAX_QUANTITY - 5, "{item}");
    let r = count(5);
    assert_eq!(r.status, 200, "up to the limit: {}", r.text);
    let item = c.get(&format!("/api/item?id={bolt}")).json();
    assert_eq!(item["total_quantity"], MAX_QUANTITY, "{item}");
}

#[test]
fn reorder_csv_cells_starting_with_a_tab_or_cr_are_neutralised() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let tab = c.created(
        "/api/item",
        json!({"name": "Tab item", "total_quantity": 0, "min_quantity": 5}),
    );
    let cr = c.created(
        "/api/item",
        json!({"name": "CR item", "total_quantity": 0, "min_quantity": 5}),
    );
    // No door takes such a name any more (names are trimmed), but rows kept
    // from before may hold one: set them behind the server's back.
    {
        let db = rusqlite::Connection::open(s.db_path()).unwrap();
        miauinv::db::register_functions(&db).unwrap();
        db.execute(
            "UPDATE items SET name = char(9) || 'cmd' WHERE id = ?1",
            [tab],
        )
        .unwrap();
        db.execute(
            "UPDATE items SET name = char(13) || 'cmd2' WHERE id = ?1",
            [cr],
        )
        .unwrap();
    }
    let r = c.get("/api/reorder.csv");
    assert_eq!(r.status, 200, "{}", r.text);
    let mut reader = csv::Reader::from_reader(r.text.as_bytes());
    let mut names: Vec<String> = reader
        .records()
        .map(|row| row.unwrap()[0].to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["'\tcmd", "'\rcmd2"], "{:?}", r.text);
}

#[test]
fn a_second_import_while_one_runs_is_answered_busy() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let doc = document(json!({"items": [{"id": 1, "name": "Bolt", "total_quantity": 1}]}));
    // The test holds the server's one import turn, as a running import does.
    let running = s.app.imports.enter().expect("no import runs yet");
    let r = import_json(&c, true, &doc);
    assert_eq!(
        (r.status, r.code()),
        (503, "server_busy".into()),
        "{}",
        r.text
    );
    assert!(r.header("Retry-After").is_some(), "{:?}", r.headers);
    let r = import_csv(&c, "csv", false, "name,total_quantity\nBolt,1\n");
    assert_eq!(
        (r.status, r.code()),
        (503, "server_busy".into()),
        "{}",
        r.text
    );
    assert_eq!(item_count(&c), 0);
    drop(running);
    let r = import_json(&c, false, &doc);
    assert_eq!(r.status, 200, "{}", r.text);
}

#[test]
fn restore_refuses_a_backup_carrying_a_foreign_or_rewritten_trigger() {
    let mut s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    c.created("/api/item", json!({"name": "Bolt", "total_quantity": 3}));
    let dir = s.dir.path().to_path_buf();
    let clean = dir.join("clean.db");
    let (ok, said) = cli(&dir, &["backup", clean.to_str().unwrap()]);
    assert!(ok, "{said}");
    s.stop();

    let evil = dir.join("evil.db");
    std::fs::copy(&clean, &evil).unwrap();
    rusqlite::Connection::open(&evil)
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER evil AFTER INSERT ON users BEGIN UPDATE users SET role = 'admin'; END;",
        )
        .unwrap();
    let (ok, said) = cli(&dir, &["restore", evil.to_str().unwrap()]);
    assert!(!ok, "a backup with a foreign trigger is refused: {said}");
    assert!(said.contains("trigger evil"), "{said}");
    let kept = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".before-restore-")
        })
        .count();
    assert_eq!(kept, 0, "nothing was moved aside");

    // One of our own triggers, rewritten, is as foreign as a new one.
    let rewritten = dir.join("rewritten.db");
    std::fs::copy(&clean, &rewritten).unwrap();
    rusqlite::Connection::open(&rewritten)
        .unwrap()
        .execute_batch(
            "DROP TRIGGER items_quantity_range;
             CREATE TRIGGER items_quantity_range BEFORE INSERT ON items
             BEGIN UPDATE users SET role = 'admin'; END;",
        )
        .unwrap();
    let (ok, said) = cli(&dir, &["restore", rewritten.to_str().unwrap()]);
    assert!(!ok, "a backup with a rewritten trigger is refused: {said}");
    assert!(said.contains("trigger items_quantity_range"), "{said}");

    let (ok, said) = cli(&dir, &["restore", clean.to_str().unwrap()]);
    assert!(ok, "the untouched backup restores: {said}");
    let conn = rusqlite::Connection::open(dir.join("database.db")).unwrap();
    let triggers: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = 'evil'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(triggers, 0);
}

/// Behind a write held long (an import), at most the line of writers waits;
/// the others are answered `server_busy` at once instead of holding a worker
/// each, and the one waiting gets its turn when the lock is given back.
#[test]
fn behind_a_long_write_only_the_line_waits_and_the_rest_are_told_busy() {
    use miauinv::db;
    use std::sync::mpsc;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("line.db");
    let key = miauinv::config::secret_key(dir.path()).unwrap();
    db::prepare(&path, &key).unwrap();
    let mut holder = db::open(&path).unwrap();
    db::limit_writers(&holder, 1);
    let (held_tx, held_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let long = std::thread::spawn(move || {
        db::write(&mut holder, |_| {
            held_tx.send(()).unwrap();
            release_rx.recv().unwrap();
            Ok(())
        })
    });
    held_rx.recv().unwrap();
    let (done_tx, done_rx) = mpsc::channel();
    let writers: Vec<_> = (0..3)
        .map(|_| {
            let (path, done_tx) = (path.clone(), done_tx.clone());
            std::thread::spawn(move || {
                let mut conn = db::open(&path).unwrap();
                let r = db::write(&mut conn, |_| Ok(()));
                done_tx.send(r.map_err(|e| e.code)).unwrap();
            })
        })
        .collect();
    // Two of the three give up while the lock is still held.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut early = Vec::new();
    while early.len() < 2 {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        early.push(
            done_rx
                .recv_timeout(left)
                .expect("two writers were told busy"),
        );
    }
    assert_eq!(early, vec![Err("server_busy"), Err("server_busy")]);
    release_tx.send(()).unwrap();
    assert!(long.join().unwrap().is_ok());
    let last = done_rx
        .recv_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    assert_eq!(last, Ok(()), "the writer in line got its turn");
    for w in writers {
        w.join().unwrap();
    }
}
