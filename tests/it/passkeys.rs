//! Passkeys end to end over the real HTTP API with a software authenticator:
//! registration, discoverable login without a username, the list, removal,
//! disable-all, one-time and expiring ceremonies, origin checks, counters and
//! session revocation.
//!
//! The authenticator is webauthn-authenticator-rs's `SoftPasskey` (it signs with
//! a real P-256 key, builds clientDataJSON for the origin it is given and claims
//! user verification). `SoftPasskey` itself cannot hold resident (discoverable)
//! credentials: it refuses `residentKey: required` and needs a non-empty
//! `allowCredentials`, and it never returns a user handle. `Discoverable` below
//! adds exactly what a resident-key authenticator adds on top, without touching
//! the signed data: it remembers (credential id, user handle) at registration,
//! picks its credential itself when the server sends no `allowCredentials`, and
//! returns the user handle with the assertion.

use crate::common;
use common::{Client, PASSWORD, Resp, TestServer};
use serde_json::{Value, json};
use webauthn_authenticator_rs::prelude::{Url, WebauthnCError};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_authenticator_rs::{AuthenticatorBackend, WebauthnAuthenticator};
use webauthn_rs_proto::{
    AllowCredentials, CreationChallengeResponse, PublicKeyCredential,
    PublicKeyCredentialCreationOptions, PublicKeyCredentialRequestOptions,
    RegisterPublicKeyCredential, RequestChallengeResponse,
};

const ORIGIN: &str = "http://localhost:8080";

fn server() -> TestServer {
    TestServer::start_with(&format!("rp_id: localhost\nrp_origin: \"{ORIGIN}\"\n"))
}

/// A software passkey with resident-key behaviour (see the module comment).
struct Discoverable {
    soft: SoftPasskey,
    /// (credential id, user handle) of every credential it created.
    resident: Vec<(Vec<u8>, Vec<u8>)>,
}

impl AuthenticatorBackend for Discoverable {
    fn perform_register(
        &mut self,
        origin: Url,
        mut options: PublicKeyCredentialCreationOptions,
        timeout_ms: u32,
    ) -> Result<RegisterPublicKeyCredential, WebauthnCError> {
        // Like a real authenticator, refuse to register twice for one account.
        let excluded = options.exclude_credentials.clone().unwrap_or_default();
        if excluded
            .iter()
            .any(|c| self.resident.iter().any(|(id, _)| id == c.id.as_ref()))
        {
            return Err(WebauthnCError::InvalidRegistration);
        }
        let user_handle = options.user.id.to_vec();
        // Residency is kept here, not inside SoftPasskey (which refuses it).
        if let Some(sel) = options.authenticator_selection.as_mut() {
            sel.require_resident_key = false;
            sel.resident_key = None;
        }
        let cred = <SoftPasskey as AuthenticatorBackend>::perform_register(
            &mut self.soft,
            origin,
            options,
            timeout_ms,
        )?;
        self.resident.push((cred.raw_id.to_vec(), user_handle));
        Ok(cred)
    }

    fn perform_auth(
        &mut self,
        origin: Url,
        mut options: PublicKeyCredentialRequestOptions,
        timeout_ms: u32,
    ) -> Result<PublicKeyCredential, WebauthnCError> {
        // Discoverable request: no allowCredentials, the authenticator chooses
        // (here: its newest credential for this rp).
        let (id, handle) = match options.allow_credentials.first() {
            Some(allowed) => self
                .resident
                .iter()
                .find(|(id, _)| id == allowed.id.as_ref())
                .cloned(),
            None => self.resident.last().cloned(),
        }
        .ok_or(WebauthnCError::Internal)?;
        options.allow_credentials = vec![AllowCredentials {
            type_: "public-key".into(),
            id: id.into(),
            transports: None,
        }];
        let mut cred = <SoftPasskey as AuthenticatorBackend>::perform_auth(
            &mut self.soft,
            origin,
            options,
            timeout_ms,
        )?;
        cred.response.user_handle = Some(handle.into());
        Ok(cred)
    }
}

/// One authenticator device used from one browser origin.
struct Device {
    auth: WebauthnAuthenticator<Discoverable>,
    origin: Url,
}

impl Device {
    fn new() -> Device {
        Self::at(ORIGIN)
    }

    fn at(origin: &str) -> Device {
        Device {
            // `true`: the soft key reports user verification (PIN/biometrics done).
            auth: WebauthnAuthenticator::new(Discoverable {
                soft: SoftPasskey::new(true),
                resident: Vec::new(),
            }),
            origin: Url::parse(origin).unwrap(),
        }
    }

    /// Answers registration options from the server with a credential JSON.
    fn create(&mut self, options: &Value) -> Value {
        let ccr: CreationChallengeResponse = serde_json::from_value(options.clone()).unwrap();
        let cred = self
            .auth
            .do_registration(self.origin.clone(), ccr)
            .expect("the soft authenticator registers");
        serde_json::to_value(cred).unwrap()
    }

    /// Answers login options from the server with an assertion JSON.
    fn get(&mut self, options: &Value) -> Value {
        let rcr: RequestChallengeResponse = serde_json::from_value(options.clone()).unwrap();
        let cred = self
            .auth
            .do_authentication(self.origin.clone(), rcr)
            .expect("the soft authenticator signs");
        serde_json::to_value(cred).unwrap()
    }

    /// The whole registration through the API; returns the finish response.
    fn register(&mut self, c: &Client, name: &str) -> Resp {
        let started = register_options(c, name);
        let cred = self.create(&started["options"]);
        c.post(
            "/api/passkeys/register/finish",
            json!({"challenge_token": started["challenge_token"], "credential": cred}),
        )
    }

    /// The whole discoverable login through the API (no username anywhere).
    fn login(&mut self, c: &Client) -> Resp {
        let started = login_options(c);
        let cred = self.get(&started["options"]);
        login_finish(c, &started["challenge_token"], cred)
    }
}

fn register_options(c: &Client, name: &str) -> Value {
    let r = c.post(
        "/api/passkeys/register/options",
        json!({"password": PASSWORD, "name": name}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
}

fn login_options(c: &Client) -> Value {
    let r = c.post("/api/passkeys/login/options", json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
}

fn login_finish(c: &Client, token: &Value, cred: Value) -> Resp {
    c.post(
        "/api/passkeys/login/finish",
        json!({"challenge_token": token, "credential": cred}),
    )
}

fn count(s: &TestServer, sql: &str) -> i64 {
    s.db().query_row(sql, [], |r| r.get(0)).unwrap()
}

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

fn base64url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
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
