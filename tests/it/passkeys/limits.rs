//! Budgets and limits of passkey logins, and a bad relying party stopping the start.

use super::*;

#[test]
fn password_failures_never_block_a_passkey_login() {
    let s = server();
    let c = Client::signed_up(&s, "alice");
    let mut key = Device::new();
    assert_eq!(key.register(&c, "Laptop").status, 201);
    // Someone at this address guesses alice's password until the account, the
    // pair and the address are all limited for passwords.
    let guesser = s.client();
    let mut statuses = Vec::new();
    for _ in 0..25 {
        statuses.push(guesser.login("alice", "wrong password").status);
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    assert_eq!(guesser.login("alice", PASSWORD).status, 429);
    // The passkey still logs alice in, from the same address.
    let r = key.login(&s.client());
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["user"]["username"], "alice");
}

#[test]
fn passkey_login_is_rate_limited_per_client_on_its_own_budget() {
    let s = server();
    let c = s.client();
    let mut limited = None;
    for _ in 0..25 {
        let r = c.post("/api/passkeys/login/options", json!({}));
        if r.status == 429 {
            limited = Some(r);
            break;
        }
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = limited.expect("login options are rate limited");
    assert!(r.header("retry-after").is_some());
    let r = c.post(
        "/api/passkeys/login/finish",
        json!({"challenge_token": "x", "credential": {}}),
    );
    assert_eq!(r.status, 429);
    // Password login has a budget of its own.
    assert_eq!(c.login("alice", PASSWORD).status, 401);
}

#[test]
fn a_bad_rp_id_or_origin_stops_the_server_at_start_with_a_clear_message() {
    for (extra, key) in [
        (
            "rp_id: example.com\nrp_origin: \"https://inventory.other.org\"\n",
            "'rp_id'",
        ),
        ("rp_origin: \"https://192.168.1.5:8080\"\n", "'rp_origin'"),
        ("rp_origin: \"http://inventory.lan\"\n", "'rp_origin'"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yaml");
        std::fs::write(&path, format!("tls: false\n{extra}")).unwrap();
        let cfg = miauinv::config::load(&path, &|_: &str| None).unwrap();
        let err = match miauinv::app::App::new(cfg, "test-secret-that-is-at-least-32-characters") {
            Ok(_) => panic!("{extra} was accepted"),
            Err(e) => e,
        };
        assert!(err.contains(key), "{extra}: {err}");
    }
}

#[test]
fn passkey_login_ceremonies_have_a_budget_per_client_network() {
    // Behind a trusted proxy the client is the forwarded address, so one test
    // can speak for many networks.
    let s = TestServer::start_with(&format!(
        "rp_id: localhost\nrp_origin: \"{ORIGIN}\"\ntrusted_proxies: [127.0.0.1]\n"
    ));
    let c = s.client();
    let options_from = |ip: &str| {
        c.send_with(
            "POST",
            "/api/passkeys/login/options",
            Some(json!({})),
            &[("X-Forwarded-For", ip)],
        )
    };
    // Thirty addresses of one IPv6 /64, each within its own rate limit, fill
    // that network's budget of ceremonies in progress...
    for host in 1..=30 {
        let r = options_from(&format!("2001:db8:0:7::{host:x}"));
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = options_from("2001:db8:0:7::ffff");
    assert_eq!(r.status, 429, "{}", r.text);
    assert!(r.header("retry-after").is_some());
    // ...and nobody else's: the next /64, an IPv4 client and a registration
    // (counted per account) all go on.
    assert_eq!(options_from("2001:db8:0:8::1").status, 200);
    assert_eq!(options_from("192.0.2.7").status, 200);
    let alice = Client::signed_up(&s, "alice");
    let r = alice.post(
        "/api/passkeys/register/options",
        json!({"name": "Laptop", "password": PASSWORD}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
}

#[test]
fn an_account_keeps_only_its_newest_passkey_registrations_in_progress() {
    let s = server();
    let alice = Client::signed_up(&s, "alice");
    for _ in 0..8 {
        let r = alice.post(
            "/api/passkeys/register/options",
            json!({"name": "Laptop", "password": PASSWORD}),
        );
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let db = rusqlite::Connection::open(s.db_path()).unwrap();
    let pending: i64 = db
        .query_row(
            "SELECT count(*) FROM webauthn_ceremonies WHERE kind = 'register'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(pending, 5);
}
