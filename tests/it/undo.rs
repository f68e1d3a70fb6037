//! `POST /api/movements/undo`: each kind reversed by a new movement that names
//! the original, refused with the ids in the way when later changes touch the
//! same stock, and never past an invariant.

use crate::common;

use common::{Client, TestServer};
use serde_json::{Value, json};

/// The item's newest movement id.
fn newest(c: &Client, item: i64) -> i64 {
    c.get(&format!("/api/item/history?id={item}")).json()[0]["id"]
        .as_i64()
        .unwrap()
}

fn undo(c: &Client, movement: i64) -> common::Resp {
    c.post("/api/movements/undo", json!({"movement_id": movement}))
}

fn undone(c: &Client, movement: i64) -> Value {
    let r = undo(c, movement);
    assert_eq!(r.status, 200, "{}", r.text);
    let body = r.json();
    assert_eq!(body["undone"], movement);
    assert_eq!(body["movement"]["undoes"], movement);
    body["movement"].clone()
}

fn item(c: &Client, id: i64) -> Value {
    c.get(&format!("/api/item?id={id}")).json()
}

fn setup() -> (TestServer, Client, i64, i64, i64) {
    let server = TestServer::start();
    let c = Client::signed_up(&server, "alice");
    let thing = c.created("/api/item", json!({"name": "Relay", "total_quantity": 10}));
    let shelf = c.created("/api/location", json!({"name": "Shelf"}));
    let drawer = c.created("/api/location", json!({"name": "Drawer"}));
    (server, c, thing, shelf, drawer)
}

#[test]
fn stock_changes_are_undone_one_by_one_newest_first() {
    let (_server, c, thing, shelf, _) = setup();
    let row = c.created(
        "/api/stock",
        json!({"item_id": thing, "location_id": shelf, "quantity": 4}),
    );
    let created = newest(&c, thing);
    c.put(&format!("/api/stock?id={row}"), json!({"quantity": 7}));
    let raised = newest(&c, thing);

    // The older one is in the way of nothing but has a later change.
    let r = undo(&c, created);
    assert_eq!(
        (r.status, r.code()),
        (409, "later_changes".to_string()),
        "{}",
        r.text
    );
    assert_eq!(r.json()["movement_ids"], json!([raised]));

    let m = undone(&c, raised);
    assert_eq!(
        (
            m["kind"].clone(),
            m["delta"].clone(),
            m["quantity_after"].clone()
        ),
        (json!("stock"), json!(-3), json!(4))
    );
    assert_eq!(item(&c, thing)["stocked_quantity"], 4);
    // The creation still has later changes: the raise and its undo.
    let r = undo(&c, created);
    assert_eq!(r.status, 409, "{}", r.text);
    // Undoing the undo puts the 7 back; undoing that again gives 4.
    let redo = undone(&c, m["id"].as_i64().unwrap());
    assert_eq!(redo["quantity_after"], 7);
    undone(&c, redo["id"].as_i64().unwrap());

    // A removal comes back.
    c.delete(&format!("/api/stock?id={row}"));
    assert_eq!(item(&c, thing)["stocked_quantity"], 0);
    undone(&c, newest(&c, thing));
    assert_eq!(item(&c, thing)["stocked_quantity"], 4);
    let rows = c.get(&format!("/api/stock?item_id={thing}")).json();
    assert_eq!(rows.as_array().unwrap().len(), 1);
}

#[test]
fn a_first_stocking_undone_leaves_no_row() {
    let (_server, c, thing, shelf, _) = setup();
    c.created(
        "/api/stock",
        json!({"item_id": thing, "location_id": shelf, "quantity": 4}),
    );
    undone(&c, newest(&c, thing));
    assert_eq!(item(&c, thing)["stocked_quantity"], 0);
    assert_eq!(item(&c, thing)["location_count"], 0);
}

#[test]
fn allocations_totals_and_transfers_are_undone() {
    let (_server, c, thing, shelf, drawer) = setup();
    let p = c.created("/api/project", json!({"name": "Clock"}));
    let a = c.created(
        "/api/association",
        json!({"item_id": thing, "project_id": p, "quantity": 3}),
    );
    c.put(&format!("/api/association?id={a}"), json!({"quantity": 5}));
    undone(&c, newest(&c, thing));
    assert_eq!(item(&c, thing)["allocated_quantity"], 3);

    let r = c.put(
        &format!("/api/item?id={thing}"),
        json!({"total_quantity": 20}),
    );
    assert_eq!(r.status, 200);
    let raised = newest(&c, thing);
    undone(&c, raised);
    assert_eq!(item(&c, thing)["total_quantity"], 10);

    c.created(
        "/api/stock",
        json!({"item_id": thing, "location_id": shelf, "quantity": 6}),
    );
    let r = c.post(
        "/api/stock/transfer",
        json!({"item_id": thing, "from_location_id": shelf, "to_location_id": drawer, "quantity": 6}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let m = undone(&c, r.json()["movement_id"].as_i64().unwrap());
    assert_eq!(
        (m["location_id"].clone(), m["to_location_id"].clone()),
        (json!(drawer), json!(shelf))
    );
    let rows = c.get(&format!("/api/stock?item_id={thing}")).json();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!(rows[0]["location_id"], shelf);
    assert_eq!(rows[0]["quantity"], 6);
}

#[test]
fn an_undo_that_would_break_an_invariant_is_refused() {
    let (_server, c, thing, shelf, _) = setup();
    // Total 10 -> 20, then 15 stocked: the old total could not hold them.
    c.put(
        &format!("/api/item?id={thing}"),
        json!({"total_quantity": 20}),
    );
    let raised = newest(&c, thing);
    c.created(
        "/api/stock",
        json!({"item_id": thing, "location_id": shelf, "quantity": 15}),
    );
    let r = undo(&c, raised);
    assert_eq!(
        (r.status, r.code()),
        (409, "total_below_usage".to_string()),
        "{}",
        r.text
    );
    assert_eq!(item(&c, thing)["total_quantity"], 20);

    assert_eq!(undo(&c, 999_999).status, 404);
    let r = c.post("/api/movements/undo", json!({"movement_id": "x"}));
    assert_eq!(r.status, 400);
    let r = c.post("/api/movements/undo", json!({"movement_id": 1, "extra": 1}));
    assert_eq!(r.status, 400);
}

/// A database at version 10 (before issue 19) with stock and history gets
/// minimums (0: none), an empty outbox, and its movements can be undone.
#[test]
fn a_version_10_database_upgrades_with_no_minimums_and_undoable_history() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("database.db");
    {
        let mut conn = miauinv::db::open(&db_path).unwrap();
        miauinv::db::migrate::migrate_to(&mut conn, 10).unwrap();
        conn.execute_batch(
            "INSERT INTO items (name, total_quantity) VALUES ('Fuse', 5);
             INSERT INTO locations (name) VALUES ('Box');
             INSERT INTO stock (item_id, location_id, quantity) VALUES (1, 1, 3);
             INSERT INTO movements (created_at, item_id, kind, location_id, delta, quantity_after)
                 VALUES (1, 1, 'stock', 1, 3, 3);",
        )
        .unwrap();
    }
    let s = TestServer::start_on(dir, &db_path);
    let c = Client::signed_up(&s, "alice");
    let fuse = item(&c, 1);
    assert_eq!(
        (fuse["min_quantity"].clone(), fuse["low"].clone()),
        (json!(0), json!(false))
    );
    assert!(fuse["reorder_quantity"].is_null());
    assert_eq!(c.get("/api/stats").json()["items_low"], 0);
    undone(&c, newest(&c, 1));
    assert_eq!(item(&c, 1)["stocked_quantity"], 0);
    let conn = rusqlite::Connection::open(s.db_path()).unwrap();
    let (outbox, watched): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM notification_outbox), (SELECT count(*) FROM item_alert_watch)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((outbox, watched), (0, 0));
}

fn consume(c: &Client, body: Value) -> Value {
    let r = c.post("/api/stock/consume", body);
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
}

fn count(c: &Client, item: i64, location: i64, counted: i64) -> Value {
    let r = c.post(
        "/api/stock/count",
        json!({"item_id": item, "location_id": location, "counted": counted}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
}

/// (total, stocked, allocated) of an item.
fn figures(c: &Client, id: i64) -> (i64, i64, i64) {
    let i = item(c, id);
    let n = |k: &str| i[k].as_i64().unwrap();
    (
        n("total_quantity"),
        n("stocked_quantity"),
        n("allocated_quantity"),
    )
}

fn allocations(c: &Client, item: i64) -> Value {
    c.get(&format!("/api/association?item_id={item}")).json()
}

#[test]
fn a_consume_for_a_project_is_undone_with_its_allocation_and_redone() {
    let (_server, c, thing, shelf, _) = setup();
    let p = c.created("/api/project", json!({"name": "Clock"}));
    c.created(
        "/api/stock",
        json!({"item_id": thing, "location_id": shelf, "quantity": 6}),
    );
    c.created(
        "/api/association",
        json!({"item_id": thing, "project_id": p, "quantity": 2}),
    );
    // Taking 3 for the project releases its whole allocation of 2.
    let done = consume(
        &c,
        json!({"item_id": thing, "location_id": shelf, "quantity": 3, "project_id": p}),
    );
    let taken = done["movement_id"].as_i64().unwrap();
    assert_eq!(figures(&c, thing), (7, 3, 0));
    let history = c.get(&format!("/api/item/history?id={thing}")).json();
    assert_eq!(history[0]["allocation_released"], 2);

    let m = undone(&c, taken);
    assert_eq!(
        (
            m["kind"].clone(),
            m["delta"].clone(),
            m["quantity_after"].clone(),
            m["allocation_released"].clone(),
            m["project_id"].clone()
        ),
        (json!("consume"), json!(3), json!(6), json!(-2), json!(p))
    );
    assert_eq!(figures(&c, thing), (10, 6, 2));
    let rows = allocations(&c, thing);
    assert_eq!(rows.as_array().unwrap().len(), 1, "{rows}");
    assert_eq!(rows[0]["quantity"], 2);

    // Undone twice is refused, naming the reversal.
    let r = undo(&c, taken);
    assert_eq!(
        (r.status, r.code()),
        (409, "already_undone".to_string()),
        "{}",
        r.text
    );
    assert_eq!(r.json()["undone_by"], m["id"]);

    // The reversal undone takes the units again, allocation included.
    let redo = undone(&c, m["id"].as_i64().unwrap());
    assert_eq!(
        (redo["delta"].clone(), redo["allocation_released"].clone()),
        (json!(-3), json!(2))
    );
    assert_eq!(figures(&c, thing), (7, 3, 0));
    assert_eq!(allocations(&c, thing).as_array().unwrap().len(), 0);
    undone(&c, redo["id"].as_i64().unwrap());
    assert_eq!(figures(&c, thing), (10, 6, 2));

    // A consume without a project, leaving the row empty, comes back whole.
    consume(
        &c,
        json!({"item_id": thing, "location_id": shelf, "quantity": 6}),
    );
    assert_eq!(figures(&c, thing), (4, 0, 2));
    undone(&c, newest(&c, thing));
    assert_eq!(figures(&c, thing), (10, 6, 2));
}

#[test]
fn counts_are_undone_and_never_past_the_allocations() {
    let (_server, c, thing, shelf, drawer) = setup();
    c.created(
        "/api/stock",
        json!({"item_id": thing, "location_id": shelf, "quantity": 6}),
    );
    // Two missing: the row and the total go down, and come back.
    let lost = count(&c, thing, shelf, 4);
    assert_eq!(figures(&c, thing), (8, 4, 0));
    let m = undone(&c, lost["movement_id"].as_i64().unwrap());
    assert_eq!(
        (
            m["kind"].clone(),
            m["delta"].clone(),
            m["quantity_after"].clone()
        ),
        (json!("count"), json!(2), json!(6))
    );
    assert_eq!(figures(&c, thing), (10, 6, 0));

    // Three found in a drawer that had none: undone, the drawer has no row.
    let found = count(&c, thing, drawer, 3);
    assert_eq!(figures(&c, thing), (13, 9, 0));
    undone(&c, found["movement_id"].as_i64().unwrap());
    assert_eq!(figures(&c, thing), (10, 6, 0));
    let rows = c.get(&format!("/api/stock?item_id={thing}")).json();
    assert_eq!(rows.as_array().unwrap().len(), 1);

    // Found units since allocated cannot be un-found.
    let found = count(&c, thing, drawer, 3);
    let p = c.created("/api/project", json!({"name": "Clock"}));
    c.created(
        "/api/association",
        json!({"item_id": thing, "project_id": p, "quantity": 12}),
    );
    let r = undo(&c, found["movement_id"].as_i64().unwrap());
    assert_eq!(
        (r.status, r.code()),
        (409, "allocations_exceed_total".to_string()),
        "{}",
        r.text
    );
    assert_eq!(figures(&c, thing), (13, 9, 12));
}

#[test]
fn consumes_and_counts_with_later_changes_are_refused_with_their_ids() {
    let (_server, c, thing, shelf, drawer) = setup();
    let p = c.created("/api/project", json!({"name": "Clock"}));
    c.created(
        "/api/stock",
        json!({"item_id": thing, "location_id": shelf, "quantity": 6}),
    );
    let a = c.created(
        "/api/association",
        json!({"item_id": thing, "project_id": p, "quantity": 4}),
    );
    let taken = consume(
        &c,
        json!({"item_id": thing, "location_id": shelf, "quantity": 1, "project_id": p}),
    )["movement_id"]
        .as_i64()
        .unwrap();
    // A later change of the project's allocation is in the way…
    c.put(&format!("/api/association?id={a}"), json!({"quantity": 2}));
    let reallocated = newest(&c, thing);
    // …and so is a later count at the same shelf; a count elsewhere is not.
    count(&c, thing, drawer, 1);
    let counted = count(&c, thing, shelf, 4)["movement_id"].as_i64().unwrap();
    let r = undo(&c, taken);
    assert_eq!(
        (r.status, r.code()),
        (409, "later_changes".to_string()),
        "{}",
        r.text
    );
    assert_eq!(r.json()["movement_ids"], json!([reallocated, counted]));
    // The count at the shelf is newest there: it can go.
    undone(&c, counted);

    // An older total cannot be set back over a later consume's change of it.
    c.put(
        &format!("/api/item?id={thing}"),
        json!({"total_quantity": 20}),
    );
    let raised = newest(&c, thing);
    let used = consume(
        &c,
        json!({"item_id": thing, "location_id": drawer, "quantity": 1}),
    )["movement_id"]
        .as_i64()
        .unwrap();
    let r = undo(&c, raised);
    assert_eq!((r.status, r.code()), (409, "later_changes".to_string()));
    assert_eq!(r.json()["movement_ids"], json!([used]));
    // The allocation, in turn, waits for a later consume taken for it.
    let taken_again = consume(
        &c,
        json!({"item_id": thing, "location_id": shelf, "quantity": 1, "project_id": p}),
    )["movement_id"]
        .as_i64()
        .unwrap();
    let r = undo(&c, reallocated);
    assert_eq!((r.status, r.code()), (409, "later_changes".to_string()));
    assert_eq!(r.json()["movement_ids"], json!([taken_again]));
}

/// Consumes recorded at version 18 (before `allocation_released`): one taken
/// for a project cannot be undone exactly and is refused saying why; one
/// without a project, and an old count, are undone.
#[test]
fn old_consumes_for_a_project_are_refused_and_the_rest_undone() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("database.db");
    {
        let mut conn = miauinv::db::open(&db_path).unwrap();
        miauinv::db::migrate::migrate_to(&mut conn, 18).unwrap();
        // Fuse: 10 in all, 6 on the shelf, 2 for the clock, after taking 1
        // from the shelf for the clock (which had 3), 1 from the box, and a
        // count at the tray that found 2.
        conn.execute_batch(
            "INSERT INTO items (name, total_quantity) VALUES ('Fuse', 10);
             INSERT INTO locations (name) VALUES ('Shelf'), ('Box'), ('Tray');
             INSERT INTO projects (name) VALUES ('Clock');
             INSERT INTO stock (item_id, location_id, quantity) VALUES (1, 1, 6), (1, 2, 1), (1, 3, 2);
             INSERT INTO project_items (item_id, project_id, quantity) VALUES (1, 1, 2);
             INSERT INTO movements (created_at, item_id, kind, location_id, project_id, delta, quantity_after)
                 VALUES (1, 1, 'consume', 1, 1, -1, 6),
                        (2, 1, 'consume', 2, NULL, -1, 1),
                        (3, 1, 'count', 3, NULL, 2, 2);",
        )
        .unwrap();
    }
    let s = TestServer::start_on(dir, &db_path);
    let c = Client::signed_up(&s, "alice");
    assert_eq!(figures(&c, 1), (10, 9, 2));

    let r = undo(&c, 1);
    assert_eq!(
        (r.status, r.code()),
        (409, "undo_data_missing".to_string()),
        "{}",
        r.text
    );
    assert!(r.text.contains("allocation"), "{}", r.text);
    assert_eq!(figures(&c, 1), (10, 9, 2));

    undone(&c, 2);
    assert_eq!(figures(&c, 1), (11, 10, 2));
    undone(&c, 3);
    assert_eq!(figures(&c, 1), (9, 8, 2));
}
