//! The inventory invariants and what comes with them: over-stock and
//! over-allocation refused with numbers (also under concurrency), totals that
//! cannot drop below usage, transfers that neither lose nor invent units, and the
//! movement history of every change.

use crate::common;
use common::create::{item, item_json, location, project};
use common::{Client, TestServer};
use serde_json::{Value, json};
use std::sync::Arc;

#[test]
fn over_allocation_is_refused_with_numbers() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let it = item(&c, "Servo", 10);
    let (p, q) = (project(&c, "Arm"), project(&c, "Leg"));
    let a = c.created(
        "/api/association",
        json!({"item_id": it, "project_id": p, "quantity": 7}),
    );
    let r = c.post(
        "/api/association",
        json!({"item_id": it, "project_id": q, "quantity": 4}),
    );
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.code(), "over_allocation");
    assert_eq!(r.json()["error"], "Only 3 of 10 left to allocate.");
    assert_eq!(r.json()["total_quantity"], 10);
    assert_eq!(r.json()["allocated_quantity"], 7);
    assert_eq!(r.json()["available"], 3);
    assert_eq!(r.json()["requested"], 4);
    // Exactly the rest is fine.
    let b = c.created(
        "/api/association",
        json!({"item_id": it, "project_id": q, "quantity": 3}),
    );
    // Raising one allocation counts the others, not itself.
    let r = c.put(&format!("/api/association?id={a}"), json!({"quantity": 8}));
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["error"], "Only 7 of 10 left to allocate.");
    assert_eq!(r.json()["allocated_quantity"], 3);
    assert_eq!(
        c.put(&format!("/api/association?id={b}"), json!({"quantity": 1}))
            .status,
        200
    );
    assert_eq!(
        c.put(&format!("/api/association?id={a}"), json!({"quantity": 9}))
            .status,
        200
    );
    assert_eq!(item_json(&c, it)["available_quantity"], 0);
}

#[test]
fn over_stock_is_refused_with_numbers() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let it = item(&c, "Panel", 10);
    let (a, b) = (location(&c, "A"), location(&c, "B"));
    let sa = c.created(
        "/api/stock",
        json!({"item_id": it, "location_id": a, "quantity": 7}),
    );
    let r = c.post(
        "/api/stock",
        json!({"item_id": it, "location_id": b, "quantity": 5}),
    );
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.code(), "over_stock");
    assert_eq!(r.json()["error"], "Only 3 of 10 not yet stocked.");
    assert_eq!(r.json()["total_quantity"], 10);
    assert_eq!(r.json()["stocked_quantity"], 7);
    assert_eq!(r.json()["unstocked"], 3);
    assert_eq!(r.json()["requested"], 5);
    let r = c.put(&format!("/api/stock?id={sa}"), json!({"quantity": 11}));
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["error"], "Only 10 of 10 not yet stocked.");
    assert_eq!(
        c.put(&format!("/api/stock?id={sa}"), json!({"quantity": 10}))
            .status,
        200
    );
    assert_eq!(item_json(&c, it)["unstocked_quantity"], 0);
}

#[test]
fn total_cannot_drop_below_what_is_stocked_or_allocated() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let it = item(&c, "Chip", 20);
    let l = location(&c, "L");
    let p = project(&c, "P");
    c.created(
        "/api/stock",
        json!({"item_id": it, "location_id": l, "quantity": 8}),
    );
    c.created(
        "/api/association",
        json!({"item_id": it, "project_id": p, "quantity": 12}),
    );
    let r = c.put(&format!("/api/item?id={it}"), json!({"total_quantity": 11}));
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.code(), "total_below_usage");
    assert_eq!(r.json()["requested"], 11);
    assert_eq!(r.json()["stocked_quantity"], 8);
    assert_eq!(r.json()["allocated_quantity"], 12);
    assert_eq!(r.json()["minimum"], 12);
    let msg = r.json()["error"].as_str().unwrap().to_string();
    assert!(
        msg.contains("8 units are stocked") && msg.contains("12 are allocated"),
        "{msg}"
    );
    // Nothing changed, not even the name sent alongside.
    let r = c.put(
        &format!("/api/item?id={it}"),
        json!({"name": "Renamed", "total_quantity": 7}),
    );
    assert_eq!(r.status, 409);
    assert_eq!(item_json(&c, it)["name"], "Chip");
    assert_eq!(item_json(&c, it)["total_quantity"], 20);
    let r = c.put(&format!("/api/item?id={it}"), json!({"total_quantity": 12}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["available_quantity"], 0);
}

#[test]
fn parallel_allocations_never_exceed_the_total() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let it = item(&c, "Scarce", 10);
    let projects: Vec<i64> = (0..16).map(|n| project(&c, &format!("P{n}"))).collect();
    let c = Arc::new(c);
    let barrier = Arc::new(std::sync::Barrier::new(16));
    let handles: Vec<_> = projects
        .into_iter()
        .map(|p| {
            let (c, barrier) = (c.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let r = c.post(
                    "/api/association",
                    json!({"item_id": it, "project_id": p, "quantity": 1}),
                );
                (r.status, r.code())
            })
        })
        .collect();
    let results: Vec<(u16, String)> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let ok = results.iter().filter(|(s, _)| *s == 201).count();
    let refused = results
        .iter()
        .filter(|(s, code)| *s == 409 && code == "over_allocation")
        .count();
    assert_eq!(ok, 10, "{results:?}");
    assert_eq!(refused, 6, "{results:?}");
    let v = item_json(&c, it);
    assert_eq!(v["allocated_quantity"], 10);
    assert_eq!(v["project_count"], 10);
    let history = c.get(&format!("/api/item/history?id={it}")).json();
    let allocs = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "allocation")
        .count();
    assert_eq!(allocs, 10);
}

#[test]
fn parallel_stocking_never_exceeds_the_total() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let it = item(&c, "Crate", 12);
    let locations: Vec<i64> = (0..16).map(|n| location(&c, &format!("L{n}"))).collect();
    let c = Arc::new(c);
    let handles: Vec<_> = locations
        .into_iter()
        .map(|l| {
            let c = c.clone();
            std::thread::spawn(move || {
                c.post(
                    "/api/stock",
                    json!({"item_id": it, "location_id": l, "quantity": 2}),
                )
                .status
            })
        })
        .collect();
    let statuses: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 6);
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 10);
    assert_eq!(item_json(&c, it)["stocked_quantity"], 12);
}

#[test]
fn transfers_move_units_without_losing_or_inventing_any() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let it = item(&c, "Brick", 50);
    let (a, b, x) = (location(&c, "A"), location(&c, "B"), location(&c, "X"));
    let sa = c.created(
        "/api/stock",
        json!({"item_id": it, "location_id": a, "quantity": 20}),
    );
    // To a location without a row: the row is created.
    let r = c.post(
        "/api/stock/transfer",
        json!({"item_id": it, "from_location_id": a, "to_location_id": b, "quantity": 8, "note": "rebalance"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let t = r.json();
    assert_eq!(t["from"]["id"], sa);
    assert_eq!(t["from"]["quantity"], 12);
    assert_eq!(t["to"]["location_id"], b);
    assert_eq!(t["to"]["quantity"], 8);
    let sb = t["to"]["id"].as_i64().unwrap();
    assert!(t["movement_id"].as_i64().unwrap() > 0);
    // To an existing row: added; emptying the source removes its row.
    let r = c.post(
        "/api/stock/transfer",
        json!({"item_id": it, "from_location_id": a, "to_location_id": b, "quantity": 12}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["from"], Value::Null);
    assert_eq!(r.json()["to"]["id"], sb);
    assert_eq!(r.json()["to"]["quantity"], 20);
    assert_eq!(c.get(&format!("/api/stock?id={sa}")).status, 404);
    let v = item_json(&c, it);
    assert_eq!(v["stocked_quantity"], 20);
    assert_eq!(v["location_count"], 1);

    // More than the source holds: refused with numbers, nothing moves.
    let r = c.post(
        "/api/stock/transfer",
        json!({"item_id": it, "from_location_id": b, "to_location_id": a, "quantity": 21}),
    );
    assert_eq!(r.status, 409);
    assert_eq!(r.code(), "insufficient_stock");
    assert_eq!(r.json()["available"], 20);
    assert_eq!(r.json()["requested"], 21);
    assert_eq!(
        r.json()["error"],
        "'B' holds only 20 of 'Brick'; cannot move 21."
    );
    let r = c.post(
        "/api/stock/transfer",
        json!({"item_id": it, "from_location_id": x, "to_location_id": a, "quantity": 1}),
    );
    assert_eq!(r.code(), "insufficient_stock");
    assert_eq!(r.json()["available"], 0);
    for (body, status, field) in [
        (
            json!({"item_id": it, "from_location_id": b, "to_location_id": b, "quantity": 1}),
            400,
            "to_location_id",
        ),
        (
            json!({"item_id": it, "from_location_id": b, "to_location_id": a, "quantity": 0}),
            400,
            "quantity",
        ),
        (
            json!({"item_id": it, "from_location_id": b, "to_location_id": a, "quantity": -3}),
            400,
            "quantity",
        ),
    ] {
        let r = c.post("/api/stock/transfer", body.clone());
        assert_eq!(r.status, status, "{body}: {}", r.text);
        assert_eq!(r.json()["field"], field, "{body}");
    }
    let r = c.post(
        "/api/stock/transfer",
        json!({"item_id": it, "from_location_id": b, "to_location_id": 999, "quantity": 1}),
    );
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"], "Location 999 does not exist.");
    let r = c.post(
        "/api/stock/transfer",
        json!({"item_id": 998, "from_location_id": b, "to_location_id": a, "quantity": 1}),
    );
    assert_eq!(r.json()["error"], "Item 998 does not exist.");
    let after = c.get(&format!("/api/stock?item_id={it}")).json();
    assert_eq!(after.as_array().unwrap().len(), 1);
    assert_eq!(after[0]["quantity"], 20);
}

#[test]
fn parallel_transfers_keep_every_unit() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let it = item(&c, "Token", 40);
    let (a, b) = (location(&c, "A"), location(&c, "B"));
    for (l, q) in [(a, 20), (b, 20)] {
        c.created(
            "/api/stock",
            json!({"item_id": it, "location_id": l, "quantity": q}),
        );
    }
    let c = Arc::new(c);
    let handles: Vec<_> = (0..16)
        .map(|n| {
            let c = c.clone();
            let (from, to) = if n % 2 == 0 { (a, b) } else { (b, a) };
            std::thread::spawn(move || {
                for _ in 0..3 {
                    let r = c.post(
                        "/api/stock/transfer",
                        json!({"item_id": it, "from_location_id": from, "to_location_id": to, "quantity": 3}),
                    );
                    assert!(r.status == 200 || r.code() == "insufficient_stock", "{}", r.text);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let rows = c.get(&format!("/api/stock?item_id={it}")).json();
    let sum: i64 = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["quantity"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, 40);
    assert_eq!(item_json(&c, it)["stocked_quantity"], 40);
}

#[test]
fn every_change_is_in_the_item_history_newest_first() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let it = c.created(
        "/api/item",
        json!({"name": "Lamp", "total_quantity": 10, "note": "first batch"}),
    );
    let (a, b) = (location(&c, "Attic"), location(&c, "Basement"));
    let p = project(&c, "Stage");
    let st = c.created(
        "/api/stock",
        json!({"item_id": it, "location_id": a, "quantity": 6, "note": "unpacked"}),
    );
    c.put(&format!("/api/stock?id={st}"), json!({"quantity": 4}));
    // An unchanged quantity is no movement.
    c.put(&format!("/api/stock?id={st}"), json!({"quantity": 4}));
    c.post(
        "/api/stock/transfer",
        json!({"item_id": it, "from_location_id": a, "to_location_id": b, "quantity": 1, "note": "moved"}),
    );
    let al = c.created(
        "/api/association",
        json!({"item_id": it, "project_id": p, "quantity": 5}),
    );
    c.put(&format!("/api/association?id={al}"), json!({"quantity": 2}));
    c.delete(&format!("/api/association?id={al}"));
    c.put(&format!("/api/item?id={it}"), json!({"total_quantity": 15}));
    c.put(&format!("/api/item?id={it}"), json!({"name": "Lamp 2"}));
    c.delete(&format!("/api/stock?id={st}"));

    let r = c.get(&format!("/api/item/history?id={it}"));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("x-total-count"), Some("9"));
    let h = r.json();
    let h = h.as_array().unwrap();
    let summary: Vec<(String, i64, i64)> = h
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().unwrap().to_string(),
                m["delta"].as_i64().unwrap(),
                m["quantity_after"].as_i64().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(String, i64, i64)> = [
        ("stock", -3, 0),
        ("total", 5, 15),
        ("allocation", -2, 0),
        ("allocation", -3, 2),
        ("allocation", 5, 5),
        ("transfer", 1, 1),
        ("stock", -2, 4),
        ("stock", 6, 6),
        ("total", 10, 10),
    ]
    .iter()
    .map(|(k, d, q)| (k.to_string(), *d, *q))
    .collect();
    assert_eq!(summary, expected);
    let ids: Vec<i64> = h.iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    for m in h {
        assert_eq!(m["username"], "alice");
        assert!(m["user_id"].as_str().is_some());
        assert!(m["created_at"].as_i64().unwrap() > 1_600_000_000);
        assert_eq!(m["item_id"], it);
    }
    assert_eq!(h[8]["note"], "first batch");
    assert_eq!(h[7]["note"], "unpacked");
    assert_eq!(h[7]["location_id"], a);
    assert_eq!(h[7]["location_name"], "Attic");
    assert_eq!(h[5]["location_name"], "Attic");
    assert_eq!(h[5]["to_location_id"], b);
    assert_eq!(h[5]["to_location_name"], "Basement");
    assert_eq!(h[5]["note"], "moved");
    assert_eq!(h[4]["project_id"], p);
    assert_eq!(h[4]["project_name"], "Stage");
    assert_eq!(h[4]["location_id"], Value::Null);

    // Paging.
    let page = c.get(&format!("/api/item/history?id={it}&limit=2&offset=1"));
    assert_eq!(page.header("x-total-count"), Some("9"));
    assert_eq!(page.json().as_array().unwrap().len(), 2);
    assert_eq!(page.json()[0]["id"], h[1]["id"]);
    assert_eq!(c.get("/api/item/history?id=999").status, 404);
    assert_eq!(
        c.get(&format!("/api/item/history?id={it}&limit=0")).json()["field"],
        "limit"
    );

    // The dashboard's feed over all items.
    let other = item(&c, "Fan", 1);
    let recent = c.get("/api/movements?limit=3");
    assert_eq!(recent.status, 200);
    assert_eq!(recent.header("x-total-count"), Some("10"));
    let recent = recent.json();
    assert_eq!(recent.as_array().unwrap().len(), 3);
    assert_eq!(recent[0]["item_id"], other);
    assert_eq!(recent[0]["item_name"], "Fan");
    assert_eq!(recent[1]["item_name"], "Lamp 2");
}

#[test]
fn refused_writes_leave_no_history() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let it = item(&c, "Fuse", 2);
    let l = location(&c, "L");
    let r = c.post(
        "/api/stock",
        json!({"item_id": it, "location_id": l, "quantity": 3}),
    );
    assert_eq!(r.status, 409);
    let r = c.post(
        "/api/stock/transfer",
        json!({"item_id": it, "from_location_id": l, "to_location_id": 99, "quantity": 1}),
    );
    assert_eq!(r.status, 404);
    let h = c.get(&format!("/api/item/history?id={it}")).json();
    assert_eq!(h.as_array().unwrap().len(), 1, "{h}");
    assert_eq!(h[0]["kind"], "total");
}

#[test]
fn history_of_other_users_names_who_did_it() {
    let s = TestServer::start();
    let alice = Client::signed_up(&s, "alice");
    let bob = Client::signed_up(&s, "bob");
    let it = item(&alice, "Shared", 5);
    let l = location(&bob, "Bobs shelf");
    bob.created(
        "/api/stock",
        json!({"item_id": it, "location_id": l, "quantity": 2}),
    );
    let h = alice.get(&format!("/api/item/history?id={it}")).json();
    assert_eq!(h[0]["username"], "bob");
    assert_eq!(h[1]["username"], "alice");
}
