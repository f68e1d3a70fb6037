//! A hundred thousand items, cursors in every order, natural name order.

use super::*;

/// 100 000 items written straight into the database file, then read back page
/// by page through the API: every item exactly once, in order, with the right
/// aggregates. (How fast a page is belongs to the benchmark, not here.)
#[test]
fn a_hundred_thousand_items_page_correctly() {
    const N: i64 = 100_000;
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    {
        // Opened as MiauInv opens it: the schema's triggers call natural_key().
        let mut db = miauinv::db::open(&s.db_path()).unwrap();
        db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
        let tx = db.transaction().unwrap();
        tx.execute(
            "INSERT INTO locations (id, name) VALUES (1, 'Warehouse')",
            [],
        )
        .unwrap();
        {
            let mut item = tx
                .prepare(
                    "INSERT INTO items (id, name, category, description, total_quantity)
                     VALUES (?1, ?2, ?3, NULL, ?4)",
                )
                .unwrap();
            let mut stock = tx
                .prepare("INSERT INTO stock (item_id, location_id, quantity) VALUES (?1, 1, ?2)")
                .unwrap();
            for n in 1..=N {
                // Names in reverse of id order, so sorting by name really sorts.
                let name = format!("Part {:06}", N + 1 - n);
                let category = ["Alpha", "Beta", "Gamma", "Delta"][(n % 4) as usize];
                item.execute(rusqlite::params![n, name, category, n % 1000])
                    .unwrap();
                if n % 10 == 0 {
                    stock.execute(rusqlite::params![n, n % 1000 / 2]).unwrap();
                }
            }
        }
        tx.commit().unwrap();
    }

    let mut seen = HashSet::new();
    let mut previous = String::new();
    let mut offset = 0;
    loop {
        let r = c.get(&format!("/api/item?sort=name&limit=1000&offset={offset}"));
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.header("x-total-count"), Some("100000"));
        let page = r.json();
        let page = page.as_array().unwrap();
        if page.is_empty() {
            break;
        }
        for it in page {
            let id = it["id"].as_i64().unwrap();
            let name = it["name"].as_str().unwrap().to_string();
            assert!(name > previous, "{name} after {previous}");
            assert_eq!(name, format!("Part {:06}", N + 1 - id));
            let stocked = if id % 10 == 0 { id % 1000 / 2 } else { 0 };
            assert_eq!(it["stocked_quantity"], stocked, "item {id}");
            assert_eq!(it["unstocked_quantity"], id % 1000 - stocked);
            assert_eq!(it["location_count"], i64::from(id % 10 == 0));
            assert!(seen.insert(id), "item {id} twice");
            previous = name;
        }
        offset += 1000;
    }
    assert_eq!(seen.len() as i64, N);

    // A filtered, searched page and a sort on an aggregate.
    let r = c.get("/api/item?category=beta&q=part%200999&sort=id&order=desc&limit=5");
    assert_eq!(r.status, 200);
    let total: i64 = r.header("x-total-count").unwrap().parse().unwrap();
    // Names "Part 0999xx" are ids 1..=100 mirrored; category Beta is n % 4 == 1.
    let expected: Vec<i64> = (1..=N)
        .filter(|n| format!("Part {:06}", N + 1 - n).starts_with("Part 0999") && n % 4 == 1)
        .collect();
    assert_eq!(total, expected.len() as i64);
    let ids: Vec<i64> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_i64().unwrap())
        .collect();
    let mut top: Vec<i64> = expected.clone();
    top.reverse();
    top.truncate(5);
    assert_eq!(ids, top);

    let r = c.get("/api/item?sort=stocked_quantity&order=desc&limit=3");
    let top: Vec<(i64, i64)> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["id"].as_i64().unwrap(),
                x["stocked_quantity"].as_i64().unwrap(),
            )
        })
        .collect();
    // stocked = (id % 1000) / 2 for ids ending in 0: the maximum 495 is at
    // ids ≡ 990 (mod 1000); ties broken by id, descending.
    assert_eq!(top, [(99_990, 495), (98_990, 495), (97_990, 495)]);
    let stats = c.get("/api/stats").json();
    assert_eq!(stats["items"], N);
}

/// Walks a list with `cursor` (the `X-Next-Cursor` of each page) and returns
/// the ids in the order the pages gave them.
fn walk_with_cursor(c: &Client, query: &str, limit: usize) -> Vec<i64> {
    let mut out = Vec::new();
    let mut path = format!("{query}&limit={limit}");
    for _ in 0..1000 {
        let r = c.get(&path);
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        let page = ids(&r.json());
        assert!(page.len() <= limit);
        out.extend(&page);
        match r.header("x-next-cursor") {
            // A cursor is only handed out for a full page.
            Some(cursor) => {
                assert_eq!(page.len(), limit, "{path}");
                path = format!("{query}&limit={limit}&cursor={cursor}");
            }
            None => {
                assert!(page.len() < limit, "{path}: a full page without a cursor");
                return out;
            }
        }
    }
    panic!("{query}: no end after 1000 pages");
}

#[test]
fn cursor_paging_visits_every_row_once_in_every_order() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let loc = c.created("/api/location", json!({"name": "Shelf"}));
    // Repeated names, categories and quantities (ties broken by id), NULL
    // categories (sorted first ascending, last descending) and mixed case.
    for n in 0..47 {
        let name = ["bolt", "Bolt", "nut", "Washer", "axle"][n % 5];
        let mut body = json!({"name": format!("{name} {}", n % 2), "total_quantity": (n * 7) % 5});
        if n % 3 != 0 {
            body["category"] = json!(["Metal", "metal", "Plastic"][n % 3]);
        }
        let id = c.created("/api/item", body);
        if n % 4 == 0 && (n * 7) % 5 > 0 {
            c.created(
                "/api/stock",
                json!({"item_id": id, "location_id": loc, "quantity": 1}),
            );
        }
    }
    for query in [
        "/api/item?sort=id",
        "/api/item?sort=id&order=desc",
        "/api/item?sort=name",
        "/api/item?sort=name&order=desc",
        "/api/item?sort=category",
        "/api/item?sort=category&order=desc",
        "/api/item?sort=total_quantity&order=desc",
        "/api/item?sort=available_quantity",
        "/api/item?sort=location_count&order=desc",
        "/api/item?sort=name&q=o",
        "/api/item?sort=category&category=metal",
        "/api/stock?sort=item_name",
        "/api/location?sort=name",
    ] {
        let everything = ids(&c.get(query).json());
        for limit in [1, 4, 10] {
            assert_eq!(
                walk_with_cursor(&c, query, limit),
                everything,
                "{query} in pages of {limit}"
            );
        }
    }

    // A cursor belongs to its order, cannot be combined with an offset, and
    // must be one the server made.
    let first = c.get("/api/item?sort=name&limit=2");
    let cursor = first.header("x-next-cursor").unwrap().to_string();
    for path in [
        format!("/api/item?sort=name&order=desc&limit=2&cursor={cursor}"),
        format!("/api/item?sort=id&limit=2&cursor={cursor}"),
        format!("/api/item?sort=name&limit=2&offset=2&cursor={cursor}"),
        "/api/item?limit=2&cursor=not-a-cursor".to_string(),
        "/api/item?limit=2&cursor=WyJpZCIsImFzYyIsMSx7fV0".to_string(),
    ] {
        let r = c.get(&path);
        assert_eq!(r.status, 400, "{path}: {}", r.text);
        assert_eq!(r.code(), "invalid_field", "{path}");
        assert_eq!(r.json()["field"], "cursor", "{path}");
    }
}

#[test]
fn names_sort_naturally_and_cursors_follow_that_order() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    // Created in an order unlike either sort.
    let mut wanted = Vec::new();
    for n in [10, 2, 100, 1, 21, 3, 1000, 20, 11] {
        let name = if n % 2 == 0 {
            format!("part {n}")
        } else {
            format!("Part {n}")
        };
        wanted.push((n, c.created("/api/item", json!({"name": name}))));
    }
    let bolt = c.created("/api/item", json!({"name": "Bolt"}));
    wanted.sort();
    let mut natural: Vec<i64> = vec![bolt];
    natural.extend(wanted.iter().map(|(_, id)| id));

    assert_eq!(ids(&c.get("/api/item?sort=name").json()), natural);
    let mut reversed = natural.clone();
    reversed.reverse();
    assert_eq!(
        ids(&c.get("/api/item?sort=name&order=desc").json()),
        reversed
    );
    for limit in [1, 3, 4] {
        assert_eq!(walk_with_cursor(&c, "/api/item?sort=name", limit), natural);
        assert_eq!(
            walk_with_cursor(&c, "/api/item?sort=name&order=desc", limit),
            reversed
        );
    }
    // A cursor carries the name, as before natural order, so one handed out
    // earlier still continues right after its row: "Part 3" → "Part 10"...
    let part3 = wanted.iter().find(|(n, _)| *n == 3).unwrap().1;
    use base64::Engine;
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(json!(["name", "asc", part3, "Part 3"]).to_string());
    let after = ids(&c
        .get(&format!("/api/item?sort=name&limit=2&cursor={token}"))
        .json());
    let at = natural.iter().position(|id| *id == part3).unwrap();
    assert_eq!(after, natural[at + 1..at + 3]);
    // Locations, projects and the names in stock rows sort the same way.
    for n in [10, 9, 1] {
        c.created("/api/location", json!({"name": format!("Bin {n}")}));
    }
    assert_eq!(
        names(&c.get("/api/location?sort=name").json()),
        ["Bin 1", "Bin 9", "Bin 10"]
    );
}

/// A location's contents page by item name from an index: the item's sort key
/// is copied into its stock rows (migration 0012), kept on every rename, and
/// filled in for rows of a database from before.
#[test]
fn contents_stay_in_item_name_order_across_renames_and_the_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("database.db");
    {
        let mut conn = miauinv::db::open(&db_path).unwrap();
        miauinv::db::migrate::migrate_to(&mut conn, 11).unwrap();
        conn.execute_batch(
            "INSERT INTO locations (name) VALUES ('Shelf');
             INSERT INTO items (name, total_quantity) VALUES ('Part 10', 9), ('Part 9', 9), ('Bolt', 9);
             INSERT INTO stock (item_id, location_id, quantity) VALUES (1, 1, 1), (2, 1, 2), (3, 1, 3);",
        )
        .unwrap();
    }
    let server = TestServer::start_on(dir, &db_path);
    let c = Client::signed_up(&server, "ann");
    let names = |c: &Client| -> Vec<String> {
        let r = c.get("/api/location?id=1&content=true&sort=item_name&limit=10");
        assert_eq!(r.status, 200, "{}", r.text);
        let total: usize = r.header("x-total-count").unwrap().parse().unwrap();
        let rows = r.json()["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{}", r.text))
            .iter()
            .map(|row| row["item_name"].as_str().unwrap().to_string())
            .collect::<Vec<_>>();
        assert_eq!(rows.len(), total);
        rows
    };
    assert_eq!(names(&c), ["Bolt", "Part 9", "Part 10"]);
    let r = c.put("/api/item?id=3", json!({"name": "Zener"}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(names(&c), ["Part 9", "Part 10", "Zener"]);
    let item = c.created("/api/item", json!({"name": "Anchor", "total_quantity": 1}));
    c.created(
        "/api/stock",
        json!({"item_id": item, "location_id": 1, "quantity": 1}),
    );
    assert_eq!(names(&c)[0], "Anchor");
}
