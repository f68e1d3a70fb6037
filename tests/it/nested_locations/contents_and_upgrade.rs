//! What lies inside a location, deleting and restoring, and databases of older versions.

use super::*;

#[test]
fn recursive_content_and_totals_include_what_lies_inside() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let garage = location_in(&c, "Garage", None);
    let shelf = location_in(&c, "Shelf A", Some(garage));
    let bin = location_in(&c, "Bin 3", Some(shelf));
    let elsewhere = location_in(&c, "Kitchen", None);
    let bolt = item(&c, "Bolt", 100);
    let nut = item(&c, "Nut", 100);
    let washer = item(&c, "Washer", 100);
    stock(&c, bolt, garage, 1);
    stock(&c, bolt, bin, 10);
    stock(&c, nut, shelf, 20);
    stock(&c, washer, bin, 30);
    stock(&c, washer, elsewhere, 40);

    // Without recursive: only what is right there.
    let r = c
        .get(&format!("/api/location?id={garage}&content=true"))
        .json();
    assert_eq!(r["total_units"], 1);
    assert_eq!(r["item_count"], 1);
    assert_eq!(r["items"].as_array().unwrap().len(), 1);
    assert!(r["items"][0].get("location_path").is_none());

    let r = c
        .get(&format!("/api/location?id={garage}&recursive=true"))
        .json();
    assert_eq!(r["total_units"], 61);
    assert_eq!(r["item_count"], 3, "Bolt counts once");
    assert!(r.get("items").is_none());

    let r = c
        .get(&format!(
            "/api/location?id={garage}&content=true&recursive=true"
        ))
        .json();
    let rows: Vec<(String, String, i64)> = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["item_name"].as_str().unwrap().to_string(),
                x["location_path"].as_str().unwrap().to_string(),
                x["quantity"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(rows.len(), 4);
    assert!(rows.contains(&("Bolt".into(), "Garage".into(), 1)));
    assert!(rows.contains(&("Bolt".into(), "Garage / Shelf A / Bin 3".into(), 10)));
    assert!(rows.contains(&("Nut".into(), "Garage / Shelf A".into(), 20)));
    assert!(rows.contains(&("Washer".into(), "Garage / Shelf A / Bin 3".into(), 30)));
    assert_eq!(r["items"][0]["item_name"], "Bolt");
    assert!(r["items"][0]["location_id"].is_i64());

    // Paged: the list parameters apply to the rows inside.
    let r = c.get(&format!(
        "/api/location?id={garage}&content=true&recursive=true&sort=quantity&order=desc&limit=2"
    ));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("x-total-count"), Some("4"));
    let page: Vec<i64> = r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["quantity"].as_i64().unwrap())
        .collect();
    assert_eq!(page, [30, 20]);
    let cursor = r.header("x-next-cursor").unwrap().to_string();
    let r = c.get(&format!(
        "/api/location?id={garage}&content=true&recursive=true&sort=quantity&order=desc&limit=2&cursor={cursor}"
    ));
    assert_eq!(r.json()["items"].as_array().unwrap().len(), 2);
    assert_eq!(r.json()["items"][1]["quantity"], 1);
    assert_eq!(r.json()["total_units"], 61);
    let r = c.get(&format!(
        "/api/location?id={garage}&content=true&recursive=true&q=nut"
    ));
    assert_eq!(r.header("x-total-count"), Some("1"));

    // A list of one level with recursive totals.
    let r = c.get("/api/location?top=true&recursive=true&sort=total_units&order=desc");
    assert_eq!(names(&r.json()), ["Garage", "Kitchen"]);
    assert_eq!(r.json()[0]["total_units"], 61);
    assert_eq!(r.json()[1]["total_units"], 40);

    // Content with what is inside is asked of one location, not of a list.
    let r = c.get("/api/location?content=true&recursive=true");
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json()["field"], "recursive");

    // The item's stock rows carry their location's path.
    let r = c.get(&format!("/api/item?id={bolt}&locations=true")).json();
    let paths: Vec<&str> = r["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["location_path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["Garage / Shelf A / Bin 3", "Garage"]);

    // Quick-find tells nested locations apart by their path.
    let r = c.get("/api/search?q=Bin").json();
    let bin_found = r
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["type"] == "location" && x["id"] == bin)
        .unwrap();
    assert_eq!(
        bin_found["detail"],
        "Location · 40 units · 2 items · Garage / Shelf A / Bin 3"
    );
}

#[test]
fn a_location_with_locations_inside_cannot_be_deleted_and_restores_after_its_parent() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let garage = location_in(&c, "Garage", None);
    let shelf = location_in(&c, "Shelf A", Some(garage));
    location_in(&c, "Shelf B", Some(garage));
    let bolt = item(&c, "Bolt", 10);
    let row = stock(&c, bolt, garage, 2);

    let r = c.delete(&format!("/api/location?id={garage}"));
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.code(), "in_use");
    assert_eq!(r.json()["child_locations"], 2);
    assert_eq!(r.json()["stock_rows"], 1);
    assert_eq!(
        r.json()["error"],
        "Location 'Garage' cannot be deleted: it holds 1 stock row and 2 locations. Move or remove them first."
    );

    // Shelf A gets history, so deleting it archives it; Shelf B is deleted.
    let on_shelf = stock(&c, bolt, shelf, 1);
    c.delete(&format!("/api/stock?id={on_shelf}"));
    assert_eq!(
        c.delete(&format!("/api/location?id={shelf}")).json()["archived"],
        true
    );
    let b = c
        .get(&format!("/api/location?parent_id={garage}&q=B"))
        .json()[0]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        c.delete(&format!("/api/location?id={b}")).json()["archived"],
        false
    );
    // Archived locations inside do not block; the parent is then archived
    // (they keep pointing at it) rather than deleted.
    c.delete(&format!("/api/stock?id={row}"));
    let r = c.delete(&format!("/api/location?id={garage}"));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["archived"], true);

    // A location inside an archived one is restored only after it.
    let r = c.post(&format!("/api/location/restore?id={shelf}"), json!({}));
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.code(), "parent_archived");
    assert_eq!(r.json()["parent_id"], garage);
    assert!(r.text.contains("Restore 'Garage' first"), "{}", r.text);
    let r = c.post(&format!("/api/location/restore?id={garage}"), json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    let r = c.post(&format!("/api/location/restore?id={shelf}"), json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["path"], "Garage / Shelf A");
}

/// A database file at schema `version` with locations written the way that
/// version wrote them (ids 1 to 4; 5, the last, was deleted), one of them holding
/// stock, then served by the current MiauInv (which migrates it).
fn upgraded_from(version: i64, archived: bool) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("database.db");
    {
        let mut conn = miauinv::db::open(&db_path).unwrap();
        miauinv::db::migrate::migrate_to(&mut conn, version).unwrap();
        let at: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(at, version);
        conn.execute_batch(
            "INSERT INTO locations (name) VALUES ('Garage'), ('Shelf A'), ('shelf 10'), ('Shelf 9'), ('Gone');
             DELETE FROM locations WHERE id = 5;
             INSERT INTO items (name, total_quantity) VALUES ('Bolt', 10);
             INSERT INTO stock (item_id, location_id, quantity) VALUES (1, 2, 7);",
        )
        .unwrap();
        if archived {
            conn.execute(
                "UPDATE locations SET archived_at = 1700000000 WHERE id = 4",
                [],
            )
            .unwrap();
        }
    }
    TestServer::start_on(dir, &db_path)
}

/// What every upgrade must keep: ids, names, stock; everything at top level;
/// names unique among siblings from now on; deleted ids never reused.
fn check_upgraded(s: &TestServer, shelves: &[&str]) {
    let c = Client::signed_up(s, "alice");
    let r = c.get("/api/location?top=true&sort=id&archived=false");
    let found: Vec<(i64, String, Value, i64, String)> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["id"].as_i64().unwrap(),
                x["name"].as_str().unwrap().to_string(),
                x["parent_id"].clone(),
                x["depth"].as_i64().unwrap(),
                x["path"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        found[..3],
        [
            (1, "Garage".into(), Value::Null, 0, "Garage".into()),
            (2, "Shelf A".into(), Value::Null, 0, "Shelf A".into()),
            (3, "shelf 10".into(), Value::Null, 0, "shelf 10".into()),
        ]
    );
    // Natural order by name still works on the rebuilt table.
    assert_eq!(
        names(&c.get("/api/location?q=shelf&sort=name").json()),
        shelves
    );
    let r = c.get("/api/location?id=2&content=true").json();
    assert_eq!(r["items"][0]["quantity"], 7);
    assert_eq!(r["total_units"], 7);

    let r = c.post("/api/location", json!({"name": "SHELF A"}));
    assert_eq!(r.code(), "name_taken");
    assert_eq!(r.json()["existing_id"], 2);
    let r = c.post("/api/location", json!({"name": "Shelf A", "parent_id": 1}));
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.json()["id"],
        6,
        "id 5 was deleted and is not handed out again"
    );
    assert_eq!(r.json()["path"], "Garage / Shelf A");

    let db = rusqlite::Connection::open(s.db_path()).unwrap();
    let one = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(one("PRAGMA user_version"), miauinv::db::migrate::LATEST);
    assert_eq!(one("SELECT count(*) FROM pragma_foreign_key_check"), 0);
    assert_eq!(
        one("SELECT count(*) FROM locations WHERE name_key IS NULL"),
        0
    );
    assert_eq!(
        one("SELECT count(*) FROM sqlite_master WHERE name = 'locations_nested'"),
        0
    );
}

#[test]
fn a_version_3_database_keeps_its_locations_at_top_level() {
    let s = upgraded_from(3, false);
    check_upgraded(&s, &["Shelf 9", "shelf 10", "Shelf A"]);
}

#[test]
fn a_database_of_the_previous_version_keeps_its_locations_and_archive() {
    let s = upgraded_from(8, true);
    check_upgraded(&s, &["shelf 10", "Shelf A"]);
    let c = Client::signed_up(&s, "bob");
    let r = c.get("/api/location?archived=true").json();
    assert_eq!(r[0]["id"], 4);
    assert_eq!(r[0]["name"], "Shelf 9");
    assert!(r[0]["archived_at"].is_i64());
}
