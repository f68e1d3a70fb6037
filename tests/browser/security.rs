//! The security journeys in real headless Chromium: two-factor authentication
//! (set up from the QR page's manual key, log in with a TOTP code and with a
//! recovery code, a used recovery code refused, disable) and passkeys (added in
//! the settings with a DevTools virtual authenticator, used to log in without a
//! username, removed). TOTP codes are computed here by an RFC 6238
//! implementation of our own (HMAC-SHA-1 from `hmac` and `sha1`), checked against
//! the RFC's test vectors, never by the server's code.

use crate::browser_support;
use crate::common;
use crate::totp_support;

use browser_support::{Chromium, Page};
use common::{PASSWORD, TestServer};
use serde_json::{Value, json};
use totp_support::Authenticator;

// ── steps ──────────────────────────────────────────────────────────────────────

fn log_out(page: &Page) {
    page.click("#logout").wait_path("/login");
}

/// Password step on /login; with 2FA on, the code step appears instead of a
/// new page.
fn password_step(page: &Page, username: &str) {
    page.fill("#login-username", username)
        .fill("#login-password", PASSWORD)
        .click("#login-form button[type=submit]");
}

fn code_step(page: &Page, code: &str) {
    page.wait_visible("#twofa-form");
    assert_eq!(
        page.js("document.querySelector('#login-form').hidden"),
        true,
        "the password form gives way to the code step"
    );
    page.fill("#twofa-code", code)
        .click("#twofa-form button[type=submit]");
}

/// The recovery codes on the page, as shown.
fn shown_codes(page: &Page) -> Vec<String> {
    // Objects do not come back by value over the driver; a JSON string does.
    let text = page.js(
        "JSON.stringify([...document.querySelectorAll('#recovery-codes li')]\
         .map(li => li.textContent.trim()))",
    );
    let v: Value = serde_json::from_str(text.as_str().expect("JSON text")).expect("JSON");
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|s| s.as_str().expect("a string").to_string())
        .collect()
}

#[test]
fn two_factor_journey_setup_code_login_recovery_code_and_disable() {
    let server = TestServer::start();
    let chrome = Chromium::launch();
    let page = chrome.page(&server.base, "two_factor_journey");
    page.register("dora", PASSWORD);

    // Settings: 2FA is off; setting it up shows a QR code and the manual key.
    page.goto("/profile/settings");
    page.wait_text("#two-factor", "Off");
    page.click("#twofa-start-form button[type=submit]");
    page.wait_visible("#twofa-qr");
    page.wait_for(
        "the QR code is a PNG data URL",
        "document.querySelector('#twofa-qr').src.startsWith('data:image/png;base64,') \
         && document.querySelector('#twofa-qr').naturalWidth > 0",
    );
    let shown = page.text("#twofa-secret");
    assert!(
        shown.contains(' '),
        "the key is grouped for reading: {shown}"
    );
    let secret: String = shown.split_whitespace().collect();
    assert!(secret.len() >= 16, "a real base32 key: {secret}");
    let mut app = Authenticator::new(&secret);

    // A wrong code is answered next to the form; the right one turns 2FA on.
    page.fill("#twofa-enable-code", &app.wrong_code())
        .click("#twofa-enable-form button[type=submit]");
    page.wait_text("#twofa-enable-form [data-error]", "not correct");
    page.fill("#twofa-enable-code", &app.next_code())
        .click("#twofa-enable-form button[type=submit]");

    // The recovery codes, once, with download and copy.
    page.wait_visible("#twofa-codes");
    let codes = shown_codes(&page);
    assert_eq!(codes.len(), 10, "{codes:?}");
    assert!(
        page.text("#twofa-codes")
            .contains("Store these recovery codes now")
    );
    assert!(
        page.text("#codes-download")
            .contains("miauinv-recovery-codes.txt")
    );
    assert_eq!(page.text("#codes-copy"), "Copy");
    // The download is made in the browser: catch the Blob and read it.
    page.js("window.__blobs = []; const make = URL.createObjectURL; \
             URL.createObjectURL = (b) => { __blobs.push(b); return make(b); }; true");
    page.click("#codes-download");
    page.wait_for("the file was made", "window.__blobs.length === 1");
    let file = page.js("__blobs[0].text()");
    let file = file.as_str().expect("file text");
    for code in &codes {
        assert!(file.contains(code.as_str()), "{code} in {file}");
    }
    page.click("#codes-done");
    page.wait_text("#twofa-remaining", "10 unused recovery codes");
    assert!(page.text("#two-factor").contains("On"));
    page.goto("/profile/");
    page.wait_text("[aria-labelledby=security-title]", "10 unused");

    // Log in again: the password is not enough; a fresh TOTP code is.
    log_out(&page);
    password_step(&page, "dora");
    code_step(&page, &app.next_code());
    page.wait_path("/dashboard");

    // A recovery code works once…
    log_out(&page);
    password_step(&page, "dora");
    code_step(&page, &codes[0]);
    page.wait_path("/dashboard");
    log_out(&page);
    password_step(&page, "dora");
    code_step(&page, &codes[0]);
    page.wait_text("#twofa-form [data-error]", "not correct");
    assert_eq!(page.path(), "/login");
    // …another one still does (typed in capitals, as a person might).
    page.fill("#twofa-code", &codes[1].to_uppercase())
        .click("#twofa-form button[type=submit]");
    page.wait_path("/dashboard");

    // Settings count what is left; disabling needs the password and a code and
    // ends every session.
    page.goto("/profile/settings");
    page.wait_text("#twofa-remaining", "8 unused recovery codes");
    page.click_text("#two-factor", "Disable 2FA");
    page.wait_visible("#twofa-disable-form");
    page.fill("#disable-password", "not my password")
        .fill("#disable-code", &app.wrong_code())
        .click("#twofa-disable-form button[type=submit]");
    page.wait_visible("#twofa-disable-form [data-error]");
    page.fill("#disable-password", PASSWORD)
        .fill("#disable-code", &app.next_code())
        .click("#twofa-disable-form button[type=submit]");
    page.wait_path("/login");
    password_step(&page, "dora");
    page.wait_path("/dashboard");
    page.goto("/profile/settings");
    page.wait_text("#two-factor", "Off");
}

#[test]
fn few_recovery_codes_left_show_a_warning_and_regenerating_shows_new_ones() {
    let server = TestServer::start();
    let chrome = Chromium::launch();
    let page = chrome.page(&server.base, "two_factor_regenerate");
    page.register("emil", PASSWORD);
    page.goto("/profile/settings");
    page.click("#twofa-start-form button[type=submit]");
    page.wait_visible("#twofa-secret");
    let secret: String = page.text("#twofa-secret").split_whitespace().collect();
    let mut app = Authenticator::new(&secret);
    page.fill("#twofa-enable-code", &app.next_code())
        .click("#twofa-enable-form button[type=submit]");
    page.wait_visible("#twofa-codes");
    let codes = shown_codes(&page);

    // Use 7 of the 10 codes over the API: 3 left is "few".
    for code in &codes[..7] {
        let c = server.client();
        let r = c.login("emil", PASSWORD);
        let token = r.json()["two_factor_token"].as_str().unwrap().to_string();
        let r = c.post(
            "/api/login/2fa",
            json!({"two_factor_token": token, "code": code}),
        );
        assert_eq!(r.status, 200, "{}", r.text);
    }
    page.goto("/profile/settings");
    page.wait_text("#twofa-low", "Only 3 recovery codes left");

    page.click_text("#two-factor", "Regenerate recovery codes");
    page.fill("#regen-password", PASSWORD)
        .fill("#regen-code", &app.next_code())
        .click("#twofa-regenerate-form button[type=submit]");
    page.wait_visible("#twofa-codes");
    let fresh = shown_codes(&page);
    assert_eq!(fresh.len(), 10);
    assert!(fresh.iter().all(|c| !codes.contains(c)), "all new");
    page.click("#codes-done");
    page.wait_text("#twofa-remaining", "10 unused recovery codes");
    assert_eq!(
        page.js("document.querySelector('#twofa-low') === null"),
        true
    );
}

// ── passkeys ───────────────────────────────────────────────────────────────────

#[test]
fn passkey_journey_add_in_settings_log_in_without_a_username_and_remove() {
    let server = TestServer::start_with_passkeys();
    let chrome = Chromium::launch();
    let page = chrome.page(&server.base, "passkey_journey");
    page.virtual_authenticator();
    page.register("fritz", PASSWORD);
    assert_eq!(page.js("window.isSecureContext"), true);

    page.goto("/profile/settings");
    page.wait_text("#passkey-list", "No passkeys");
    assert_eq!(
        page.js("document.querySelector('#passkeys-unsupported').hidden"),
        true
    );

    // A wrong password is refused before the browser is asked for anything.
    page.fill("#passkey-name", "Laptop")
        .fill("#passkey-password", "not my password")
        .click("#passkey-add-form button[type=submit]");
    page.wait_text("#passkey-add-form [data-error]", "password");

    page.fill("#passkey-name", "Laptop")
        .fill("#passkey-password", PASSWORD)
        .click("#passkey-add-form button[type=submit]");
    page.wait_text("#passkey-add-form [data-ok]", "Laptop");
    page.wait_text("#passkey-list", "Laptop");
    page.wait_text("#passkey-list", "never used");
    page.goto("/profile/");
    page.wait_text("[aria-labelledby=security-title]", "1 registered");

    // Log out; the passkey alone logs in, no username typed.
    log_out(&page);
    assert_eq!(
        page.js("document.querySelector('#login-username').value"),
        ""
    );
    page.click("#passkey-login-button");
    page.wait_path("/dashboard");
    page.wait_text(".user-name", "fritz");

    // The list shows it was used; removing it needs the password.
    page.goto("/profile/settings");
    page.wait_text("#passkey-list", "last used");
    page.click_text("#passkey-list", "Remove");
    page.wait_visible("#password-dialog");
    page.fill("#password-dialog-input", "not my password")
        .click("#password-dialog-ok");
    page.wait_text("#password-dialog [data-error]", "password");
    page.fill("#password-dialog-input", PASSWORD)
        .click("#password-dialog-ok");
    page.wait_text("#passkey-list", "No passkeys");
    assert_eq!(
        page.js("document.querySelector('#password-dialog').open"),
        false
    );
    assert_eq!(
        page.js("document.querySelector('#passkeys-remove-all').hidden"),
        true
    );

    // With no passkey left, the login button gets a clear refusal.
    log_out(&page);
    page.click("#passkey-login-button");
    page.wait_visible("#passkey-login-error");
    assert_eq!(page.path(), "/login");
}

#[test]
fn remove_all_passkeys_and_a_page_that_cannot_use_them_says_why() {
    let server = TestServer::start_with_passkeys();
    let chrome = Chromium::launch();
    let page = chrome.page(&server.base, "passkeys_remove_all");
    page.virtual_authenticator();
    page.register("greta", PASSWORD);
    page.goto("/profile/settings");
    page.fill("#passkey-name", "Phone")
        .fill("#passkey-password", PASSWORD)
        .click("#passkey-add-form button[type=submit]");
    page.wait_text("#passkey-list", "Phone");
    page.click("#passkeys-remove-all");
    page.fill("#password-dialog-input", PASSWORD)
        .click("#password-dialog-ok");
    page.wait_text("#passkey-list", "No passkeys");

    // A browser without WebAuthn (removed here before the page's scripts run)
    // is told so, instead of offering buttons that cannot work.
    let other = chrome.page(&server.base, "passkeys_unsupported");
    let hide: headless_chrome::protocol::cdp::Page::AddScriptToEvaluateOnNewDocument =
        serde_json::from_value(json!({ "source": "delete window.PublicKeyCredential;" }))
            .expect("AddScriptToEvaluateOnNewDocument");
    other.tab.call_method(hide).expect("install the script");
    other.goto("/login");
    other.wait_text("#passkey-login-error", "does not support passkeys");
    assert_eq!(
        other.js("document.querySelector('#passkey-login-button').disabled"),
        true
    );
    other.register("hanna", PASSWORD);
    other.goto("/profile/settings");
    other.wait_text("#passkeys-unsupported", "does not support passkeys");
    assert_eq!(
        other.js("document.querySelector('#passkey-add-form button[type=submit]').disabled"),
        true
    );
}

#[test]
fn the_notification_email_is_saved_and_cleared_on_the_settings_page() {
    // An address is mailed a link under the public address, by an email
    // channel for security notices (nothing listens at its port: unsent).
    let server = TestServer::start_with("public_url: https://inventory.example.org\n");
    let chrome = Chromium::launch();
    let page = chrome.page(&server.base, "notification_email");
    page.register("nora", PASSWORD);
    let admin = server.client();
    assert_eq!(admin.login("nora", PASSWORD).status, 200);
    let channel = json!({"name": "mail", "kind": "email", "events": ["account.security"],
        "settings": {"host": "127.0.0.1", "port": 9, "security": "none",
                     "from": "miauinv@example.org", "to": "team@example.org"}});
    assert_eq!(admin.post("/api/admin/notifications", channel).status, 201);
    page.goto("/profile/settings");
    page.fill("#notification-email-address", "nora@example.org")
        .fill("#notification-email-password", PASSWORD)
        .click("#notification-email-form button[type=submit]");
    page.wait_text(
        "#notification-email-form [data-ok]",
        "Unconfirmed — check your mail: a link went to nora@example.org.",
    );
    page.goto("/profile/settings");
    page.wait_for(
        "the saved address is shown",
        "document.querySelector('#notification-email-address').value === 'nora@example.org'",
    );
    page.fill("#notification-email-address", "")
        .fill("#notification-email-password", PASSWORD)
        .click("#notification-email-form button[type=submit]");
    page.wait_text(
        "#notification-email-form [data-ok]",
        "No security notices are sent to you.",
    );
    let c = server.client();
    assert_eq!(c.login("nora", PASSWORD).status, 200);
    assert!(c.get("/api/profile").json()["notification_email"].is_null());
}
