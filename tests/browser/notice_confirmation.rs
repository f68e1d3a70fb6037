//! A notification email confirmed in real headless Chromium (issue 28): the
//! settings page says "Unconfirmed — check your mail" and sends the link
//! again; the link's page confirms nothing until its button is pressed; the
//! settings page then says the address is confirmed.

use crate::browser_support::Chromium;
use crate::common::{PASSWORD, TestServer, wait_until};
use crate::notify_support::SmtpSink;
use serde_json::json;
use std::time::Duration;

const PUBLIC_URL: &str = "https://inventory.example.org";

/// The path of the newest confirmation link in the sink's mails (their
/// quoted-printable encoding undone: long lines broken with `=`, `=` as `=3D`).
fn newest_link_path(sink: &SmtpSink) -> String {
    let mail = sink.messages().last().cloned().expect("a mail");
    let text = mail.replace("=\r\n", "").replace("=3D", "=");
    let start = text.find("/confirm-email?token=").expect("a link");
    let end = text[start..]
        .find(char::is_whitespace)
        .map_or(text.len(), |i| start + i);
    text[start..end].to_string()
}

#[test]
fn the_settings_page_sends_the_link_and_the_link_page_confirms() {
    let server = TestServer::start_with(&format!(
        "notify_retry_base_ms: 50\npublic_url: {PUBLIC_URL}\n"
    ));
    let sink = SmtpSink::start();
    let chrome = Chromium::launch();
    let page = chrome.page(&server.base, "notice_confirmation");
    page.register("nora", PASSWORD);
    let admin = server.client();
    assert_eq!(admin.login("nora", PASSWORD).status, 200);
    let r = admin.post(
        "/api/admin/notifications",
        json!({"name": "mail", "kind": "email", "events": ["account.security"],
               "settings": {"host": "127.0.0.1", "port": sink.port, "security": "none",
                            "from": "miauinv@example.org", "to": "team@example.org"}}),
    );
    assert_eq!(r.status, 201, "{}", r.text);

    page.goto("/profile/settings");
    page.fill("#notification-email-address", "nora@example.org")
        .fill("#notification-email-password", PASSWORD)
        .click("#notification-email-form button[type=submit]");
    page.wait_text(
        "#notification-email-form [data-ok]",
        "Unconfirmed — check your mail: a link went to nora@example.org.",
    );
    page.wait_visible("#notification-email-resend");
    let first = {
        sink.wait_for(1);
        newest_link_path(&sink)
    };
    page.click("#notification-email-resend")
        .wait_text("#toast", "The link is on its way");
    sink.wait_for(2);
    let second = newest_link_path(&sink);
    assert_ne!(first, second);

    // The link's page: the address, and nothing confirmed until the button.
    page.goto(&second);
    page.wait_text("main", "nora@example.org");
    assert_eq!(
        admin.get("/api/profile").json()["notification_email_confirmed"],
        false
    );
    page.click("#confirm-email-form button[type=submit]")
        .wait_text("#confirm-email-form [data-ok]", "Confirmed");
    wait_until(Duration::from_secs(5), "the address is confirmed", || {
        admin.get("/api/profile").json()["notification_email_confirmed"] == true
    });

    page.goto("/profile/settings");
    page.wait_visible("[data-state-confirmed]");
    page.wait_text("[data-state-confirmed]", "nora@example.org");
    assert!(
        page.js("document.querySelector('[data-state-unconfirmed]').hidden")
            .as_bool()
            .unwrap()
    );
    // The older link died with the newer one.
    page.goto(&first);
    page.wait_text("main", "This link is not valid");
}
