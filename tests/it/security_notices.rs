//! Security notices to the account owner (issue 19 with the security log): a
//! login from a new device and two-factor authentication turned off are
//! mailed through the email channel chosen for them, to the account's own
//! notification email only; a known device, or an account without an
//! address, gets nothing; no secret is in a notice.

use crate::common;
use crate::notice_confirmation::{mails, newest_link, open_and_confirm};
use crate::notify_support;
use crate::totp_support;

use common::{Client, PASSWORD, TestServer};
use notify_support::{SmtpSink, wait_all_delivered};
use serde_json::{Value, json};
use totp_support::{Enabled, enable};

// Notices go to confirmed addresses only, by a link under the public address.
const FAST: &str = "notify_retry_base_ms: 50\npublic_url: https://inventory.example.org\n";
const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

/// An admin with an email channel carrying security notices (and item
/// events, to the team) to the sink.
fn setup() -> (TestServer, Client, SmtpSink) {
    let s = TestServer::start_with(FAST);
    let admin = Client::signed_up(&s, "boss");
    let sink = SmtpSink::start();
    let r = admin.post(
        "/api/admin/notifications",
        json!({"name": "mail", "kind": "email", "events": ["account.security", "item.low"],
               "settings": {"host": "127.0.0.1", "port": sink.port, "security": "none",
                            "from": "miauinv@example.org", "to": "team@example.org"}}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    (s, admin, sink)
}

fn set_address(c: &Client, email: Value) -> common::Resp {
    c.post(
        "/api/account/notification-email",
        json!({"email": email, "password": PASSWORD}),
    )
}

fn login_from(s: &TestServer, user: &str, agent: &str) -> Client {
    let c = s.client();
    let r = c.send_with(
        "POST",
        "/api/login",
        Some(json!({"username": user, "password": PASSWORD})),
        &[("User-Agent", agent)],
    );
    assert_eq!(r.status, 200, "{}", r.text);
    c
}

#[test]
fn a_login_from_a_new_device_is_mailed_to_its_owner_alone_once() {
    let (s, _admin, sink) = setup();
    let alice = Client::signed_up(&s, "alice");
    let r = set_address(&alice, json!(" alice@example.org "));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["notification_email"], "alice@example.org");
    assert_eq!(
        alice.get("/api/profile").json()["notification_email"],
        "alice@example.org"
    );
    let bob = Client::signed_up(&s, "bob");
    assert_eq!(set_address(&bob, json!("bob@example.org")).status, 200);
    for email in ["alice@example.org", "bob@example.org"] {
        assert_eq!(open_and_confirm(&s, &newest_link(&s, &sink, email)), 204);
    }

    // The device she signed up on is known; Firefox is new, then known.
    assert_eq!(alice.login("alice", PASSWORD).status, 200);
    login_from(&s, "alice", FIREFOX);
    login_from(&s, "alice", FIREFOX);

    wait_all_delivered(&s);
    let (_, notices) = mails(&sink);
    assert_eq!(notices.len(), 1, "{notices:#?}");
    let (mail, to) = notices[0].clone();
    assert_eq!(to, vec!["alice@example.org".to_string()]);
    assert!(
        mail.contains("Subject: New sign-in to your MiauInv account"),
        "{mail}"
    );
    assert!(mail.contains("To: alice@example.org"), "{mail}");
    assert!(!mail.contains("team@example.org"), "{mail}");
    assert!(mail.contains("'alice'"), "{mail}");
    assert!(
        mail.contains("Firefox on Linux (address 127.0.0.1)"),
        "{mail}"
    );
    assert!(!mail.contains(PASSWORD), "{mail}");

    // The log says which login was the new device's.
    let events = alice.get("/api/security-events?limit=50").json()["events"].clone();
    let firefox: Vec<&Value> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "login_succeeded" && e["device"] == "Firefox on Linux")
        .collect();
    assert_eq!(firefox.len(), 2);
    assert_eq!(firefox[1]["details"]["new_device"], true);
    assert!(firefox[0]["details"]["new_device"].is_null());
    assert!(
        events
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "notification_email_changed")
    );
}

#[test]
fn turning_two_factor_off_is_mailed_and_only_to_an_account_with_an_address() {
    let (s, admin, sink) = setup();
    let alice = Client::signed_up(&s, "alice");
    assert_eq!(set_address(&alice, json!("alice@example.org")).status, 200);
    let link = newest_link(&s, &sink, "alice@example.org");
    assert_eq!(open_and_confirm(&s, &link), 204);
    let bob = Client::signed_up(&s, "bob");

    let mut secrets = vec![PASSWORD.to_string()];
    for c in [&bob, &alice] {
        let Enabled {
            mut app, secret, ..
        } = enable(c);
        secrets.push(secret);
        let code = app.next_code();
        let r = c.post(
            "/api/2fa/disable",
            json!({"password": PASSWORD, "code": code}),
        );
        assert_eq!(r.status, 200, "{}", r.text);
        secrets.push(code);
    }
    // Bob (no address) was first: the one message is Alice's.
    wait_all_delivered(&s);
    let (_, notices) = mails(&sink);
    assert_eq!(notices.len(), 1, "{notices:#?}");
    let (mail, to) = notices[0].clone();
    assert_eq!(to, vec!["alice@example.org".to_string()]);
    assert!(
        mail.contains("Subject: Two-factor authentication was turned off"),
        "{mail}"
    );
    assert!(mail.contains("'alice'"), "{mail}");
    for secret in &secrets {
        assert!(!mail.contains(secret.as_str()), "{secret} in {mail}");
    }
    // Nor in what the outbox keeps.
    let conn = rusqlite::Connection::open(s.db_path()).unwrap();
    let stored: String = conn
        .query_row(
            "SELECT group_concat(payload || coalesce(recipient, ''), '|') FROM notification_outbox",
            [],
            |r| r.get(0),
        )
        .unwrap();
    for secret in &secrets {
        assert!(!stored.contains(secret.as_str()), "{secret} in {stored}");
    }

    // Only an email channel may carry them.
    let r = admin.post(
        "/api/admin/notifications",
        json!({"name": "hook", "kind": "webhook", "events": ["account.security"],
               "secret": "a-secret-of-at-least-16-characters",
               "settings": {"url": "http://127.0.0.1:9/hook"}}),
    );
    assert_eq!(
        (r.status, r.json()["field"].clone()),
        (400, json!("events"))
    );
}

#[test]
fn the_notification_email_is_checked_password_confirmed_and_clearable() {
    let (s, _admin, _sink) = setup();
    let alice = Client::signed_up(&s, "alice");
    let r = set_address(&alice, json!("not an address"));
    assert_eq!((r.status, r.json()["field"].clone()), (400, json!("email")));
    let r = alice.post(
        "/api/account/notification-email",
        json!({"email": "alice@example.org", "password": "wrong password!!"}),
    );
    assert_eq!((r.status, r.code()), (401, "wrong_password".to_string()));
    let r = alice.post(
        "/api/account/notification-email",
        json!({"email": "alice@example.org", "password": PASSWORD, "extra": 1}),
    );
    assert_eq!(r.status, 400);
    assert!(alice.get("/api/profile").json()["notification_email"].is_null());

    assert_eq!(set_address(&alice, json!("alice@example.org")).status, 200);
    let r = set_address(&alice, json!(null));
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.json()["notification_email"].is_null());
    assert_eq!(set_address(&alice, json!("")).status, 200);
}
