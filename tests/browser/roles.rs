//! Roles in real headless Chromium against the real server: a viewer's pages
//! show no control that changes anything, an editor's do; the admin panel
//! makes an invitation and changes a role; settings make and revoke a
//! personal API token, shown once.

use crate::browser_support;
use crate::common;

use browser_support::{Chromium, Page};
use common::{Client, PASSWORD, TestServer};
use serde_json::json;

/// Controls that would change something and that a person can see.
fn visible_write_controls(page: &Page) -> i64 {
    page.js("[...document.querySelectorAll('[data-write]')].filter((e) => e.offsetParent !== null).length")
        .as_i64()
        .unwrap()
}

/// Whether the list at `path` has a row whose `key` is `value`.
fn has(api: &Client, path: &str, key: &str, value: &str) -> bool {
    let list = api.get(path).json();
    list.as_array()
        .unwrap_or_else(|| panic!("{path}: {list}"))
        .iter()
        .any(|row| row[key] == value)
}

fn user_id(admin: &Client, name: &str) -> String {
    admin
        .get("/api/admin/users")
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == name)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_viewer_sees_no_write_controls_and_an_editor_does() {
    let server = TestServer::start();
    let admin = Client::signed_up(&server, "ada");
    let item = admin.created("/api/item", json!({"name": "Resistor"}));
    let shelf = admin.created("/api/location", json!({"name": "Shelf"}));
    admin.post(
        "/api/stock",
        json!({"item_id": item, "location_id": shelf, "quantity": 5}),
    );
    Client::signed_up(&server, "vera");
    Client::signed_up(&server, "eddie");
    let vera = user_id(&admin, "vera");
    admin.put(
        &format!("/api/admin/users?id={vera}"),
        json!({"role": "viewer"}),
    );

    let chrome = Chromium::launch();
    let pages = [
        "/dashboard".to_string(),
        "/inventory".to_string(),
        format!("/inventory?item={item}"),
        "/items".to_string(),
        "/locations".to_string(),
        format!("/locations?id={shelf}"),
        "/projects".to_string(),
    ];
    let viewer = chrome.page(&server.base, "roles_viewer");
    viewer.log_in("vera", PASSWORD);
    for path in &pages {
        viewer.goto(path);
        viewer.wait_for(
            "the page's rows",
            "!document.querySelector('[aria-busy=true]')",
        );
        // A negative check, so a bounded wait: a control drawn late by the
        // page's scripts would show by now.
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert_eq!(
            visible_write_controls(&viewer),
            0,
            "{path} shows a viewer write controls"
        );
    }
    assert_eq!(
        viewer.js("!!document.querySelector('a[href=\"/admin\"]')"),
        false
    );
    assert_eq!(viewer.js("document.body.dataset.canEdit"), "false");

    let editor = chrome.page(&server.base, "roles_editor");
    editor.log_in("eddie", PASSWORD);
    editor.goto("/items");
    editor.wait_for(
        "a row with its actions",
        "document.querySelector('[data-rows] tr [data-write]')",
    );
    assert!(
        visible_write_controls(&editor) >= 3,
        "New item, Edit, Delete"
    );
    editor.goto("/inventory");
    editor.wait_visible("#stock-form");
    assert_eq!(
        editor.js("!!document.querySelector('a[href=\"/admin\"]')"),
        false
    );
}

#[test]
fn the_admin_panel_invites_and_changes_a_role_and_settings_make_a_token_once() {
    let server = TestServer::start();
    let admin_api = Client::signed_up(&server, "ada");
    Client::signed_up(&server, "bob");

    let chrome = Chromium::launch();
    let page = chrome.page(&server.base, "roles_admin");
    page.log_in("ada", PASSWORD);
    page.click("a[href=\"/admin\"]").wait_path("/admin");
    page.wait_for(
        "the people",
        "document.querySelector('[data-user=\"bob\"] select')",
    );
    // Bob becomes a viewer through the role menu.
    page.js("const s = document.querySelector('[data-user=\"bob\"] select'); s.value = 'viewer'; s.dispatchEvent(new Event('change'));");
    page.wait_for(
        "the list read again",
        "document.querySelector('[data-user=\"bob\"] select')?.value === 'viewer'",
    );
    let bob = user_id(&admin_api, "bob");
    let users = admin_api.get("/api/admin/users").json();
    let row = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == bob.as_str())
        .unwrap();
    assert_eq!(row["role"], "viewer");

    // An invitation: its one-time link shown in a dialog.
    page.js("document.querySelector('#invite-role').value = 'editor'");
    page.click("#invite-form button[type=submit]");
    page.wait_visible("#link-dialog");
    let url = page.js("document.querySelector('#link-url').value");
    let url = url.as_str().unwrap();
    assert!(url.contains("/invite?token="), "{url}");
    page.wait_for(
        "the invitation listed",
        "document.querySelector('#invite-list [data-invite]')",
    );
    let invite_path = &url[url.find("/invite").unwrap()..];
    page.js("document.querySelector('#link-dialog').close()");

    // The invited person registers through the link's page.
    let guest = chrome.page(&server.base, "roles_invitee");
    guest.goto(invite_path);
    guest
        .fill("#reg-username", "newbie")
        .fill("#reg-password", PASSWORD)
        .fill("#reg-confirm", PASSWORD)
        .press("Enter");
    guest.wait_path("/dashboard");
    assert_eq!(guest.js("document.body.dataset.canEdit"), "true");

    // A personal token, shown once.
    page.goto("/profile/settings");
    page.fill("#token-name", "Home Assistant");
    page.click("#token-form button[type=submit]");
    page.wait_visible("#token-made");
    let token = page.js("document.querySelector('#token-made-value').value");
    let token = token.as_str().unwrap().to_string();
    assert!(token.starts_with("miau_"), "{token}");
    page.wait_for(
        "listed",
        "document.querySelector('#token-list [data-token]')",
    );
    let mut script = server.client();
    script.bearer = Some(token.clone());
    assert_eq!(script.get("/api/item").status, 200);
    page.goto("/profile/settings");
    page.wait_for(
        "listed again",
        "document.querySelector('#token-list [data-token]')",
    );
    assert_eq!(
        page.js(&format!(
            "document.body.innerHTML.includes({})",
            json!(token)
        )),
        false,
        "shown only once"
    );
    page.click("#token-list [data-token] button");
    page.wait_visible("#confirm-dialog");
    page.click("#confirm-ok");
    page.wait_for("revoked", "document.querySelector('#token-list li.muted')");
    assert_eq!(script.get("/api/item").status, 401);

    // Back on /admin: a pending invitation is revoked, and an account deleted
    // (after the confirmation), each from its own button.
    page.goto("/admin");
    page.click("#invite-form button[type=submit]");
    page.wait_visible("#link-dialog");
    page.js("document.querySelector('#link-dialog').close()");
    page.wait_for(
        "a pending invitation",
        "document.querySelector('#invite-list .invite-pending button')",
    );
    page.click("#invite-list .invite-pending button");
    page.wait_for(
        "no pending invitation",
        "!document.querySelector('#invite-list .invite-pending')",
    );
    assert!(has(&admin_api, "/api/admin/invites", "state", "revoked"));
    page.wait_for(
        "newbie listed",
        "document.querySelector('[data-user=\"newbie\"]')",
    );
    page.js("[...document.querySelectorAll('[data-user=\"newbie\"] button')].find((b) => b.textContent === 'Delete').click()");
    page.wait_visible("#confirm-dialog");
    page.click("#confirm-ok");
    page.wait_for(
        "newbie gone",
        "!document.querySelector('[data-user=\"newbie\"]')",
    );
    assert!(!has(&admin_api, "/api/admin/users", "username", "newbie"));
}
