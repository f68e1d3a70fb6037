//! Security notices nobody can aim at a stranger (issue 28), through a real
//! SMTP sink: a notification email gets its confirmation link and nothing
//! else until the link's page is confirmed; the link's origin is the
//! config's public address, never the request's `Host`; links work once and
//! only the newest; confirmation mails are limited per account and per
//! address. The limits on the notices themselves are in `notice_limits`.

use crate::common;
use crate::notify_support;

use common::{Client, PASSWORD, TestServer};
use notify_support::{SmtpSink, wait_all_delivered};
use serde_json::{Value, json};

pub const PUBLIC_URL: &str = "https://inventory.example.org";
pub const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const CONFIRM_SUBJECT: &str = "Subject: Confirm your address for MiauInv security notices";

/// A server with its public address set, behind a "proxy" at 127.0.0.1 (so
/// a test names the client address with `X-Forwarded-For`), and an admin
/// whose email channel carries security notices to `sink`.
pub fn mailing_server() -> (TestServer, Client, SmtpSink) {
    let s = TestServer::start_with(&format!(
        "notify_retry_base_ms: 50\npublic_url: {PUBLIC_URL}\ntrusted_proxies: [\"127.0.0.1\"]\n"
    ));
    let admin = Client::signed_up(&s, "boss");
    let sink = SmtpSink::start();
    let r = admin.post(
        "/api/admin/notifications",
        json!({"name": "mail", "kind": "email", "events": ["account.security"],
               "settings": {"host": "127.0.0.1", "port": sink.port, "security": "none",
                            "from": "miauinv@example.org", "to": "team@example.org"}}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    (s, admin, sink)
}

pub fn set_address(c: &Client, email: Value) -> common::Resp {
    c.post(
        "/api/account/notification-email",
        json!({"email": email, "password": PASSWORD}),
    )
}

/// A mail's text with its quoted-printable transfer encoding undone (long
/// lines are broken with `=` and `=` itself is written `=3D`).
pub fn decoded(mail: &str) -> String {
    let unfolded = mail.replace("=\r\n", "");
    let mut out = Vec::new();
    let bytes = unfolded.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A mail as received (decoded) and its envelope recipients.
pub type Mail = (String, Vec<String>);

/// The confirmation mails and the notices the sink got.
pub fn mails(sink: &SmtpSink) -> (Vec<Mail>, Vec<Mail>) {
    sink.messages()
        .iter()
        .map(|m| decoded(m))
        .zip(sink.envelopes())
        .partition(|(m, _)| m.contains(CONFIRM_SUBJECT))
}

/// The link in a confirmation mail.
pub fn link_in(mail: &str) -> String {
    let start = mail
        .find("/confirm-email?token=")
        .expect("a link in the mail");
    let start = mail[..start]
        .rfind(char::is_whitespace)
        .map_or(0, |i| i + 1);
    let end = mail[start..]
        .find(char::is_whitespace)
        .map_or(mail.len(), |i| start + i);
    mail[start..end].to_string()
}

/// The newest confirmation link mailed to `email` (waiting for it).
pub fn newest_link(s: &TestServer, sink: &SmtpSink, email: &str) -> String {
    wait_all_delivered(s);
    let (confirmations, _) = mails(sink);
    let (mail, _) = confirmations
        .iter()
        .rev()
        .find(|(_, to)| to == &vec![email.to_string()])
        .unwrap_or_else(|| panic!("no confirmation mail to {email}"));
    link_in(mail)
}

/// Does what the owner of `email` does with the newest link mailed there:
/// opens its page (at this server: the link names the public address) and
/// presses Confirm, which posts the token. Answers the confirm's status.
pub fn open_and_confirm(s: &TestServer, link: &str) -> u16 {
    let path = link
        .strip_prefix(PUBLIC_URL)
        .expect("the configured origin");
    let page = s.client().get(path);
    let token = common::token_of(link);
    if page.status == 200 {
        assert!(page.text.contains("confirm-email-form"), "{}", page.text);
        assert!(page.text.contains(&format!("data-token=\"{token}\"")));
    }
    s.client()
        .post(
            "/api/account/notification-email/confirm",
            json!({ "token": token }),
        )
        .status
}

/// Sets `c`'s address and confirms it through the link mailed there.
pub fn set_and_confirm(s: &TestServer, sink: &SmtpSink, c: &Client, email: &str) {
    let r = set_address(c, json!(email));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(open_and_confirm(s, &newest_link(s, sink, email)), 204);
}

/// A login of `user` with the browser `agent` from the client address `ip`.
pub fn login_as(s: &TestServer, user: &str, agent: &str, ip: &str) {
    let r = s.client().send_with(
        "POST",
        "/api/login",
        Some(json!({"username": user, "password": PASSWORD})),
        &[("User-Agent", agent), ("X-Forwarded-For", ip)],
    );
    assert_eq!(r.status, 200, "{}", r.text);
}

#[test]
fn an_unconfirmed_address_gets_its_link_and_nothing_else_until_confirmed() {
    let (s, _admin, sink) = mailing_server();
    let alice = Client::signed_up(&s, "alice");
    let r = set_address(&alice, json!("alice@example.org"));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["notification_email"], "alice@example.org");
    assert_eq!(r.json()["notification_email_confirmed"], false);

    // A new device while unconfirmed: no notice.
    login_as(&s, "alice", FIREFOX, "198.51.100.7");
    let link = newest_link(&s, &sink, "alice@example.org");
    let (confirmations, notices) = mails(&sink);
    assert_eq!(confirmations.len(), 1, "{confirmations:#?}");
    assert!(notices.is_empty(), "{notices:#?}");
    let (mail, to) = &confirmations[0];
    assert_eq!(to, &vec!["alice@example.org".to_string()]);
    assert!(
        link.starts_with(&format!("{PUBLIC_URL}/confirm-email?token=")),
        "{link}"
    );
    // It names nobody: an account name is text anyone registering chooses.
    assert!(!mail.contains("alice'") && !mail.contains("boss"), "{mail}");
    // Only the hash of the link's secret is stored; the outbox holds the link sealed.
    let token = common::token_of(&link);
    let conn = s.db();
    let stored: String = conn
        .query_row(
            "SELECT (SELECT group_concat(payload, '|') FROM notification_outbox)
                 || (SELECT group_concat(coalesce(token_hash, ''), '|') FROM notification_email_confirmations)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!stored.contains(&token), "{stored}");
    drop(conn);

    // Opening the link's page confirms nothing (mail scanners open links).
    let page = s.client().get(link.strip_prefix(PUBLIC_URL).unwrap());
    assert_eq!(page.status, 200);
    assert!(page.text.contains("alice@example.org"), "{}", page.text);
    assert_eq!(
        alice.get("/api/profile").json()["notification_email_confirmed"],
        false
    );
    // The button does, once.
    assert_eq!(open_and_confirm(&s, &link), 204);
    let profile = alice.get("/api/profile").json();
    assert_eq!(profile["notification_email_confirmed"], true);
    let again = s.client().post(
        "/api/account/notification-email/confirm",
        json!({ "token": token }),
    );
    assert_eq!((again.status, again.code()), (400, "link_invalid".into()));
    assert_eq!(
        s.client()
            .get(link.strip_prefix(PUBLIC_URL).unwrap())
            .status,
        410
    );
    let events = alice.get("/api/security-events").json()["events"].clone();
    assert!(
        events
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "notification_email_confirmed"),
        "{events:#}"
    );

    // Confirmed: the next new device is mailed.
    login_as(
        &s,
        "alice",
        "Mozilla/5.0 (Windows NT 10.0) Firefox/128.0",
        "198.51.100.8",
    );
    wait_all_delivered(&s);
    let (_, notices) = mails(&sink);
    assert_eq!(notices.len(), 1, "{notices:#?}");
    assert!(
        notices[0]
            .0
            .contains("Firefox on Windows (address 198.51.100.8)")
    );

    // A new address starts over: unconfirmed, nothing but its link.
    let r = set_address(&alice, json!("alice@elsewhere.example"));
    assert_eq!(r.json()["notification_email_confirmed"], false);
    login_as(
        &s,
        "alice",
        "Mozilla/5.0 (Macintosh) Safari/605.1.15",
        "198.51.100.9",
    );
    newest_link(&s, &sink, "alice@elsewhere.example");
    let (_, notices) = mails(&sink);
    assert_eq!(notices.len(), 1, "{notices:#?}");
}

#[test]
fn the_link_leads_to_the_configured_address_whatever_the_request_says() {
    let (s, _admin, sink) = mailing_server();
    Client::signed_up(&s, "alice");
    // A script signed in as Alice names another host, consistently (the
    // same-origin check then passes): the link still leads to the config's.
    let token = s.client().login("alice", PASSWORD).json()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let body = json!({"email": "alice@example.org", "password": PASSWORD}).to_string();
    let request = format!(
        "POST /api/account/notification-email HTTP/1.1\r\nHost: evil.example\r\n\
         Origin: http://evil.example\r\nX-Forwarded-Host: evil.example\r\n\
         Cookie: access_token={token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let addr = s.base.trim_start_matches("http://").parse().unwrap();
    let answer = common::raw::exchange(&mut common::raw::plain(addr), request.as_bytes());
    assert_eq!(answer.status, 200, "{}", answer.body);
    let link = newest_link(&s, &sink, "alice@example.org");
    assert!(link.starts_with(PUBLIC_URL), "{link}");
    assert!(!decoded(&sink.messages()[0]).contains("evil.example"));

    // No public address configured: no link can be mailed, nothing is kept.
    let bare = TestServer::start();
    let bob = Client::signed_up(&bare, "bob");
    let r = set_address(&bob, json!("bob@example.org"));
    assert_eq!((r.status, r.code()), (409, "public_url_unset".into()));
    assert!(bob.get("/api/profile").json()["notification_email"].is_null());
    // No email channel carries security notices: the same.
    let quiet = TestServer::start_with(&format!("public_url: {PUBLIC_URL}\n"));
    let carol = Client::signed_up(&quiet, "carol");
    let r = set_address(&carol, json!("carol@example.org"));
    assert_eq!((r.status, r.code()), (409, "notices_not_mailed".into()));
    assert!(carol.get("/api/profile").json()["notification_email"].is_null());
    // Clearing needs neither.
    assert_eq!(set_address(&carol, json!(null)).status, 200);
}

#[test]
fn only_the_newest_link_works_and_confirmation_mails_are_limited() {
    let (s, _admin, sink) = mailing_server();
    let alice = Client::signed_up(&s, "alice");
    assert_eq!(set_address(&alice, json!("shared@example.org")).status, 200);
    let first = newest_link(&s, &sink, "shared@example.org");
    let r = alice.post("/api/account/notification-email/resend", json!({}));
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.json()["sent_to"], "shared@example.org");
    let second = newest_link(&s, &sink, "shared@example.org");
    assert_ne!(first, second);
    assert_eq!(
        open_and_confirm(&s, &first),
        400,
        "replaced by the newer link"
    );

    // Three mails a day to one address, whichever accounts ask.
    assert_eq!(
        alice
            .post("/api/account/notification-email/resend", json!({}))
            .status,
        202
    );
    let r = alice.post("/api/account/notification-email/resend", json!({}));
    assert_eq!(r.status, 429, "{}", r.text);
    assert_eq!(r.code(), "too_many_confirmation_mails");
    let wait: u64 = r.header("Retry-After").unwrap().parse().unwrap();
    assert!(wait > 23 * 3600, "{wait}");
    let bob = Client::signed_up(&s, "bob");
    let r = set_address(&bob, json!("SHARED@example.org"));
    assert_eq!(
        (r.status, r.code()),
        (429, "too_many_confirmation_mails".into())
    );
    assert!(bob.get("/api/profile").json()["notification_email"].is_null());
    wait_all_delivered(&s);
    assert_eq!(mails(&sink).0.len(), 3);

    // Five a day for one account, whatever the addresses.
    for n in 1..=5 {
        let r = set_address(&bob, json!(format!("bob{n}@example.org")));
        assert_eq!(r.status, 200, "{n}: {}", r.text);
    }
    let r = set_address(&bob, json!("bob6@example.org"));
    assert_eq!(
        (r.status, r.code()),
        (429, "too_many_confirmation_mails".into())
    );
    assert_eq!(
        bob.get("/api/profile").json()["notification_email"],
        "bob5@example.org"
    );
    // A link for an address the account has left no longer works.
    let old = newest_link(&s, &sink, "bob4@example.org");
    assert_eq!(open_and_confirm(&s, &old), 400);
    assert_eq!(
        open_and_confirm(&s, &newest_link(&s, &sink, "bob5@example.org")),
        204
    );
    // Nothing left to confirm.
    let r = bob.post("/api/account/notification-email/resend", json!({}));
    assert_eq!((r.status, r.code()), (409, "already_confirmed".into()));
    // The newest of Alice's links still works: the limit stops mails, not links.
    assert_eq!(
        open_and_confirm(&s, &newest_link(&s, &sink, "shared@example.org")),
        204
    );
}
