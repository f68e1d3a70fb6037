//! Tags, custom fields, sku and barcodes on items (issue 15), through the real
//! server: normalisation and limits, the all-of tag filter with paging, the tag
//! list, rename and merge, fields that round-trip and are searched, a sku
//! unique ignoring case, lookups by code, and the upgrade of a version-7
//! database whose items stay searchable.

use crate::common;
use common::create::names;
use common::{Client, TestServer};
use serde_json::{Value, json};

fn item(c: &Client, body: Value) -> i64 {
    c.created("/api/item", body)
}

#[test]
fn tags_are_normalised_and_limited() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let r = c.post(
        "/api/item",
        json!({"name": "R 10k", "tags": [" SMD ", "0805", "smd", "Résistor"]}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["tags"], json!(["0805", "résistor", "smd"]));
    let id = r.json()["id"].as_i64().unwrap();
    assert_eq!(
        c.get(&format!("/api/item?id={id}")).json()["tags"],
        json!(["0805", "résistor", "smd"])
    );

    for bad in [
        json!([""]),
        json!(["   "]),
        json!(["x".repeat(41)]),
        json!([1]),
        json!("smd"),
        json!(null),
        json!((0..33).map(|i| format!("t{i}")).collect::<Vec<_>>()),
    ] {
        let r = c.post("/api/item", json!({"name": "Bad", "tags": bad}));
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
        assert_eq!(r.json()["field"], "tags", "{bad}");
    }
    // 40 characters and 32 tags are fine; duplicates do not count twice.
    let mut many: Vec<String> = (0..32).map(|i| format!("t{i}")).collect();
    many.push("T0".into());
    let r = c.put(&format!("/api/item?id={id}"), json!({"tags": many}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["tags"].as_array().unwrap().len(), 32);
    let r = c.put(
        &format!("/api/item?id={id}"),
        json!({"tags": ["Y".repeat(40)]}),
    );
    assert_eq!(r.json()["tags"], json!(["y".repeat(40)]));
    // Absent leaves them; [] clears them; nothing else changed was written.
    let r = c.put(&format!("/api/item?id={id}"), json!({"name": "R 10k 1%"}));
    assert_eq!(r.json()["tags"], json!(["y".repeat(40)]));
    let r = c.put(&format!("/api/item?id={id}"), json!({"tags": []}));
    assert_eq!(r.json()["tags"], json!([]));
    assert_eq!(c.get("/api/tags").json(), json!([]));
}

#[test]
fn the_tag_filter_keeps_items_having_all_the_tags_and_pages() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    // 30 items: every one "part", every 2nd "smd", every 3rd "0805".
    for i in 0..30 {
        let mut tags = vec!["part"];
        if i % 2 == 0 {
            tags.push("smd");
        }
        if i % 3 == 0 {
            tags.push("0805");
        }
        item(&c, json!({"name": format!("Part {i}"), "tags": tags}));
    }
    let both: Vec<String> = (0..30)
        .filter(|i| i % 6 == 0)
        .map(|i| format!("Part {i}"))
        .collect();
    let r = c.get("/api/item?tag=smd&tag=0805&sort=name");
    assert_eq!(names(&r.json()), both);
    assert_eq!(r.header("x-total-count"), Some("5"));
    // Case and spaces in the parameter do not matter; a repeated tag is one.
    let r = c.get("/api/item?tag=%20SMD&tag=0805&tag=0805&sort=name");
    assert_eq!(names(&r.json()), both);
    assert_eq!(
        c.get("/api/item?tag=smd").header("x-total-count"),
        Some("15")
    );
    assert_eq!(c.get("/api/item?tag=nothing").json(), json!([]));
    let r = c.get("/api/item?tag=smd&tag=nothing");
    assert_eq!(r.json(), json!([]));
    assert_eq!(r.header("x-total-count"), Some("0"));
    let r = c.get(&format!("/api/item?tag={}", "x".repeat(41)));
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["field"], "tag");

    // Cursor paging through the filtered list: every item once, the total kept.
    let mut seen = Vec::new();
    let mut path = "/api/item?tag=smd&tag=part&sort=name&limit=4".to_string();
    loop {
        let r = c.get(&path);
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.header("x-total-count"), Some("15"));
        seen.extend(names(&r.json()));
        match r.header("x-next-cursor") {
            Some(cursor) => {
                path = format!("/api/item?tag=smd&tag=part&sort=name&limit=4&cursor={cursor}")
            }
            None => break,
        }
    }
    let mut expected: Vec<String> = (0..30)
        .filter(|i| i % 2 == 0)
        .map(|i| format!("Part {i}"))
        .collect();
    expected.sort_by_key(|n| n[5..].parse::<i64>().unwrap());
    assert_eq!(seen, expected);
    // With a search and a tag, the count is the intersection's.
    let r = c.get("/api/item?tag=0805&q=Part%2024");
    assert_eq!(names(&r.json()), ["Part 24"]);
    assert_eq!(r.header("x-total-count"), Some("1"));
}

#[test]
fn tags_are_counted_renamed_and_merged() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let a = item(&c, json!({"name": "A", "tags": ["smd", "resistor"]}));
    let b = item(&c, json!({"name": "B", "tags": ["smd", "res"]}));
    let both = item(&c, json!({"name": "C", "tags": ["res", "resistor"]}));
    let r = c.get("/api/tags");
    assert_eq!(
        r.json(),
        json!([
            {"name": "res", "item_count": 2},
            {"name": "resistor", "item_count": 2},
            {"name": "smd", "item_count": 2}
        ])
    );
    assert_eq!(r.header("x-total-count"), Some("3"));
    let r = c.get("/api/tags?q=RES&limit=1");
    assert_eq!(r.json(), json!([{"name": "res", "item_count": 2}]));
    assert_eq!(r.header("x-total-count"), Some("2"));

    // A rename to a new name.
    let r = c.put("/api/tags", json!({"from": "SMD", "to": "Surface mount"}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json(), json!({"name": "surface mount", "item_count": 2}));
    assert_eq!(
        c.get(&format!("/api/item?id={a}")).json()["tags"],
        json!(["resistor", "surface mount"])
    );
    // A merge: "res" into "resistor"; C had both and keeps one.
    let r = c.put("/api/tags", json!({"from": "res", "to": "resistor"}));
    assert_eq!(r.json(), json!({"name": "resistor", "item_count": 3}));
    assert_eq!(
        c.get(&format!("/api/item?id={both}")).json()["tags"],
        json!(["resistor"])
    );
    assert_eq!(
        c.get(&format!("/api/item?id={b}")).json()["tags"],
        json!(["resistor", "surface mount"])
    );
    assert_eq!(
        c.get("/api/tags").json(),
        json!([{"name": "resistor", "item_count": 3}, {"name": "surface mount", "item_count": 2}])
    );
    // The search index follows the rename.
    assert_eq!(
        names(&c.get("/api/item?q=surface&sort=name").json()),
        ["A", "B"]
    );
    assert_eq!(c.get("/api/item?q=smd").json(), json!([]));

    let r = c.put("/api/tags", json!({"from": "nothing", "to": "x"}));
    assert_eq!(r.status, 404);
    let r = c.put("/api/tags", json!({"from": "resistor", "to": ""}));
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["field"], "to");
    let r = c.put("/api/tags", json!({"from": "resistor"}));
    assert_eq!(r.status, 400);
    // An archived item's tags are not counted.
    let r = c.delete(&format!("/api/item?id={a}"));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        c.get("/api/tags").json()[0],
        json!({"name": "resistor", "item_count": 2})
    );
}

#[test]
fn fields_round_trip_are_limited_replaced_and_searched() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let fields = json!({"Voltage": "5 V", "Datasheet": "https://example.com/ds.pdf", "Bought": "2025-03-01"});
    let r = c.post("/api/item", json!({"name": "Regulator", "fields": fields}));
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json()["id"].as_i64().unwrap();
    assert_eq!(r.json()["fields"], fields);
    assert_eq!(
        c.get(&format!("/api/item?id={id}")).json()["fields"],
        fields
    );
    item(&c, json!({"name": "Other", "description": "nothing here"}));

    // q finds field values, through the index and (under 3 characters) LIKE.
    assert_eq!(
        names(&c.get("/api/item?q=example.com").json()),
        ["Regulator"]
    );
    assert_eq!(names(&c.get("/api/item?q=5%20V").json()), ["Regulator"]);
    assert_eq!(
        c.get("/api/item?q=example.com").header("x-total-count"),
        Some("1")
    );

    // Absent leaves them, an object replaces them all.
    let r = c.put(&format!("/api/item?id={id}"), json!({"description": "LDO"}));
    assert_eq!(r.json()["fields"], fields);
    let r = c.put(
        &format!("/api/item?id={id}"),
        json!({"fields": {"Voltage": "3.3 V"}}),
    );
    assert_eq!(r.json()["fields"], json!({"Voltage": "3.3 V"}));
    assert_eq!(c.get("/api/item?q=example.com").json(), json!([]));
    assert_eq!(names(&c.get("/api/item?q=3.3").json()), ["Regulator"]);

    for bad in [
        json!({"Voltage": 5}),
        json!({"Voltage": null}),
        json!({"Voltage": ["5 V"]}),
        json!({"": "x"}),
        json!({"x".repeat(61): "x"}),
        json!({"Notes": "x".repeat(2001)}),
        json!(["Voltage"]),
        json!(null),
        Value::Object((0..51).map(|i| (format!("f{i}"), json!("v"))).collect()),
    ] {
        let r = c.put(&format!("/api/item?id={id}"), json!({"fields": bad}));
        assert_eq!(r.status, 400, "{}", r.text);
        assert_eq!(r.json()["field"], "fields");
    }
    // Nothing of a refused change was written.
    assert_eq!(
        c.get(&format!("/api/item?id={id}")).json()["fields"],
        json!({"Voltage": "3.3 V"})
    );
    let fifty = Value::Object(
        (0..50)
            .map(|i| (format!("f{i}"), json!("v".repeat(2000))))
            .collect(),
    );
    let r = c.put(&format!("/api/item?id={id}"), json!({"fields": fifty}));
    assert_eq!(r.status, 200, "{}", r.text);
    let r = c.put(&format!("/api/item?id={id}"), json!({"fields": {}}));
    assert_eq!(r.json()["fields"], json!({}));
}

#[test]
fn a_sku_is_unique_ignoring_case_and_codes_find_their_item() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let r = c.post(
        "/api/item",
        json!({"name": "Resistor", "sku": " R-10K-0805 ", "barcodes": ["4006381333931", "4006381333931", "QR:abc"]}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let first = r.json()["id"].as_i64().unwrap();
    assert_eq!(r.json()["sku"], "R-10K-0805");
    assert_eq!(r.json()["barcodes"], json!(["4006381333931", "QR:abc"]));

    let r = c.post("/api/item", json!({"name": "Copy", "sku": "r-10k-0805"}));
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.code(), "duplicate");
    assert_eq!(r.json()["existing_id"], first);
    assert_eq!(r.json()["field"], "sku");
    let other = item(&c, json!({"name": "Capacitor", "sku": "C-100N"}));
    let r = c.put(
        &format!("/api/item?id={other}"),
        json!({"sku": "R-10k-0805"}),
    );
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["existing_id"], first);
    // A barcode belongs to one item.
    let r = c.put(
        &format!("/api/item?id={other}"),
        json!({"barcodes": ["4006381333931"]}),
    );
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.code(), "duplicate");
    assert_eq!(r.json()["field"], "barcodes");
    assert_eq!(r.json()["existing_id"], first);
    for bad in [
        json!([""]),
        json!(["x".repeat(129)]),
        json!(["a\u{7}b"]),
        json!([5]),
        json!("123"),
    ] {
        let r = c.put(&format!("/api/item?id={other}"), json!({"barcodes": bad}));
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
        assert_eq!(r.json()["field"], "barcodes");
    }
    let r = c.put(
        &format!("/api/item?id={other}"),
        json!({"sku": "x".repeat(101)}),
    );
    assert_eq!(r.json()["field"], "sku");
    // Its own sku again is fine, and null clears it.
    let r = c.put(
        &format!("/api/item?id={first}"),
        json!({"sku": "r-10k-0805"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);

    // Lookups: barcode exactly, sku ignoring case.
    let r = c.get("/api/item?barcode=4006381333931");
    assert_eq!(names(&r.json()), ["Resistor"]);
    assert_eq!(r.header("x-total-count"), Some("1"));
    assert_eq!(c.get("/api/item?barcode=qr:ABC").json(), json!([]));
    assert_eq!(
        names(&c.get("/api/item?sku=R-10K-0805").json()),
        ["Resistor"]
    );
    assert_eq!(names(&c.get("/api/item?sku=c-100n").json()), ["Capacitor"]);
    assert_eq!(c.get("/api/item?sku=c-100").json(), json!([]));

    // The search index covers sku and barcodes; quick-find ranks the code first.
    assert_eq!(names(&c.get("/api/item?q=10k-08").json()), ["Resistor"]);
    item(&c, json!({"name": "c-100n capacitor kit"}));
    let r = c.get("/api/search?q=C-100N");
    assert_eq!(r.json()[0]["id"], other, "{}", r.text);
    assert!(r.json()[0]["detail"].as_str().unwrap().contains("C-100N"));
    let r = c.get("/api/search?q=4006381333931");
    assert_eq!(r.json()[0]["id"], first, "{}", r.text);

    let r = c.put(
        &format!("/api/item?id={first}"),
        json!({"sku": null, "barcodes": []}),
    );
    assert_eq!(r.json()["sku"], Value::Null);
    assert_eq!(r.json()["barcodes"], json!([]));
    // Now another item may take them.
    let r = c.put(
        &format!("/api/item?id={other}"),
        json!({"sku": "R-10K-0805", "barcodes": ["4006381333931"]}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
}

#[test]
fn the_search_index_covers_sku_tags_and_field_values() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    item(&c, json!({"name": "Alpha", "sku": "ZX-9000"}));
    item(&c, json!({"name": "Beta", "tags": ["lowprofile"]}));
    item(
        &c,
        json!({"name": "Gamma", "fields": {"Package": "TO-220"}}),
    );
    item(&c, json!({"name": "Delta"}));
    for (q, found) in [("zx-90", "Alpha"), ("PROFILE", "Beta"), ("to-22", "Gamma")] {
        let r = c.get(&format!("/api/item?q={q}"));
        assert_eq!(names(&r.json()), [found], "{q}");
        assert_eq!(r.header("x-total-count"), Some("1"), "{q}");
    }
    // Short texts go through LIKE and see the same columns.
    assert_eq!(names(&c.get("/api/item?q=ZX").json()), ["Alpha"]);
    // A field name is not a value.
    assert_eq!(c.get("/api/item?q=Package").json(), json!([]));
}

/// A database at version 7 (before this change) with items gets the new
/// tables, and its items stay searchable and take tags afterwards.
#[test]
fn a_version_7_database_upgrades_and_its_items_stay_searchable() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("database.db");
    {
        let mut conn = miauinv::db::open(&db_path).unwrap();
        miauinv::db::migrate::migrate_to(&mut conn, 7).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, 7);
        conn.execute_batch(
            "INSERT INTO items (name, category, description, total_quantity) VALUES
                ('Hex key set', 'Tools', 'metric', 1), ('Soldering iron', 'Tools', 'TS100', 1);
             UPDATE items SET archived_at = 1 WHERE name = 'Soldering iron';",
        )
        .unwrap();
    }
    let s = TestServer::start_on(dir, &db_path);
    let c = Client::signed_up(&s, "alice");
    let r = c.get("/api/item?q=metric");
    assert_eq!(names(&r.json()), ["Hex key set"]);
    assert_eq!(r.header("x-total-count"), Some("1"));
    // The archived item stayed out of the rebuilt index.
    assert_eq!(c.get("/api/item?q=TS100").json(), json!([]));
    assert_eq!(
        names(&c.get("/api/item?q=TS100&archived=true").json()),
        ["Soldering iron"]
    );
    let hex = c.get("/api/item?q=metric").json()[0]["id"]
        .as_i64()
        .unwrap();
    let r = c.put(
        &format!("/api/item?id={hex}"),
        json!({"tags": ["allen"], "sku": "HK-1"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(names(&c.get("/api/item?q=allen").json()), ["Hex key set"]);
    assert_eq!(names(&c.get("/api/item?q=metric").json()), ["Hex key set"]);
    // Restoring the archived item puts it back into the index.
    let iron = c.get("/api/item?q=TS100&archived=true").json()[0]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        c.post(&format!("/api/item/restore?id={iron}"), json!({}))
            .status,
        200
    );
    assert_eq!(
        names(&c.get("/api/item?q=TS100").json()),
        ["Soldering iron"]
    );
}
