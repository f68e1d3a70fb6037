//! Ceremonies that must fail: replayed, expired, for another origin, cloned, tampered; and who a
//! credential names.

use super::*;

#[test]
fn a_finished_ceremony_cannot_be_replayed() {
    let s = server();
    let c = Client::signed_up(&s, "alice");
    let mut key = Device::new();

    let started = register_options(&c, "Laptop");
    let cred = key.create(&started["options"]);
    let finish = json!({"challenge_token": started["challenge_token"], "credential": cred});
    let r = c.post("/api/passkeys/register/finish", finish.clone());
    assert_eq!(r.status, 201, "{}", r.text);
    let r = c.post("/api/passkeys/register/finish", finish);
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.code(), "invalid_challenge");

    let b = s.client();
    let started = login_options(&b);
    let assertion = key.get(&started["options"]);
    let r = login_finish(&b, &started["challenge_token"], assertion.clone());
    assert_eq!(r.status, 200, "{}", r.text);
    let r = login_finish(&b, &started["challenge_token"], assertion.clone());
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.code(), "invalid_challenge");
    // The same signed assertion against a new challenge does not verify either.
    let fresh = login_options(&b);
    let r = login_finish(&b, &fresh["challenge_token"], assertion);
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.code(), "challenge_mismatch");
    assert_eq!(count(&s, "SELECT count(*) FROM webauthn_ceremonies"), 0);
}

#[test]
fn an_expired_ceremony_is_refused_and_cleaned_up() {
    let s = server();
    let c = Client::signed_up(&s, "alice");
    let mut key = Device::new();
    assert_eq!(key.register(&c, "Laptop").status, 201);

    let started = login_options(&c);
    let assertion = key.get(&started["options"]);
    s.db()
        .execute(
            "UPDATE webauthn_ceremonies SET expires_at = unixepoch() - 1",
            [],
        )
        .unwrap();
    let r = login_finish(&c, &started["challenge_token"], assertion);
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.code(), "ceremony_expired");
    assert_eq!(count(&s, "SELECT count(*) FROM webauthn_ceremonies"), 0);

    let started = register_options(&c, "Phone");
    let cred = Device::new().create(&started["options"]);
    s.db()
        .execute(
            "UPDATE webauthn_ceremonies SET expires_at = unixepoch() - 1",
            [],
        )
        .unwrap();
    let r = c.post(
        "/api/passkeys/register/finish",
        json!({"challenge_token": started["challenge_token"], "credential": cred}),
    );
    assert_eq!(r.code(), "ceremony_expired", "{}", r.text);
    // Expired rows of others are swept when any ceremony starts.
    login_options(&c);
    s.db()
        .execute(
            "UPDATE webauthn_ceremonies SET expires_at = unixepoch() - 1",
            [],
        )
        .unwrap();
    login_options(&c);
    assert_eq!(count(&s, "SELECT count(*) FROM webauthn_ceremonies"), 1);
}

#[test]
fn a_response_made_for_another_origin_is_a_clear_400() {
    let s = server();
    let c = Client::signed_up(&s, "alice");
    let mut elsewhere = Device::at("http://localhost:9999");
    let r = elsewhere.register(&c, "Laptop");
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.code(), "origin_mismatch");
    assert_eq!(r.json()["expected_origin"], ORIGIN);
    assert_eq!(c.get("/api/passkeys").json(), json!([]));

    // A passkey registered properly, then used from the wrong origin.
    let mut key = Device::new();
    assert_eq!(key.register(&c, "Laptop").status, 201);
    key.origin = Url::parse("http://localhost:9999").unwrap();
    let r = key.login(&s.client());
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.code(), "origin_mismatch");
}

#[test]
fn a_user_with_two_factor_gets_a_full_session_from_a_passkey() {
    let s = server();
    let c = Client::signed_up(&s, "alice");
    let mut key = Device::new();
    assert_eq!(key.register(&c, "Laptop").status, 201);
    s.db()
        .execute("UPDATE users SET two_factor_enabled = 1", [])
        .unwrap();
    // The password alone now only gets half-way.
    let half = s.client().login("alice", PASSWORD);
    assert_eq!(half.json()["requires_2fa"], true, "{}", half.text);
    assert!(half.json().get("access_token").is_none());

    let b = s.client();
    let r = key.login(&b);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["user"]["two_factor_enabled"], true);
    assert!(r.json().get("requires_2fa").is_none());
    assert!(r.json()["access_token"].as_str().is_some());
    let p = b.get("/api/profile");
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(p.json()["two_factor_enabled"], true);
}

#[test]
fn a_counter_that_goes_backwards_is_refused_as_cloned() {
    let s = server();
    let c = Client::signed_up(&s, "alice");
    let mut key = Device::new();
    assert_eq!(key.register(&c, "Laptop").status, 201);

    // Two logins in flight; the later signature (counter 2) arrives first, then
    // the earlier one (counter 1): what a second copy of the key would look like.
    let first = login_options(&c);
    let second = login_options(&c);
    let early = key.get(&first["options"]);
    let late = key.get(&second["options"]);
    assert_eq!(
        login_finish(&c, &second["challenge_token"], late).status,
        200
    );
    let r = login_finish(&c, &first["challenge_token"], early);
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.code(), "credential_cloned");
    let stored: i64 = s
        .db()
        .query_row("SELECT sign_count FROM passkeys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, 2, "the refused login changes nothing");
    // The genuine key carries on.
    assert_eq!(key.login(&s.client()).status, 200);
}

#[test]
fn the_credential_identifies_the_user_by_id_and_handle() {
    let s = server();
    let alice = Client::signed_up(&s, "alice");
    let bob = Client::signed_up(&s, "bob");
    let mut key = Device::new();
    assert_eq!(key.register(&alice, "Laptop").status, 201);
    assert_eq!(Device::new().register(&bob, "Laptop").status, 201);

    // A user handle that is not the credential owner's is refused.
    let started = login_options(&bob);
    let mut cred = key.get(&started["options"]);
    let bob_id = bob.get("/api/profile").json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let bob_handle = uuid::Uuid::parse_str(&bob_id).unwrap();
    cred["response"]["userHandle"] = json!(base64url(bob_handle.as_bytes()));
    let r = login_finish(&bob, &started["challenge_token"], cred);
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.code(), "unknown_credential");

    // Without a user handle the credential id alone identifies the owner.
    let started = login_options(&bob);
    let mut cred = key.get(&started["options"]);
    cred["response"]
        .as_object_mut()
        .unwrap()
        .remove("userHandle");
    let r = login_finish(&bob, &started["challenge_token"], cred);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["user"]["username"], "alice");

    // A credential nobody registered.
    let mut stranger = Device::new();
    let started = register_options(&alice, "unused");
    stranger.create(&started["options"]);
    let r = stranger.login(&s.client());
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.code(), "unknown_credential");
}

#[test]
fn broken_or_tampered_responses_are_4xx_never_500() {
    let s = server();
    let c = Client::signed_up(&s, "alice");
    let mut key = Device::new();
    assert_eq!(key.register(&c, "Laptop").status, 201);

    let started = login_options(&c);
    let r = login_finish(&c, &started["challenge_token"], json!({"id": 5}));
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.code(), "invalid_credential");

    // A forged signature.
    let started = login_options(&c);
    let mut cred = key.get(&started["options"]);
    cred["response"]["signature"] = json!(base64url(&[7u8; 70]));
    let r = login_finish(&c, &started["challenge_token"], cred);
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.code(), "invalid_credential");

    // A registration token is no login token, and tokens are opaque.
    let reg = register_options(&c, "Phone");
    let started = login_options(&c);
    let cred = key.get(&started["options"]);
    let r = login_finish(&c, &reg["challenge_token"], cred.clone());
    assert_eq!(r.code(), "invalid_challenge", "{}", r.text);
    let r = login_finish(&c, &json!("made-up"), cred);
    assert_eq!(r.code(), "invalid_challenge", "{}", r.text);
    let r = c.post(
        "/api/passkeys/login/finish",
        json!({"challenge_token": "x"}),
    );
    assert_eq!(r.code(), "missing_field");

    // Bob cannot finish Alice's registration.
    let bob = Client::signed_up(&s, "bob");
    let cred = Device::new().create(&reg["options"]);
    let r = bob.post(
        "/api/passkeys/register/finish",
        json!({"challenge_token": reg["challenge_token"], "credential": cred}),
    );
    assert_eq!(r.code(), "invalid_challenge", "{}", r.text);
}
