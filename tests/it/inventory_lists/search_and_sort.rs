//! Search, filters, sorting and offsets on every list.

use super::*;

#[test]
fn items_are_searched_filtered_sorted_and_paged() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    for (name, cat, desc, total) in [
        ("Resistor 10k", "Passives", "0603 thin film", 100),
        ("capacitor 100n", "passives", "X7R", 50),
        ("LED red", "Optics", "5mm", 30),
        ("Screw M3", "Hardware", "for the resistor board", 500),
        ("100% cotton rag", "Cleaning", "", 3),
    ] {
        c.created(
            "/api/item",
            json!({"name": name, "category": cat, "description": desc, "total_quantity": total}),
        );
    }
    // Without parameters: everything, in creation order.
    let all = c.get("/api/item");
    assert_eq!(all.header("x-total-count"), Some("5"));
    assert_eq!(names(&all.json())[0], "Resistor 10k");

    // q matches name, category and description, case-insensitively.
    let r = c.get("/api/item?q=RESISTOR");
    assert_eq!(names(&r.json()), ["Resistor 10k", "Screw M3"]);
    assert_eq!(r.header("x-total-count"), Some("2"));
    assert_eq!(names(&c.get("/api/item?q=optic").json()), ["LED red"]);
    // LIKE wildcards in the search text are literal.
    assert_eq!(
        names(&c.get("/api/item?q=100%25").json()),
        ["100% cotton rag"]
    );
    assert_eq!(c.get("/api/item?q=_").json(), json!([]));

    let r = c.get("/api/item?category=PASSIVES&sort=name");
    assert_eq!(names(&r.json()), ["capacitor 100n", "Resistor 10k"]);
    assert_eq!(r.header("x-total-count"), Some("2"));

    assert_eq!(
        names(&c.get("/api/item?sort=name").json()),
        [
            "100% cotton rag",
            "capacitor 100n",
            "LED red",
            "Resistor 10k",
            "Screw M3"
        ]
    );
    assert_eq!(
        names(&c.get("/api/item?sort=total_quantity&order=desc").json()),
        [
            "Screw M3",
            "Resistor 10k",
            "capacitor 100n",
            "LED red",
            "100% cotton rag"
        ]
    );
    let page = c.get("/api/item?sort=name&limit=2&offset=2");
    assert_eq!(names(&page.json()), ["LED red", "Resistor 10k"]);
    assert_eq!(page.header("x-total-count"), Some("5"));
    let beyond = c.get("/api/item?limit=10&offset=50");
    assert_eq!(beyond.json(), json!([]));
    assert_eq!(beyond.header("x-total-count"), Some("5"));
}

#[test]
fn sorting_on_aggregates_uses_live_numbers() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let a = c.created("/api/item", json!({"name": "A", "total_quantity": 10}));
    let b = c.created("/api/item", json!({"name": "B", "total_quantity": 10}));
    let p = c.created("/api/project", json!({"name": "P"}));
    c.created(
        "/api/association",
        json!({"item_id": a, "project_id": p, "quantity": 9}),
    );
    c.created(
        "/api/association",
        json!({"item_id": b, "project_id": p, "quantity": 2}),
    );
    assert_eq!(
        names(&c.get("/api/item?sort=available_quantity").json()),
        ["A", "B"]
    );
    assert_eq!(
        names(&c.get("/api/item?sort=allocated_quantity&order=asc").json()),
        ["B", "A"]
    );
    assert_eq!(
        names(&c.get("/api/project?sort=allocated_units&order=desc").json()),
        ["P"]
    );
}

#[test]
fn bad_list_parameters_are_refused_naming_the_parameter() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    for (path, field) in [
        ("/api/item?sort=password", "sort"),
        ("/api/item?sort=name%3BDROP%20TABLE%20items", "sort"),
        ("/api/item?order=up", "order"),
        ("/api/item?limit=0", "limit"),
        ("/api/item?limit=1001", "limit"),
        ("/api/item?limit=ten", "limit"),
        ("/api/item?offset=-1", "offset"),
        ("/api/location?sort=description", "sort"),
        ("/api/project?sort=total_units", "sort"),
        ("/api/stock?sort=name", "sort"),
        ("/api/stock?item_id=x", "item_id"),
        ("/api/association?project_id=0", "project_id"),
        ("/api/association?order=sideways", "order"),
    ] {
        let r = c.get(path);
        assert_eq!(r.status, 400, "{path}: {}", r.text);
        assert_eq!(r.code(), "invalid_field", "{path}");
        assert_eq!(r.json()["field"], field, "{path}");
    }
    let r = c.get("/api/item?sort=nope");
    assert!(
        r.json()["error"]
            .as_str()
            .unwrap()
            .contains("available_quantity")
    );
    assert_eq!(c.get("/api/item?limit=1000").status, 200);
}

#[test]
fn locations_projects_stock_and_allocations_lists_search_sort_and_page() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let locs: Vec<i64> = ["Garage", "attic", "Basement", "Garden shed"]
        .iter()
        .map(|n| c.created("/api/location", json!({"name": n})))
        .collect();
    let projs: Vec<i64> = [
        ("Robot", "wheels"),
        ("boat", "sails"),
        ("Kite", "robot tail"),
    ]
    .iter()
    .map(|(n, d)| c.created("/api/project", json!({"name": n, "description": d})))
    .collect();
    let bolt = c.created("/api/item", json!({"name": "Bolt", "total_quantity": 100}));
    let nail = c.created("/api/item", json!({"name": "nail", "total_quantity": 100}));
    for (it, l, q) in [(bolt, 0, 5), (bolt, 2, 9), (nail, 0, 1), (nail, 3, 20)] {
        c.created(
            "/api/stock",
            json!({"item_id": it, "location_id": locs[l], "quantity": q}),
        );
    }
    for (it, p, q) in [(bolt, 0, 4), (nail, 0, 2), (nail, 2, 7)] {
        c.created(
            "/api/association",
            json!({"item_id": it, "project_id": projs[p], "quantity": q}),
        );
    }

    let r = c.get("/api/location?q=GAR&sort=name&order=desc");
    assert_eq!(names(&r.json()), ["Garden shed", "Garage"]);
    assert_eq!(r.header("x-total-count"), Some("2"));
    assert_eq!(
        names(
            &c.get("/api/location?sort=total_units&order=desc&limit=2")
                .json()
        ),
        ["Garden shed", "Basement"]
    );
    let r = c.get("/api/location?sort=item_count&order=desc&limit=1&content=true");
    assert_eq!(names(&r.json()), ["Garage"]);
    assert_eq!(r.json()[0]["items"].as_array().unwrap().len(), 2);
    assert_eq!(r.header("x-total-count"), Some("4"));

    // Project search covers descriptions.
    assert_eq!(
        names(&c.get("/api/project?q=robot&sort=name").json()),
        ["Kite", "Robot"]
    );
    assert_eq!(
        names(
            &c.get("/api/project?sort=item_count&order=desc&limit=1")
                .json()
        ),
        ["Robot"]
    );

    let r = c.get("/api/stock?q=garden");
    assert_eq!(r.json().as_array().unwrap().len(), 1);
    assert_eq!(r.json()[0]["quantity"], 20);
    let r = c.get("/api/stock?q=BOLT&sort=quantity&order=desc");
    let q: Vec<i64> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["quantity"].as_i64().unwrap())
        .collect();
    assert_eq!(q, [9, 5]);
    let r = c.get(&format!(
        "/api/stock?location_id={}&sort=item_name&limit=1&offset=1",
        locs[0]
    ));
    assert_eq!(r.json()[0]["item_name"], "nail");
    assert_eq!(r.header("x-total-count"), Some("2"));
    let r = c.get("/api/stock?sort=location_name");
    let l: Vec<String> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["location_name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(l, ["Basement", "Garage", "Garage", "Garden shed"]);

    let r = c.get("/api/association?q=kite");
    assert_eq!(r.json().as_array().unwrap().len(), 1);
    assert_eq!(r.json()[0]["quantity"], 7);
    let r = c.get(&format!(
        "/api/association?project_id={}&sort=item_name&order=desc",
        projs[0]
    ));
    assert_eq!(r.json()[0]["item_name"], "nail");
    assert_eq!(r.json()[1]["item_name"], "Bolt");
    let r = c.get("/api/association?sort=project_name&limit=1");
    assert_eq!(r.json()[0]["project_name"], "Kite");
    assert_eq!(r.header("x-total-count"), Some("3"));
}

#[test]
fn search_follows_every_change_of_an_item() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let a = c.created(
        "/api/item",
        json!({"name": "Kondensator 100nF", "category": "Passiv"}),
    );
    let b = c.created(
        "/api/item",
        json!({"name": "Schraube", "description": "für den KONDENSATOR-Halter"}),
    );
    c.created("/api/item", json!({"name": "Äpfel", "category": "Obst"}));
    let found = |q: &str| {
        let r = c.get(&format!("/api/item?q={q}&limit=10"));
        assert_eq!(r.status, 200, "{q}: {}", r.text);
        let n: usize = r.header("x-total-count").unwrap().parse().unwrap();
        let list = ids(&r.json());
        assert_eq!(n, list.len(), "{q}: X-Total-Count");
        list
    };
    // Long texts go through the trigram index, short ones through LIKE; both
    // ignore case, and the index also beyond ASCII.
    assert_eq!(found("kondensator"), [a, b]);
    assert_eq!(found("100NF"), [a]);
    assert_eq!(found("%C3%A4PF").len(), 1, "äPF");
    assert_eq!(found("ss").len(), 1, "Passiv");
    assert_eq!(found("%22x%22"), Vec::<i64>::new(), "quotes are text");
    // Renamed, recategorised and deleted items are found by what they are now.
    let r = c.put(
        &format!("/api/item?id={a}"),
        json!({"name": "Widerstand 10k", "category": "Passiv", "total_quantity": 0}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(found("kondensator"), [b]);
    assert_eq!(found("widerstand"), [a]);
    assert_eq!(c.delete(&format!("/api/item?id={b}")).status, 200);
    assert_eq!(found("kondensator"), Vec::<i64>::new());
    // With a category the count is of the matches in it.
    let r = c.get("/api/item?q=wider&category=passiv");
    assert_eq!(ids(&r.json()), [a]);
    assert_eq!(r.header("x-total-count"), Some("1"));
    assert_eq!(
        c.get("/api/item?q=wider&category=obst")
            .header("x-total-count"),
        Some("0")
    );
}
