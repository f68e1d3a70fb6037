//! Devices, sessions and the security log in real headless Chromium against
//! the real server: settings list the sessions with "this device", end another
//! device's session (its access token refused at once) and show recent
//! security activity; /admin shows every account's events, filtered by account.

use crate::browser_support;
use crate::common;

use browser_support::Chromium;
use common::{Client, PASSWORD, TestServer};

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
