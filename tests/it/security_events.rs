//! The security log (issue 21): every kind of event is recorded with time,
//! account, actor, address and device; none holds a secret; a person sees
//! their own, an admin everyone's (or one account's); old events are pruned.

use crate::common;
use crate::totp_support;
use common::token_of;
use common::{Client, PASSWORD, TestServer};
use serde_json::{Value, json};
use totp_support::{Enabled, enable};

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

fn events(c: &Client, query: &str) -> Vec<Value> {
    let r = c.get(&format!("/api/security-events{query}"));
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["events"].as_array().unwrap().clone()
}

fn kinds(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_kind_is_recorded_and_none_holds_a_secret() {
    let s = TestServer::start();
    let mut secrets: Vec<String> = vec![PASSWORD.into()];
    // The first account is the admin.
    let admin = Client::signed_up(&s, "boss");
    let alice = s.client();
    assert_eq!(alice.register("alice", PASSWORD).status, 201);
    let r = alice.send_with(
        "POST",
        "/api/login",
        Some(json!({"username": "alice", "password": PASSWORD})),
        &[("User-Agent", FIREFOX)],
    );
    assert_eq!(r.status, 200);
    secrets.push(r.json()["refresh_token"].as_str().unwrap().into());
    // Failures: a wrong password and an unknown name.
    assert_eq!(s.client().login("alice", "wrong password!!").status, 401);
    assert_eq!(s.client().login("nobody", "wrong password!!").status, 401);
    secrets.push("wrong password!!".into());

    // Password and username change.
    let r = alice.post(
        "/api/account/password",
        json!({"old_password": PASSWORD, "new_password": "a new long password"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    secrets.push("a new long password".into());
    let r = alice.post(
        "/api/account/username",
        json!({"username": "alice2", "password": "a new long password"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);

    // API token made and revoked.
    let r = alice.post(
        "/api/tokens",
        json!({"name": "backup script", "scope": "read"}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    secrets.push(r.json()["token"].as_str().unwrap().into());
    let token_id = r.json()["id"].as_i64().unwrap();
    assert_eq!(
        alice.delete(&format!("/api/tokens?id={token_id}")).status,
        204
    );

    // 2FA on, a recovery code login, a wrong code, regenerate, off.
    let Enabled {
        mut app,
        secret,
        recovery_codes: codes,
        ..
    } = enable(&alice);
    secrets.push(secret.clone());
    secrets.extend(codes.iter().cloned());
    let challenge = |c: &Client| {
        let r = c.login("alice2", "a new long password");
        r.json()["two_factor_token"].as_str().unwrap().to_string()
    };
    let other = s.client();
    let t = challenge(&other);
    let r = other.post(
        "/api/login/2fa",
        json!({"two_factor_token": t, "code": app.wrong_code()}),
    );
    assert_eq!(r.status, 401);
    let r = other.post(
        "/api/login/2fa",
        json!({"two_factor_token": t, "code": codes[0]}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let r = alice.post(
        "/api/2fa/recovery-codes/regenerate",
        json!({"password": "a new long password", "code": app.next_code()}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    for c in r.json()["recovery_codes"].as_array().unwrap() {
        secrets.push(c.as_str().unwrap().into());
    }
    let r = alice.post(
        "/api/2fa/disable",
        json!({"password": "a new long password", "code": app.next_code()}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(alice.login("alice2", "a new long password").status, 200);

    // Sessions: one ended, then all others.
    let extra = s.client();
    assert_eq!(extra.login("alice2", "a new long password").status, 200);
    let list = alice.get("/api/sessions").json();
    let other_id = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == false)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        alice.delete(&format!("/api/sessions?id={other_id}")).status,
        200
    );
    assert_eq!(
        alice.post("/api/sessions/revoke-others", json!({})).status,
        200
    );

    // The admin: role change, disable, enable, an invitation used.
    let alice_id = alice.get("/api/profile").json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let put = |body: Value| admin.put(&format!("/api/admin/users?id={alice_id}"), body);
    assert_eq!(put(json!({"role": "viewer"})).status, 200);
    assert_eq!(put(json!({"disabled": true})).status, 200);
    assert_eq!(
        s.client().login("alice2", "a new long password").status,
        403
    );
    assert_eq!(put(json!({"disabled": false})).status, 200);
    let r = admin.post("/api/admin/invites", json!({"role": "editor"}));
    let invite = token_of(r.json()["url"].as_str().unwrap());
    secrets.push(invite.clone());
    let r = s.client().post(
        "/api/invites/accept",
        json!({"token": invite, "username": "carol", "password": PASSWORD}),
    );
    assert_eq!(r.status, 201, "{}", r.text);

    // Alice sees her own events, nobody else's.
    let alice = s.client();
    assert_eq!(alice.login("alice2", "a new long password").status, 200);
    let mine = events(&alice, "?limit=200");
    let mine_kinds = kinds(&mine);
    for kind in [
        "login_succeeded",
        "login_failed",
        "password_changed",
        "username_changed",
        "token_created",
        "token_revoked",
        "two_factor_enabled",
        "recovery_code_used",
        "recovery_codes_regenerated",
        "two_factor_disabled",
        "session_revoked",
        "role_changed",
        "account_disabled",
        "account_enabled",
    ] {
        assert!(
            mine_kinds.iter().any(|k| k == kind),
            "{kind} missing: {mine_kinds:?}"
        );
    }
    assert!(mine.iter().all(|e| e["user_id"] == alice_id.as_str()));
    let role = mine.iter().find(|e| e["kind"] == "role_changed").unwrap();
    assert_eq!(role["actor"], "boss");
    assert_eq!(role["details"]["to"], "viewer");
    let firefox = mine
        .iter()
        .find(|e| e["kind"] == "login_succeeded" && e["device"] == "Firefox on Linux")
        .expect("the Firefox login");
    assert_eq!(firefox["ip"], "127.0.0.1");
    assert!(firefox["at"].as_i64().unwrap() > 0);
    let reasons: Vec<&Value> = mine
        .iter()
        .filter(|e| e["kind"] == "login_failed")
        .map(|e| &e["details"]["reason"])
        .collect();
    assert!(reasons.contains(&&json!("wrong_password")), "{reasons:?}");
    assert!(reasons.contains(&&json!("wrong_code")), "{reasons:?}");
    assert!(reasons.contains(&&json!("account_disabled")), "{reasons:?}");

    // Only an admin sees other accounts.
    assert_eq!(alice.get("/api/security-events?all=true").status, 403);
    assert_eq!(alice.get("/api/security-events?all=yes").status, 403);
    // `all` is a yes/no flag: an empty or misspelt value is refused, not read as no.
    for bad in ["", "ture"] {
        let r = admin.get(&format!("/api/security-events?all={bad}"));
        assert_eq!(r.status, 400, "{bad:?}: {}", r.text);
        assert_eq!(r.json()["field"], "all");
    }
    let boss_id = admin.get("/api/profile").json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        alice
            .get(&format!("/api/security-events?user_id={boss_id}"))
            .status,
        403
    );
    let everything = events(&admin, "?all=true&limit=200");
    let all_kinds = kinds(&everything);
    assert!(
        all_kinds.iter().any(|k| k == "invite_used"),
        "{all_kinds:?}"
    );
    assert!(
        everything
            .iter()
            .any(|e| e["kind"] == "login_failed" && e["username"] == "nobody")
    );
    let hers = events(&admin, &format!("?user_id={alice_id}&limit=200"));
    assert_eq!(
        hers.len(),
        mine.len(),
        "the admin sees the same events of hers"
    );

    // Paging: newest first, `before` continues.
    let page = alice.get("/api/security-events?limit=3").json();
    assert_eq!(page["events"].as_array().unwrap().len(), 3);
    let next = page["next_before"].as_i64().unwrap();
    let more = events(&alice, &format!("?limit=3&before={next}"));
    assert!(more[0]["id"].as_i64().unwrap() < next);

    // No secret anywhere in the log: not in the answers, not in the table.
    let conn = rusqlite::Connection::open(s.db_path()).unwrap();
    let dump: String = conn
        .query_row(
            "SELECT group_concat(kind || username || actor_name || ip || device || details, '|') FROM security_events",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let answers = serde_json::to_string(&everything).unwrap();
    for secret in &secrets {
        assert!(
            !dump.contains(secret.as_str()),
            "a secret in the table: {secret}"
        );
        assert!(
            !answers.contains(secret.as_str()),
            "a secret in the answer: {secret}"
        );
    }
}

#[test]
fn the_log_is_append_only_and_pruned_after_the_retention() {
    let s = TestServer::start_with("security_log_days: 30\n");
    let c = Client::signed_up(&s, "alice");
    let conn = rusqlite::Connection::open(s.db_path()).unwrap();
    assert!(
        conn.execute("UPDATE security_events SET details = '{}'", [])
            .is_err()
    );
    assert!(
        conn.execute("DELETE FROM security_events", []).is_err(),
        "recent rows stay"
    );
    // An event from 31 days ago goes with the next insert.
    conn.execute_batch(
        "DROP TRIGGER security_events_kept_a_day;
         INSERT INTO security_events (at, kind, user_id, username) VALUES (unixepoch() - 31 * 86400, 'login_succeeded', 'old', 'old');",
    )
    .unwrap();
    drop(conn);
    assert_eq!(c.login("alice", PASSWORD).status, 200);
    let conn = rusqlite::Connection::open(s.db_path()).unwrap();
    let old: i64 = conn
        .query_row(
            "SELECT count(*) FROM security_events WHERE user_id = 'old'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(old, 0);
    assert_eq!(events(&c, "").len(), 2, "both logins of alice remain");
}
