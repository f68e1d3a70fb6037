//! Sessions as devices (issue 21): each login on each device is one session
//! that refresh-token rotation carries on; a person lists them, ends one or all
//! but this one, and an ended session's access token is refused at once.

use crate::common;
use common::{Client, PASSWORD, TestServer};
use serde_json::{Value, json};

const FIREFOX_LINUX: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const SAFARI_IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

/// Logs in with a User-Agent; answers the session JSON (tokens in it).
fn login_as(c: &Client, username: &str, agent: &str) -> Value {
    let r = c.send_with(
        "POST",
        "/api/login",
        Some(json!({"username": username, "password": PASSWORD})),
        &[("User-Agent", agent)],
    );
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
}

fn bearer(s: &TestServer, token: &str) -> Client {
    let mut c = s.client();
    c.bearer = Some(token.to_string());
    c
}

#[test]
fn sessions_are_listed_as_devices_with_this_device_marked() {
    let s = TestServer::start();
    let web = Client::signed_up(&s, "alice");
    let phone = s.client();
    login_as(&phone, "alice", SAFARI_IPHONE);
    let laptop = s.client();
    let session = login_as(&laptop, "alice", FIREFOX_LINUX);
    let laptop = bearer(&s, session["access_token"].as_str().unwrap());

    let r = laptop.get("/api/sessions");
    assert_eq!(r.status, 200, "{}", r.text);
    let list = r.json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3, "{list:?}");
    let mine: Vec<&Value> = list.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["device"], "Firefox on Linux");
    assert_eq!(mine[0]["ip"], "127.0.0.1");
    assert!(mine[0]["created_at"].as_i64().unwrap() > 0);
    assert!(mine[0]["last_used_at"].as_i64().unwrap() >= mine[0]["created_at"].as_i64().unwrap());
    assert!(list.iter().any(|s| s["device"] == "Safari on iOS"));
    // Nothing secret in the list.
    assert!(!r.text.contains(session["refresh_token"].as_str().unwrap()));

    // Another person sees only their own.
    let bob = Client::signed_up(&s, "bob");
    assert_eq!(bob.get("/api/sessions").json().as_array().unwrap().len(), 1);
    drop(web);
}

#[test]
fn a_refresh_keeps_the_session_and_its_device() {
    let s = TestServer::start();
    Client::signed_up(&s, "alice");
    let c = s.client();
    let first = login_as(&c, "alice", FIREFOX_LINUX);
    let me = bearer(&s, first["access_token"].as_str().unwrap());
    let before = me.get("/api/sessions").json();
    let id = before
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .unwrap()["id"]
        .clone();

    let r = c.post(
        "/api/refresh",
        json!({"refresh_token": first["refresh_token"]}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let renewed = bearer(&s, r.json()["access_token"].as_str().unwrap());
    let after = renewed.get("/api/sessions").json();
    assert_eq!(
        after.as_array().unwrap().len(),
        before.as_array().unwrap().len()
    );
    let current = after
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .unwrap()
        .clone();
    assert_eq!(current["id"], id, "rotation carries the session on");
}

#[test]
fn an_ended_session_is_refused_at_once_and_its_refresh_token_too() {
    let s = TestServer::start();
    let web = Client::signed_up(&s, "alice");
    let other = s.client();
    let stolen = login_as(&other, "alice", SAFARI_IPHONE);
    let phone = bearer(&s, stolen["access_token"].as_str().unwrap());
    assert_eq!(phone.get("/api/profile").status, 200);

    let list = web.get("/api/sessions").json();
    let phone_id = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["device"] == "Safari on iOS")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = web.delete(&format!("/api/sessions?id={phone_id}"));
    assert_eq!(r.status, 200, "{}", r.text);

    // The access token dies now, not after 15 minutes.
    let r = phone.get("/api/profile");
    assert_eq!(r.status, 401, "{}", r.text);
    let r = other.post(
        "/api/refresh",
        json!({"refresh_token": stolen["refresh_token"]}),
    );
    assert_eq!(r.status, 401, "{}", r.text);
    // The session doing the ending lives on.
    assert_eq!(web.get("/api/profile").status, 200);
    assert_eq!(web.get("/api/sessions").json().as_array().unwrap().len(), 1);

    // Unknown, someone else's, or missing id.
    assert_eq!(
        web.delete(&format!("/api/sessions?id={phone_id}")).status,
        404
    );
    let bob = Client::signed_up(&s, "bob");
    let bobs = bob.get("/api/sessions").json()[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(web.delete(&format!("/api/sessions?id={bobs}")).status, 404);
    assert_eq!(bob.get("/api/profile").status, 200);
    assert_eq!(web.delete("/api/sessions").status, 400);
}

#[test]
fn revoke_others_ends_every_session_but_this_one() {
    let s = TestServer::start();
    let web = Client::signed_up(&s, "alice");
    let tokens: Vec<Value> = (0..3)
        .map(|_| login_as(&s.client(), "alice", FIREFOX_LINUX))
        .collect();
    assert_eq!(web.get("/api/sessions").json().as_array().unwrap().len(), 4);
    let r = web.post("/api/sessions/revoke-others", json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["ended"], 3);
    for t in &tokens {
        let c = bearer(&s, t["access_token"].as_str().unwrap());
        assert_eq!(c.get("/api/profile").status, 401);
    }
    let left = web.get("/api/sessions").json();
    assert_eq!(left.as_array().unwrap().len(), 1);
    assert_eq!(left[0]["current"], true);
    assert_eq!(web.get("/api/profile").status, 200);
}

#[test]
fn ending_this_session_logs_this_device_out() {
    let s = TestServer::start();
    let web = Client::signed_up(&s, "alice");
    let id = web.get("/api/sessions").json()[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = web.delete(&format!("/api/sessions?id={id}"));
    assert_eq!(r.status, 200);
    assert!(
        r.headers_named("set-cookie")
            .iter()
            .any(|c| c.starts_with("access_token=;")),
        "{:?}",
        r.headers
    );
    assert_eq!(web.get("/api/profile").status, 401);
}

/// A database of version 10 (before sessions): its live refresh tokens become
/// sessions, and a device holding one keeps its login through the upgrade.
#[test]
fn a_refresh_token_from_before_sessions_keeps_its_login_after_the_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("database.db");
    let token = "a-refresh-token-issued-by-version-10";
    {
        let mut conn = miauinv::db::open(&db_path).unwrap();
        miauinv::db::migrate::migrate_to(&mut conn, 10).unwrap();
        conn.execute_batch(&format!(
            "INSERT INTO users (id, username, password, role) VALUES ('u1', 'alice', 'x', 'admin');
             INSERT INTO refresh_tokens (id, user_id, token_hash, expires_at, created_at, revoked, device_info)
                VALUES ('r1', 'u1', '{}', unixepoch() + 3600, unixepoch() - 60, 0, '{FIREFOX_LINUX}');
             INSERT INTO refresh_tokens (id, user_id, token_hash, expires_at, created_at, revoked, device_info)
                VALUES ('r0', 'u1', 'old', unixepoch() + 3600, unixepoch() - 600, 1, 'Old');",
            miauinv::crypto::sha256_hex(token)
        ))
        .unwrap();
    }
    let s = TestServer::start_on(dir, &db_path);
    let c = s.client();
    let r = c.send_with(
        "POST",
        "/api/refresh",
        Some(json!({"refresh_token": token})),
        &[("User-Agent", FIREFOX_LINUX)],
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let me = bearer(&s, r.json()["access_token"].as_str().unwrap());
    let list = me.get("/api/sessions").json();
    let list = list.as_array().unwrap();
    assert_eq!(
        list.len(),
        1,
        "only the live token became a session: {list:?}"
    );
    assert_eq!(list[0]["id"], "r1");
    assert_eq!(list[0]["current"], true);
    assert_eq!(list[0]["device"], "Firefox on Linux");
}
