//! Tags and custom fields in real headless Chromium against the real server:
//! an item's page takes a tag and a field through its form, shows the tags as
//! chips and the fields as a list (a web address as a safe link), and a tag
//! chip leads to the inventory filtered by that tag, kept in the URL through
//! back and forward.

use crate::browser_support;
use crate::common;

use browser_support::Chromium;
use common::{Client, PASSWORD, TestServer};
use serde_json::json;

#[test]
fn a_tag_and_a_field_added_on_the_item_page_show_and_the_chip_filters_the_list() {
    let server = TestServer::start();
    let api = Client::signed_up(&server, "kai");
    let regulator = api.created(
        "/api/item",
        json!({"name": "Regulator 5 V", "tags": ["power"], "sku": "REG-5"}),
    );
    api.created(
        "/api/item",
        json!({"name": "Buck converter", "tags": ["smd"]}),
    );
    api.created(
        "/api/item",
        json!({"name": "Hex key set", "fields": {
            "Note": "<img src=x onerror=\"window.__xss = 1\">",
            "Link": "javascript:window.__xss = 2",
        }}),
    );

    let chrome = Chromium::launch();
    let page = chrome.page(&server.base, "tags_and_fields");
    page.log_in("kai", PASSWORD);

    page.goto(&format!("/inventory?item={regulator}"));
    page.wait_text("[data-detail=tags]", "power")
        .wait_text("[data-detail=codes]", "REG-5")
        .wait_for(
            "the form holds the item's tags",
            "document.querySelector('#details-tags').value === 'power'",
        );
    page.fill("#details-tags", "power, SMD")
        .click("#details-form [data-add-field]")
        .fill(
            "#details-form [data-field-row] input[name=field_name]",
            "Datasheet",
        )
        .fill(
            "#details-form [data-field-row] input[name=field_value]",
            "https://example.com/reg.pdf",
        )
        .click("#details-form button[type=submit]");
    page.wait_text("[data-detail=tags]", "smd")
        .wait_text("[data-detail=fields]", "Datasheet");
    // The tags are chips linking to the filtered list; the address is a link
    // that does not hand this page to the site it opens.
    assert_eq!(
        page.js(
            "[...document.querySelectorAll('[data-detail=tags] a.tag')].map(a => a.textContent).join('|')"
        ),
        json!("power|smd")
    );
    assert_eq!(
        page.js(
            "(() => { const a = document.querySelector('[data-detail=fields] dd a'); \
             return a.href + ' ' + a.rel.split(' ').includes('noopener'); })()"
        ),
        json!("https://example.com/reg.pdf true")
    );
    let saved = api.get(&format!("/api/item?id={regulator}")).json();
    assert_eq!(saved["tags"], json!(["power", "smd"]));
    assert_eq!(
        saved["fields"],
        json!({"Datasheet": "https://example.com/reg.pdf"})
    );

    // The smd chip: the inventory, only what is tagged smd.
    page.js(
        "[...document.querySelectorAll('[data-detail=tags] a')].find(a => a.textContent === 'smd').click()",
    );
    page.wait_path("/inventory");
    let listed = "[...document.querySelectorAll('#item-list [data-rows] th a.strong')].map(a => a.textContent).sort().join('|')";
    page.wait_for(
        "the list keeps the items tagged smd",
        &format!("{listed} === 'Buck converter|Regulator 5 V'"),
    );
    assert!(page.path().contains("tag=smd"), "{}", page.path());
    page.wait_text("[data-tag-filter]", "smd");
    // The row shows the sku and the tags.
    page.wait_text("#item-list [data-rows]", "REG-5");

    // What a person typed stays text: no markup, no script address as a link.
    let hex = api.get("/api/item?q=Hex").json()[0]["id"].as_i64().unwrap();
    page.goto(&format!("/inventory?item={hex}"));
    page.wait_text("[data-detail=fields]", "<img src=x");
    assert_eq!(
        page.js(
            "document.querySelectorAll('[data-detail=fields] img, [data-detail=fields] a').length"
        ),
        json!(0)
    );
    assert_eq!(page.js("window.__xss === undefined"), json!(true));
    page.js("history.back()");
    page.wait_for(
        "back to the list tagged smd",
        &format!("{listed} === 'Buck converter|Regulator 5 V'"),
    );

    // Removing the filter shows everything; Back brings the filter again.
    page.click("[data-tag-filter] button");
    page.wait_for(
        "the list shows every item",
        &format!("{listed} === 'Buck converter|Hex key set|Regulator 5 V'"),
    );
    assert!(!page.path().contains("tag="), "{}", page.path());
    page.js("history.back()");
    page.wait_for(
        "back to the filtered list",
        &format!("{listed} === 'Buck converter|Regulator 5 V'"),
    );
    assert!(page.path().contains("tag=smd"), "{}", page.path());
    assert_eq!(page.js("window.__errors.length"), json!(0));
}
