//! History: kinds and movements that disagree with the stock are refused; an editor's history is marked as claims.

use super::*;

/// One item with 4 units at one shelf and the stock edit that put them there,
/// written by "admin1" on 2000-01-01.
fn stocked_history(kind: &str, quantity_after: i64) -> Value {
    document(json!({
        "locations": [{"id": 1, "name": "Shelf"}],
        "items": [{"id": 1, "name": "Bolt", "total_quantity": 10}],
        "stock": [{"id": 1, "item_id": 1, "location_id": 1, "quantity": 4}],
        "movements": [{"id": 1, "created_at": 946_684_800, "username": "admin1", "item_id": 1,
                       "item_name": "Bolt", "kind": kind, "location_id": 1, "location_name": "Shelf",
                       "delta": 4, "quantity_after": quantity_after,
                       "note": "admin1 took all of them"}]
    }))
}

#[test]
fn unknown_kinds_and_history_that_disagrees_with_the_stock_are_refused() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let r = import_json(&c, false, &stocked_history("nonsense-kind", 4));
    assert_eq!(refused_paths(&r), ["movements[0].kind"]);
    let r = import_json(&c, false, &stocked_history("stock", 7));
    assert_eq!(refused_paths(&r), ["movements[0].quantity_after"]);
    let r = import_json(&c, true, &stocked_history("count", 9));
    assert_eq!(r.status, 200, "a dry run reports: {}", r.text);
    assert_eq!(
        r.json()["errors"][0]["path"],
        "movements[0].quantity_after",
        "{}",
        r.text
    );
    assert_eq!(item_count(&c), 0);
    // The same history agreeing with the stock imports.
    let r = import_json(&c, false, &stocked_history("stock", 4));
    assert_eq!(r.status, 200, "{}", r.text);
}

#[test]
fn an_admins_import_keeps_history_and_an_editors_marks_it_as_claims() {
    let admin_server = TestServer::start();
    let admin = Client::signed_up(&admin_server, "alice");
    let r = import_json(&admin, false, &stocked_history("stock", 4));
    assert_eq!(r.status, 200, "{}", r.text);
    let history = admin.get("/api/item/history?id=1").json();
    assert_eq!(history[0]["username"], "admin1", "{history}");
    assert_eq!(history[0]["created_at"], 946_684_800, "{history}");
    assert!(history[0].get("claimed_by").is_none(), "{history}");
    let exported = export(&admin)["movements"][0].clone();
    assert_eq!(
        (exported["username"].clone(), exported["created_at"].clone()),
        (json!("admin1"), json!(946_684_800)),
        "{exported}"
    );

    let s = TestServer::start();
    Client::signed_up(&s, "carol");
    let editor = Client::signed_up(&s, "bob");
    let profile = editor.get("/api/profile").json();
    assert_eq!(profile["role"], "editor", "{profile}");
    let before = now();
    let r = import_json(&editor, false, &stocked_history("stock", 4));
    assert_eq!(r.status, 200, "{}", r.text);
    let after = now();
    let history = editor.get("/api/item/history?id=1").json();
    let m = &history[0];
    assert_eq!(m["username"], "bob", "{history}");
    let at = m["created_at"].as_i64().unwrap();
    assert!(
        (before..=after).contains(&at),
        "{at} not in {before}..={after}"
    );
    assert_eq!(m["claimed_by"], "admin1", "{history}");
    assert_eq!(m["claimed_at"], 946_684_800, "{history}");
    let exported = export(&editor)["movements"][0].clone();
    assert_eq!(exported["claimed_by"], "admin1", "{exported}");
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
