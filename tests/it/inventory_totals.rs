//! The derived sums the schema's triggers keep (`items.stocked_quantity`,
//! `items.allocated_quantity`, `inventory_totals`, a location's `item_count`
//! and `total_units`) stay equal to the sums over
//! the rows they summarise through every kind of write, so `/api/stats` and the
//! lists' `X-Total-Count` can read them instead of counting.

use crate::common;
use common::{Client, TestServer};
use serde_json::json;

/// The sums recomputed from the rows themselves, straight from the file. The
/// figures are of items in use: archived items are kept but not counted.
fn recomputed(s: &TestServer) -> (i64, i64, i64, i64, i64, i64) {
    let conn = rusqlite::Connection::open(s.db_path()).unwrap();
    let one = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    let drifted = one(
        "SELECT count(*) FROM items i
         WHERE stocked_quantity <> (SELECT COALESCE(SUM(quantity), 0) FROM stock WHERE item_id = i.id)
            OR allocated_quantity <> (SELECT COALESCE(SUM(quantity), 0) FROM project_items WHERE item_id = i.id)
            OR location_count <> (SELECT count(*) FROM stock WHERE item_id = i.id)
            OR project_count <> (SELECT count(*) FROM project_items WHERE item_id = i.id)",
    );
    assert_eq!(drifted, 0, "per-item sums drifted from the rows");
    let drifted = one(
        "SELECT count(*) FROM locations l
         WHERE item_count <> (SELECT count(*) FROM stock WHERE location_id = l.id)
            OR total_units <> (SELECT COALESCE(SUM(quantity), 0) FROM stock WHERE location_id = l.id)",
    );
    assert_eq!(drifted, 0, "per-location figures drifted from the rows");
    (
        one("SELECT count(*) FROM items WHERE archived_at IS NULL"),
        one("SELECT COALESCE(SUM(total_quantity), 0) FROM items WHERE archived_at IS NULL"),
        one("SELECT COALESCE(SUM(quantity), 0) FROM stock"),
        one("SELECT COALESCE(SUM(quantity), 0) FROM project_items"),
        one("SELECT count(*) FROM items i WHERE archived_at IS NULL AND
               (SELECT COALESCE(SUM(quantity), 0) FROM project_items WHERE item_id = i.id)
             > (SELECT COALESCE(SUM(quantity), 0) FROM stock WHERE item_id = i.id)"),
        one("SELECT count(*) FROM items i WHERE archived_at IS NULL AND min_quantity >
               total_quantity - (SELECT COALESCE(SUM(quantity), 0) FROM project_items WHERE item_id = i.id)"),
    )
}

fn assert_stats_match_rows(s: &TestServer, c: &Client) {
    let stats = c.get("/api/stats");
    assert_eq!(stats.status, 200, "{}", stats.text);
    let st = stats.json();
    let (items, total, stocked, allocated, short, low) = recomputed(s);
    assert_eq!(st["items"], items, "{st}");
    assert_eq!(st["units_total"], total, "{st}");
    assert_eq!(st["units_stocked"], stocked, "{st}");
    assert_eq!(st["units_allocated"], allocated, "{st}");
    assert_eq!(st["units_available"], total - allocated, "{st}");
    assert_eq!(st["items_short"], short, "{st}");
    assert_eq!(st["items_low"], low, "{st}");
    let list = c.get("/api/item?limit=1");
    assert_eq!(
        list.header("X-Total-Count"),
        Some(items.to_string().as_str())
    );
}

/// The id of the item's one allocation.
fn allocation_of(c: &Client, item: i64) -> i64 {
    c.get(&format!("/api/association?item_id={item}")).json()[0]["id"]
        .as_i64()
        .unwrap()
}

#[test]
fn stats_and_list_counts_follow_every_kind_of_write() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let shelf = c.created("/api/location", json!({"name": "Shelf"}));
    let drawer = c.created("/api/location", json!({"name": "Drawer"}));
    let rover = c.created("/api/project", json!({"name": "Rover"}));
    let clock = c.created("/api/project", json!({"name": "Clock"}));
    let bolts = c.created("/api/item", json!({"name": "Bolt", "total_quantity": 100}));
    let leds = c.created("/api/item", json!({"name": "LED", "total_quantity": 40}));
    let spare = c.created(
        "/api/item",
        json!({"name": "Spare", "total_quantity": 5, "min_quantity": 8}),
    );
    assert_stats_match_rows(&s, &c);

    let bolts_shelf = c.created(
        "/api/stock",
        json!({"item_id": bolts, "location_id": shelf, "quantity": 60}),
    );
    c.created(
        "/api/stock",
        json!({"item_id": leds, "location_id": drawer, "quantity": 10}),
    );
    let led_alloc = c.created(
        "/api/association",
        json!({"item_id": leds, "project_id": rover, "quantity": 25}),
    );
    c.created(
        "/api/association",
        json!({"item_id": bolts, "project_id": clock, "quantity": 20}),
    );
    assert_stats_match_rows(&s, &c);
    assert_eq!(c.get("/api/stats").json()["items_short"], 1);
    assert_eq!(
        c.get("/api/stats").json()["items_low"],
        1,
        "Spare: 5 of at least 8"
    );

    // Updates of quantities, of a total, a transfer that creates and one that
    // empties a row, removals.
    let r = c.put(
        &format!("/api/stock?id={bolts_shelf}"),
        json!({"quantity": 70}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let r = c.put(
        &format!("/api/item?id={leds}"),
        json!({"total_quantity": 50}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let r = c.put(
        &format!("/api/association?id={led_alloc}"),
        json!({"quantity": 5}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_stats_match_rows(&s, &c);
    assert_eq!(c.get("/api/stats").json()["items_short"], 0);

    let transfer = |from: i64, to: i64, quantity: i64| {
        let r = c.post(
            "/api/stock/transfer",
            json!({"item_id": bolts, "from_location_id": from, "to_location_id": to, "quantity": quantity}),
        );
        assert_eq!(r.status, 200, "{}", r.text);
    };
    transfer(shelf, drawer, 30);
    assert_stats_match_rows(&s, &c);
    transfer(shelf, drawer, 40);
    assert_stats_match_rows(&s, &c);

    let r = c.delete(&format!("/api/association?id={led_alloc}"));
    assert_eq!(r.status, 200, "{}", r.text);
    let r = c.delete(&format!("/api/item?id={spare}"));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["archived"], false, "Spare has no history");
    assert_stats_match_rows(&s, &c);

    // An item with history leaves the figures when archived and comes back
    // when restored, total and all.
    let r = c.delete(&format!("/api/association?id={}", allocation_of(&c, bolts)));
    assert_eq!(r.status, 200, "{}", r.text);
    for row in c
        .get(&format!("/api/stock?item_id={bolts}"))
        .json()
        .as_array()
        .unwrap()
    {
        assert_eq!(
            c.delete(&format!("/api/stock?id={}", row["id"])).status,
            200
        );
    }
    let r = c.delete(&format!("/api/item?id={bolts}"));
    assert_eq!(r.json()["archived"], true, "{}", r.text);
    assert_stats_match_rows(&s, &c);
    assert_eq!(c.get("/api/stats").json()["units_total"], 50);
    let r = c.post(&format!("/api/item/restore?id={bolts}"), json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_stats_match_rows(&s, &c);
    assert_eq!(c.get("/api/stats").json()["units_total"], 150);
    let r = c.delete(&format!("/api/item?id={bolts}"));
    assert_eq!(r.json()["archived"], true, "{}", r.text);
    assert_stats_match_rows(&s, &c);
    assert_eq!(c.get("/api/stats").json()["items"], 1);
}

#[test]
fn refused_writes_leave_the_sums_untouched() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let shelf = c.created("/api/location", json!({"name": "Shelf"}));
    let rover = c.created("/api/project", json!({"name": "Rover"}));
    let bolts = c.created("/api/item", json!({"name": "Bolt", "total_quantity": 10}));
    c.created(
        "/api/stock",
        json!({"item_id": bolts, "location_id": shelf, "quantity": 8}),
    );
    let before = c.get("/api/stats").json();
    // Over-allocation and lowering the total below the stock are refused.
    let r = c.post(
        "/api/association",
        json!({"item_id": bolts, "project_id": rover, "quantity": 11}),
    );
    assert_eq!(r.status, 409, "{}", r.text);
    let r = c.put(
        &format!("/api/item?id={bolts}"),
        json!({"total_quantity": 7}),
    );
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(c.get("/api/stats").json(), before);
    assert_stats_match_rows(&s, &c);
}

#[test]
fn searched_lists_still_count_only_their_matches() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    for name in ["Red LED", "Green LED", "Bolt"] {
        c.created("/api/item", json!({"name": name}));
    }
    let r = c.get("/api/item?q=led&limit=1");
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("X-Total-Count"), Some("2"));
    let r = c.get("/api/item?limit=1");
    assert_eq!(r.header("X-Total-Count"), Some("3"));
}
