//! Items: every route needs a user; created, read, updated, deleted; bad input; what blocks a delete.

use super::*;

#[test]
fn every_inventory_route_needs_a_logged_in_user() {
    let s = TestServer::start();
    let anon = s.client();
    for (method, path) in [
        ("GET", "/api/item"),
        ("POST", "/api/item"),
        ("PUT", "/api/item?id=1"),
        ("DELETE", "/api/item?id=1"),
        ("GET", "/api/item/history?id=1"),
        ("GET", "/api/movements"),
        ("GET", "/api/location"),
        ("POST", "/api/location"),
        ("PUT", "/api/location?id=1"),
        ("DELETE", "/api/location?id=1"),
        ("GET", "/api/project"),
        ("POST", "/api/project"),
        ("PUT", "/api/project?id=1"),
        ("DELETE", "/api/project?id=1"),
        ("GET", "/api/stock"),
        ("POST", "/api/stock"),
        ("PUT", "/api/stock?id=1"),
        ("DELETE", "/api/stock?id=1"),
        ("POST", "/api/stock/transfer"),
        ("GET", "/api/association"),
        ("POST", "/api/association"),
        ("PUT", "/api/association?id=1"),
        ("DELETE", "/api/association?id=1"),
        ("GET", "/api/stats"),
    ] {
        let body = (method != "GET" && method != "DELETE").then(|| json!({}));
        let r = anon.send(method, path, body);
        assert_eq!(r.status, 401, "{method} {path}: {}", r.text);
        assert_eq!(r.code(), "unauthenticated");
    }
}

#[test]
fn items_are_created_read_updated_and_deleted() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let r = c.post(
        "/api/item",
        json!({"name": "  Resistor 10k ", "category": "Passives", "description": "0603", "total_quantity": 100}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let it = r.json();
    let id = it["id"].as_i64().unwrap();
    assert_eq!(it["name"], "Resistor 10k");
    assert_eq!(it["category"], "Passives");
    assert_eq!(it["description"], "0603");
    for (k, v) in [
        ("total_quantity", 100),
        ("stocked_quantity", 0),
        ("allocated_quantity", 0),
        ("available_quantity", 100),
        ("unstocked_quantity", 100),
        ("location_count", 0),
        ("project_count", 0),
    ] {
        assert_eq!(it[k], v, "{k}");
    }

    // Defaults: only a name is needed.
    let r = c.post("/api/item", json!({"name": "Bare"}));
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["total_quantity"], 0);
    assert_eq!(r.json()["category"], Value::Null);

    let list = c.get("/api/item");
    assert_eq!(list.status, 200);
    assert_eq!(list.json().as_array().unwrap().len(), 2);
    assert_eq!(list.header("x-total-count"), Some("2"));
    assert_eq!(get_item(&c, id)["name"], "Resistor 10k");

    // A partial update leaves the other fields alone.
    let r = c.put(
        &format!("/api/item?id={id}"),
        json!({"total_quantity": 120}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["total_quantity"], 120);
    assert_eq!(r.json()["name"], "Resistor 10k");
    assert_eq!(r.json()["category"], "Passives");
    let r = c.put(
        &format!("/api/item?id={id}"),
        json!({"name": "R 10k", "category": null, "description": ""}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["name"], "R 10k");
    assert_eq!(r.json()["category"], Value::Null);
    assert_eq!(r.json()["description"], Value::Null);
    assert_eq!(r.json()["total_quantity"], 120);

    // Its total changed, so it has history: deleting archives it, and an
    // archived item takes no changes.
    let r = c.delete(&format!("/api/item?id={id}"));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json(),
        json!({"deleted": true, "archived": true, "id": id})
    );
    assert!(get_item(&c, id)["archived_at"].is_i64());
    assert_eq!(c.get("/api/item").header("x-total-count"), Some("1"));
    assert_eq!(c.delete(&format!("/api/item?id={id}")).code(), "archived");
    let r = c.put(&format!("/api/item?id={id}"), json!({"name": "x"}));
    assert_eq!(r.status, 409);
    assert_eq!(r.code(), "archived");
    // One with no history but its creation is deleted for good.
    let bare = c.get("/api/item?q=Bare").json()[0]["id"].as_i64().unwrap();
    let r = c.delete(&format!("/api/item?id={bare}"));
    assert_eq!(
        r.json(),
        json!({"deleted": true, "archived": false, "id": bare})
    );
    let r = c.get(&format!("/api/item?id={bare}"));
    assert_eq!(r.status, 404);
    assert_eq!(r.code(), "not_found");
    assert_eq!(r.json()["error"], format!("Item {bare} does not exist."));
    assert_eq!(c.delete(&format!("/api/item?id={bare}")).status, 404);
    assert_eq!(
        c.put(&format!("/api/item?id={bare}"), json!({"name": "x"}))
            .status,
        404
    );
}

#[test]
fn item_aggregates_follow_stock_and_allocations() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let it = item(&c, "Cable", 10);
    let (a, b) = (location(&c, "Shelf A"), location(&c, "Shelf B"));
    let p = project(&c, "Robot");
    stock(&c, it, a, 4);
    stock(&c, it, b, 3);
    allocate(&c, it, p, 6);
    let v = get_item(&c, it);
    assert_eq!(v["stocked_quantity"], 7);
    assert_eq!(v["allocated_quantity"], 6);
    assert_eq!(v["available_quantity"], 4);
    assert_eq!(v["unstocked_quantity"], 3);
    assert_eq!(v["location_count"], 2);
    assert_eq!(v["project_count"], 1);
    let listed = c.get("/api/item").json();
    assert_eq!(listed[0], v);
}

#[test]
fn bad_item_input_is_refused_naming_the_field() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let long = "x".repeat(201);
    for (body, field) in [
        (json!({"name": ""}), "name"),
        (json!({"name": "   "}), "name"),
        (json!({"name": long}), "name"),
        (json!({"name": 5}), "name"),
        (json!({"name": null}), "name"),
        (
            json!({"name": "ok", "total_quantity": -1}),
            "total_quantity",
        ),
        (
            json!({"name": "ok", "total_quantity": 1.5}),
            "total_quantity",
        ),
        // Whole but beyond 2^53: a float cannot say which number was meant.
        (
            json!({"name": "ok", "total_quantity": 9_007_199_254_740_994.0}),
            "total_quantity",
        ),
        (
            json!({"name": "ok", "total_quantity": "3"}),
            "total_quantity",
        ),
        (
            json!({"name": "ok", "total_quantity": null}),
            "total_quantity",
        ),
        (
            json!({"name": "ok", "total_quantity": 99_999_999_999_999_i64}),
            "total_quantity",
        ),
        (json!({"name": "ok", "category": 7}), "category"),
        // Over the limit as sent, even if blank once trimmed.
        (json!({"name": "ok", "sku": " ".repeat(101)}), "sku"),
    ] {
        let r = c.post("/api/item", body.clone());
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert_eq!(r.code(), "invalid_field", "{body}: {}", r.text);
        assert_eq!(r.json()["field"], field, "{body}: {}", r.text);
    }
    let r = c.post("/api/item", json!({"total_quantity": 3}));
    assert_eq!(r.status, 400);
    assert_eq!(r.code(), "missing_field");
    assert_eq!(r.json()["field"], "name");
    let r = c.post("/api/item", json!({"name": "ok", "colour": "red"}));
    assert_eq!(r.status, 400);
    assert_eq!(r.code(), "unknown_field");
    assert_eq!(r.json()["field"], "colour");
    let r = c.post("/api/item", json!(["name"]));
    assert_eq!(r.status, 400);
    let r = c.send_with(
        "POST",
        "/api/item",
        Some(json!({"name": "x"})),
        &[("Content-Type", "text/plain")],
    );
    assert_eq!(r.status, 415);
    for bad in ["/api/item?id=abc", "/api/item?id=0", "/api/item?id=-3"] {
        let r = c.get(bad);
        assert_eq!(r.status, 400, "{bad}");
        assert_eq!(r.json()["field"], "id");
    }
    let r = c.put("/api/item", json!({"name": "x"}));
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["field"], "id");
    // Nothing was created by any of the refused requests.
    assert_eq!(c.get("/api/item").header("x-total-count"), Some("0"));
}

#[test]
fn deleting_an_item_in_use_says_what_blocks_it() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let it = item(&c, "Motor", 10);
    let (a, b) = (location(&c, "A"), location(&c, "B"));
    let p = project(&c, "P");
    let s1 = stock(&c, it, a, 1);
    let s2 = stock(&c, it, b, 1);
    let al = allocate(&c, it, p, 2);
    let r = c.delete(&format!("/api/item?id={it}"));
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.code(), "in_use");
    assert_eq!(r.json()["stock_rows"], 2);
    assert_eq!(r.json()["allocation_rows"], 1);
    let msg = r.json()["error"].as_str().unwrap().to_string();
    assert!(
        msg.contains("is stocked in 2 locations and allocated to 1 project"),
        "{msg}"
    );
    c.delete(&format!("/api/stock?id={s1}"));
    c.delete(&format!("/api/stock?id={s2}"));
    let r = c.delete(&format!("/api/item?id={it}"));
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["stock_rows"], 0);
    let msg = r.json()["error"].as_str().unwrap().to_string();
    assert!(msg.contains("is allocated to 1 project"), "{msg}");
    assert!(!msg.contains("stocked"), "{msg}");
    c.delete(&format!("/api/association?id={al}"));
    assert_eq!(c.delete(&format!("/api/item?id={it}")).status, 200);
}
