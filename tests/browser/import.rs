//! The import page and the export buttons in real headless Chromium: a pasted
//! CSV is checked first (the dry run's errors shown per row and column, the
//! Import button off), then, fixed, checked again and imported; the items
//! page offers the exports and, to editors only, the import.

use crate::browser_support;
use crate::common;

use browser_support::Chromium;
use common::{Client, PASSWORD, TestServer};
use serde_json::json;

#[test]
fn a_pasted_csv_is_checked_then_imported_and_the_exports_are_offered() {
    let server = TestServer::start();
    let api = Client::signed_up(&server, "kai");
    let chrome = Chromium::launch();
    let page = chrome.page(&server.base, "import");
    page.log_in("kai", PASSWORD);

    page.goto("/items");
    page.wait_for(
        "the export and import links",
        "document.querySelector('a[href=\"/api/export?format=csv&what=items\"]') !== null \
         && document.querySelector('a[href=\"/api/export?format=zip\"]') !== null \
         && document.querySelector('a[href=\"/import\"]').offsetParent !== null",
    );

    page.goto("/import");
    page.fill(
        "#import-text",
        "name,total_quantity,location,quantity\nBolt,10,Garage / Shelf A,4\nNut,lots,Van,1\n",
    );
    page.click("#import-check");
    page.wait_text(
        "#import-errors tbody",
        "row 3, column total_quantity: must be a whole number",
    );
    assert_eq!(
        page.js("document.getElementById('import-confirm').disabled"),
        true
    );
    assert_eq!(
        api.get("/api/item").json(),
        json!([]),
        "a check writes nothing"
    );

    page.fill(
        "#import-text",
        "name,total_quantity,location,quantity\nBolt,10,Garage / Shelf A,4\nNut,5,Van,1\n",
    );
    page.click("#import-check");
    page.wait_text("#import-summary", "would create 2 items, 3 locations");
    page.click("#import-confirm");
    page.wait_text("#import-summary", "created 2 items");
    let items = api.get("/api/item?sort=name").json();
    assert_eq!(items.as_array().unwrap().len(), 2, "{items}");

    // The ZIP export, chosen as a file, is sent as itself: every row is
    // already here, so a check says it would update them.
    page.js(
        "fetch('/api/export?format=zip').then((r) => r.blob()).then((blob) => { \
           const picked = new DataTransfer(); \
           picked.items.add(new File([blob], 'inventory.zip', { type: 'application/zip' })); \
           const input = document.getElementById('import-file'); \
           input.files = picked.files; \
           input.dispatchEvent(new Event('change')); return true; })",
    );
    page.wait_for(
        "the ZIP format chosen for a .zip file",
        "document.getElementById('import-format').value === 'zip'",
    );
    page.click("#import-check");
    page.wait_text("#import-summary", "would update 2 items, 3 locations");

    // A viewer sees the exports but neither the import link nor the page.
    let admin = api;
    let viewer = Client::signed_up(&server, "vic");
    let users = admin.get("/api/admin/users").json();
    let id = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "vic")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = admin.put(
        &format!("/api/admin/users?id={id}"),
        json!({"role": "viewer"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(viewer.login("vic", PASSWORD).status, 200);
    assert_eq!(viewer.get("/api/export?format=csv&what=items").status, 200);
    let r = viewer.send_raw("POST", "/api/import?format=csv", "text/csv", b"name\nX\n");
    assert_eq!(r.status, 403, "{}", r.text);
}

/// A pasted CSV outlives a session that cannot be renewed: the import page
/// keeps the text, asks for the password in a dialog on the page (a wrong one
/// answered there) and, signed in, finishes the import that was pressed.
#[test]
fn a_pasted_csv_survives_an_ended_session_and_is_imported_after_signing_in_on_the_page() {
    let server = TestServer::start();
    let api = Client::signed_up(&server, "kai");
    let chrome = Chromium::launch();
    let page = chrome.page(&server.base, "import_sign_in");
    page.goto("/dashboard").wait_path("/login");
    page.fill("#login-username", "kai")
        .fill("#login-password", PASSWORD)
        .press("Enter");
    page.wait_path("/dashboard");

    page.goto("/import");
    // The limit the page checks a file against is the server's own.
    assert_eq!(
        page.js("document.getElementById('import-form').dataset.maxImport"),
        json!(miauinv::router::MAX_IMPORT.to_string())
    );
    let csv = "name,total_quantity\nBolt,10\nNut,5\n";
    page.fill("#import-text", csv);
    page.click("#import-check");
    page.wait_text("#import-summary", "would create 2 items");

    // Every session of the account ends (a logout everywhere, from another
    // device): neither the access token nor the refresh token works now.
    assert_eq!(api.post("/api/logout", json!({})).status, 200);
    page.click("#import-confirm");
    page.wait_visible("#sign-in-dialog[open] #sign-in-password");
    assert_eq!(page.path(), "/import", "the page stays");
    assert_eq!(
        page.js("document.getElementById('import-text').value"),
        json!(csv)
    );
    assert_eq!(
        page.js("document.getElementById('sign-in-username').value"),
        json!("kai"),
        "the page's own account is filled in"
    );
    page.fill("#sign-in-password", "not the password")
        .click("#sign-in-form button[type=submit]");
    page.wait_text("#sign-in-form [data-error]", "Wrong username or password");
    page.fill("#sign-in-password", PASSWORD)
        .click("#sign-in-form button[type=submit]");
    page.wait_text("#import-summary", "created 2 items");
    assert_eq!(
        page.js("document.getElementById('sign-in-dialog').open"),
        json!(false)
    );
    assert_eq!(
        page.js("document.getElementById('import-error').hidden"),
        json!(true)
    );

    assert_eq!(api.login("kai", PASSWORD).status, 200);
    let items = api.get("/api/item?sort=name").json();
    assert_eq!(items.as_array().map(Vec::len), Some(2), "{items}");
}
