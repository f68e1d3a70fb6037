//! A name that looks like another one's is saved with a warning the page
//! shows (issue 28): "Kitсhen" with a Cyrillic с beside "Kitchen".

use crate::browser_support::Chromium;
use crate::common::{Client, PASSWORD, TestServer};
use serde_json::json;

#[test]
fn the_lists_say_when_a_new_name_looks_like_anothers() {
    let server = TestServer::start();
    let api = Client::signed_up(&server, "noa");
    let kitchen = api.created("/api/project", json!({"name": "Kitchen"}));

    let chrome = Chromium::launch();
    let page = chrome.page(&server.base, "look_alikes");
    page.log_in("noa", PASSWORD);
    page.goto("/projects");
    page.wait_for(
        "the project",
        &format!("!!document.querySelector('[data-rows] tr[data-id=\"{kitchen}\"]')"),
    );
    page.click("#new-button");
    page.fill("#edit-form [name=name]", "Kit\u{0441}hen");
    page.click("#edit-form button[type=submit]");
    page.wait_text("#toast", "looks the same");
    assert!(
        page.text("#toast").contains(&format!("#{kitchen}")),
        "{}",
        page.text("#toast")
    );
    // A name that looks like no other is simply created.
    page.wait_for(
        "the dialog closed",
        "!document.querySelector('#edit-dialog').open",
    );
    page.click("#new-button");
    page.fill("#edit-form [name=name]", "Garden");
    page.click("#edit-form button[type=submit]");
    page.wait_text("#toast", "Created Garden.");
    assert!(!page.text("#toast").contains("looks the same"));
}
