//! The locations tree in real headless Chromium against the real server:
//! expanding and collapsing locations on /locations, a location's page with
//! its breadcrumbs, what is inside it and its contents with theirs, creating a
//! location inside it, and moving it with the location picker (a move into
//! its own subtree refused with the server's sentence).

use crate::browser_support;
use crate::common;

use browser_support::Chromium;
use common::create::location_in;
use common::{Client, PASSWORD, TestServer};
use serde_json::json;

fn row_shown(id: i64) -> String {
    format!("!!document.querySelector('[data-rows] tr[data-id=\"{id}\"]')")
}

#[test]
fn the_tree_expands_and_a_location_is_moved_with_the_picker() {
    let server = TestServer::start();
    let api = Client::signed_up(&server, "noa");
    let garage = location_in(&api, "Garage", None);
    let basement = location_in(&api, "Basement", None);
    let shelf = location_in(&api, "Shelf A", Some(garage));
    let bin = location_in(&api, "Bin 3", Some(shelf));
    let bolt = api.created("/api/item", json!({"name": "Bolt", "total_quantity": 9}));
    api.created(
        "/api/stock",
        json!({"item_id": bolt, "location_id": bin, "quantity": 4}),
    );

    let chrome = Chromium::launch();
    let page = chrome.page(&server.base, "locations_tree");
    page.log_in("noa", PASSWORD);

    // The top level only; Garage can be opened, Basement (empty) cannot.
    page.goto("/locations");
    page.wait_for("the top level", &row_shown(garage));
    page.wait_for("Basement", &row_shown(basement));
    assert_eq!(page.js(&row_shown(shelf)), false);
    assert_eq!(
        page.js(&format!(
            "!!document.querySelector('tr[data-id=\"{basement}\"] .tree-toggle')"
        )),
        false
    );
    page.click(&format!("tr[data-id=\"{garage}\"] .tree-toggle"));
    page.wait_for("Shelf A under Garage", &row_shown(shelf));
    assert_eq!(
        page.text(&format!("tr[data-id=\"{shelf}\"] td:first-child")),
        "▸Shelf A"
    );
    assert_eq!(
        page.js(&format!(
            "document.querySelector('tr[data-id=\"{garage}\"] .tree-toggle').getAttribute('aria-expanded')"
        )),
        "true"
    );
    page.click(&format!("tr[data-id=\"{shelf}\"] .tree-toggle"));
    page.wait_for("Bin 3 under Shelf A", &row_shown(bin));
    // Collapsing Garage hides everything inside it.
    page.click(&format!("tr[data-id=\"{garage}\"] .tree-toggle"));
    page.wait_for(
        "Garage collapsed",
        &format!("!{} && !{}", row_shown(shelf), row_shown(bin)),
    );
    page.click(&format!("tr[data-id=\"{garage}\"] .tree-toggle"));
    page.wait_for("Shelf A again", &row_shown(shelf));

    // The child's own page: breadcrumbs, what is inside, contents with theirs.
    page.click(&format!("tr[data-id=\"{shelf}\"] a"));
    page.wait_path("/locations");
    page.wait_text(".breadcrumb", "Shelf A");
    assert_eq!(page.text(".breadcrumb"), "Locations › Garage › Shelf A");
    page.wait_text("[data-inside-rows]", "Bin 3");
    page.wait_visible("[data-empty]");
    page.click("#recursive");
    page.wait_text("[data-rows]", "Garage / Shelf A / Bin 3");
    page.wait_text("[data-rows]", "Bolt");

    // A location inside it.
    page.click("#new-inside-button");
    page.fill("#new-inside-name", "Bin 4").press("Enter");
    page.wait_text("[data-inside-rows]", "Bin 4");

    // The picker tells nested locations apart by their path, with their units.
    page.click("#move-button");
    page.fill("#move-parent", "Bin 3");
    page.wait_text(
        "#move-parent-list",
        "Garage / Shelf A / Bin 3 · 4 units · 1 item",
    );
    // Moving it into something inside it is refused with the reason.
    page.pick("#move-parent", "Bin 3");
    page.click("#move-form button[type=submit]");
    page.wait_text(
        "#move-form [data-error]",
        "'Shelf A' cannot be moved into 'Bin 3': 'Bin 3' is inside 'Shelf A'.",
    );
    // Into Basement with the picker.
    page.pick("#move-parent", "Basement");
    page.click("#move-form button[type=submit]");
    page.wait_text(".breadcrumb", "Basement");
    assert_eq!(page.text(".breadcrumb"), "Locations › Basement › Shelf A");
    let moved = api.get(&format!("/api/location?id={shelf}")).json();
    assert_eq!(moved["parent_id"], basement);
    assert_eq!(
        api.get(&format!("/api/location?id={bin}")).json()["path"],
        "Basement / Shelf A / Bin 3"
    );

    // And to the top level.
    page.click("#move-button");
    page.click("#move-top");
    page.wait_for(
        "Shelf A at top level",
        "document.querySelector('.breadcrumb').textContent.trim() === 'Locations › Shelf A'",
    );
    assert_eq!(
        api.get(&format!("/api/location?id={shelf}")).json()["parent_id"],
        serde_json::Value::Null
    );
}
