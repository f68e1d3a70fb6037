//! Locations, projects, stock rows, allocations and stats.

use super::*;

#[test]
fn locations_are_managed_with_unique_names_and_contents() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let r = c.post("/api/location", json!({"name": " Shelf A "}));
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.json(),
        json!({"id": r.json()["id"], "name": "Shelf A", "parent_id": null, "path": "Shelf A",
               "depth": 0, "child_locations": 0, "item_count": 0, "total_units": 0})
    );
    let a = r.json()["id"].as_i64().unwrap();
    let r = c.post("/api/location", json!({"name": "shelf a"}));
    assert_eq!(r.status, 409);
    assert_eq!(r.code(), "name_taken");
    assert_eq!(r.json()["existing_id"], a);
    let b = location(&c, "Shelf B");
    let r = c.put(&format!("/api/location?id={b}"), json!({"name": "SHELF A"}));
    assert_eq!(r.status, 409);
    assert_eq!(r.code(), "name_taken");
    // Renaming to a different case of its own name is fine.
    let r = c.put(&format!("/api/location?id={a}"), json!({"name": "shelf A"}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["name"], "shelf A");
    let r = c.put(&format!("/api/location?id={a}"), json!({}));
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["field"], "name");

    let bolt = item(&c, "Bolt", 50);
    let nut = item(&c, "Nut", 50);
    let s1 = stock(&c, nut, a, 7);
    let s2 = stock(&c, bolt, a, 5);
    let one = c.get(&format!("/api/location?id={a}")).json();
    assert_eq!(one["item_count"], 2);
    assert_eq!(one["total_units"], 12);
    assert!(one.get("items").is_none());
    let one = c.get(&format!("/api/location?id={a}&content=true")).json();
    assert_eq!(
        one["items"],
        json!([
            {"stock_id": s2, "item_id": bolt, "item_name": "Bolt", "quantity": 5},
            {"stock_id": s1, "item_id": nut, "item_name": "Nut", "quantity": 7},
        ])
    );
    let all = c.get("/api/location?content=true").json();
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert_eq!(all[0]["items"].as_array().unwrap().len(), 2);
    assert_eq!(all[1]["items"], json!([]));

    let r = c.delete(&format!("/api/location?id={a}"));
    assert_eq!(r.status, 409);
    assert_eq!(r.code(), "in_use");
    assert_eq!(r.json()["stock_rows"], 2);
    assert!(r.json()["error"].as_str().unwrap().contains("2 stock rows"));
    let r = c.delete(&format!("/api/location?id={b}"));
    assert_eq!(
        r.json(),
        json!({"deleted": true, "archived": false, "id": b})
    );
    assert_eq!(c.get(&format!("/api/location?id={b}")).status, 404);
    assert_eq!(
        c.get(&format!("/api/location?id={b}")).json()["error"],
        format!("Location {b} does not exist.")
    );
}

#[test]
fn projects_are_managed_with_unique_names_and_details() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let r = c.post(
        "/api/project",
        json!({"name": "Robot", "description": "Line follower"}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let p = r.json()["id"].as_i64().unwrap();
    assert_eq!(
        r.json(),
        json!({"id": p, "name": "Robot", "description": "Line follower", "item_count": 0, "allocated_units": 0})
    );
    let r = c.post("/api/project", json!({"name": "ROBOT"}));
    assert_eq!(r.status, 409);
    assert_eq!(r.code(), "name_taken");
    assert_eq!(r.json()["existing_id"], p);
    let r = c.put(
        &format!("/api/project?id={p}"),
        json!({"description": "v2"}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["name"], "Robot");
    assert_eq!(r.json()["description"], "v2");
    let r = c.put(&format!("/api/project?id={p}"), json!({"name": "Rover"}));
    assert_eq!(r.json()["name"], "Rover");
    assert_eq!(r.json()["description"], "v2");

    let it = item(&c, "Wheel", 8);
    let al = allocate(&c, it, p, 4);
    let one = c.get(&format!("/api/project?id={p}&details=true")).json();
    assert_eq!(one["item_count"], 1);
    assert_eq!(one["allocated_units"], 4);
    assert_eq!(
        one["allocations"],
        json!([{"association_id": al, "item_id": it, "item_name": "Wheel", "quantity": 4}])
    );
    assert!(c.get("/api/project").json()[0].get("allocations").is_none());
    assert_eq!(
        c.get("/api/project?details=true").json()[0]["allocations"][0]["quantity"],
        4
    );
    let r = c.delete(&format!("/api/project?id={p}"));
    assert_eq!(r.status, 409);
    assert_eq!(r.code(), "in_use");
    assert_eq!(r.json()["allocation_rows"], 1);
    c.delete(&format!("/api/association?id={al}"));
    // It had allocations, so it is archived, not gone.
    assert_eq!(
        c.delete(&format!("/api/project?id={p}")).json(),
        json!({"deleted": true, "archived": true, "id": p})
    );
    assert_eq!(c.get("/api/project").json(), json!([]));
    assert!(c.get(&format!("/api/project?id={p}")).json()["archived_at"].is_i64());
}

#[test]
fn stock_rows_are_created_read_updated_and_deleted() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let it = item(&c, "Screw", 100);
    let a = location(&c, "Bin 1");
    let b = location(&c, "Bin 2");
    let r = c.post(
        "/api/stock",
        json!({"item_id": it, "location_id": a, "quantity": 30, "note": "delivery"}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json()["id"].as_i64().unwrap();
    assert_eq!(
        r.json(),
        json!({"id": id, "item_id": it, "item_name": "Screw", "location_id": a, "location_name": "Bin 1", "quantity": 30})
    );
    let r = c.post(
        "/api/stock",
        json!({"item_id": it, "location_id": a, "quantity": 1}),
    );
    assert_eq!(r.status, 409);
    assert_eq!(r.code(), "duplicate");
    assert_eq!(r.json()["existing_id"], id);
    let other = stock(&c, it, b, 5);

    assert_eq!(c.get(&format!("/api/stock?id={id}")).json()["quantity"], 30);
    assert_eq!(c.get("/api/stock").json().as_array().unwrap().len(), 2);
    let r = c.get(&format!("/api/stock?location_id={b}"));
    assert_eq!(r.json().as_array().unwrap().len(), 1);
    assert_eq!(r.json()[0]["id"], other);
    assert_eq!(r.header("x-total-count"), Some("1"));
    assert_eq!(
        c.get(&format!("/api/stock?item_id={it}"))
            .json()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(c.get("/api/stock?item_id=999").json(), json!([]));

    let r = c.put(&format!("/api/stock?id={id}"), json!({"quantity": 12}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["quantity"], 12);
    let r = c.put(&format!("/api/stock?id={id}"), json!({"quantity": -2}));
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["field"], "quantity");
    let r = c.put(&format!("/api/stock?id={id}"), json!({"note": "x"}));
    assert_eq!(r.status, 400);
    assert_eq!(r.code(), "missing_field");
    let r = c.put(
        &format!("/api/stock?id={id}"),
        json!({"quantity": 1, "location_id": b}),
    );
    assert_eq!(r.code(), "unknown_field");

    let r = c.delete(&format!("/api/stock?id={id}"));
    assert_eq!(r.json(), json!({"deleted": true, "id": id}));
    let r = c.get(&format!("/api/stock?id={id}"));
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"], format!("Stock row {id} does not exist."));
    assert_eq!(get_item(&c, it)["stocked_quantity"], 5);
}

#[test]
fn stock_and_allocations_need_existing_rows() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let it = item(&c, "Gear", 5);
    let l = location(&c, "L");
    let p = project(&c, "P");
    let r = c.post(
        "/api/stock",
        json!({"item_id": 77, "location_id": l, "quantity": 1}),
    );
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"], "Item 77 does not exist.");
    let r = c.post(
        "/api/stock",
        json!({"item_id": it, "location_id": 78, "quantity": 1}),
    );
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"], "Location 78 does not exist.");
    let r = c.post(
        "/api/association",
        json!({"item_id": it, "project_id": 79, "quantity": 1}),
    );
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"], "Project 79 does not exist.");
    let r = c.post(
        "/api/association",
        json!({"item_id": 80, "project_id": p, "quantity": 1}),
    );
    assert_eq!(r.json()["error"], "Item 80 does not exist.");
    for (path, body, field) in [
        (
            "/api/stock",
            json!({"item_id": "1", "location_id": l, "quantity": 1}),
            "item_id",
        ),
        (
            "/api/stock",
            json!({"item_id": it, "location_id": 0, "quantity": 1}),
            "location_id",
        ),
        (
            "/api/stock",
            json!({"item_id": it, "location_id": l, "quantity": 0.5}),
            "quantity",
        ),
        (
            "/api/association",
            json!({"item_id": it, "project_id": p, "quantity": -1}),
            "quantity",
        ),
        (
            "/api/association",
            json!({"item_id": it, "project_id": 1.5, "quantity": 1}),
            "project_id",
        ),
    ] {
        let r = c.post(path, body.clone());
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert_eq!(r.json()["field"], field, "{body}");
    }
    let r = c.post("/api/stock", json!({"item_id": it, "location_id": l}));
    assert_eq!(r.code(), "missing_field");
    assert_eq!(r.json()["field"], "quantity");
    assert_eq!(c.delete("/api/association?id=5").status, 404);
    assert_eq!(
        c.put("/api/association?id=5", json!({"quantity": 1}))
            .json()["error"],
        "Allocation 5 does not exist."
    );
}

#[test]
fn allocations_are_created_read_updated_and_deleted() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let it = item(&c, "Sensor", 10);
    let other = item(&c, "Board", 10);
    let p = project(&c, "Drone");
    let q = project(&c, "Boat");
    let r = c.post(
        "/api/association",
        json!({"item_id": it, "project_id": p, "quantity": 3, "note": "prototype"}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json()["id"].as_i64().unwrap();
    assert_eq!(
        r.json(),
        json!({"id": id, "item_id": it, "item_name": "Sensor", "project_id": p, "project_name": "Drone", "quantity": 3})
    );
    let r = c.post(
        "/api/association",
        json!({"item_id": it, "project_id": p, "quantity": 1}),
    );
    assert_eq!(r.status, 409);
    assert_eq!(r.code(), "duplicate");
    assert_eq!(r.json()["existing_id"], id);
    allocate(&c, it, q, 2);
    allocate(&c, other, p, 1);
    assert_eq!(
        c.get(&format!("/api/association?id={id}")).json()["quantity"],
        3
    );
    let by_project = c.get(&format!("/api/association?project_id={p}"));
    assert_eq!(by_project.json().as_array().unwrap().len(), 2);
    assert_eq!(by_project.header("x-total-count"), Some("2"));
    let by_item = c.get(&format!("/api/association?item_id={it}"));
    assert_eq!(by_item.json().as_array().unwrap().len(), 2);
    let both = c.get(&format!("/api/association?item_id={it}&project_id={q}"));
    assert_eq!(both.json().as_array().unwrap().len(), 1);
    let r = c.put(&format!("/api/association?id={id}"), json!({"quantity": 8}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["quantity"], 8);
    assert_eq!(get_item(&c, it)["allocated_quantity"], 10);
    let r = c.delete(&format!("/api/association?id={id}"));
    assert_eq!(r.json(), json!({"deleted": true, "id": id}));
    assert_eq!(get_item(&c, it)["allocated_quantity"], 2);
}

#[test]
fn stats_count_units_and_short_items() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let empty = c.get("/api/stats");
    assert_eq!(empty.status, 200);
    assert_eq!(empty.json()["items"], 0);
    assert_eq!(empty.json()["short_items"], json!([]));

    let a = item(&c, "A", 10);
    let b = item(&c, "B", 20);
    item(&c, "C", 5);
    let l = location(&c, "L");
    location(&c, "M");
    let p = project(&c, "P");
    stock(&c, a, l, 2);
    allocate(&c, a, p, 7);
    stock(&c, b, l, 20);
    allocate(&c, b, p, 4);
    let st = c.get("/api/stats").json();
    assert_eq!(
        st,
        json!({
            "items": 3, "locations": 2, "projects": 1,
            "units_total": 35, "units_stocked": 22, "units_allocated": 11,
            "units_available": 24, "items_short": 1,
            "short_items": [{"id": a, "name": "A", "stocked_quantity": 2, "allocated_quantity": 7, "missing": 5}],
            // Issue 19: no item has a minimum, so none is low.
            "items_low": 0, "reorder": []
        })
    );
}

#[test]
fn unknown_methods_and_paths_answer_405_and_404() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let r = c.send("PATCH", "/api/item", Some(json!({})));
    assert_eq!(r.status, 405);
    assert!(r.header("allow").unwrap().contains("DELETE"));
    assert_eq!(c.get("/api/stock/transfer").status, 405);
    assert_eq!(c.get("/api/items").status, 404);
}
