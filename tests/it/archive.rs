//! Nothing is lost on delete: an item, location or project with history is
//! archived (hidden from lists, kept for its history, restorable), history
//! keeps the names as they were, and a hard delete is only for rows with no
//! history.

use crate::common;
use common::create::ids;
use common::{Client, TestServer};
use serde_json::{Value, json};

#[test]
fn an_item_with_history_is_archived_kept_and_restored() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let shelf = c.created("/api/location", json!({"name": "Shelf A"}));
    let cap = c.created(
        "/api/item",
        json!({"name": "Capacitor 100nF", "total_quantity": 10}),
    );
    let other = c.created(
        "/api/item",
        json!({"name": "Capacitor 1uF", "total_quantity": 1}),
    );
    let row = c.created(
        "/api/stock",
        json!({"item_id": cap, "location_id": shelf, "quantity": 4}),
    );
    assert_eq!(c.delete(&format!("/api/stock?id={row}")).status, 200);

    let r = c.delete(&format!("/api/item?id={cap}"));
    assert_eq!(
        r.json(),
        json!({"deleted": true, "archived": true, "id": cap})
    );
    // Hidden from the list, its count and search; listed with archived=true.
    let list = c.get("/api/item");
    assert_eq!(ids(&list.json()), [other]);
    assert_eq!(list.header("x-total-count"), Some("1"));
    assert_eq!(ids(&c.get("/api/item?q=capacitor").json()), [other]);
    let archived = c.get("/api/item?archived=true");
    assert_eq!(ids(&archived.json()), [cap]);
    assert_eq!(archived.header("x-total-count"), Some("1"));
    assert_eq!(ids(&c.get("/api/item?archived=true&q=100nF").json()), [cap]);
    // The ledger keeps every row: creation, put in, taken out.
    let history = c.get(&format!("/api/item/history?id={cap}"));
    assert_eq!(history.header("x-total-count"), Some("3"));
    assert_eq!(history.json()[0]["item_name"], "Capacitor 100nF");
    // It takes no changes while archived.
    for r in [
        c.put(&format!("/api/item?id={cap}"), json!({"total_quantity": 3})),
        c.post(
            "/api/stock",
            json!({"item_id": cap, "location_id": shelf, "quantity": 1}),
        ),
    ] {
        assert_eq!(r.status, 409, "{}", r.text);
        assert_eq!(r.code(), "archived");
        assert!(
            r.json()["error"]
                .as_str()
                .unwrap()
                .contains("Restore it first")
        );
    }

    let r = c.post(&format!("/api/item/restore?id={cap}"), json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.json().get("archived_at").is_none());
    assert_eq!(ids(&c.get("/api/item?q=100nF").json()), [cap]);
    assert_eq!(c.get("/api/item").header("x-total-count"), Some("2"));
    let again = c.post(&format!("/api/item/restore?id={other}"), json!({}));
    assert_eq!(again.status, 409);
    assert_eq!(again.code(), "not_archived");
    assert_eq!(c.post("/api/item/restore?id=999", json!({})).status, 404);
}

#[test]
fn history_keeps_the_names_of_the_time_and_says_what_they_are_now() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let shelf = c.created("/api/location", json!({"name": "Shelf A"}));
    let van = c.created("/api/location", json!({"name": "Van"}));
    let rover = c.created("/api/project", json!({"name": "Rover"}));
    let bolt = c.created("/api/item", json!({"name": "Bolt", "total_quantity": 10}));
    c.created(
        "/api/stock",
        json!({"item_id": bolt, "location_id": shelf, "quantity": 6}),
    );
    let r = c.post(
        "/api/stock/transfer",
        json!({"item_id": bolt, "from_location_id": shelf, "to_location_id": van, "quantity": 6}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let al = c.created(
        "/api/association",
        json!({"item_id": bolt, "project_id": rover, "quantity": 2}),
    );
    assert_eq!(c.delete(&format!("/api/association?id={al}")).status, 200);

    // Renamed afterwards, archived afterwards.
    let r = c.put(
        &format!("/api/location?id={shelf}"),
        json!({"name": "Garage shelf"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let r = c.put(&format!("/api/item?id={bolt}"), json!({"name": "Bolt M4"}));
    assert_eq!(r.status, 200, "{}", r.text);
    let r = c.delete(&format!("/api/project?id={rover}"));
    assert_eq!(
        r.json(),
        json!({"deleted": true, "archived": true, "id": rover})
    );

    let history = c.get(&format!("/api/item/history?id={bolt}")).json();
    let of_kind = |kind: &str| -> Value {
        history
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["kind"] == kind)
            .cloned()
            .unwrap_or_else(|| panic!("no {kind} movement in {history}"))
    };
    let stock = of_kind("stock");
    assert_eq!(stock["location_name"], "Shelf A");
    assert_eq!(stock["location_name_now"], "Garage shelf");
    assert_eq!(stock["item_name"], "Bolt");
    assert_eq!(stock["item_name_now"], "Bolt M4");
    let transfer = of_kind("transfer");
    assert_eq!(transfer["location_name"], "Shelf A");
    assert_eq!(transfer["to_location_name"], "Van");
    assert_eq!(transfer["to_location_name_now"], "Van");
    // The archived project still has its name in history.
    let allocation = of_kind("allocation");
    assert_eq!(allocation["project_name"], "Rover");
    assert_eq!(allocation["project_name_now"], "Rover");
}

#[test]
fn places_with_history_are_archived_and_those_without_are_deleted() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let used = c.created("/api/location", json!({"name": "Used"}));
    let unused = c.created("/api/location", json!({"name": "Unused"}));
    let idle = c.created("/api/project", json!({"name": "Idle"}));
    let bolt = c.created("/api/item", json!({"name": "Bolt", "total_quantity": 10}));
    let row = c.created(
        "/api/stock",
        json!({"item_id": bolt, "location_id": used, "quantity": 1}),
    );
    // In use: refused as before.
    let r = c.delete(&format!("/api/location?id={used}"));
    assert_eq!(r.code(), "in_use");
    assert_eq!(c.delete(&format!("/api/stock?id={row}")).status, 200);

    let r = c.delete(&format!("/api/location?id={used}"));
    assert_eq!(
        r.json(),
        json!({"deleted": true, "archived": true, "id": used})
    );
    let r = c.delete(&format!("/api/location?id={unused}"));
    assert_eq!(
        r.json(),
        json!({"deleted": true, "archived": false, "id": unused})
    );
    assert_eq!(c.get(&format!("/api/location?id={unused}")).status, 404);
    let r = c.delete(&format!("/api/project?id={idle}"));
    assert_eq!(
        r.json(),
        json!({"deleted": true, "archived": false, "id": idle})
    );

    assert_eq!(c.get("/api/location").json(), json!([]));
    assert_eq!(ids(&c.get("/api/location?archived=true").json()), [used]);
    // An archived place takes no stock, transfer or rename.
    let r = c.post(
        "/api/stock",
        json!({"item_id": bolt, "location_id": used, "quantity": 1}),
    );
    assert_eq!(r.code(), "archived", "{}", r.text);
    assert_eq!(r.json()["location_id"], used);
    let r = c.put(
        &format!("/api/location?id={used}"),
        json!({"name": "Other"}),
    );
    assert_eq!(r.code(), "archived");
    let r = c.post(&format!("/api/location/restore?id={used}"), json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["name"], "Used");
    assert_eq!(ids(&c.get("/api/location").json()), [used]);
    let r = c.post(&format!("/api/project/restore?id={idle}"), json!({}));
    assert_eq!(r.status, 404, "a hard-deleted project is gone");
}
