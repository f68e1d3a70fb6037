//! Login limits against a real server, from several client addresses
//! (127.0.0.0/8 is all loopback): oversized credentials are refused before any
//! work, failures lock only the (account, address) pair, the per-address limit
//! still holds, and failures from many addresses slow the account down without
//! locking its owner out.

use crate::common;

use common::raw::connect_from;
use common::{PASSWORD, TestServer};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

struct Answer {
    status: u16,
    body: Value,
    took: Duration,
}

/// One `POST path` with a JSON body from `from`, on its own connection.
fn post_from(server: &TestServer, from: [u8; 4], path: &str, body: &Value) -> Answer {
    let addr: SocketAddr = server.base.trim_start_matches("http://").parse().unwrap();
    let mut s = connect_from(Ipv4Addr::from(from), addr);
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let body = body.to_string();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let started = Instant::now();
    s.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let took = started.elapsed();
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").expect("a whole response");
    Answer {
        status: head.split(' ').nth(1).unwrap().parse().unwrap(),
        body: serde_json::from_str(body).unwrap_or(Value::Null),
        took,
    }
}

fn login_from(server: &TestServer, from: [u8; 4], username: &str, password: &str) -> Answer {
    let body = json!({"username": username, "password": password});
    post_from(server, from, "/api/login", &body)
}

#[test]
fn oversized_credentials_are_refused_with_400_before_any_work() {
    let s = TestServer::start();
    let c = s.client();
    assert_eq!(c.register("alice", PASSWORD).status, 201);
    for username in ["a".repeat(33), "x".repeat(1024), "y".repeat(60_000)] {
        let r = c.login(&username, PASSWORD);
        assert_eq!(r.status, 400, "{}", r.text);
        assert_eq!(r.code(), "invalid_field");
        assert_eq!(r.json()["field"], "username");
    }
    let r = c.login("alice", &"p".repeat(73));
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json()["field"], "password");
    // The longest a username may be is still a username: wrong, not invalid.
    assert_eq!(c.login(&"a".repeat(32), PASSWORD).status, 401);
    assert_eq!(
        c.login(&format!("  {}  ", "a".repeat(32)), PASSWORD).status,
        401
    );
    assert_eq!(c.login("alice", &"p".repeat(72)).status, 401);
    assert_eq!(c.login("alice", PASSWORD).status, 200);
}

#[test]
fn a_longer_username_from_an_upgraded_database_can_still_log_in() {
    let s = TestServer::start();
    let c = s.client();
    assert_eq!(c.register("alice", PASSWORD).status, 201);
    // What an upgrade of the original program can bring in: a 40-character name.
    let long = "an.original.user.with.a.forty.char.name.";
    assert_eq!(long.len(), 40);
    let db = rusqlite::Connection::open(s.db_path()).unwrap();
    db.execute("UPDATE users SET username = ?1", [long])
        .unwrap();
    drop(db);
    assert_eq!(c.login(long, PASSWORD).status, 200);
    let r = c.login(&format!("{long}x"), PASSWORD);
    assert_eq!(r.status, 400, "{}", r.text);
}

#[test]
fn ten_wrong_passwords_from_one_address_lock_only_that_pair() {
    let s = TestServer::start();
    assert_eq!(s.client().register("alice", PASSWORD).status, 201);
    let attacker = [127, 0, 0, 2];
    for i in 0..10 {
        let a = login_from(&s, attacker, "alice", "wrong password");
        assert_eq!(a.status, 401, "attempt {i}: {}", a.body);
    }
    // The pair is locked, even for the right password...
    let a = login_from(&s, attacker, "alice", PASSWORD);
    assert_eq!(a.status, 429, "{}", a.body);
    assert_eq!(a.body["code"], "rate_limited");
    // ...but the owner, from another address, gets in at once.
    let owner = login_from(&s, [127, 0, 0, 3], "alice", PASSWORD);
    assert_eq!(owner.status, 200, "{}", owner.body);
    assert!(owner.took < Duration::from_secs(2), "{:?}", owner.took);
    // And the attacker's address may still try other accounts.
    let a = login_from(&s, attacker, "bob", "wrong password");
    assert_eq!(a.status, 401, "{}", a.body);
}

#[test]
fn the_per_address_limit_still_applies() {
    let s = TestServer::start();
    let from = [127, 0, 0, 4];
    // 20 attempts a minute per address; distinct usernames, so no pair is locked.
    for i in 0..20 {
        let a = login_from(&s, from, &format!("nobody{i}"), "wrong password");
        assert_eq!(a.status, 401, "attempt {i}: {}", a.body);
    }
    assert_eq!(login_from(&s, from, "nobody20", "x").status, 429);
    assert_eq!(login_from(&s, [127, 0, 0, 5], "nobody20", "x").status, 401);
}

#[test]
fn failures_from_many_addresses_slow_the_account_but_never_lock_out_its_owner() {
    let s = TestServer::start();
    assert_eq!(s.client().register("alice", PASSWORD).status, 201);
    // The owner's usual address: a successful login makes it known.
    let home = [127, 0, 0, 3];
    assert_eq!(login_from(&s, home, "alice", PASSWORD).status, 200);
    // 60 failures from 12 addresses, 5 each: no pair or address limit is reached,
    // but the account is past its threshold of 50.
    for i in 0..60u8 {
        let from = [127, 0, 1, 10 + i / 5];
        let a = login_from(&s, from, "alice", "wrong password");
        assert_eq!(a.status, 401, "attempt {i}: {}", a.body);
    }
    // From a new address, the right password still works, after a delay.
    let fresh = login_from(&s, [127, 0, 2, 1], "alice", PASSWORD);
    assert_eq!(fresh.status, 200, "{}", fresh.body);
    assert!(
        fresh.took >= Duration::from_millis(500),
        "a new address is slowed: {:?}",
        fresh.took
    );
    assert!(fresh.took <= Duration::from_secs(4), "{:?}", fresh.took);
    // From the usual address, without one.
    let owner = login_from(&s, home, "alice", PASSWORD);
    assert_eq!(owner.status, 200, "{}", owner.body);
    assert!(
        owner.took < Duration::from_millis(500),
        "the usual address is not slowed: {:?}",
        owner.took
    );
}
