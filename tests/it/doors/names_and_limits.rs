//! Names, limits and tags: an import refuses what the API refuses.

use super::*;

#[test]
fn an_import_refuses_the_names_and_limits_the_api_refuses() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let item = |fields: Value| {
        let mut i = json!({"id": 1, "name": "Bolt", "total_quantity": 1});
        for (k, v) in fields.as_object().unwrap() {
            i[k] = v.clone();
        }
        document(json!({"items": [i]}))
    };
    let many: serde_json::Map<String, Value> = (0..51)
        .map(|n| (format!("Field {n}"), json!("x")))
        .collect();
    let cases = [
        (item(json!({"name": "Bolt\nM3"})), "items[0].name"),
        (item(json!({"name": "Bolt\rM3"})), "items[0].name"),
        (item(json!({"name": "Bolt\u{0}M3"})), "items[0].name"),
        (item(json!({"name": "    "})), "items[0].name"),
        (item(json!({"name": "x".repeat(201)})), "items[0].name"),
        (item(json!({"fields": many})), "items[0].fields"),
        (item(json!({"sku": "S".repeat(101)})), "items[0].sku"),
        (
            item(json!({"total_quantity": MAX_QUANTITY + 1})),
            "items[0].total_quantity",
        ),
        (
            item(json!({"total_quantity": i64::MAX})),
            "items[0].total_quantity",
        ),
        (
            document(json!({"locations": [{"id": 1, "name": "Shelf\nA"}]})),
            "locations[0].name",
        ),
        (
            document(json!({"locations": [{"id": 1, "name": "y".repeat(201)}]})),
            "locations[0].name",
        ),
    ];
    for (doc, path) in &cases {
        let r = import_json(&c, false, doc);
        assert_eq!(refused_paths(&r), [*path], "{doc}");
    }
    assert_eq!(item_count(&c), 0);
    assert_eq!(c.get("/api/location").json(), json!([]));

    // Right at every limit is fine.
    let fifty: serde_json::Map<String, Value> = (0..50)
        .map(|n| (format!("Field {n}"), json!("x")))
        .collect();
    let doc = item(
        json!({"name": "x".repeat(200), "fields": fifty, "sku": "S".repeat(100),
                          "total_quantity": MAX_QUANTITY}),
    );
    let r = import_json(&c, false, &doc);
    assert_eq!(r.status, 200, "{}", r.text);
    let stats = c.get("/api/stats");
    assert_eq!(stats.status, 200, "{}", stats.text);
}

#[test]
fn imported_tags_are_trimmed_and_lowercased_like_every_tag() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let doc = document(json!({
        "items": [{"id": 1, "name": "Drill", "total_quantity": 1, "tags": ["L1", " Power ", "l1"]}]
    }));
    let r = import_json(&c, false, &doc);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        c.get("/api/item?id=1").json()["tags"],
        json!(["l1", "power"])
    );

    let file = "HB.import_ref,HB.name,HB.quantity,HB.labels\nhb-1,Saw,1,L1;Garden TOOLS\n";
    let r = import_csv(&c, "homebox", false, file);
    assert_eq!(r.status, 200, "{}", r.text);
    let items = c.get("/api/item?sort=name").json();
    let saw = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "Saw")
        .expect("the Homebox item is in");
    let saw = c.get(&format!("/api/item?id={}", saw["id"])).json();
    assert_eq!(saw["tags"], json!(["garden tools", "l1"]), "{saw}");
}
