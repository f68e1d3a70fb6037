//! Devices, sessions and the security log in real headless Chromium against
//! the real server: settings list the sessions with "this device", end another
//! device's session (its access token refused at once) and show recent
//! security activity; /admin shows every account's events, filtered by account.
//! A session that ends while a stocktake is being counted is signed into again
//! on the page, on a phone, with the second factor, and the counts are applied.

use crate::browser_support;
use crate::common;
use crate::totp_support;

use browser_support::Chromium;
use common::{Client, PASSWORD, TestServer};
use serde_json::json;
use totp_support::Authenticator;

#[test]
fn settings_list_sessions_end_another_and_show_security_activity() {
    let server = TestServer::start();
    let ada = Client::signed_up(&server, "ada");
    let phone = server.client();
    let r = phone.send_with(
        "POST",
        "/api/login",
        Some(serde_json::json!({"username": "ada", "password": PASSWORD})),
        &[("User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")],
    );
    assert_eq!(r.status, 200);
    let mut phone = server.client();
    phone.bearer = Some(r.json()["access_token"].as_str().unwrap().to_string());
    assert!(server.client().login("ada", "not the password").status == 401);

    let chrome = Chromium::launch();
    let page = chrome.page(&server.base, "sessions_settings");
    page.log_in("ada", PASSWORD);
    page.goto("/profile/settings");
    page.wait_for(
        "the sessions",
        "document.querySelectorAll('#session-list [data-session]').length === 3",
    );
    let this_device = page.js(
        "[...document.querySelectorAll('#session-list [data-session]')].filter((li) => li.textContent.includes('this device')).length",
    );
    assert_eq!(this_device, 1);
    assert_eq!(
        page.js("document.querySelector('#session-list').textContent.includes('Safari on iOS')"),
        true
    );
    // End the phone's session.
    page.js("[...document.querySelectorAll('#session-list [data-session]')].find((li) => li.textContent.includes('Safari on iOS')).querySelector('button').click()");
    page.wait_visible("#confirm-dialog");
    page.click("#confirm-ok");
    page.wait_for(
        "the list read again",
        "document.querySelectorAll('#session-list [data-session]').length === 2",
    );
    assert_eq!(phone.get("/api/profile").status, 401);

    // Recent activity: the logins, the failure and the ended session.
    page.wait_for(
        "the activity",
        "document.querySelector('#activity-list [data-event=\"session_revoked\"]')",
    );
    assert_eq!(
        page.js("!!document.querySelector('#activity-list [data-event=\"login_failed\"]')"),
        true
    );

    // End every other session: only this device is left.
    page.click("#sessions-revoke-others");
    page.wait_visible("#confirm-dialog");
    page.click("#confirm-ok");
    page.wait_for(
        "only this device",
        "document.querySelectorAll('#session-list [data-session]').length === 1",
    );
    assert_eq!(ada.get("/api/profile").status, 401);

    // The admin's log shows everyone, and filters by account.
    Client::signed_up(&server, "bob");
    page.goto("/admin");
    page.wait_for(
        "bob's login in the log",
        "[...document.querySelectorAll('#security-events [data-event]')].some((li) => li.textContent.includes('bob'))",
    );
    page.wait_for(
        "bob in the filter",
        "[...document.querySelectorAll('#security-user option')].some((o) => o.textContent === 'bob')",
    );
    page.js("const s = document.querySelector('#security-user'); s.value = [...s.options].find((o) => o.textContent === 'ada').value; s.dispatchEvent(new Event('change'));");
    page.wait_for(
        "only ada's events",
        "(() => { const rows = [...document.querySelectorAll('#security-events [data-event]')]; return rows.length > 0 && rows.every((li) => li.textContent.startsWith('ada')); })()",
    );
}

#[test]
fn an_ended_session_is_signed_into_again_on_a_phone_with_2fa_and_the_counts_are_applied() {
    let server = TestServer::start();
    let api = Client::signed_up(&server, "eve");
    let setup = api.post("/api/2fa/setup", json!({})).json();
    let mut app = Authenticator::new(setup["secret"].as_str().unwrap());
    let r = api.post(
        "/api/2fa/enable",
        json!({"setup_token": setup["setup_token"], "code": app.next_code()}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let bin = api.created("/api/location", json!({"name": "Bin 7"}));
    let bolts = api.created("/api/item", json!({"name": "Bolts", "total_quantity": 9}));
    let r = api.post(
        "/api/stock",
        json!({"item_id": bolts, "location_id": bin, "quantity": 9}),
    );
    assert_eq!(r.status, 201, "{}", r.text);

    let chrome = Chromium::launch();
    let page = chrome.page(&server.base, "sign_in_dialog_2fa");
    page.viewport(390, 844, true);
    page.goto("/dashboard").wait_path("/login");
    page.fill("#login-username", "eve")
        .fill("#login-password", PASSWORD)
        .click("#login-form button[type=submit]");
    page.wait_visible("#twofa-form");
    page.fill("#twofa-code", &app.next_code())
        .click("#twofa-form button[type=submit]");
    page.wait_path("/dashboard");

    page.goto(&format!("/stocktake?location={bin}"));
    page.wait_for(
        "the location is chosen",
        "document.querySelector('#take-location').value === 'Bin 7'",
    );
    page.click("#start-form button[type=submit]");
    page.fill("[aria-label='Counted Bolts']", "7");
    page.wait_text("#take-summary", "1 of 1 counted · 1 difference");

    // Every session ends; applying the counts asks to sign in, on the page.
    assert_eq!(api.post("/api/logout", json!({})).status, 200);
    page.click("#take-apply");
    page.wait_visible("#sign-in-dialog[open] #sign-in-password");
    let fits = page.js(
        "(() => { const r = document.getElementById('sign-in-dialog').getBoundingClientRect(); \
         const wide = [...document.querySelectorAll('#sign-in-dialog *')] \
           .filter((e) => e.getBoundingClientRect().right > innerWidth); \
         return r.left >= 0 && r.right <= innerWidth && wide.length === 0 \
           && document.documentElement.scrollWidth <= innerWidth; })()",
    );
    assert_eq!(fits, json!(true), "the dialog fits a 390 px phone");
    assert_eq!(
        page.js("document.querySelector('#sign-in-dialog a[href=\"/login\"]').target"),
        json!("_blank"),
        "a passkey is used on the login page, in a new tab"
    );
    page.fill("#sign-in-password", PASSWORD)
        .click("#sign-in-form button[type=submit]");
    page.wait_visible("#sign-in-code-form");
    assert_eq!(
        page.js("document.getElementById('sign-in-form').hidden"),
        json!(true)
    );
    page.fill("#sign-in-code", &app.wrong_code())
        .click("#sign-in-code-form button[type=submit]");
    page.wait_visible("#sign-in-code-form [data-error]");
    page.fill("#sign-in-code", &app.next_code())
        .click("#sign-in-code-form button[type=submit]");
    page.wait_text("#result-title", "1 counted, 1 difference applied");
    assert_eq!(page.path(), format!("/stocktake?location={bin}"));
    let stocked = page.js(&format!(
        "fetch('/api/item?id={bolts}').then((r) => r.json()).then((i) => i.stocked_quantity)"
    ));
    assert_eq!(
        stocked,
        json!(7),
        "the counts were applied, signed in again"
    );
}
