//! Credentials that end when you say so (issue 28), in real headless
//! Chromium: the settings page's "Also revoke my API tokens" boxes are ticked
//! by default and do what they say (sign out everywhere, password change);
//! making a token after five minutes asks for the password beside the form;
//! the admin page says a one-time link is only a path until `public_url` is
//! set.

use crate::browser_support;
use crate::common;

use browser_support::{Chromium, Page};
use common::{Client, PASSWORD, TestServer};
use serde_json::json;

/// A write token of `username`'s made through the API, and a script using it.
fn script(server: &TestServer, username: &str, password: &str, name: &str) -> Client {
    let api = server.client();
    assert_eq!(api.login(username, password).status, 200);
    let r = api.post("/api/tokens", json!({"name": name, "scope": "write"}));
    assert_eq!(r.status, 201, "{}", r.text);
    let mut script = server.client();
    script.bearer = Some(r.json()["token"].as_str().unwrap().to_string());
    script
}

fn works(script: &Client) -> bool {
    script.get("/api/item").status == 200
}

fn checked(page: &Page, selector: &str) -> bool {
    page.js(&format!("document.querySelector('{selector}').checked")) == true
}

fn sessions_listed(page: &Page, n: usize) {
    page.wait_for(
        &format!("{n} sessions listed"),
        &format!("document.querySelectorAll('#session-list [data-session]').length === {n}"),
    );
}

#[test]
fn settings_revoke_api_tokens_by_default_and_ask_for_the_password_after_five_minutes() {
    let server = TestServer::start();
    let chrome = Chromium::launch();
    let page = chrome.page(&server.base, "revoke_tokens");
    page.register("ada", PASSWORD);
    let first = script(&server, "ada", PASSWORD, "first");
    page.goto("/profile/settings");
    page.wait_for(
        "the token listed",
        "document.querySelector('#token-list [data-token]')",
    );
    assert!(
        checked(&page, "#sessions-revoke-tokens"),
        "ticked by default"
    );
    assert!(
        checked(&page, "#password-revoke-tokens"),
        "ticked by default"
    );
    assert!(checked(&page, "#twofa-revoke-tokens"), "ticked by default");

    // End all other sessions, the box ticked: the token ends with them.
    sessions_listed(&page, 2);
    page.click("#sessions-revoke-others");
    page.wait_visible("#confirm-dialog");
    assert!(
        page.text("#confirm-dialog")
            .contains("revoke every API token")
    );
    page.click("#confirm-ok");
    page.wait_for(
        "the token list emptied",
        "document.querySelector('#token-list').textContent.includes('No tokens yet')",
    );
    sessions_listed(&page, 1);
    assert!(!works(&first));

    // Unticked: the other session ends, the token stays.
    let second = script(&server, "ada", PASSWORD, "second");
    page.goto("/profile/settings");
    sessions_listed(&page, 2);
    page.click("#sessions-revoke-tokens");
    assert!(!checked(&page, "#sessions-revoke-tokens"));
    page.click("#sessions-revoke-others");
    page.wait_visible("#confirm-dialog");
    page.click("#confirm-ok");
    sessions_listed(&page, 1);
    assert!(works(&second), "unticked, the token keeps working");

    // A password change with the box left ticked revokes it.
    page.fill("#old-password", PASSWORD)
        .fill("#new-password", "a much longer secret")
        .fill("#confirm-password", "a much longer secret")
        .click("#password-form button[type=submit]");
    page.wait_text("#password-form [data-ok]", "1 API token was revoked");
    assert!(!works(&second));
    page.wait_for(
        "the token list emptied",
        "document.querySelector('#token-list').textContent.includes('No tokens yet')",
    );

    // Five minutes later, making a token asks for the password.
    let conn = rusqlite::Connection::open(server.db_path()).unwrap();
    conn.execute(
        "UPDATE sessions SET authenticated_at = authenticated_at - 360",
        [],
    )
    .unwrap();
    assert_eq!(
        page.js("document.querySelector('#token-password-field').hidden"),
        true
    );
    page.fill("#token-name", "Home Assistant");
    page.click("#token-form button[type=submit]");
    page.wait_visible("#token-password-field");
    page.wait_text("#token-form [data-error]", "needs your password");
    assert_eq!(
        page.js("document.querySelector('#token-name').value"),
        "Home Assistant"
    );
    page.fill("#token-password", "a much longer secret");
    page.click("#token-form button[type=submit]");
    page.wait_visible("#token-made");
    assert_eq!(
        page.js("document.querySelector('#token-password-field').hidden"),
        true
    );
    let token = page.js("document.querySelector('#token-made-value').value");
    let mut third = server.client();
    third.bearer = Some(token.as_str().unwrap().to_string());
    assert!(works(&third));
}

#[test]
fn the_admin_page_says_a_link_is_only_a_path_until_public_url_is_set() {
    let chrome = Chromium::launch();
    for (config, starts) in [
        ("", "/invite?token="),
        (
            "public_url: https://inv.example\n",
            "https://inv.example/invite?token=",
        ),
    ] {
        let server = TestServer::start_with(config);
        let page = chrome.page(&server.base, "link_origin");
        page.register("ada", PASSWORD);
        page.goto("/admin");
        page.wait_for(
            "the invitations",
            "document.querySelector('#invite-list li')",
        );
        page.click("#invite-form button[type=submit]");
        page.wait_visible("#link-dialog");
        let url = page.js("document.querySelector('#link-url').value");
        assert!(url.as_str().unwrap().starts_with(starts), "{url}");
        let note_hidden = page.js("document.querySelector('#link-no-origin').hidden");
        assert_eq!(note_hidden, !config.is_empty(), "{config:?}");
        if config.is_empty() {
            assert!(page.text("#link-no-origin").contains("public_url"));
            assert!(page.text("#link-no-origin").contains(&server.base));
        }
    }
}
