//! Channels and delivery: ntfy, email, retries, giving up, a restart, the daily digest, and
//! who manages channels.

use super::*;

#[test]
fn ntfy_gets_title_priority_tags_and_the_token() {
    let server = TestServer::start_with(FAST);
    let c = Client::signed_up(&server, "admin");
    let rx = Receiver::start();
    let r = c.post(
        "/api/admin/notifications",
        json!({"name": "phone", "kind": "ntfy", "events": ["item.low"],
               "settings": {"server": format!("{}/", rx.url), "topic": "shop-floor"},
               "secret": "tk_secret_token"}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(
        !r.text.contains("tk_secret_token"),
        "the token is never answered"
    );
    assert_eq!(r.json()["secret_set"], true);
    item(&c, "Solder", 0, 2);
    let got = rx.wait_for(1);
    let m = &got[0];
    assert_eq!(
        (m.method.as_str(), m.path.as_str()),
        ("POST", "/shop-floor")
    );
    assert_eq!(m.header("Title"), Some("Low: Solder"));
    assert_eq!(m.header("Priority"), Some("default"));
    assert_eq!(m.header("Tags"), Some("warning"));
    assert_eq!(m.header("Authorization"), Some("Bearer tk_secret_token"));
    assert!(m.text().contains("0 available, minimum 2"), "{}", m.text());
    let listed = c.get("/api/admin/notifications");
    assert!(!listed.text.contains("tk_secret_token"));
}

#[test]
fn email_arrives_over_smtp_with_subject_and_body() {
    let server = TestServer::start_with(FAST);
    let c = Client::signed_up(&server, "admin");
    let sink = SmtpSink::start();
    let r = c.post(
        "/api/admin/notifications",
        json!({"name": "mail", "kind": "email", "events": ["item.low"],
               "settings": {"host": "127.0.0.1", "port": sink.port, "security": "none",
                            "from": "miauinv@example.org", "to": "shop@example.org, me@example.org"}}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    item(&c, "Flux", 1, 3);
    let mail = &sink.wait_for(1)[0];
    assert!(mail.contains("Subject: Low: Flux"), "{mail}");
    assert!(
        mail.contains("To: shop@example.org, me@example.org"),
        "{mail}"
    );
    assert!(
        mail.contains("Flux is below its minimum: 1 available, minimum 3."),
        "{mail}"
    );
    // A bad address is refused before anything is stored.
    let r = c.post(
        "/api/admin/notifications",
        json!({"name": "bad", "kind": "email", "events": [],
               "settings": {"host": "h", "port": 25, "security": "none", "from": "nope", "to": "a@b.c"}}),
    );
    assert_eq!((r.status, r.json()["field"].clone()), (400, json!("from")));
}

#[test]
fn a_receiver_failing_twice_gets_the_third_attempt_after_doubling_waits() {
    let server = TestServer::start_with("notify_retry_base_ms: 400\n");
    let c = Client::signed_up(&server, "admin");
    let flaky = Receiver::answering(&[500, 503], 200);
    webhook(&c, &flaky.url, &["item.low"]);
    item(&c, "Tape", 0, 1);
    let got = flaky.wait_for(3);
    let ids: Vec<_> = got.iter().map(|r| r.json()["event_id"].clone()).collect();
    assert!(
        ids.iter().all(|i| *i == ids[0]),
        "the same event id each time"
    );
    // The waits double: 400 ms, then 800 ms.
    let ms = |d: std::time::Duration| d.as_millis();
    let (first, second) = (ms(got[1].at - got[0].at), ms(got[2].at - got[1].at));
    assert!((400..800).contains(&first), "first wait {first} ms");
    assert!(second >= 800, "second wait {second} ms");
    wait_all_delivered(&server);
    let list = c.get("/api/admin/notifications").json();
    let row = &list["deliveries"][0];
    assert_eq!(
        (
            row["status"].clone(),
            row["attempts"].clone(),
            row["item_name"].clone()
        ),
        (json!("sent"), json!(3), json!("Tape"))
    );
    // The last error stays for the admin to see.
    assert!(row["last_error"].as_str().unwrap().contains("503"), "{row}");
}

#[test]
fn a_receiver_that_never_accepts_is_given_up_with_its_error() {
    let server = TestServer::start_with("notify_retry_base_ms: 50\nnotify_give_up_seconds: 2\n");
    let c = Client::signed_up(&server, "admin");
    let dead = Receiver::answering(&[], 502);
    webhook(&c, &dead.url, &["item.low"]);
    item(&c, "Wire", 0, 1);
    let delivery = || c.get("/api/admin/notifications").json()["deliveries"][0].clone();
    wait_until(Duration::from_secs(10), "the delivery is given up", || {
        delivery()["status"] == "failed"
    });
    let failed = delivery();
    assert!(failed["attempts"].as_i64().unwrap() >= 3, "{failed}");
    assert!(
        failed["last_error"].as_str().unwrap().contains("502"),
        "{failed}"
    );
    // Given up means no more attempts.
    let tried = dead.requests().len();
    // A negative check, so a bounded wait: the sender, polling every few
    // milliseconds here, has had time to try again if it were going to.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(dead.requests().len(), tried);
}

#[test]
fn an_event_written_before_a_stop_is_delivered_after_the_restart() {
    let mut server = TestServer::start_with(FAST);
    let c = Client::signed_up(&server, "admin");
    let rx = Receiver::answering(&[], 503);
    webhook(&c, &rx.url, &["item.low"]);
    item(&c, "Batteries", 0, 4);
    // Stopped without waiting for a delivery; the receiver refused meanwhile.
    server.stop();
    let refused = rx.requests().len();
    rx.set_status(200);
    let dir = std::mem::replace(&mut server.dir, tempfile::tempdir().unwrap());
    let cfg = dir.path().join("config.yaml");
    let _again = TestServer::start_at(dir, cfg);
    let got = rx.wait_for(refused + 1);
    let last = got.last().unwrap().json();
    assert_eq!(
        (last["event"].clone(), last["item"]["name"].clone()),
        (json!("item.low"), json!("Batteries"))
    );
}

#[test]
fn the_daily_digest_lists_low_and_short_items_and_is_skipped_with_nothing_to_say() {
    let now = miauinv::notify::digest::local_clock(miauinv::db::now()).1;
    let at = format!("digest_time: \"{:02}:{:02}\"\n", now / 60, now % 60);
    // Nothing to say: no digest.
    let quiet = TestServer::start_with(&format!("{FAST}{at}"));
    let c = Client::signed_up(&quiet, "admin");
    let rx = Receiver::start();
    webhook(&c, &rx.url, &["digest"]);
    // A negative check, so a bounded wait: the digest is due at once (its
    // time is now) and the sender looks many times a second; nothing shows
    // that it looked and found nothing to say.
    std::thread::sleep(Duration::from_millis(800));
    assert!(rx.requests().is_empty());
    drop(quiet);

    let mut server = TestServer::start_with(FAST);
    let c = Client::signed_up(&server, "admin");
    webhook(&c, &rx.url, &["digest"]);
    item(&c, "Resistors", 2, 10);
    let caps = item(&c, "Capacitors", 5, 0);
    allocate(&c, caps, project(&c, "Amp"), 3);
    server.stop();
    let dir = std::mem::replace(&mut server.dir, tempfile::tempdir().unwrap());
    let cfg = dir.path().join("config.yaml");
    let yaml = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, format!("{yaml}{at}")).unwrap();
    let _again = TestServer::start_at(dir, cfg);
    let got = rx.wait_for(1);
    let body = got[0].json();
    assert_eq!(body["event"], "digest");
    assert_eq!(body["low"][0]["name"], "Resistors");
    assert_eq!(body["low"][0]["suggested_quantity"], 8);
    assert_eq!(body["short"][0]["name"], "Capacitors");
    assert_eq!(body["short"][0]["missing"], 3);
    // A negative check, so a bounded wait: a second digest would be queued
    // on the sender's next look, many times a second.
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(rx.requests().len(), 1, "one digest a day");
}

#[test]
fn channels_are_checked_tested_and_only_admins_manage_them() {
    let server = TestServer::start_with(FAST);
    let admin = Client::signed_up(&server, "admin");
    let rx = Receiver::start();
    for (body, field) in [
        (
            json!({"name": "x", "kind": "webhook", "settings": {"url": "ftp://x"}, "secret": SECRET}),
            "url",
        ),
        (
            json!({"name": "x", "kind": "webhook", "settings": {"url": rx.url}, "secret": "short"}),
            "secret",
        ),
        (
            json!({"name": "x", "kind": "webhook", "events": ["item.gone"], "settings": {"url": rx.url}, "secret": SECRET}),
            "events",
        ),
        (
            json!({"name": "x", "kind": "ntfy", "settings": {"server": rx.url, "topic": "a/b"}}),
            "topic",
        ),
        (
            json!({"name": "x", "kind": "pigeon", "settings": {}}),
            "kind",
        ),
    ] {
        let r = admin.post("/api/admin/notifications", body);
        assert_eq!(
            (r.status, r.json()["field"].clone()),
            (400, json!(field)),
            "{}",
            r.text
        );
    }
    let id = webhook(&admin, &rx.url, &[]);
    let listed = admin.get("/api/admin/notifications");
    assert!(
        !listed.text.contains(SECRET),
        "the secret is never answered"
    );
    let r = admin.post(&format!("/api/admin/notifications/test?id={id}"), json!({}));
    assert_eq!(r.status, 202, "{}", r.text);
    let got = rx.wait_for(1);
    assert_eq!(got[0].json()["event"], "test");
    // Disabled channels get no events; changing the secret keeps the rest.
    let r = admin.put(
        &format!("/api/admin/notifications?id={id}"),
        json!({"enabled": false, "events": ["item.low"], "secret": "another-secret-16-chars"}),
    );
    assert_eq!(
        (r.status, r.json()["enabled"].clone()),
        (200, json!(false)),
        "{}",
        r.text
    );
    item(&admin, "Quiet", 0, 1);
    wait_all_delivered(&server);
    assert_eq!(rx.requests().len(), 1);

    let editor = Client::signed_up(&server, "editor");
    assert_eq!(editor.get("/api/admin/notifications").status, 403);
    assert_eq!(editor.get("/admin/notifications").status, 403);
    assert_eq!(admin.get("/admin/notifications").status, 200);
    let r = admin.delete(&format!("/api/admin/notifications?id={id}"));
    assert_eq!(r.status, 200);
    assert_eq!(
        admin
            .delete(&format!("/api/admin/notifications?id={id}"))
            .status,
        404
    );
}
