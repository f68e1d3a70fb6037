//! Location trees: huge forests import, cycles and depths past the limit are refused.

use super::*;

/// Chains of `depth` locations, ids from `first`, each child listed before
/// its parent: the document's `locations`, in document order.
fn reversed_chains(chains: i64, depth: i64, first: i64) -> Vec<Value> {
    let mut out = Vec::with_capacity((chains * depth) as usize);
    for chain in 0..chains {
        for level in (0..depth).rev() {
            let id = first + chain * depth + level;
            let parent = (level > 0).then_some(id - 1);
            out.push(json!({"id": id, "name": format!("L{id}"), "parent_id": parent}));
        }
    }
    out
}

#[test]
fn twenty_thousand_locations_listed_child_before_parent_import_as_a_forest() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let doc = document(json!({"locations": reversed_chains(2_000, 10, 1)}));
    let r = import_json(&c, true, &doc);
    assert_eq!(r.status, 200, "{}", r.text);
    let report = r.json();
    assert_eq!(report["errors"], json!([]), "{report}");
    assert_eq!(report["created"]["locations"], 20_000, "{report}");
    assert_eq!(c.get("/api/location").json(), json!([]), "a dry run");
}

#[test]
fn a_chain_deeper_than_sixteen_levels_is_refused_by_path() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    // 17 locations: the deepest is 16 levels below the top, as the API allows.
    let r = import_json(
        &c,
        true,
        &document(json!({"locations": reversed_chains(1, 17, 1)})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["created"]["locations"], 17, "{}", r.text);
    assert_eq!(r.json()["errors"], json!([]), "{}", r.text);

    // One more level is refused, at the first location too deep: id 18 is
    // listed at 18 - 18 = 0, and in a chain of 40 at 40 - 18 = 22.
    let doc = document(json!({"locations": reversed_chains(1, 18, 1)}));
    assert_eq!(
        refused_paths(&import_json(&c, false, &doc)),
        ["locations[0].parent_id"]
    );
    let doc = document(json!({"locations": reversed_chains(1, 40, 1)}));
    assert_eq!(
        refused_paths(&import_json(&c, false, &doc)),
        ["locations[22].parent_id"]
    );
    assert_eq!(c.get("/api/location").json(), json!([]));

    // A chain hung below an existing location counts the levels above it.
    let mut parent = None;
    for level in 0..=10 {
        parent = Some(c.created(
            "/api/location",
            json!({"name": format!("Existing {level}"), "parent_id": parent}),
        ));
    }
    let below = |n: i64, first: i64| {
        let mut chain = reversed_chains(1, n, first);
        let top = chain.last_mut().unwrap();
        top["parent_id"] = json!(parent);
        document(json!({"locations": chain}))
    };
    let r = import_json(&c, false, &below(6, 1000));
    assert_eq!(r.status, 200, "levels 11 to 16: {}", r.text);
    // Its top is listed last; the first problem is there (the locations
    // below it then miss their parent).
    let paths = refused_paths(&import_json(&c, false, &below(7, 2000)));
    assert_eq!(paths[0], "locations[6].parent_id", "{paths:?}");
}

#[test]
fn an_import_cannot_make_a_location_its_own_parent() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let doc = document(json!({"locations": [{"id": 1, "name": "Loop", "parent_id": 1}]}));
    assert_eq!(
        refused_paths(&import_json(&c, false, &doc)),
        ["locations[0].parent_id"]
    );
    assert_eq!(c.get("/api/location").json(), json!([]));
}

#[test]
fn an_import_cannot_put_a_location_inside_its_own_child() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let garage = c.created("/api/location", json!({"name": "Garage"}));
    let shelf = c.created(
        "/api/location",
        json!({"name": "Shelf", "parent_id": garage}),
    );
    let r = c.put(
        &format!("/api/location?id={garage}"),
        json!({"parent_id": shelf}),
    );
    assert_eq!(r.status / 100, 4, "the API refuses it: {}", r.text);
    let doc =
        document(json!({"locations": [{"id": garage, "name": "Garage", "parent_id": shelf}]}));
    assert_eq!(
        refused_paths(&import_json(&c, false, &doc)),
        ["locations[0].parent_id"]
    );
}

#[test]
fn an_import_cannot_move_an_existing_tree_below_the_depth_limit() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    // A tree of 17 levels (as deep as the API allows) and another top location.
    let mut ids = Vec::new();
    for level in 0..17 {
        ids.push(c.created(
            "/api/location",
            json!({"name": format!("Level {level}"), "parent_id": ids.last()}),
        ));
    }
    let van = c.created("/api/location", json!({"name": "Van"}));
    let r = c.put(
        &format!("/api/location?id={}", ids[0]),
        json!({"parent_id": van}),
    );
    assert_eq!(r.status / 100, 4, "the API refuses it: {}", r.text);
    let doc = document(json!({"locations": [{"id": ids[0], "name": "Level 0", "parent_id": van}]}));
    assert_eq!(
        refused_paths(&import_json(&c, false, &doc)),
        ["locations[0].parent_id"]
    );
}
