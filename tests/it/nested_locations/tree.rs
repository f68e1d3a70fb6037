//! The tree: paths and depth, no cycles, sixteen levels, names unique among siblings, one level
//! listed with paging.

use super::*;

#[test]
fn a_location_answers_its_parent_path_and_depth() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let garage = location_in(&c, "Garage", None);
    let shelf = location_in(&c, "Shelf A", Some(garage));
    let r = c.post(
        "/api/location",
        json!({"name": "Bin 3", "parent_id": shelf}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let bin = r.json()["id"].as_i64().unwrap();
    assert_eq!(r.json()["parent_id"], shelf);
    assert_eq!(r.json()["path"], "Garage / Shelf A / Bin 3");
    assert_eq!(r.json()["depth"], 2);
    let top = c.get(&format!("/api/location?id={garage}")).json();
    assert_eq!(top["parent_id"], Value::Null);
    assert_eq!(top["path"], "Garage");
    assert_eq!(top["depth"], 0);
    assert_eq!(top["child_locations"], 1);

    // Renaming a location changes the paths of everything inside it.
    let r = c.put(
        &format!("/api/location?id={garage}"),
        json!({"name": "Workshop"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let r = c.get(&format!("/api/location?id={bin}")).json();
    assert_eq!(r["path"], "Workshop / Shelf A / Bin 3");

    // Moving to the top level and back.
    let r = move_to(&c, shelf, Value::Null);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["depth"], 0);
    assert_eq!(r.json()["parent_id"], Value::Null);
    let r = c.get(&format!("/api/location?id={bin}")).json();
    assert_eq!(r["path"], "Shelf A / Bin 3");
    let r = move_to(&c, shelf, json!(garage));
    assert_eq!(r.json()["path"], "Workshop / Shelf A");
    // A rename alone keeps the parent.
    let r = c.put(
        &format!("/api/location?id={shelf}"),
        json!({"name": "Shelf 1"}),
    );
    assert_eq!(r.json()["parent_id"], garage);

    // Bad parents: missing, archived, not a whole number.
    let r = c.post("/api/location", json!({"name": "X", "parent_id": 999}));
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(r.json()["field"], "parent_id");
    let r = c.post("/api/location", json!({"name": "X", "parent_id": 0}));
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json()["field"], "parent_id");
    let r = c.post("/api/location", json!({"name": "X", "parent_id": "1"}));
    assert_eq!(r.status, 400, "{}", r.text);
    let old = location_in(&c, "Old", None);
    let bolt = item(&c, "Bolt", 5);
    let row = stock(&c, bolt, old, 1);
    c.delete(&format!("/api/stock?id={row}"));
    let r = c.delete(&format!("/api/location?id={old}"));
    assert_eq!(r.json()["archived"], true, "{}", r.text);
    let r = c.post("/api/location", json!({"name": "X", "parent_id": old}));
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.code(), "archived");
    assert_eq!(r.json()["field"], "parent_id");
    assert_eq!(move_to(&c, bin, json!(old)).code(), "archived");
}

#[test]
fn a_move_that_would_make_a_location_its_own_ancestor_is_refused() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let garage = location_in(&c, "Garage", None);
    let shelf = location_in(&c, "Shelf A", Some(garage));
    let bin = location_in(&c, "Bin 3", Some(shelf));

    let r = move_to(&c, garage, json!(garage));
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.code(), "location_cycle");
    assert_eq!(r.json()["field"], "parent_id");
    assert!(r.text.contains("cannot be inside itself"), "{}", r.text);

    for inside in [shelf, bin] {
        let r = move_to(&c, garage, json!(inside));
        assert_eq!(r.status, 409, "{}", r.text);
        assert_eq!(r.code(), "location_cycle");
        assert_eq!(r.json()["parent_id"], inside);
    }
    let r = move_to(&c, garage, json!(bin));
    assert!(
        r.json()["error"]
            .as_str()
            .unwrap()
            .contains("'Garage' cannot be moved into 'Bin 3': 'Bin 3' is inside 'Garage'"),
        "{}",
        r.text
    );
    // Nothing moved.
    assert_eq!(
        c.get(&format!("/api/location?id={bin}")).json()["path"],
        "Garage / Shelf A / Bin 3"
    );
    // Moving a location up inside its own subtree is fine.
    let r = move_to(&c, bin, json!(garage));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["path"], "Garage / Bin 3");
}

#[test]
fn locations_nest_at_most_sixteen_levels_below_the_top() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let mut chain = vec![location_in(&c, "L0", None)];
    for depth in 1..=16 {
        let id = location_in(&c, &format!("L{depth}"), chain.last().copied());
        chain.push(id);
    }
    let deepest = c.get(&format!("/api/location?id={}", chain[16])).json();
    assert_eq!(deepest["depth"], 16);
    let r = c.post(
        "/api/location",
        json!({"name": "L17", "parent_id": chain[16]}),
    );
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.code(), "too_deep");
    assert_eq!(r.json()["field"], "parent_id");
    assert_eq!(r.json()["max_depth"], 16);

    // A move counts the levels inside the moved location too.
    let other = location_in(&c, "Other", None);
    let inner = location_in(&c, "Inner", Some(other));
    let r = move_to(&c, other, json!(chain[15]));
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.code(), "too_deep");
    assert_eq!(r.json()["depth"], 17);
    let r = move_to(&c, other, json!(chain[14]));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        c.get(&format!("/api/location?id={inner}")).json()["depth"],
        16
    );
}

#[test]
fn names_are_unique_among_siblings_ignoring_case() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let garage = location_in(&c, "Garage", None);
    let basement = location_in(&c, "Basement", None);
    let a = location_in(&c, "Shelf A", Some(garage));
    // The same name under another parent, and at top level, is fine.
    let b = location_in(&c, "Shelf A", Some(basement));
    let top = location_in(&c, "Shelf A", None);
    assert_ne!(a, b);

    let r = c.post(
        "/api/location",
        json!({"name": "shelf a", "parent_id": garage}),
    );
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.code(), "name_taken");
    assert_eq!(r.json()["existing_id"], a);
    assert_eq!(r.json()["parent_id"], garage);
    assert_eq!(
        r.json()["error"],
        "'Garage' already has a location named 'shelf a'."
    );
    let r = c.post("/api/location", json!({"name": "SHELF A"}));
    assert_eq!(r.code(), "name_taken");
    assert_eq!(r.json()["existing_id"], top);
    assert_eq!(r.json()["parent_id"], Value::Null);
    assert!(r.text.contains("top-level"), "{}", r.text);

    // Moving into a parent that has the name already is refused the same way.
    let r = move_to(&c, b, json!(garage));
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.code(), "name_taken");
    assert_eq!(r.json()["existing_id"], a);
    assert_eq!(r.json()["field"], "name");
    assert_eq!(move_to(&c, top, json!(basement)).code(), "name_taken");
    // Moving with a new name that is free there works in one step.
    let r = c.put(
        &format!("/api/location?id={b}"),
        json!({"name": "Shelf B", "parent_id": garage}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["path"], "Garage / Shelf B");
    // A different case of its own name is fine.
    let r = c.put(&format!("/api/location?id={a}"), json!({"name": "SHELF A"}));
    assert_eq!(r.status, 200, "{}", r.text);
}

#[test]
fn one_level_is_listed_with_paging() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let garage = location_in(&c, "Garage", None);
    location_in(&c, "Basement", None);
    for n in [10, 2, 1, 3, 20] {
        location_in(&c, &format!("Shelf {n}"), Some(garage));
    }
    let shelf1 = c
        .get(&format!(
            "/api/location?parent_id={garage}&q=Shelf%201&sort=name"
        ))
        .json()[0]["id"]
        .as_i64()
        .unwrap();
    location_in(&c, "Bin", Some(shelf1));

    let r = c.get("/api/location?top=true&sort=name");
    assert_eq!(names(&r.json()), ["Basement", "Garage"]);
    assert_eq!(r.header("x-total-count"), Some("2"));

    // One level, in natural order, paged with cursors.
    let r = c.get(&format!(
        "/api/location?parent_id={garage}&sort=name&limit=2"
    ));
    assert_eq!(names(&r.json()), ["Shelf 1", "Shelf 2"]);
    assert_eq!(r.header("x-total-count"), Some("5"));
    let cursor = r.header("x-next-cursor").unwrap().to_string();
    let r = c.get(&format!(
        "/api/location?parent_id={garage}&sort=name&limit=2&cursor={cursor}"
    ));
    assert_eq!(names(&r.json()), ["Shelf 3", "Shelf 10"]);
    let cursor = r.header("x-next-cursor").unwrap().to_string();
    let r = c.get(&format!(
        "/api/location?parent_id={garage}&sort=name&limit=2&cursor={cursor}"
    ));
    assert_eq!(names(&r.json()), ["Shelf 20"]);
    assert_eq!(r.header("x-next-cursor"), None);
    // Descending, searched, with offset.
    let r = c.get(&format!(
        "/api/location?parent_id={garage}&sort=name&order=desc&q=2&offset=0&limit=5"
    ));
    assert_eq!(names(&r.json()), ["Shelf 20", "Shelf 2"]);
    assert_eq!(r.header("x-total-count"), Some("2"));
    // Without a level: every location, at any depth.
    assert_eq!(c.get("/api/location").header("x-total-count"), Some("8"));

    let r = c.get("/api/location?parent_id=999");
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(r.json()["field"], "parent_id");
    let r = c.get(&format!("/api/location?parent_id={garage}&top=true"));
    assert_eq!(r.status, 400, "{}", r.text);
    let r = c.get("/api/location?parent_id=x");
    assert_eq!(r.status, 400, "{}", r.text);
}
