//! Registering a passkey: options, the password, sessions, exclusions, and the list of one's own.

use super::*;

#[test]
fn register_log_out_and_log_in_with_the_passkey_without_a_username() {
    let s = server();
    let c = Client::signed_up(&s, "alice");
    let mut key = Device::new();

    let r = key.register(&c, "  Laptop  ");
    assert_eq!(r.status, 201, "{}", r.text);
    let body = r.json();
    assert_eq!(body["passkey"]["name"], "Laptop");
    assert!(body["passkey"]["id"].as_str().is_some());
    assert!(body["passkey"]["last_used_at"].is_null());
    assert!(body["access_token"].as_str().unwrap().len() > 20);
    assert_eq!(body["user"]["username"], "alice");
    assert_eq!(r.headers_named("set-cookie").len(), 2);
    assert_eq!(c.get("/api/profile").json()["passkeys"], 1);

    let out = c.post("/api/logout", json!({}));
    assert_eq!(out.status, 200, "{}", out.text);
    assert_eq!(c.get("/api/profile").status, 401);

    // A fresh browser: nothing but the authenticator.
    let fresh = s.client();
    let r = key.login(&fresh);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["user"]["username"], "alice");
    assert!(r.json()["refresh_token"].as_str().unwrap().len() >= 43);
    let cookies = r.headers_named("set-cookie");
    assert_eq!(cookies.len(), 2);
    assert!(cookies.iter().all(|c| c.contains("HttpOnly")));
    let p = fresh.get("/api/profile");
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(p.json()["username"], "alice");
    // The session is a normal one: refresh rotates it.
    assert_eq!(fresh.post("/api/refresh", json!({})).status, 200);
}

#[test]
fn options_require_user_verification_and_a_discoverable_credential() {
    let s = server();
    let c = Client::signed_up(&s, "alice");
    let started = register_options(&c, "Phone");
    assert!(started["challenge_token"].as_str().unwrap().len() >= 43);
    assert_eq!(started["expires_in"], 300);
    let pk = &started["options"]["publicKey"];
    assert_eq!(pk["rp"]["id"], "localhost");
    assert_eq!(pk["user"]["name"], "alice");
    let sel = &pk["authenticatorSelection"];
    assert_eq!(sel["userVerification"], "required", "{sel}");
    assert_eq!(sel["residentKey"], "required", "{sel}");
    assert_eq!(sel["requireResidentKey"], true);

    let login = login_options(&s.client());
    let pk = &login["options"]["publicKey"];
    assert_eq!(pk["userVerification"], "required");
    assert_eq!(pk["rpId"], "localhost");
    assert!(
        pk["allowCredentials"]
            .as_array()
            .is_none_or(|a| a.is_empty()),
        "discoverable login names no credentials: {pk}"
    );
    assert_eq!(pk["timeout"], 300_000);
    // Ceremony state is stored server-side, keyed by the token's hash only.
    let token = login["challenge_token"].as_str().unwrap();
    let (kind, user, expires): (String, Option<String>, i64) = s.db()
        .query_row(
            "SELECT kind, user_id, expires_at - unixepoch() FROM webauthn_ceremonies WHERE token_hash = ?1",
            [miauinv::crypto::sha256_hex(token)],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((kind.as_str(), user), ("login", None));
    assert!((295..=300).contains(&expires), "{expires}");
    assert_eq!(
        count(
            &s,
            &format!(
                "SELECT count(*) FROM webauthn_ceremonies WHERE token_hash = '{token}' OR state LIKE '%{token}%'"
            )
        ),
        0
    );
    assert_eq!(count(&s, "SELECT count(*) FROM webauthn_ceremonies"), 2);
}

#[test]
fn registration_needs_the_current_password_and_a_good_name() {
    let s = server();
    let c = Client::signed_up(&s, "alice");
    let r = c.post(
        "/api/passkeys/register/options",
        json!({"password": "wrong password!", "name": "Laptop"}),
    );
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.code(), "wrong_password");
    // 101 characters as sent, though 99 after trimming: the limit is on the
    // text given.
    let padded = format!(" {} ", "x".repeat(99));
    for name in ["", "   ", &"x".repeat(101), &padded, "tab\there"] {
        let r = c.post(
            "/api/passkeys/register/options",
            json!({"password": PASSWORD, "name": name}),
        );
        assert_eq!(r.status, 400, "{name:?}: {}", r.text);
        assert_eq!(r.json()["field"], "name");
    }
    assert_eq!(
        count(&s, "SELECT count(*) FROM webauthn_ceremonies"),
        0,
        "refused requests start no ceremony"
    );
    let r = s.client().post(
        "/api/passkeys/register/options",
        json!({"password": PASSWORD, "name": "x"}),
    );
    assert_eq!(r.status, 401);
    let r = c.post(
        "/api/passkeys/register/options",
        json!({"password": PASSWORD, "name": "x", "admin": true}),
    );
    assert_eq!(r.code(), "unknown_field");
}

#[test]
fn registration_revokes_every_other_session_and_issues_a_new_one() {
    let s = server();
    let c = Client::signed_up(&s, "alice");
    let other = s.client();
    assert_eq!(other.login("alice", PASSWORD).status, 200);
    assert_eq!(other.get("/api/profile").status, 200);

    let r = Device::new().register(&c, "Laptop");
    assert_eq!(r.status, 201, "{}", r.text);

    assert_eq!(other.get("/api/profile").status, 401);
    assert_eq!(other.post("/api/refresh", json!({})).status, 401);
    // The registering browser carries on with its new session.
    let p = c.get("/api/profile");
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(p.json()["active_sessions"], 1);
    let mut bearer = s.client();
    bearer.bearer = Some(r.json()["access_token"].as_str().unwrap().to_string());
    assert_eq!(bearer.get("/api/passkeys").status, 200);
}

#[test]
fn already_registered_credentials_are_excluded() {
    let s = server();
    let c = Client::signed_up(&s, "alice");
    let mut key = Device::new();
    let first = key.register(&c, "Laptop");
    assert_eq!(first.status, 201, "{}", first.text);
    let stored: String = s
        .db()
        .query_row("SELECT credential_id FROM passkeys", [], |r| r.get(0))
        .unwrap();

    let again = register_options(&c, "Laptop again");
    let excluded: Vec<&str> = again["options"]["publicKey"]["excludeCredentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(excluded, vec![stored.as_str()]);
    let ccr: CreationChallengeResponse = serde_json::from_value(again["options"].clone()).unwrap();
    assert!(
        key.auth.do_registration(key.origin.clone(), ccr).is_err(),
        "the authenticator refuses a second credential for the same account"
    );
    // Another authenticator is welcome.
    assert_eq!(Device::new().register(&c, "Phone").status, 201);
}

#[test]
fn list_shows_names_times_and_backup_flags_and_logins_update_counters() {
    let s = server();
    let c = Client::signed_up(&s, "alice");
    let mut laptop = Device::new();
    assert_eq!(laptop.register(&c, "Laptop").status, 201);
    assert_eq!(Device::new().register(&c, "Phone").status, 201);

    let list = c.get("/api/passkeys");
    assert_eq!(list.status, 200, "{}", list.text);
    let list = list.json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["name"], "Laptop");
    assert_eq!(list[1]["name"], "Phone");
    for p in list {
        let keys: Vec<&String> = p.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            vec![
                "backup_eligible",
                "backup_state",
                "created_at",
                "id",
                "last_used_at",
                "name"
            ]
        );
        assert!(p["created_at"].as_i64().unwrap() > 1_700_000_000);
        assert!(p["last_used_at"].is_null());
        assert_eq!(p["backup_eligible"], false);
        assert_eq!(p["backup_state"], false);
    }

    for expected in 1..=2 {
        let r = laptop.login(&s.client());
        assert_eq!(r.status, 200, "{}", r.text);
        let count: i64 = s
            .db()
            .query_row(
                "SELECT sign_count FROM passkeys WHERE name = 'Laptop'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(count, expected, "the signature counter is stored");
    }
    let list = s.client();
    assert_eq!(list.login("alice", PASSWORD).status, 200);
    let list = list.get("/api/passkeys").json();
    assert!(list[0]["last_used_at"].as_i64().unwrap() >= list[0]["created_at"].as_i64().unwrap());
    assert!(list[1]["last_used_at"].is_null());
    // The stored credential itself carries the counter too (used for the next check).
    let cred: String = s
        .db()
        .query_row(
            "SELECT credential FROM passkeys WHERE name = 'Laptop'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let cred: Value = serde_json::from_str(&cred).unwrap();
    assert_eq!(cred["cred"]["counter"], 2);
}

#[test]
fn the_list_only_shows_your_own_passkeys() {
    let s = server();
    let alice = Client::signed_up(&s, "alice");
    let bob = Client::signed_up(&s, "bob");
    assert_eq!(Device::new().register(&alice, "Laptop").status, 201);
    assert_eq!(bob.get("/api/passkeys").json(), json!([]));
    let id = alice.get("/api/passkeys").json()[0]["id"].clone();
    let r = bob.send(
        "DELETE",
        "/api/passkeys",
        Some(json!({"id": id, "password": PASSWORD})),
    );
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(
        alice.get("/api/passkeys").json().as_array().unwrap().len(),
        1
    );
    assert_eq!(s.client().get("/api/passkeys").status, 401);
}

#[test]
fn removing_a_passkey_needs_the_password_and_ends_other_sessions() {
    let s = server();
    let c = Client::signed_up(&s, "alice");
    let mut laptop = Device::new();
    assert_eq!(laptop.register(&c, "Laptop").status, 201);
    let mut phone = Device::new();
    assert_eq!(phone.register(&c, "Phone").status, 201);
    let id = c.get("/api/passkeys").json()[0]["id"].clone();

    let r = c.send(
        "DELETE",
        "/api/passkeys",
        Some(json!({"id": id, "password": "wrong password!"})),
    );
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.code(), "wrong_password");
    let r = c.send(
        "DELETE",
        "/api/passkeys",
        Some(json!({"id": "no-such-id", "password": PASSWORD})),
    );
    assert_eq!(r.status, 404, "{}", r.text);
    let r = c.send("DELETE", "/api/passkeys", Some(json!({"id": id})));
    assert_eq!(r.code(), "missing_field");

    let other = s.client();
    assert_eq!(phone.login(&other).status, 200);
    let r = c.send(
        "DELETE",
        "/api/passkeys",
        Some(json!({"id": id, "password": PASSWORD})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["removed"], 1);
    assert!(r.json()["access_token"].as_str().is_some());
    assert_eq!(other.get("/api/profile").status, 401, "other sessions end");
    let left = c.get("/api/passkeys").json();
    assert_eq!(left.as_array().unwrap().len(), 1);
    assert_eq!(left[0]["name"], "Phone");

    let r = laptop.login(&s.client());
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.code(), "unknown_credential");
    assert_eq!(phone.login(&s.client()).status, 200);
}

#[test]
fn disabling_removes_every_passkey_after_the_password() {
    let s = server();
    let c = Client::signed_up(&s, "alice");
    let mut laptop = Device::new();
    let mut phone = Device::new();
    assert_eq!(laptop.register(&c, "Laptop").status, 201);
    assert_eq!(phone.register(&c, "Phone").status, 201);
    // A registration still in flight must not survive disabling.
    let pending = register_options(&c, "Tablet");

    let r = c.post(
        "/api/passkeys/disable",
        json!({"password": "wrong password!"}),
    );
    assert_eq!(r.status, 401);
    assert_eq!(c.get("/api/passkeys").json().as_array().unwrap().len(), 2);

    let other = s.client();
    assert_eq!(other.login("alice", PASSWORD).status, 200);
    let r = c.post("/api/passkeys/disable", json!({"password": PASSWORD}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["removed"], 2);
    assert_eq!(r.headers_named("set-cookie").len(), 2);
    assert_eq!(c.get("/api/passkeys").json(), json!([]));
    assert_eq!(other.get("/api/profile").status, 401);
    assert_eq!(c.get("/api/profile").json()["passkeys"], 0);

    for key in [&mut laptop, &mut phone] {
        let r = key.login(&s.client());
        assert_eq!(r.code(), "unknown_credential", "{}", r.text);
    }
    let cred = Device::new().create(&pending["options"]);
    let r = c.post(
        "/api/passkeys/register/finish",
        json!({"challenge_token": pending["challenge_token"], "credential": cred}),
    );
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.code(), "invalid_challenge");
}
