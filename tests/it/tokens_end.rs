//! Personal API tokens are credentials that end when their owner says so
//! (issue 28): making one needs a login within five minutes or the password;
//! account recovery, an admin's "end all sessions" and disabling always
//! revoke them; a password change, "sign out everywhere" and turning 2FA on
//! revoke them unless asked not to; logging out leaves them.

use crate::common;
use crate::totp_support;

use common::{Client, PASSWORD, TestServer, cli_with_input};
use serde_json::{Value, json};
use totp_support::Authenticator;

/// A write token of `owner`'s, and a script that uses it.
fn script(server: &TestServer, owner: &Client, name: &str) -> Client {
    let r = owner.post("/api/tokens", json!({"name": name, "scope": "write"}));
    assert_eq!(r.status, 201, "{}", r.text);
    let mut script = server.client();
    script.bearer = Some(r.json()["token"].as_str().unwrap().to_string());
    assert!(works(&script), "a new token works");
    script
}

/// Whether a script's token still writes (a dead one is 401).
fn works(script: &Client) -> bool {
    let r = script.post("/api/item", json!({"name": "Probe"}));
    match r.status {
        201 => true,
        401 => false,
        other => panic!("a token answered {other}: {}", r.text),
    }
}

fn id_of(admin: &Client, username: &str) -> String {
    let users = admin.get("/api/admin/users").json();
    users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == username)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The admin's row of `username`: `active_sessions`, `api_tokens`…
fn row_of(admin: &Client, username: &str) -> Value {
    let users = admin.get("/api/admin/users").json();
    users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == username)
        .unwrap()
        .clone()
}

/// Every session of `username` logged in six minutes ago.
fn logged_in_long_ago(server: &TestServer, username: &str) {
    let conn = rusqlite::Connection::open(server.db_path()).unwrap();
    let n = conn
        .execute(
            "UPDATE sessions SET authenticated_at = authenticated_at - 360
             WHERE user_id = (SELECT id FROM users WHERE username = ?1)",
            [username],
        )
        .unwrap();
    assert!(n > 0, "{username} has sessions");
}

/// The `token_revoked` events of the caller that ended every token at once.
fn all_revoked(c: &Client) -> Vec<Value> {
    let page = c.get("/api/security-events?limit=200").json();
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "token_revoked" && e["details"]["all"] == true)
        .cloned()
        .collect()
}

#[test]
fn a_token_made_from_a_stolen_session_dies_when_the_owner_recovers_the_account() {
    let server = TestServer::start();
    let admin = Client::signed_up(&server, "ada");
    let bob = server.client();
    assert_eq!(bob.register("bob", PASSWORD).status, 201);
    let login = bob.login("bob", PASSWORD).json();
    // A thief copies bob's access cookie and, within the minute, makes a token.
    let cookie = format!("access_token={}", login["access_token"].as_str().unwrap());
    let thief = server.client();
    let r = thief.send_with(
        "POST",
        "/api/tokens",
        Some(json!({"name": "backup", "scope": "write"})),
        &[("Cookie", &cookie)],
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let mut stolen = server.client();
    stolen.bearer = Some(r.json()["token"].as_str().unwrap().to_string());
    assert!(works(&stolen));
    assert_eq!(row_of(&admin, "bob")["api_tokens"], 1);

    // Bob asks the admin for a reset link and sets a new password.
    let bob_id = id_of(&admin, "bob");
    let link = admin.post(
        &format!("/api/admin/users/reset-link?id={bob_id}"),
        json!({}),
    );
    assert_eq!(link.status, 201, "{}", link.text);
    let token = link.json()["path"]
        .as_str()
        .unwrap()
        .split("token=")
        .nth(1)
        .unwrap()
        .to_string();
    let r = server.client().post(
        "/api/password-reset",
        json!({"token": token, "password": "a brand new password"}),
    );
    assert_eq!(r.status, 204, "{}", r.text);

    // Everything the thief held is dead: the cookie and the token.
    assert!(
        !works(&stolen),
        "the token made with the stolen session is dead"
    );
    let r = thief.send_with("GET", "/api/profile", None, &[("Cookie", &cookie)]);
    assert_eq!(r.status, 401);
    let row = row_of(&admin, "bob");
    assert_eq!(
        (row["active_sessions"].clone(), row["api_tokens"].clone()),
        (json!(0), json!(0))
    );
    // Bob's log says so, naming the token.
    let bob = server.client();
    assert_eq!(bob.login("bob", "a brand new password").status, 200);
    let revoked = all_revoked(&bob);
    assert_eq!(revoked.len(), 1, "{revoked:?}");
    assert_eq!(revoked[0]["details"]["by"], "reset_link");
    assert_eq!(revoked[0]["details"]["names"], json!(["backup"]));
}

#[test]
fn making_a_token_needs_a_login_within_five_minutes_or_the_password() {
    let server = TestServer::start();
    let alice = Client::signed_up(&server, "alice");
    // Just logged in: no password needed.
    script(&server, &alice, "fresh");

    logged_in_long_ago(&server, "alice");
    let r = alice.post("/api/tokens", json!({"name": "later", "scope": "read"}));
    assert_eq!(
        (r.status, r.code(), r.json()["field"].clone()),
        (401, "password_required".into(), json!("password")),
        "{}",
        r.text
    );
    // A refresh proves only that the cookie was kept.
    assert_eq!(alice.post("/api/refresh", json!({})).status, 200);
    let r = alice.post("/api/tokens", json!({"name": "later", "scope": "read"}));
    assert_eq!(r.code(), "password_required", "{}", r.text);
    // A wrong password is refused and counted; the right one makes the token.
    let r = alice.post(
        "/api/tokens",
        json!({"name": "later", "scope": "read", "password": "not the password"}),
    );
    assert_eq!(
        (r.status, r.code()),
        (401, "wrong_password".into()),
        "{}",
        r.text
    );
    let r = alice.post(
        "/api/tokens",
        json!({"name": "later", "scope": "read", "password": PASSWORD}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(r.json().get("password").is_none());
    let r = alice.post(
        "/api/tokens",
        json!({"name": "x", "scope": "read", "password": null}),
    );
    assert_eq!(r.status, 400, "null is no password: {}", r.text);
    // Still needed for the next one: the password proved one request.
    let r = alice.post("/api/tokens", json!({"name": "again", "scope": "read"}));
    assert_eq!(r.code(), "password_required");
    // A new login is recent again.
    assert_eq!(alice.login("alice", PASSWORD).status, 200);
    assert_eq!(
        alice
            .post("/api/tokens", json!({"name": "again", "scope": "read"}))
            .status,
        201
    );
    // A password change issues a session that counts as a login.
    logged_in_long_ago(&server, "alice");
    let r = alice.post(
        "/api/account/password",
        json!({"old_password": PASSWORD, "new_password": "another long password", "revoke_tokens": false}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        alice
            .post("/api/tokens", json!({"name": "after", "scope": "read"}))
            .status,
        201
    );
}

#[test]
fn a_password_change_revokes_every_token_unless_told_not_to() {
    let server = TestServer::start();
    let alice = Client::signed_up(&server, "alice");
    let kept = script(&server, &alice, "kept");
    let r = alice.post(
        "/api/account/password",
        json!({"old_password": PASSWORD, "new_password": "second password", "revoke_tokens": false}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["tokens_revoked"], 0);
    assert!(
        r.json()["access_token"].is_string(),
        "still a session: {}",
        r.text
    );
    assert!(works(&kept), "revoke_tokens: false keeps them");

    let second = script(&server, &alice, "second");
    let r = alice.post(
        "/api/account/password",
        json!({"old_password": "second password", "new_password": "third password"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["tokens_revoked"], 2);
    assert!(
        !works(&kept) && !works(&second),
        "by default every token ends"
    );
    assert_eq!(alice.get("/api/tokens").json(), json!([]));
    let revoked = all_revoked(&alice);
    assert_eq!(revoked[0]["details"]["by"], "password_change");
    assert_eq!(revoked[0]["details"]["count"], 2);
    let r = alice.post(
        "/api/account/password",
        json!({"old_password": "third password", "new_password": "fourth password", "revoke_tokens": "yes"}),
    );
    assert_eq!(
        (r.status, r.json()["field"].clone()),
        (400, json!("revoke_tokens"))
    );
}

#[test]
fn signing_out_everywhere_revokes_every_token_unless_told_not_to() {
    let server = TestServer::start();
    let alice = Client::signed_up(&server, "alice");
    let laptop = server.client();
    assert_eq!(laptop.login("alice", PASSWORD).status, 200);
    let kept = script(&server, &alice, "kept");
    let r = alice.post(
        "/api/sessions/revoke-others",
        json!({"revoke_tokens": false}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json(), json!({"ended": 1, "tokens_revoked": 0}));
    assert_eq!(laptop.get("/api/profile").status, 401);
    assert!(works(&kept));

    // `{}` and no body at all are the default: every token ends.
    let r = alice.post("/api/sessions/revoke-others", json!({}));
    assert_eq!(
        r.json(),
        json!({"ended": 0, "tokens_revoked": 1}),
        "{}",
        r.text
    );
    assert!(!works(&kept));
    let again = script(&server, &alice, "again");
    let r = alice.send("POST", "/api/sessions/revoke-others", None);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["tokens_revoked"], 1);
    assert!(!works(&again));
    assert_eq!(alice.get("/api/profile").status, 200, "this session stays");
    assert_eq!(all_revoked(&alice)[0]["details"]["by"], "revoke_others");

    let r = alice.post("/api/sessions/revoke-others", json!({"revoke_tokens": 1}));
    assert_eq!(
        (r.status, r.json()["field"].clone()),
        (400, json!("revoke_tokens"))
    );
    let r = alice.post("/api/sessions/revoke-others", json!({"tokens": false}));
    assert_eq!((r.status, r.code()), (400, "unknown_field".into()));
}

#[test]
fn turning_on_two_factor_revokes_every_token_unless_told_not_to() {
    let turn_on = |c: &Client, extra: Value| {
        let setup = c.post("/api/2fa/setup", json!({})).json();
        let mut app = Authenticator::new(setup["secret"].as_str().unwrap());
        let mut body = json!({"setup_token": setup["setup_token"], "code": app.next_code()});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let r = c.post("/api/2fa/enable", body);
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()
    };
    let server = TestServer::start();
    let alice = Client::signed_up(&server, "alice");
    let script_a = script(&server, &alice, "home assistant");
    let on = turn_on(&alice, json!({}));
    assert_eq!(on["tokens_revoked"], 1);
    assert_eq!(on["recovery_codes"].as_array().unwrap().len(), 10);
    assert!(
        !works(&script_a),
        "a token never asks for the second factor: it ends"
    );
    assert_eq!(
        all_revoked(&alice)[0]["details"]["by"],
        "two_factor_enabled"
    );

    let bob = Client::signed_up(&server, "bob");
    let script_b = script(&server, &bob, "cron");
    let on = turn_on(&bob, json!({"revoke_tokens": false}));
    assert_eq!(on["tokens_revoked"], 0);
    assert!(works(&script_b));
}

#[test]
fn logging_out_or_ending_one_session_leaves_the_tokens() {
    let server = TestServer::start();
    let alice = Client::signed_up(&server, "alice");
    let kept = script(&server, &alice, "kept");
    let phone = server.client();
    assert_eq!(phone.login("alice", PASSWORD).status, 200);
    let sessions = alice.get("/api/sessions").json();
    let other = sessions
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == false)
        .unwrap();
    let r = alice.delete(&format!(
        "/api/sessions?id={}",
        other["id"].as_str().unwrap()
    ));
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(works(&kept));
    assert_eq!(alice.post("/api/logout", json!({})).status, 200);
    assert_eq!(alice.get("/api/profile").status, 401);
    assert!(
        works(&kept),
        "signing out of a browser does not stop scripts"
    );
}

#[test]
fn an_admin_ending_sessions_revokes_every_token() {
    let server = TestServer::start();
    let admin = Client::signed_up(&server, "ada");
    let bob = Client::signed_up(&server, "bob");
    let cron = script(&server, &bob, "cron");
    let _ = script(&server, &bob, "backup");
    assert_eq!(row_of(&admin, "bob")["api_tokens"], 2);
    let bob_id = id_of(&admin, "bob");
    let r = admin.post(
        &format!("/api/admin/users/end-sessions?id={bob_id}"),
        json!({}),
    );
    assert_eq!(r.status, 204, "{}", r.text);
    assert!(!works(&cron));
    assert_eq!(bob.get("/api/profile").status, 401);
    let row = row_of(&admin, "bob");
    assert_eq!(
        (row["active_sessions"].clone(), row["api_tokens"].clone()),
        (json!(0), json!(0))
    );
    let events = admin
        .get(&format!("/api/security-events?user_id={bob_id}"))
        .json();
    let revoked = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "token_revoked")
        .expect("the revocation is logged")
        .clone();
    assert_eq!(revoked["actor"], "ada");
    assert_eq!(revoked["details"]["by"], "admin");
    assert_eq!(revoked["details"]["names"], json!(["cron", "backup"]));
}

#[test]
fn a_disabled_account_loses_its_tokens_for_good() {
    let server = TestServer::start();
    let admin = Client::signed_up(&server, "ada");
    let bob = Client::signed_up(&server, "bob");
    let cron = script(&server, &bob, "cron");
    let bob_id = id_of(&admin, "bob");
    let set = |disabled: bool| {
        let r = admin.put(
            &format!("/api/admin/users?id={bob_id}"),
            json!({"disabled": disabled}),
        );
        assert_eq!(r.status, 200, "{}", r.text);
    };
    set(true);
    assert!(!works(&cron));
    assert_eq!(row_of(&admin, "bob")["api_tokens"], 0);
    set(false);
    assert!(!works(&cron), "enabling the account brings no token back");
    let bob = server.client();
    assert_eq!(bob.login("bob", PASSWORD).status, 200);
    assert_eq!(bob.get("/api/tokens").json(), json!([]));
    assert_eq!(all_revoked(&bob)[0]["details"]["by"], "account_disabled");

    // The command line does the same.
    let nightly = script(&server, &bob, "nightly");
    for args in [["user", "disable", "bob"], ["user", "enable", "bob"]] {
        let (ok, out) = cli_with_input(server.dir.path(), &args, "");
        assert!(ok, "{out}");
    }
    assert!(!works(&nightly));
}

#[test]
fn the_command_line_recovery_revokes_every_token() {
    let server = TestServer::start();
    let bob = Client::signed_up(&server, "bob");
    let cron = script(&server, &bob, "cron");
    let (ok, out) = cli_with_input(
        server.dir.path(),
        &["reset-password", "bob"],
        "a brand new password\n",
    );
    assert!(ok, "{out}");
    assert!(out.contains("1 API token"), "{out}");
    assert!(!works(&cron));

    let bob = server.client();
    assert_eq!(bob.login("bob", "a brand new password").status, 200);
    let nightly = script(&server, &bob, "nightly");
    let (ok, out) = cli_with_input(server.dir.path(), &["disable-2fa", "bob"], "");
    assert!(ok, "{out}");
    assert!(!works(&nightly));
    let bob = server.client();
    assert_eq!(bob.login("bob", "a brand new password").status, 200);
    let by: Vec<Value> = all_revoked(&bob)
        .iter()
        .map(|e| e["actor"].clone())
        .collect();
    assert_eq!(by, vec![json!("command line"), json!("command line")]);
}
