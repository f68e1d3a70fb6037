//! Rate-limit counters that survive a restart (issue 21): the lock-out of an
//! (account, address) pair after failed passwords and the second-factor
//! attempt limit hold on a server restarted on the same appdata, and the
//! table that keeps them stays as small as the in-memory slots.

use crate::common;
use crate::totp_support;
use common::{Client, PASSWORD, TestServer};
use serde_json::json;

fn saved_rows(s: &TestServer) -> i64 {
    rusqlite::Connection::open(s.db_path())
        .unwrap()
        .query_row("SELECT count(*) FROM rate_limits", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_locked_pair_stays_locked_after_a_restart() {
    let s = TestServer::start();
    Client::signed_up(&s, "alice");
    for _ in 0..10 {
        assert_eq!(s.client().login("alice", "wrong password!").status, 401);
    }
    let r = s.client().login("alice", PASSWORD);
    assert_eq!(r.status, 429, "{}", r.text);

    let s = s.restart();
    assert!(saved_rows(&s) >= 2, "the pair and the address are saved");
    let r = s.client().login("alice", PASSWORD);
    assert_eq!(r.status, 429, "still locked: {}", r.text);
    assert!(r.header("retry-after").is_some());
    // Another account from the same address is not locked.
    Client::signed_up(&s, "bob");
}

#[test]
fn second_factor_attempts_are_still_counted_after_a_restart() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let mut app = totp_support::enable(&c).app;
    let challenge = |s: &TestServer| {
        let r = s.client().login("alice", PASSWORD);
        r.json()["two_factor_token"].as_str().unwrap().to_string()
    };
    let token = challenge(&s);
    for _ in 0..5 {
        let r = s.client().post(
            "/api/login/2fa",
            json!({"two_factor_token": token, "code": app.wrong_code()}),
        );
        assert_eq!(r.status, 401, "{}", r.text);
    }

    let s = s.restart();
    let token = challenge(&s);
    let r = s.client().post(
        "/api/login/2fa",
        json!({"two_factor_token": token, "code": app.next_code()}),
    );
    assert_eq!(r.status, 429, "the budget was not reset: {}", r.text);
}

#[test]
fn the_saved_counters_are_only_the_live_slots() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    assert_eq!(s.client().login("alice", "wrong password!").status, 401);
    // A success forgets the pair's failures; the saved table follows.
    assert_eq!(c.login("alice", PASSWORD).status, 200);
    let s = s.restart();
    let conn = rusqlite::Connection::open(s.db_path()).unwrap();
    let actions: Vec<String> = conn
        .prepare("SELECT action FROM rate_limits ORDER BY action")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!actions.contains(&"LoginPair".to_string()), "{actions:?}");
    assert!(
        actions.contains(&"LoginFailuresIp".to_string()),
        "{actions:?}"
    );
    // Keys are stored only as digests.
    let keys: i64 = conn
        .query_row(
            "SELECT count(*) FROM rate_limits WHERE instr(CAST(digest AS TEXT), 'alice') > 0",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(keys, 0);
}
