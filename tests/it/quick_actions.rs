//! The quick actions at the shelf: taking units (`/api/stock/consume`) and
//! counting a location (`/api/stock/count`), with their invariants, their
//! 409s with numbers and the history they write.

use crate::common;
use common::create::{item, item_json, location, stock};
use common::{Client, TestServer};
use serde_json::{Value, json};

fn latest_movement(c: &Client, id: i64) -> Value {
    c.get(&format!("/api/item/history?id={id}&limit=1")).json()[0].clone()
}

#[test]
fn consume_lowers_stock_and_total_together() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let it = item(&c, "Screw", 10);
    let shelf = location(&c, "Shelf");
    stock(&c, it, shelf, 6);
    let r = c.post(
        "/api/stock/consume",
        json!({"item_id": it, "location_id": shelf, "quantity": 2, "note": "for the door"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let body = r.json();
    assert_eq!(body["quantity"], 4);
    assert_eq!(body["difference"], -2);
    assert_eq!(body["item"]["total_quantity"], 8);
    assert_eq!(body["item"]["stocked_quantity"], 4);
    let m = latest_movement(&c, it);
    assert_eq!(m["kind"], "consume");
    assert_eq!(m["delta"], -2);
    assert_eq!(m["quantity_after"], 4);
    assert_eq!(m["location_id"], shelf);
    assert_eq!(m["note"], "for the door");
    assert_eq!(m["id"], body["movement_id"]);
    // Taking the rest empties the row away.
    c.post(
        "/api/stock/consume",
        json!({"item_id": it, "location_id": shelf, "quantity": 4}),
    );
    let after = item_json(&c, it);
    assert_eq!(after["total_quantity"], 4);
    assert_eq!(after["stocked_quantity"], 0);
    assert_eq!(c.get(&format!("/api/stock?item_id={it}")).json(), json!([]));
}

#[test]
fn consuming_more_than_the_location_holds_is_refused_with_numbers() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let it = item(&c, "Nut", 10);
    let (a, b) = (location(&c, "Bin A"), location(&c, "Bin B"));
    stock(&c, it, a, 3);
    stock(&c, it, b, 5);
    let r = c.post(
        "/api/stock/consume",
        json!({"item_id": it, "location_id": a, "quantity": 4}),
    );
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.code(), "insufficient_stock");
    assert_eq!(
        r.json()["error"],
        "'Bin A' holds only 3 of 'Nut'; cannot take 4."
    );
    assert_eq!(r.json()["available"], 3);
    assert_eq!(r.json()["requested"], 4);
    assert_eq!(r.json()["location_id"], a);
    // Nowhere stocked is holding 0.
    let empty = location(&c, "Empty");
    let r = c.post(
        "/api/stock/consume",
        json!({"item_id": it, "location_id": empty, "quantity": 1}),
    );
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["available"], 0);
    // Nothing changed.
    let after = item_json(&c, it);
    assert_eq!(after["total_quantity"], 10);
    assert_eq!(after["stocked_quantity"], 8);
    for (body, field) in [
        (
            json!({"item_id": it, "location_id": a, "quantity": 0}),
            "quantity",
        ),
        (
            json!({"item_id": it, "location_id": a, "quantity": -1}),
            "quantity",
        ),
        (
            json!({"item_id": 0, "location_id": a, "quantity": 1}),
            "item_id",
        ),
        (
            json!({"item_id": it, "location_id": a, "quantity": 1, "project_id": "x"}),
            "",
        ),
    ] {
        let r = c.post("/api/stock/consume", body);
        assert_eq!(r.status, 400, "{}", r.text);
        if !field.is_empty() {
            assert_eq!(r.json()["field"], field);
        }
    }
    let r = c.post(
        "/api/stock/consume",
        json!({"item_id": it, "location_id": a, "quantity": 1, "extra": 1}),
    );
    assert_eq!(r.status, 400);
    let r = c.post(
        "/api/stock/consume",
        json!({"item_id": 999, "location_id": a, "quantity": 1}),
    );
    assert_eq!(r.status, 404);
}

#[test]
fn consume_for_a_project_lowers_its_allocation() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let it = item(&c, "Servo", 10);
    let shelf = location(&c, "Shelf");
    stock(&c, it, shelf, 10);
    let arm = c.created("/api/project", json!({"name": "Arm"}));
    let leg = c.created("/api/project", json!({"name": "Leg"}));
    let alloc = c.created(
        "/api/association",
        json!({"item_id": it, "project_id": arm, "quantity": 4}),
    );
    c.created(
        "/api/association",
        json!({"item_id": it, "project_id": leg, "quantity": 5}),
    );
    let r = c.post(
        "/api/stock/consume",
        json!({"item_id": it, "location_id": shelf, "quantity": 3, "project_id": arm}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        c.get(&format!("/api/association?id={alloc}")).json()["quantity"],
        1
    );
    let after = item_json(&c, it);
    assert_eq!(after["total_quantity"], 7);
    assert_eq!(after["allocated_quantity"], 6);
    assert_eq!(after["stocked_quantity"], 7);
    let m = latest_movement(&c, it);
    assert_eq!(m["kind"], "consume");
    assert_eq!(m["project_id"], arm);
    // Without a project the allocations must still fit in what is left:
    // 7 - 2 = 5 < 6 allocated.
    let r = c.post(
        "/api/stock/consume",
        json!({"item_id": it, "location_id": shelf, "quantity": 2}),
    );
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.code(), "allocations_exceed_total");
    assert_eq!(r.json()["total_quantity"], 7);
    assert_eq!(r.json()["allocated_quantity"], 6);
    assert_eq!(r.json()["requested"], 2);
    // More than the project has allocated: its allocation goes, the rest
    // comes out of free stock (5 left, 5 allocated to Leg).
    let r = c.post(
        "/api/stock/consume",
        json!({"item_id": it, "location_id": shelf, "quantity": 2, "project_id": arm}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(c.get(&format!("/api/association?id={alloc}")).status, 404);
    // A project without this item allocated is refused.
    let r = c.post(
        "/api/stock/consume",
        json!({"item_id": it, "location_id": shelf, "quantity": 1, "project_id": arm}),
    );
    assert_eq!(r.status, 409);
    assert_eq!(r.code(), "not_allocated");
    let after = item_json(&c, it);
    assert_eq!(after["total_quantity"], 5);
    assert_eq!(after["allocated_quantity"], 5);
}

#[test]
fn count_records_the_difference_and_moves_the_total() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let it = item(&c, "Washer", 20);
    let (a, b) = (location(&c, "Drawer 1"), location(&c, "Drawer 2"));
    stock(&c, it, a, 8);
    // Two missing.
    let r = c.post(
        "/api/stock/count",
        json!({"item_id": it, "location_id": a, "counted": 6}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["difference"], -2);
    let m = latest_movement(&c, it);
    assert_eq!(
        (
            m["kind"].as_str(),
            m["delta"].as_i64(),
            m["quantity_after"].as_i64()
        ),
        (Some("count"), Some(-2), Some(6))
    );
    let after = item_json(&c, it);
    assert_eq!(after["total_quantity"], 18);
    assert_eq!(after["stocked_quantity"], 6);
    // Found where none were recorded: a new row, and the total grows.
    let r = c.post(
        "/api/stock/count",
        json!({"item_id": it, "location_id": b, "counted": 30, "note": "box behind"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let after = item_json(&c, it);
    assert_eq!(after["total_quantity"], 48);
    assert_eq!(after["stocked_quantity"], 36);
    // A matching count is history too.
    let r = c.post(
        "/api/stock/count",
        json!({"item_id": it, "location_id": b, "counted": 30}),
    );
    assert_eq!(r.json()["difference"], 0);
    assert_eq!(latest_movement(&c, it)["delta"], 0);
    // Counting zero removes the row.
    c.post(
        "/api/stock/count",
        json!({"item_id": it, "location_id": a, "counted": 0}),
    );
    let rows = c.get(&format!("/api/stock?item_id={it}")).json();
    assert_eq!(rows.as_array().map(Vec::len), Some(1));
    assert_eq!(item_json(&c, it)["total_quantity"], 42);
}

#[test]
fn count_below_allocations_is_refused_with_numbers() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let it = item(&c, "Motor", 5);
    let shelf = location(&c, "Shelf");
    stock(&c, it, shelf, 5);
    let p = c.created("/api/project", json!({"name": "Robot"}));
    c.created(
        "/api/association",
        json!({"item_id": it, "project_id": p, "quantity": 4}),
    );
    let r = c.post(
        "/api/stock/count",
        json!({"item_id": it, "location_id": shelf, "counted": 2}),
    );
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.code(), "allocations_exceed_total");
    let e = r.json();
    assert_eq!(e["held"], 5);
    assert_eq!(e["counted"], 2);
    assert_eq!(e["total_quantity"], 5);
    assert_eq!(e["allocated_quantity"], 4);
    assert_eq!(item_json(&c, it)["stocked_quantity"], 5);
    let r = c.post(
        "/api/stock/count",
        json!({"item_id": it, "location_id": shelf, "counted": 4}),
    );
    assert_eq!(r.status, 200);
}

#[test]
fn viewers_cannot_take_or_count() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let it = item(&c, "Bolt", 5);
    let shelf = location(&c, "Shelf");
    stock(&c, it, shelf, 5);
    let anon = s.client();
    let r = anon.post(
        "/api/stock/consume",
        json!({"item_id": it, "location_id": shelf, "quantity": 1}),
    );
    assert_eq!(r.status, 401);
}

#[test]
fn a_stocktake_applies_its_differences_in_one_transaction() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let room = location(&c, "Store room");
    let shelf = c.created(
        "/api/location",
        json!({"name": "Shelf 1", "parent_id": room}),
    );
    let elsewhere = location(&c, "Van");
    let (a, b, d) = (
        item(&c, "Tape", 10),
        item(&c, "Glue", 10),
        item(&c, "Rope", 3),
    );
    stock(&c, a, room, 4);
    stock(&c, b, shelf, 6);
    let counts = json!([
        {"item_id": a, "location_id": room, "counted": 4},
        {"item_id": b, "location_id": shelf, "counted": 5},
        {"item_id": d, "location_id": shelf, "counted": 2},
    ]);
    // Not recursive: the shelf is not part of it.
    let r = c.post(
        "/api/stocktakes",
        json!({"location_id": room, "counts": counts}),
    );
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json()["field"], "counts");
    // A count elsewhere is refused, and so is a pair counted twice.
    let r = c.post(
        "/api/stocktakes",
        json!({"location_id": room, "recursive": true, "counts": [{"item_id": a, "location_id": elsewhere, "counted": 1}]}),
    );
    assert_eq!(r.status, 400);
    let r = c.post(
        "/api/stocktakes",
        json!({"location_id": room, "recursive": true, "counts": [
            {"item_id": a, "location_id": room, "counted": 1},
            {"item_id": a, "location_id": room, "counted": 2}]}),
    );
    assert_eq!(r.status, 400);

    let r = c.post(
        "/api/stocktakes",
        json!({"location_id": room, "recursive": true, "note": "year end", "counts": counts}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let body = r.json();
    let id = body["stocktake"]["id"].as_i64().expect("id");
    assert_eq!(body["stocktake"]["counted"], 3);
    assert_eq!(body["stocktake"]["differences"], 2);
    assert_eq!(body["stocktake"]["username"], "alice");
    assert_eq!(body["differences"][0]["item_id"], b);
    assert_eq!(body["differences"][0]["before"], 6);
    assert_eq!(body["differences"][0]["difference"], -1);
    assert_eq!(body["differences"][1]["difference"], 2);
    let m = latest_movement(&c, b);
    assert_eq!(
        (m["kind"].as_str(), m["stocktake_id"].as_i64()),
        (Some("count"), Some(id))
    );
    assert_eq!(item_json(&c, d)["total_quantity"], 5);
    assert_eq!(item_json(&c, b)["stocked_quantity"], 5);
    // The record.
    let list = c.get("/api/stocktakes");
    assert_eq!(list.header("x-total-count"), Some("1"));
    let first = &list.json()[0];
    assert_eq!(first["location_name"], "Store room");
    assert_eq!(first["differences"], 2);
    assert_eq!(first["recursive"], true);

    // One refused count undoes the whole stocktake.
    let p = c.created("/api/project", json!({"name": "Gift"}));
    c.created(
        "/api/association",
        json!({"item_id": a, "project_id": p, "quantity": 9}),
    );
    let r = c.post(
        "/api/stocktakes",
        json!({"location_id": room, "recursive": true, "counts": [
            {"item_id": b, "location_id": shelf, "counted": 1},
            {"item_id": a, "location_id": room, "counted": 0}]}),
    );
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.code(), "allocations_exceed_total");
    assert_eq!(item_json(&c, b)["stocked_quantity"], 5);
    assert_eq!(
        c.get("/api/stocktakes").json().as_array().map(Vec::len),
        Some(1)
    );
}

#[test]
fn a_location_counted_empty_is_archived_not_a_server_error() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let drawer = location(&c, "Drawer");
    // A stocktake that found the drawer empty writes no movement, but its
    // record names the drawer: deleting it must keep the record (schemathesis
    // found the 500 of the foreign key).
    let r = c.post(
        "/api/stocktakes",
        json!({"location_id": drawer, "counts": []}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let r = c.delete(&format!("/api/location?id={drawer}"));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["archived"], true);
    let listed = c.get("/api/stocktakes").json();
    assert_eq!(listed[0]["location_id"], drawer);
    // A location no stocktake names is still deleted outright.
    let bin = location(&c, "Bin");
    let r = c.delete(&format!("/api/location?id={bin}"));
    assert_eq!(
        (r.status, r.json()["archived"].clone()),
        (200, json!(false))
    );
}
