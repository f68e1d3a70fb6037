//! Minimums, low items and the events of each transition, also under parallel writers.

use super::*;

fn set_allocation(c: &Client, id: i64, quantity: i64) {
    let r = c.put(
        &format!("/api/association?id={id}"),
        json!({"quantity": quantity}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
}

#[test]
fn items_carry_their_minimum_and_low_items_are_listed_counted_and_exported() {
    let server = TestServer::start();
    let c = Client::signed_up(&server, "alice");
    let created = c.post(
        "/api/item",
        json!({"name": "M3 screws", "total_quantity": 3, "min_quantity": 5, "reorder_quantity": 100}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let screws = created.json();
    assert_eq!(screws["min_quantity"], 5);
    assert_eq!(screws["reorder_quantity"], 100);
    assert_eq!(screws["low"], true);
    let plain = c.created("/api/item", json!({"name": "Glue", "total_quantity": 1}));
    let r = c.get(&format!("/api/item?id={plain}")).json();
    assert_eq!(
        (r["min_quantity"].clone(), r["low"].clone()),
        (json!(0), json!(false))
    );
    assert!(r["reorder_quantity"].is_null());
    let nuts = item(&c, "=Nuts, \"hex\"", 10, 11);
    for n in 0..5 {
        item(&c, &format!("Fine {n}"), 10, 2);
    }

    // Bad values are refused with the field named.
    for (body, field) in [
        (json!({"name": "x", "min_quantity": -1}), "min_quantity"),
        (json!({"name": "x", "min_quantity": 1.5}), "min_quantity"),
        (
            json!({"name": "x", "reorder_quantity": 0}),
            "reorder_quantity",
        ),
    ] {
        let r = c.post("/api/item", body);
        assert_eq!(
            (r.status, r.json()["field"].clone()),
            (400, json!(field)),
            "{}",
            r.text
        );
    }

    // The filter, paged with a cursor: exactly the two low items, once each.
    let first = c.get("/api/item?low=true&limit=1&sort=name");
    assert_eq!(first.header("X-Total-Count"), Some("2"));
    let cursor = first
        .header("X-Next-Cursor")
        .expect("a full page has a cursor")
        .to_string();
    let second = c.get(&format!(
        "/api/item?low=true&limit=1&sort=name&cursor={cursor}"
    ));
    let names: Vec<Value> = [first.json(), second.json()]
        .iter()
        .map(|p| p[0]["name"].clone())
        .collect();
    assert_eq!(names, [json!("=Nuts, \"hex\""), json!("M3 screws")]);
    assert!(second.json()[0]["low"].as_bool().unwrap());

    let stats = c.get("/api/stats").json();
    assert_eq!(stats["items_low"], 2);
    assert_eq!(stats["reorder"].as_array().unwrap().len(), 2);

    // Editing the minimum takes an item off the list; the reorder quantity
    // can be cleared.
    let r = c.put(&format!("/api/item?id={nuts}"), json!({"min_quantity": 0}));
    assert_eq!((r.status, r.json()["low"].clone()), (200, json!(false)));
    let r = c.put(
        &format!("/api/item?id={}", screws["id"]),
        json!({"reorder_quantity": null}),
    );
    assert!(r.json()["reorder_quantity"].is_null());
    assert_eq!(c.get("/api/stats").json()["items_low"], 1);
    c.put(&format!("/api/item?id={nuts}"), json!({"min_quantity": 11}));

    let csv = c.get("/api/reorder.csv");
    assert_eq!(csv.status, 200);
    assert!(csv.header("Content-Type").unwrap().starts_with("text/csv"));
    assert_eq!(
        csv.text,
        "name,sku,available,min,order\r\n\"'=Nuts, \"\"hex\"\"\",,10,11,1\r\nM3 screws,,3,5,2\r\n"
    );
}

#[test]
fn each_transition_is_one_event_and_reaches_a_signed_webhook() {
    let server = TestServer::start_with(FAST);
    let c = Client::signed_up(&server, "admin");
    let rx = Receiver::start();
    webhook(
        &c,
        &rx.url,
        &["item.low", "item.short", "item.back_above_min"],
    );
    let bolts = item(&c, "Bolts", 10, 4);
    let p = project(&c, "Robot");
    let a = allocate(&c, bolts, p, 5); // 5 available: fine
    set_allocation(&c, a, 7); // 3 available: low
    set_allocation(&c, a, 8); // still low: no event
    set_allocation(&c, a, 9); // still low: no event
    set_allocation(&c, a, 2); // back above
    // Nothing stocked: any allocation is short.
    assert_eq!(
        outbox(&server),
        [
            ("item.short".to_string(), bolts),
            ("item.low".to_string(), bolts),
            ("item.back_above_min".to_string(), bolts)
        ]
    );

    let got = rx.wait_for(3);
    wait_all_delivered(&server);
    assert_eq!(rx.requests().len(), 3, "one delivery per event");
    let events: Vec<String> = got
        .iter()
        .map(|r| r.json()["event"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(events, ["item.short", "item.low", "item.back_above_min"]);
    for r in &got {
        assert_eq!(r.method, "POST");
        let body = r.json();
        assert_eq!(body["item"]["name"], "Bolts");
        assert_eq!(r.header("X-MiauInv-Event-Id"), body["event_id"].as_str());
        assert!(body["at"].as_i64().unwrap() > 0);
        assert!(body["server"].is_string());
        // Verified with an HMAC written out here, not the server's crate.
        let expected = format!("sha256={}", hmac_sha256_hex(SECRET.as_bytes(), &r.body));
        assert_eq!(r.header("X-MiauInv-Signature"), Some(expected.as_str()));
    }
    assert_eq!(got[1].json()["item"]["available_quantity"], 3);
    assert_eq!(got[1].json()["item"]["min_quantity"], 4);

    // The admin page's list shows them sent.
    let list = c.get("/api/admin/notifications").json();
    let deliveries = list["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 3);
    assert!(deliveries.iter().all(|d| d["status"] == "sent"));
}

#[test]
fn a_transfer_never_looks_short_halfway() {
    let server = TestServer::start();
    let c = Client::signed_up(&server, "admin");
    let thing = item(&c, "Gears", 10, 0);
    let a = c.created("/api/location", json!({"name": "A"}));
    let b = c.created("/api/location", json!({"name": "B"}));
    c.created(
        "/api/stock",
        json!({"item_id": thing, "location_id": a, "quantity": 5}),
    );
    allocate(&c, thing, project(&c, "Mill"), 5);
    // The source row goes before the target fills: for a moment nothing is
    // stocked, but the transaction as a whole changes nothing.
    let r = c.post(
        "/api/stock/transfer",
        json!({"item_id": thing, "from_location_id": a, "to_location_id": b, "quantity": 5}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(outbox(&server), []);
}

#[test]
fn sixteen_parallel_writers_make_one_event_per_transition() {
    let server = TestServer::start();
    let c = Client::signed_up(&server, "admin");
    // 100 units, minimum 50: low once the 16 projects hold more than 50.
    let thing = item(&c, "Contested", 100, 50);
    // All of it on a shelf: never short, so only low and back are in play.
    let shelf = c.created("/api/location", json!({"name": "Shelf"}));
    c.created(
        "/api/stock",
        json!({"item_id": thing, "location_id": shelf, "quantity": 100}),
    );
    let rows: Vec<i64> = (0..16)
        .map(|n| allocate(&c, thing, project(&c, &format!("P{n}")), 1))
        .collect();
    std::thread::scope(|s| {
        for (n, row) in rows.iter().enumerate() {
            let c = &c;
            s.spawn(move || {
                for round in 0..12 {
                    let quantity = if (round + n) % 2 == 0 { 6 } else { 1 };
                    set_allocation(c, *row, quantity);
                }
            });
        }
    });
    let events: Vec<String> = outbox(&server).into_iter().map(|(e, _)| e).collect();
    assert!(events.len() >= 2, "the threshold was crossed: {events:?}");
    // Strictly alternating: a repeated event would be a transition counted
    // twice, a missing one two of the same in a row.
    for (n, e) in events.iter().enumerate() {
        let expected = if n % 2 == 0 {
            "item.low"
        } else {
            "item.back_above_min"
        };
        assert_eq!(e, expected, "event {n} of {events:?}");
    }
    let now_low = c.get(&format!("/api/item?id={thing}")).json()["low"]
        .as_bool()
        .unwrap();
    assert_eq!(
        now_low,
        events.len() % 2 == 1,
        "the last event matches the state"
    );
}
