//! A location's own figures (`item_count`, `total_units`) are columns the stock
//! triggers keep (migration 0021): filled in from the rows when an older
//! database is upgraded, equal to the rows after every kind of stock write
//! (an import moving a row to another location too), and what the answers
//! said when they were summed on every read. Totals over what lies inside
//! (`?recursive=true`) are still summed.

use crate::common;
use common::{Client, TestServer};
use serde_json::{Value, json};

/// Locations whose kept figures differ from their stock rows, read straight
/// from the file.
fn drifted(s: &TestServer) -> Vec<i64> {
    let conn = rusqlite::Connection::open(s.db_path()).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT id FROM locations l
              WHERE item_count <> (SELECT count(*) FROM stock WHERE location_id = l.id)
                 OR total_units <> (SELECT COALESCE(SUM(quantity), 0) FROM stock WHERE location_id = l.id)",
        )
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// `(item_count, total_units)` of one location as the API answers it.
fn figures(c: &Client, query: &str) -> (i64, i64) {
    let r = c.get(&format!("/api/location?{query}"));
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json();
    (
        v["item_count"].as_i64().unwrap(),
        v["total_units"].as_i64().unwrap(),
    )
}

/// A schema-18 file: Garage holds Shelf A; Bolts are in Garage (7) and on
/// Shelf A (3), Nuts on Shelf A (5) and an emptied row of Nuts in Garage (0).
fn upgraded_from_18() -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("database.db");
    {
        let mut conn = miauinv::db::open(&db_path).unwrap();
        miauinv::db::migrate::migrate_to(&mut conn, 18).unwrap();
        conn.execute_batch(
            "INSERT INTO locations (name) VALUES ('Garage'), ('Empty');
             INSERT INTO locations (name, parent_id) VALUES ('Shelf A', 1);
             INSERT INTO items (name, total_quantity) VALUES ('Bolt', 10), ('Nut', 5);
             INSERT INTO stock (item_id, location_id, quantity)
                 VALUES (1, 1, 7), (1, 3, 3), (2, 3, 5), (2, 1, 0);",
        )
        .unwrap();
    }
    TestServer::start_on(dir, &db_path)
}

#[test]
fn an_upgraded_database_has_its_location_figures_filled_in() {
    let s = upgraded_from_18();
    let c = Client::signed_up(&s, "alice");
    assert_eq!(drifted(&s), Vec::<i64>::new());
    // Own rows only, the emptied row counted as it always was.
    assert_eq!(figures(&c, "id=1"), (2, 7));
    assert_eq!(figures(&c, "id=2"), (0, 0));
    assert_eq!(figures(&c, "id=3"), (2, 8));
    // Inside Garage too: Bolts once, Nuts once.
    assert_eq!(figures(&c, "id=1&recursive=true"), (2, 15));
    // The page of contents counts the location's rows.
    let r = c.get("/api/location?id=1&content=true&limit=1");
    assert_eq!(r.header("X-Total-Count"), Some("2"), "{}", r.text);
    assert_eq!(r.json()["items"].as_array().unwrap().len(), 1);
    // Lists and quick-find read the same figures, and sort by them.
    let list = c.get("/api/location?sort=total_units&order=desc").json();
    let order: Vec<(i64, i64, i64)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["id"].as_i64().unwrap(),
                l["item_count"].as_i64().unwrap(),
                l["total_units"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(order, [(3, 2, 8), (1, 2, 7), (2, 0, 0)]);
    let found = c.get("/api/search?q=garage").json();
    assert_eq!(found[0]["detail"], "Location · 7 units · 2 items");

    // The triggers came with the columns: a write after the upgrade is counted.
    let r = c.post(
        "/api/stock/transfer",
        json!({"item_id": 1, "from_location_id": 1, "to_location_id": 2, "quantity": 7}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(drifted(&s), Vec::<i64>::new());
    assert_eq!(figures(&c, "id=2"), (1, 7));
}

#[test]
fn location_figures_follow_every_kind_of_stock_write() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let garage = c.created("/api/location", json!({"name": "Garage"}));
    let shelf = c.created(
        "/api/location",
        json!({"name": "Shelf A", "parent_id": garage}),
    );
    let van = c.created("/api/location", json!({"name": "Van"}));
    let bolts = c.created("/api/item", json!({"name": "Bolt", "total_quantity": 100}));
    let nuts = c.created("/api/item", json!({"name": "Nut", "total_quantity": 40}));
    assert_eq!(figures(&c, &format!("id={garage}")), (0, 0));

    let row = c.created(
        "/api/stock",
        json!({"item_id": bolts, "location_id": shelf, "quantity": 60}),
    );
    c.created(
        "/api/stock",
        json!({"item_id": nuts, "location_id": garage, "quantity": 10}),
    );
    assert_eq!(figures(&c, &format!("id={shelf}")), (1, 60));
    assert_eq!(figures(&c, &format!("id={garage}")), (1, 10));
    assert_eq!(figures(&c, &format!("id={garage}&recursive=true")), (2, 70));

    let r = c.put(&format!("/api/stock?id={row}"), json!({"quantity": 50}));
    assert_eq!(r.status, 200, "{}", r.text);
    // A transfer that creates a row, then one that empties it out again.
    for (from, to, quantity) in [(shelf, van, 20), (van, shelf, 20), (shelf, garage, 5)] {
        let r = c.post(
            "/api/stock/transfer",
            json!({"item_id": bolts, "from_location_id": from, "to_location_id": to, "quantity": quantity}),
        );
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(drifted(&s), Vec::<i64>::new());
    }
    assert_eq!(figures(&c, &format!("id={shelf}")), (1, 45));
    assert_eq!(figures(&c, &format!("id={garage}")), (2, 15));

    // An import that moves a stock row to another location (same row id).
    let mut doc: Value = c.get("/api/export?format=json").json();
    for s in doc["stock"].as_array_mut().unwrap() {
        if s["id"] == row {
            s["location_id"] = json!(van);
        }
    }
    let r = c.send_raw(
        "POST",
        "/api/import?format=json",
        "application/json",
        doc.to_string().as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(drifted(&s), Vec::<i64>::new());
    assert_eq!(figures(&c, &format!("id={shelf}")), (0, 0));
    assert_eq!(figures(&c, &format!("id={van}")), (1, 45));

    // Removing the rows brings the figures back to nothing.
    for r in c.get("/api/stock").json().as_array().unwrap() {
        let id = r["id"].as_i64().unwrap();
        assert_eq!(c.delete(&format!("/api/stock?id={id}")).status, 200);
    }
    assert_eq!(drifted(&s), Vec::<i64>::new());
    assert_eq!(figures(&c, &format!("id={garage}")), (0, 0));
    assert_eq!(figures(&c, &format!("id={van}")), (0, 0));
}
