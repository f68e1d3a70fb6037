//! The dashboard at real inventory sizes, in real headless Chromium against the
//! real server: pickers that search instead of listing every row, quick-find,
//! the inventory list paged with its place in the URL, and natural order.

use crate::browser_support;
use crate::common;

use browser_support::{Chromium, Page};
use common::{Client, PASSWORD, TestServer};
use serde_json::{Value, json};

/// Waits until the combobox shows suggestions and returns their names.
fn suggestions(page: &Page, combobox: &str) -> Vec<String> {
    let sel = json!(combobox);
    let list = format!(
        "document.getElementById(document.querySelector({sel}).getAttribute('aria-controls'))"
    );
    page.wait_for(
        &format!("suggestions under {combobox}"),
        &format!(
            "!{list}.hidden && document.querySelector({sel}).getAttribute('aria-expanded') === 'true' \
             && !{list}.hasAttribute('aria-busy') && {list}.querySelector('.picker-option')"
        ),
    );
    strings(
        page,
        &format!("[...{list}.querySelectorAll('.picker-option')].map(o => o.textContent)"),
    )
}

/// The highlighted suggestion (aria-activedescendant) of a combobox.
fn highlighted(page: &Page, combobox: &str) -> String {
    let sel = json!(combobox);
    page.js(&format!(
        "document.getElementById(document.querySelector({sel}).getAttribute('aria-activedescendant'))?.textContent ?? ''"
    ))
    .as_str()
    .unwrap_or_default()
    .to_string()
}

/// Highlights the suggestion starting with `expected` by pressing Down.
fn highlight_with_keys(page: &Page, combobox: &str, expected: &str) {
    let first = suggestions(page, combobox);
    assert!(
        first.iter().any(|s| s.starts_with(expected)),
        "{expected} is suggested in {combobox}: {first:?}"
    );
    page.press("ArrowDown");
    for _ in 0..first.len() {
        if highlighted(page, combobox).starts_with(expected) {
            break;
        }
        page.press("ArrowDown");
    }
    assert!(highlighted(page, combobox).starts_with(expected));
}

/// Highlights a suggestion with Down, then chooses it with Enter.
fn choose_with_keys(page: &Page, combobox: &str, expected: &str) {
    highlight_with_keys(page, combobox, expected);
    page.press("Enter");
    let sel = json!(combobox);
    page.wait_for(
        &format!("{expected} is chosen in {combobox}"),
        &format!(
            "document.querySelector({sel}).value === {} && \
             document.querySelector({sel}).getAttribute('aria-expanded') === 'false'",
            json!(expected)
        ),
    );
}

/// A list of strings computed in the page (sent as JSON text: the driver
/// returns arrays by reference).
fn strings(page: &Page, expr: &str) -> Vec<String> {
    let text = page.js(&format!("JSON.stringify({expr})"));
    serde_json::from_str(text.as_str().unwrap_or("null"))
        .unwrap_or_else(|e| panic!("{expr} is not a list of strings: {e}"))
}

fn rows(page: &Page) -> Vec<String> {
    strings(
        page,
        "[...document.querySelectorAll('[data-rows] tr > th a')].map(a => a.textContent)",
    )
}

#[test]
fn a_picker_finds_an_item_from_three_letters_and_a_move_is_done_by_keyboard_alone() {
    let server = TestServer::start();
    let api = Client::signed_up(&server, "kai");
    let resistor = api.created(
        "/api/item",
        json!({"name": "Resistor 10k", "category": "Passives", "total_quantity": 100}),
    );
    api.created(
        "/api/item",
        json!({"name": "Relay 5 V", "category": "Switching", "total_quantity": 3}),
    );
    let shelf = api.created("/api/location", json!({"name": "Shelf A"}));
    let van = api.created("/api/location", json!({"name": "Van"}));
    api.created(
        "/api/stock",
        json!({"item_id": resistor, "location_id": shelf, "quantity": 60}),
    );

    let chrome = Chromium::launch();
    let page = chrome.page(&server.base, "picker_keyboard_move");
    page.log_in("kai", PASSWORD);
    page.goto("/inventory");
    // No select anywhere on the page lists items, locations or projects.
    assert_eq!(
        page.js("document.querySelectorAll('form select:not([name=limit])').length"),
        0
    );

    page.js("document.querySelector('#move-item').focus()");
    page.type_keys("Res");
    let found = suggestions(&page, "#move-item");
    assert_eq!(
        found,
        vec!["Resistor 10kPassives · 100 available".to_string()],
        "three letters find the item, with its category and available units"
    );
    choose_with_keys(&page, "#move-item", "Resistor 10k");
    assert_eq!(
        page.js("document.querySelector('#move-form [name=item_id]').value"),
        resistor.to_string()
    );

    page.press("Tab");
    assert_eq!(page.focused(), "move-from");
    page.type_keys("She");
    assert_eq!(
        suggestions(&page, "#move-from"),
        ["Shelf A60 of Resistor 10k here"],
        "with the item chosen, From suggests where it is"
    );
    choose_with_keys(&page, "#move-from", "Shelf A");
    page.press("Tab");
    assert_eq!(page.focused(), "move-to");
    page.type_keys("va");
    choose_with_keys(&page, "#move-to", "Van");
    page.press("Tab");
    assert_eq!(page.focused(), "move-quantity");
    page.type_keys("15");
    page.press("Tab");
    page.type_keys("by keyboard");
    page.press("Enter");

    page.wait_text("#toast", "Stock moved.");
    page.wait_text("[data-rows] .loc-chips", "Shelf A×45");
    page.wait_text("[data-rows] .loc-chips", "Van×15");
    // The form is empty again, its pickers included.
    assert_eq!(page.js("document.querySelector('#move-item').value"), "");
    assert_eq!(
        page.js("document.querySelector('#move-form [name=item_id]').value"),
        ""
    );
    let at_van = api.get(&format!("/api/stock?item_id={resistor}&location_id={van}"));
    assert_eq!(at_van.json()[0]["quantity"], 15, "{}", at_van.text);
}

#[test]
fn quick_find_with_slash_jumps_to_a_location_page() {
    let server = TestServer::start();
    let api = Client::signed_up(&server, "lea");
    let hose = api.created(
        "/api/item",
        json!({"name": "Garden hose", "total_quantity": 2}),
    );
    let garage = api.created("/api/location", json!({"name": "Garage shelf"}));
    api.created(
        "/api/stock",
        json!({"item_id": hose, "location_id": garage, "quantity": 2}),
    );

    let chrome = Chromium::launch();
    let page = chrome.page(&server.base, "quick_find");
    page.log_in("lea", PASSWORD);
    page.goto("/items");

    // `/` typed into a field is just a character.
    page.js("document.querySelector('#filter-q').focus()");
    page.type_keys("/");
    assert_eq!(page.focused(), "filter-q");
    assert_eq!(page.js("document.querySelector('#filter-q').value"), "/");
    // (The items list keeps its search in the URL as well.)
    page.wait_for("the search in the URL", "location.search === '?q=%2F'");

    // Anywhere else it goes to quick-find.
    page.js("document.activeElement.blur()");
    page.type_keys("/");
    assert_eq!(page.focused(), "quickfind-input");
    assert_eq!(
        page.js("document.querySelector('#quickfind-input').value"),
        ""
    );
    page.type_keys("Gar");
    let found = suggestions(&page, "#quickfind-input");
    assert!(
        found.iter().any(|s| s.starts_with("Garden hoseItem")),
        "{found:?}"
    );
    highlight_with_keys(&page, "#quickfind-input", "Garage shelfLocation");
    page.press("Enter");

    page.wait_for(
        "the location's page",
        &format!("location.pathname + location.search === '/locations?id={garage}'"),
    );
    page.wait_text("h1", "Garage shelf");
    page.wait_text("[data-rows]", "Garden hose");
    assert_eq!(
        page.text("[data-rows] td.num"),
        "2",
        "the location's contents"
    );
    // Its breadcrumb leads back to the list.
    page.click(".breadcrumb a");
    page.wait_path("/locations");
}

#[test]
fn the_inventory_list_pages_forward_and_back_and_the_url_keeps_its_place() {
    let server = TestServer::start();
    let api = Client::signed_up(&server, "max");
    for n in 1..=60 {
        api.created("/api/item", json!({"name": format!("Part {n}")}));
    }

    let chrome = Chromium::launch();
    let page = chrome.page(&server.base, "inventory_paging");
    page.log_in("max", PASSWORD);
    page.goto("/inventory");
    page.wait_text("[data-pager-info]", "1–50 of 60");
    let first = rows(&page);
    assert_eq!(first.len(), 50, "one page of 50, never every row");
    assert_eq!(first[0], "Part 1");
    assert_eq!(page.path(), "/inventory");

    page.click("[data-page=next]");
    page.wait_text("[data-pager-info]", "51–60 of 60");
    assert_eq!(page.path(), "/inventory?page=2");
    assert_eq!(rows(&page)[0], "Part 51");

    // A reload keeps the page.
    page.goto("/inventory?page=2");
    page.wait_text("[data-pager-info]", "51–60 of 60");
    assert_eq!(rows(&page).len(), 10);

    // Back and forward walk the pages.
    page.js("history.back()");
    page.wait_text("[data-pager-info]", "1–50 of 60");
    assert_eq!(page.path(), "/inventory");
    assert_eq!(rows(&page)[0], "Part 1");
    page.js("history.forward()");
    page.wait_text("[data-pager-info]", "51–60 of 60");
    assert_eq!(page.path(), "/inventory?page=2");

    // Search, sort and page size are kept too.
    page.fill("#filter-q", "Part 5");
    page.wait_text("[data-pager-info]", "1–11 of 11");
    page.click("[data-sort=name]");
    page.wait_for(
        "descending order",
        "document.querySelector('[data-rows] th a')?.textContent === 'Part 59'",
    );
    assert_eq!(page.path(), "/inventory?q=Part+5&order=desc");
    page.goto("/inventory?q=Part+5&order=desc");
    page.wait_text("[data-pager-info]", "1–11 of 11");
    assert_eq!(
        page.js("document.querySelector('#filter-q').value"),
        "Part 5"
    );
    assert_eq!(rows(&page)[0], "Part 59");
    assert_eq!(
        page.js("document.querySelector('th:has([data-sort=name])').getAttribute('aria-sort')"),
        "descending"
    );
}

#[test]
fn names_are_in_natural_order_on_a_page_and_in_pickers() {
    let server = TestServer::start();
    let api = Client::signed_up(&server, "noa");
    for name in ["Part 10", "Part 2", "part 1", "Part 100"] {
        api.created("/api/item", json!({"name": name}));
    }
    for name in ["Bin 10", "Bin 9"] {
        api.created("/api/location", json!({"name": name}));
    }

    let chrome = Chromium::launch();
    let page = chrome.page(&server.base, "natural_order");
    page.log_in("noa", PASSWORD);
    page.goto("/inventory");
    page.wait_for(
        "four rows",
        "document.querySelectorAll('[data-rows] tr').length === 4",
    );
    assert_eq!(rows(&page), ["part 1", "Part 2", "Part 10", "Part 100"]);

    page.js("document.querySelector('#stock-location').focus()");
    page.type_keys("Bin");
    assert_eq!(
        suggestions(&page, "#stock-location"),
        ["Bin 90 units · 0 items", "Bin 100 units · 0 items"]
    );

    page.goto("/locations");
    page.wait_for(
        "two rows",
        "document.querySelectorAll('[data-rows] tr').length === 2",
    );
    assert_eq!(
        strings(
            &page,
            "[...document.querySelectorAll('[data-rows] tr td:first-child')].map(td => td.textContent)"
        ),
        ["Bin 9", "Bin 10"]
    );
}

#[test]
fn a_picker_asks_at_the_first_key_keeps_one_question_in_flight_and_shows_the_latest_text() {
    let server = TestServer::start();
    let api = Client::signed_up(&server, "ida");
    for name in ["Capacitor", "Cable", "Cat tray"] {
        api.created("/api/item", json!({"name": name}));
    }

    let chrome = Chromium::launch();
    let page = chrome.page(&server.base, "picker_in_flight");
    page.log_in("ida", PASSWORD);
    page.goto("/inventory");
    // Every item search the page makes: when it was asked (relative to the
    // first key), and how many were in flight at once. Each answer is held back
    // 300 ms, as a slow server would, so the keys come while one is in flight.
    page.js(
        "window.__asks = []; window.__inFlight = 0; window.__most = 0; \
         const real = window.fetch; \
         window.fetch = async (...args) => { \
           if (String(args[0]).startsWith('/api/item?')) { \
             __asks.push({ q: new URL(args[0], location.href).searchParams.get('q'), at: performance.now() }); \
             __most = Math.max(__most, ++__inFlight); \
             try { await new Promise((r) => setTimeout(r, 300)); return await real(...args); } finally { __inFlight--; } \
           } \
           return real(...args); }; \
         document.querySelector('#stock-item').addEventListener('keydown', () => { window.__firstKey ??= performance.now(); }); \
         document.querySelector('#stock-item').focus()",
    );
    page.type_keys("cap");
    assert_eq!(
        suggestions(&page, "#stock-item"),
        ["CapacitorNo category · 0 available"]
    );
    let asks: Value = serde_json::from_str(
        page.js("JSON.stringify(window.__asks)")
            .as_str()
            .expect("asks"),
    )
    .expect("asks are JSON");
    let asks = asks.as_array().expect("asks");
    let first_key = page
        .js("window.__firstKey")
        .as_f64()
        .expect("a key was pressed");
    let first_ask = asks[0]["at"].as_f64().expect("asked");
    assert!(
        first_ask - first_key < 100.0,
        "the first letter waited {} ms before asking",
        first_ask - first_key
    );
    assert_eq!(asks.last().unwrap()["q"], "cap", "asks: {asks:?}");
    assert_eq!(
        page.js("window.__most"),
        1,
        "more than one question in flight"
    );
}

#[test]
fn an_items_history_pages_with_its_place_in_the_url() {
    let server = TestServer::start();
    let api = Client::signed_up(&server, "hal");
    let item = api.created(
        "/api/item",
        json!({"name": "Washer", "total_quantity": 100}),
    );
    let shelf = api.created("/api/location", json!({"name": "Shelf"}));
    // 26 movements (the total set at creation, then 25 stock changes): a
    // first page of 20 and a second of 6.
    let row = api.created(
        "/api/stock",
        json!({"item_id": item, "location_id": shelf, "quantity": 1}),
    );
    for n in 2..=25 {
        let r = api.put(&format!("/api/stock?id={row}"), json!({"quantity": n}));
        assert_eq!(r.status, 200, "{}", r.text);
    }

    let chrome = Chromium::launch();
    let page = chrome.page(&server.base, "history_paging");
    page.log_in("hal", PASSWORD);
    page.goto(&format!("/inventory?item={item}"));
    page.wait_text("#history-info", "1–20 of 26");
    page.click("#history-next");
    page.wait_text("#history-info", "21–26 of 26");
    assert_eq!(page.path(), format!("/inventory?item={item}&history=2"));
    // A reload keeps the page; back returns to the first.
    page.goto(&format!("/inventory?item={item}&history=2"));
    page.wait_text("#history-info", "21–26 of 26");
    page.js("history.back()");
    page.wait_text("#history-info", "1–20 of 26");
}

#[test]
fn history_an_editor_imported_says_it_came_from_a_file_and_who_the_file_named() {
    let server = TestServer::start();
    Client::signed_up(&server, "hal");
    let eve = Client::signed_up(&server, "eve");
    let doc = json!({
        "miauinv_export": 1, "exported_at": 0, "locations": [], "projects": [], "stock": [],
        "allocations": [], "tags": [],
        "items": [{"id": 1, "name": "Washer", "total_quantity": 5}],
        "movements": [{"id": 1, "created_at": 946_684_800, "username": "admin1", "item_id": 1,
                       "kind": "total", "delta": 5, "quantity_after": 5}]
    });
    let r = eve.send_raw(
        "POST",
        "/api/import?format=json",
        "application/json",
        doc.to_string().as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text);

    let chrome = Chromium::launch();
    let page = chrome.page(&server.base, "imported_history");
    page.log_in("hal", PASSWORD);
    page.wait_text("#moves-list", "imported from a file");
    let said = page.text("#moves-list");
    assert!(said.contains("eve"), "the importing account: {said}");
    assert!(said.contains("says admin1"), "the file's claim: {said}");
    page.goto("/inventory?item=1");
    page.wait_text(
        "[data-detail=\"history\"]",
        "imported from a file (says admin1",
    );
}
