//! Take, put, move and count on the item page, −/+ on a location's page, and a stocktake.

use super::*;
use crate::common::PASSWORD;

#[test]
fn take_put_move_and_count_update_the_figures_and_the_history() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let it = c.created(
        "/api/item",
        json!({"name": "M3 screw", "total_quantity": 20}),
    );
    let shelf = c.created("/api/location", json!({"name": "Shelf A"}));
    c.created("/api/location", json!({"name": "Van"}));
    c.created(
        "/api/stock",
        json!({"item_id": it, "location_id": shelf, "quantity": 10}),
    );
    let browser = Chromium::launch();
    let page = browser.page(&s.url(""), "take_put_move_count");
    page.log_in("alice", PASSWORD);
    page.goto(&format!("/inventory?item={it}"));
    wait_figure(&page, "Stocked", "10");

    // Take 3 from Shelf A.
    page.click("[data-shelf=take]")
        .wait_visible("#shelf-dialog[open]");
    page.wait_for(
        "From lists Shelf A",
        "document.querySelector('#shelf-from').options.length === 1",
    );
    page.fill("#shelf-quantity", "3").click("#shelf-submit");
    wait_figure(&page, "Total", "17");
    wait_figure(&page, "Stocked", "7");
    newest_history(&page, "3 used up from Shelf A");

    // Put 2 more (of the unstocked units) into Shelf A.
    page.click("[data-shelf=put]")
        .wait_visible("#shelf-dialog[open]");
    page.wait_for(
        "Shelf A is chosen",
        "document.querySelector('#shelf-place').value === 'Shelf A'",
    );
    page.fill("#shelf-quantity", "2").click("#shelf-submit");
    wait_figure(&page, "Stocked", "9");
    wait_figure(&page, "Total", "17");
    newest_history(&page, "put into Shelf A (now 9)");

    // Move 4 to the van.
    page.click("[data-shelf=move]")
        .wait_visible("#shelf-dialog[open]");
    page.pick("#shelf-place", "Van");
    page.fill("#shelf-quantity", "4").click("#shelf-submit");
    newest_history(&page, "moved 4 from Shelf A to Van");
    page.wait_text("[data-detail=locations]", "Van");

    // Count Shelf A: 5 were expected, 4 are there.
    page.click("[data-shelf=count]")
        .wait_visible("#shelf-dialog[open]");
    page.pick("#shelf-place", "Shelf A");
    page.wait_for(
        "the count starts at what is recorded",
        "document.querySelector('#shelf-quantity').value === '5'",
    );
    page.click("[data-step='-1']").click("#shelf-submit");
    wait_figure(&page, "Total", "16");
    wait_figure(&page, "Stocked", "8");
    newest_history(&page, "counted 4 at Shelf A (1 missing)");
    assert_eq!(figure(&page, "Unstocked"), "8");
    // The count's toast offers Undo: the missing unit is back.
    page.click("#toast [data-toast-action]");
    page.wait_text("#toast", "Undone.");
    wait_figure(&page, "Total", "17");
    wait_figure(&page, "Stocked", "9");

    // Taking more than is there answers with the numbers, in the dialog.
    page.click("[data-shelf=take]")
        .wait_visible("#shelf-dialog[open]");
    page.choose("#shelf-from", "Van (4)");
    page.fill("#shelf-quantity", "9").click("#shelf-submit");
    page.wait_text(
        "#shelf-form [data-error]",
        "'Van' holds only 4 of 'M3 screw'; cannot take 9.",
    );
}

#[test]
fn a_location_page_takes_and_puts_one_per_row() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let it = c.created("/api/item", json!({"name": "Fuse", "total_quantity": 10}));
    let bin = c.created("/api/location", json!({"name": "Bin 7"}));
    c.created(
        "/api/stock",
        json!({"item_id": it, "location_id": bin, "quantity": 5}),
    );
    let browser = Chromium::launch();
    let page = browser.page(&s.url(""), "location_steps");
    page.log_in("alice", PASSWORD);
    page.goto(&format!("/locations?id={bin}"));
    let qty = "document.querySelector('[data-rows] tr td.num')?.textContent";
    page.wait_for("the row shows 5", &format!("{qty} === '5'"));
    page.click("[aria-label='Take one Fuse']");
    page.wait_for("the row shows 4", &format!("{qty} === '4'"));
    // Its toast's Undo puts the unit back, into the total too.
    page.click("#toast [data-toast-action]");
    page.wait_for("the row shows 5 again", &format!("{qty} === '5'"));
    assert_eq!(
        c.get(&format!("/api/item?id={it}")).json()["total_quantity"],
        10
    );
    page.click("[aria-label='Take one Fuse']");
    page.wait_for("the row shows 4", &format!("{qty} === '4'"));
    page.click("[aria-label='Put one more Fuse']");
    page.wait_for("the row shows 5 again", &format!("{qty} === '5'"));
    let item = c.get(&format!("/api/item?id={it}")).json();
    assert_eq!(item["total_quantity"], 9);
    assert_eq!(item["stocked_quantity"], 5);
}

#[test]
fn a_stocktake_with_one_difference_is_applied() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let bin = c.created("/api/location", json!({"name": "Bin 4"}));
    let nails = c.created("/api/item", json!({"name": "Nails", "total_quantity": 50}));
    let pins = c.created(
        "/api/item",
        json!({"name": "Pins", "total_quantity": 20, "barcodes": ["4006381333931"]}),
    );
    c.created(
        "/api/stock",
        json!({"item_id": nails, "location_id": bin, "quantity": 40}),
    );
    c.created(
        "/api/stock",
        json!({"item_id": pins, "location_id": bin, "quantity": 2}),
    );
    let browser = Chromium::launch();
    let page = browser.page(&s.url(""), "stocktake");
    page.log_in("alice", PASSWORD);
    page.goto(&format!("/stocktake?location={bin}"));
    page.wait_for(
        "the location is chosen",
        "document.querySelector('#take-location').value === 'Bin 4'",
    );
    page.click("#start-form button[type=submit]");
    page.wait_visible("#counting");
    page.wait_for(
        "two rows",
        "document.querySelectorAll('#count-rows tr').length === 2",
    );
    page.fill("[aria-label='Counted Nails']", "40");
    // The pins are counted by scanning: a keyboard-wedge burst, twice, plus one more.
    wedge(&page, "4006381333931", 0);
    page.wait_for(
        "one pin",
        "document.querySelector(\"[aria-label='Counted Pins']\").value === '1'",
    );
    wedge(&page, "4006381333931", 0);
    page.wait_for(
        "two pins",
        "document.querySelector(\"[aria-label='Counted Pins']\").value === '2'",
    );
    assert_eq!(
        page.path(),
        format!("/stocktake?location={bin}"),
        "the scan stayed on the page"
    );
    page.fill("[aria-label='Counted Pins']", "3");
    page.wait_text("#take-summary", "2 of 2 counted · 1 difference");
    page.viewport(390, 844, true);
    save_screenshot(&page, "phone-stocktake.png");
    page.click("#take-apply");
    page.wait_text("#result-title", "2 counted, 1 difference applied");
    page.wait_text("#result-list", "2 → 3 (+1)");
    page.wait_text("#past-list", "1 of 2 differed");
    let item = c.get(&format!("/api/item?id={pins}")).json();
    assert_eq!(item["stocked_quantity"], 3);
    assert_eq!(item["total_quantity"], 21);
}
