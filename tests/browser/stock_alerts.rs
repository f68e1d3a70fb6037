//! Issue 19 in real headless Chromium: the dashboard's "To reorder" card, the
//! minimum in the item page's form, the notifications admin page (add a
//! webhook, send a test), and Undo in an item's history.

use crate::browser_support;
use crate::common;
use crate::notify_support;

use browser_support::Chromium;
use common::{Client, PASSWORD, TestServer};
use notify_support::Receiver;
use serde_json::json;

#[test]
fn reorder_card_minimum_form_notifications_page_and_undo() {
    let server = TestServer::start_with("notify_retry_base_ms: 50\n");
    let admin = Client::signed_up(&server, "ada");
    let screws = admin.created(
        "/api/item",
        json!({"name": "M3 screws", "total_quantity": 3, "min_quantity": 5}),
    );
    let shelf = admin.created("/api/location", json!({"name": "Shelf"}));

    let chrome = Chromium::launch();
    let page = chrome.page(&server.base, "stock_alerts");
    page.log_in("ada", PASSWORD);
    page.wait_text("#reorder-table", "M3 screws");
    assert!(
        page.text("#reorder-table").contains('2'),
        "order 2 to reach 5"
    );
    assert_eq!(page.text("[data-stat=items_low]"), "1");

    // The item page's form sets the minimum.
    page.goto(&format!("/inventory?item={screws}"));
    page.wait_for(
        "the form filled",
        "document.querySelector('#details-min').value === '5'",
    );
    page.fill("#details-min", "2")
        .fill("#details-reorder", "50");
    page.click("#details-form button[type=submit]");
    page.wait_for("the toast", "!document.querySelector('#toast').hidden");
    let item = admin.get(&format!("/api/item?id={screws}")).json();
    assert_eq!(
        (
            item["min_quantity"].clone(),
            item["reorder_quantity"].clone(),
            item["low"].clone()
        ),
        (json!(2), json!(50), json!(false))
    );

    // Undo the newest movement from the history.
    admin.created(
        "/api/stock",
        json!({"item_id": screws, "location_id": shelf, "quantity": 3}),
    );
    page.goto(&format!("/inventory?item={screws}"));
    page.wait_visible("[data-undo]");
    page.click("[data-undo]");
    page.wait_text("#toast", "Undone.");
    let item = admin.get(&format!("/api/item?id={screws}")).json();
    assert_eq!(item["stocked_quantity"], 0);

    // The notifications page: a webhook with a generated secret, then a test.
    let rx = Receiver::start();
    page.goto("/admin/notifications");
    page.wait_text("[data-channels]", "No channels yet");
    page.fill("#ch-name", "Shop hook").fill("#ch-url", &rx.url);
    page.click("[data-generate]");
    page.click("#channel-form button[type=submit]");
    page.wait_text("[data-channels]", "Shop hook");
    let listed = admin.get("/api/admin/notifications").json();
    assert_eq!(listed["channels"][0]["secret_set"], true);
    page.click_text("[data-channels]", "Send test");
    let got = rx.wait_for(1);
    assert_eq!(got[0].json()["event"], "test");
    page.wait_for(
        "the delivery listed as sent",
        "(document.querySelector('[data-refresh]').click(), !!document.querySelector('[data-delivery=sent]'))",
    );
}
