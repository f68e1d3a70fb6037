//! `GET /api/search`: items, locations and projects at once, exact and prefix
//! matches first; and paged contents of one location or project.

use crate::common;
use common::{Client, TestServer};
use serde_json::json;

fn found(c: &Client, q: &str) -> Vec<(String, String)> {
    let r = c.get(&format!("/api/search?q={q}"));
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["type"].as_str().unwrap().to_string(),
                s["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn search_finds_every_kind_with_exact_and_prefix_matches_first() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    c.created(
        "/api/item",
        json!({"name": "Shelf bracket", "category": "Hardware", "total_quantity": 7}),
    );
    c.created(
        "/api/item",
        json!({"name": "Bookshelf", "total_quantity": 1}),
    );
    let shelf = c.created("/api/location", json!({"name": "Shelf"}));
    c.created("/api/project", json!({"name": "Shelf rebuild"}));
    c.created("/api/item", json!({"name": "Unrelated"}));

    let r = c.get("/api/search?q=shelf");
    let all = r.json();
    assert_eq!(
        found(&c, "shelf"),
        [
            ("location".into(), "Shelf".into()),
            ("item".into(), "Shelf bracket".into()),
            ("project".into(), "Shelf rebuild".into()),
            ("item".into(), "Bookshelf".into()),
        ]
    );
    assert_eq!(all[0]["id"], shelf);
    assert_eq!(all[1]["detail"], "Item · Hardware · 7 available");
    assert!(
        all[0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("Location · 0 units")
    );
    // Short texts find by name start; limit caps the answer.
    assert_eq!(found(&c, "bo"), [("item".into(), "Bookshelf".into())]);
    assert_eq!(
        c.get("/api/search?q=shelf&limit=2")
            .json()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Archived rows are not found.
    let bracket = c.get("/api/item?q=bracket").json()[0]["id"]
        .as_i64()
        .unwrap();
    let r = c.put(
        &format!("/api/item?id={bracket}"),
        json!({"total_quantity": 8}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        c.delete(&format!("/api/item?id={bracket}")).json()["archived"],
        true
    );
    assert!(!found(&c, "shelf").iter().any(|(_, n)| n == "Shelf bracket"));
    // Bad input is named.
    for (q, field) in [
        ("/api/search", "q"),
        ("/api/search?q=x&limit=0", "limit"),
        ("/api/search?q=x&limit=51", "limit"),
    ] {
        let r = c.get(q);
        assert_eq!(r.status, 400, "{q}");
        assert_eq!(r.json()["field"], field, "{q}");
    }
    assert_eq!(s.client().get("/api/search?q=x").status, 401);
}

#[test]
fn location_contents_and_project_details_page_on_request() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let bin = c.created("/api/location", json!({"name": "Bin"}));
    let rover = c.created("/api/project", json!({"name": "Rover"}));
    let mut stock_ids = Vec::new();
    for n in 1..=23 {
        let it = c.created(
            "/api/item",
            json!({"name": format!("Part {n}"), "total_quantity": 5}),
        );
        let r = c.post(
            "/api/stock",
            json!({"item_id": it, "location_id": bin, "quantity": n % 5 + 1}),
        );
        stock_ids.push(r.json()["id"].as_i64().unwrap());
        if n % 2 == 0 {
            let r = c.post(
                "/api/association",
                json!({"item_id": it, "project_id": rover, "quantity": 1}),
            );
            assert_eq!(r.status, 201);
        }
    }
    // Without list parameters: everything, as before.
    let whole = c.get(&format!("/api/location?id={bin}&content=true"));
    assert_eq!(whole.json()["items"].as_array().unwrap().len(), 23);
    assert!(whole.header("x-total-count").is_none());
    // Paged by name: every row exactly once, in natural order.
    let mut seen = Vec::new();
    let mut path = format!("/api/location?id={bin}&content=true&sort=item_name&limit=5");
    loop {
        let r = c.get(&path);
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.header("x-total-count"), Some("23"));
        assert_eq!(r.json()["name"], "Bin");
        for row in r.json()["items"].as_array().unwrap() {
            seen.push(row["item_name"].as_str().unwrap().to_string());
            assert!(row["stock_id"].is_i64());
        }
        match r.header("x-next-cursor") {
            Some(cur) => {
                path = format!(
                    "/api/location?id={bin}&content=true&sort=item_name&limit=5&cursor={cur}"
                )
            }
            None => break,
        }
    }
    let wanted: Vec<String> = (1..=23).map(|n| format!("Part {n}")).collect();
    assert_eq!(seen, wanted);
    // Searched contents are counted as such.
    let r = c.get(&format!("/api/location?id={bin}&content=true&q=part%202"));
    assert_eq!(r.header("x-total-count"), Some("5"), "Part 2, 20–23");
    // Project details the same way.
    let r = c.get(&format!(
        "/api/project?id={rover}&details=true&limit=4&sort=item_name&order=desc"
    ));
    assert_eq!(r.header("x-total-count"), Some("11"));
    let body = r.json();
    let names: Vec<&str> = body["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["item_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Part 22", "Part 20", "Part 18", "Part 16"]);
    assert!(r.header("x-next-cursor").is_some());
    let r = c.get(&format!("/api/project?id={rover}&details=true&sort=bogus"));
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["field"], "sort");
}

#[test]
fn item_pages_can_carry_where_each_item_is() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let shelf = c.created("/api/location", json!({"name": "Shelf A"}));
    let van = c.created("/api/location", json!({"name": "Van"}));
    let bolt = c.created("/api/item", json!({"name": "Bolt", "total_quantity": 10}));
    let nut = c.created("/api/item", json!({"name": "Nut", "total_quantity": 10}));
    for (item, loc, q) in [(bolt, shelf, 6), (bolt, van, 4), (nut, van, 1)] {
        let r = c.post(
            "/api/stock",
            json!({"item_id": item, "location_id": loc, "quantity": q}),
        );
        assert_eq!(r.status, 201);
    }
    let page = c.get("/api/item?sort=name&locations=true").json();
    let chips = |i: usize| -> Vec<(String, i64)> {
        page[i]["locations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["location_name"].as_str().unwrap().to_string(),
                    l["quantity"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(
        chips(0),
        [("Shelf A".to_string(), 6), ("Van".to_string(), 4)]
    );
    assert_eq!(chips(1), [("Van".to_string(), 1)]);
    let one = c.get(&format!("/api/item?id={nut}&locations=true")).json();
    assert_eq!(one["locations"][0]["location_id"], van);
    assert!(c.get("/api/item").json()[0].get("locations").is_none());
}

/// Each row once, at its best rank, over all kinds in one order: an item
/// whose sku is the text (also a name start and a match inside), exact
/// names, name starts by natural order, then names containing the text; a
/// nested location with its path, a project with its allocated units.
#[test]
fn each_row_once_at_its_best_rank() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    c.created(
        "/api/item",
        json!({"name": "Relay board", "sku": "RELAY", "total_quantity": 1}),
    );
    let relay = c.created("/api/item", json!({"name": "Relay", "total_quantity": 5}));
    c.created("/api/item", json!({"name": "Solid state relay"}));
    let garage = c.created("/api/location", json!({"name": "Garage"}));
    c.created(
        "/api/location",
        json!({"name": "Relay box", "parent_id": garage}),
    );
    let relays = c.created("/api/project", json!({"name": "Relays"}));
    c.created(
        "/api/association",
        json!({"item_id": relay, "project_id": relays, "quantity": 2}),
    );

    let r = c.get("/api/search?q=relay");
    assert_eq!(r.status, 200, "{}", r.text);
    let answer: Vec<(String, String, String)> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["type"].as_str().unwrap().to_string(),
                s["name"].as_str().unwrap().to_string(),
                s["detail"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        ("item", "Relay board", "Item · RELAY · 1 available"),
        ("item", "Relay", "Item · 3 available"),
        (
            "location",
            "Relay box",
            "Location · 0 units · 0 items · Garage / Relay box",
        ),
        ("project", "Relays", "Project · 2 units allocated · 1 item"),
        ("item", "Solid state relay", "Item · 0 available"),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(answer, expected);
    // The limit cuts the one ranked list, not each kind.
    assert_eq!(
        found(&c, "relay&limit=3"),
        [
            ("item".into(), "Relay board".into()),
            ("item".into(), "Relay".into()),
            ("location".into(), "Relay box".into()),
        ]
    );
}
