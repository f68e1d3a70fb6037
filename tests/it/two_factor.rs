//! Two-factor authentication end to end: TOTP setup and enable, the two-step
//! login, replay protection, single-use recovery codes (also under a race),
//! disable, regeneration and the rate limits. Codes are computed here by an
//! RFC 6238 implementation of our own (HMAC-SHA-1 from the `hmac` and `sha1`
//! crates), checked against the RFC's test vectors, never by the server's code.

use crate::common;
use crate::totp_support;
use common::{Client, PASSWORD, TestServer};
use serde_json::json;
use std::collections::HashSet;
use totp_support::{Authenticator, Enabled, base32_decode, enable, hotp, now, setup};

#[test]
fn the_test_authenticator_matches_the_rfc_6238_sha1_vectors() {
    let key = b"12345678901234567890";
    for (time, code) in [
        (59u64, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ] {
        assert_eq!(hotp(key, time / 30, 8), code, "time {time}");
    }
    assert_eq!(base32_decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), key);
}

// ── helpers ────────────────────────────────────────────────────────────────────

/// (enabled, secret, last_step, token_version) of a user row; the secret as
/// opened with the server's key (it is stored sealed, `tests/secrets_at_rest.rs`).
fn user_row(s: &TestServer, username: &str) -> (i64, String, i64, i64) {
    let (id, enabled, sealed, step, version): (String, i64, String, i64, i64) = s
        .db()
        .query_row(
            "SELECT id, two_factor_enabled, two_factor_secret, two_factor_last_step, token_version
             FROM users WHERE username = ?1",
            [username],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    let secret = match sealed.as_str() {
        "" => String::new(),
        _ => s
            .app
            .secret_key
            .open(&sealed, &id)
            .expect("a sealed secret"),
    };
    (enabled, secret, step, version)
}

fn recovery_rows(s: &TestServer) -> Vec<(String, Option<i64>)> {
    let conn = s.db();
    let mut stmt = conn
        .prepare("SELECT code_hash, used_at FROM two_factor_recovery_codes")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn user_id(c: &Client) -> String {
    c.get("/api/profile").json()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The first login step; returns the challenge token.
fn challenge(s: &TestServer, username: &str) -> String {
    let r = s.client().login(username, PASSWORD);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["requires_2fa"], true);
    r.json()["two_factor_token"].as_str().unwrap().to_string()
}

fn second_step(c: &Client, token: &str, code: &str) -> common::Resp {
    c.post(
        "/api/login/2fa",
        json!({"two_factor_token": token, "code": code}),
    )
}

// ── setup and enable ───────────────────────────────────────────────────────────

#[test]
fn setup_returns_secret_qr_code_and_token_and_writes_nothing() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let before = user_row(&s, "alice");
    let r = c.post("/api/2fa/setup", json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    let b = r.json();
    let secret = b["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 32, "160 bits in base32");
    assert_eq!(base32_decode(secret).len(), 20);
    assert_eq!(
        b["otpauth_url"],
        format!("otpauth://totp/MiauInv:alice?secret={secret}&issuer=MiauInv")
    );
    let png = b["qr_code"]
        .as_str()
        .unwrap()
        .strip_prefix("data:image/png;base64,")
        .expect("a PNG data URL");
    use base64::Engine;
    let png = base64::engine::general_purpose::STANDARD
        .decode(png)
        .unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(b["setup_token"].as_str().unwrap().len() > 40);
    assert_eq!(b["expires_in"], 600);

    // Nothing stored: not the secret, not the flag, no recovery codes.
    assert_eq!(user_row(&s, "alice"), before);
    assert_eq!(before.1, "");
    assert!(recovery_rows(&s).is_empty());
    assert_eq!(c.get("/api/profile").json()["two_factor_enabled"], false);
    // Every setup is a new secret.
    assert_ne!(setup(&c).0, secret);
    // Anonymous callers get nothing.
    assert_eq!(s.client().post("/api/2fa/setup", json!({})).status, 401);
}

#[test]
fn enable_stores_the_secret_returns_recovery_codes_once_and_a_new_session() {
    let s = TestServer::start();
    let c = s.client();
    c.register("alice", PASSWORD);
    let login = c.login("alice", PASSWORD).json();
    let old_access = login["access_token"].as_str().unwrap().to_string();
    let old_refresh = login["refresh_token"].as_str().unwrap().to_string();
    // A second device, logged in before 2FA was turned on.
    let other = s.client();
    assert_eq!(other.login("alice", PASSWORD).status, 200);

    let (secret, token) = setup(&c);
    let mut app = Authenticator::new(&secret);
    let r = c.post(
        "/api/2fa/enable",
        json!({"setup_token": token, "code": app.next_code()}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let b = r.json();
    assert_eq!(b["user"]["two_factor_enabled"], true);
    let new_access = b["access_token"].as_str().unwrap();
    assert_ne!(new_access, old_access);
    assert!(b["refresh_token"].as_str().unwrap().len() >= 43);
    assert_eq!(r.headers_named("set-cookie").len(), 2);

    let codes: Vec<&str> = b["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(codes.len(), 10);
    assert_eq!(codes.iter().collect::<HashSet<_>>().len(), 10);
    for code in &codes {
        let groups: Vec<&str> = code.split('-').collect();
        assert_eq!(groups.len(), 4, "{code}");
        assert!(groups.iter().all(|g| {
            g.len() == 5
                && g.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        }));
    }

    // Stored: the secret, the flag, the step of the confirming code, and the
    // codes only as keyed hashes (HMAC-SHA-256 under the server's key) of the
    // SHA-256 of their normalised form.
    let (enabled, stored_secret, last_step, _) = user_row(&s, "alice");
    assert_eq!((enabled, stored_secret.as_str()), (1, secret.as_str()));
    assert_eq!(last_step, app.last_step);
    let rows = recovery_rows(&s);
    let hashes: HashSet<String> = rows.iter().map(|(h, _)| h.clone()).collect();
    for code in &codes {
        let bare = miauinv::crypto::sha256_hex(&code.replace('-', ""));
        assert!(hashes.contains(&s.app.secret_key.keyed_hash(&bare)));
    }
    assert!(rows.iter().all(|(_, used)| used.is_none()));
    let raw = std::fs::read(s.db_path()).unwrap();
    let wal = std::fs::read(s.db_path().with_extension("db-wal")).unwrap_or_default();
    for code in &codes {
        for hay in [&raw, &wal] {
            assert!(!hay.windows(code.len()).any(|w| w == code.as_bytes()));
        }
    }

    // The new session works (cookie and bearer); the profile counts the codes.
    let p = c.get("/api/profile").json();
    assert_eq!(p["two_factor_enabled"], true);
    assert_eq!(p["recovery_codes_remaining"], 10);
    let mut bearer = s.client();
    bearer.bearer = Some(new_access.to_string());
    assert_eq!(bearer.get("/api/profile").status, 200);
    // Every older session is dead: access tokens and refresh tokens.
    bearer.bearer = Some(old_access);
    assert_eq!(bearer.get("/api/profile").status, 401);
    assert_eq!(other.get("/api/profile").status, 401);
    let r = s
        .client()
        .post("/api/refresh", json!({"refresh_token": old_refresh}));
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(other.post("/api/refresh", json!({})).status, 401);
}

#[test]
fn enable_refuses_wrong_codes_and_expired_wrong_purpose_or_foreign_tokens() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let bob = Client::signed_up(&s, "bob");
    let id = user_id(&c);
    let (secret, token) = setup(&c);
    let app = Authenticator::new(&secret);
    let (_, _, _, version) = user_row(&s, "alice");
    let keys = &s.app.keys;
    let fresh = || {
        let (current, _) = now();
        app.code_at(current)
    };
    let attempt = |token: &str, code: &str| {
        c.post(
            "/api/2fa/enable",
            json!({"setup_token": token, "code": code}),
        )
    };

    let r = attempt(&token, &app.wrong_code());
    assert_eq!(
        (r.status, r.code()),
        (401, "invalid_code".into()),
        "{}",
        r.text
    );
    assert_eq!(r.json()["field"], "code");

    let expired = keys
        .purpose_token(
            &id,
            "admin",
            version,
            "2fa_setup",
            -60,
            Some(secret.clone()),
        )
        .unwrap();
    let login_purpose = keys
        .purpose_token(
            &id,
            "admin",
            version,
            "2fa_login",
            300,
            Some(secret.clone()),
        )
        .unwrap();
    let access = keys
        .access_token(&id, "admin", version, "any-session")
        .unwrap();
    let stale = keys
        .purpose_token(
            &id,
            "admin",
            version - 1,
            "2fa_setup",
            300,
            Some(secret.clone()),
        )
        .unwrap();
    let no_secret = keys
        .purpose_token(&id, "admin", version, "2fa_setup", 300, None)
        .unwrap();
    let (bob_secret, bob_token) = setup(&bob);
    let bob_code = Authenticator::new(&bob_secret).code_at(now().0);
    for (name, t, code) in [
        ("expired", expired, fresh()),
        ("2fa_login purpose", login_purpose, fresh()),
        ("access token", access, fresh()),
        ("older token version", stale, fresh()),
        ("no secret claim", no_secret, fresh()),
        ("another user's", bob_token, bob_code),
        ("garbage", "not-a-jwt".to_string(), fresh()),
    ] {
        let r = attempt(&t, &code);
        assert_eq!(r.status, 401, "{name}: {}", r.text);
        assert_eq!(r.code(), "invalid_token", "{name}");
    }

    let r = attempt(&token, "   ");
    assert_eq!((r.status, r.json()["field"].clone()), (400, json!("code")));
    let r = c.post(
        "/api/2fa/enable",
        json!({"setup_token": token, "code": fresh(), "extra": 1}),
    );
    assert_eq!(r.status, 400, "{}", r.text);
    let r = c.post("/api/2fa/enable", json!({"code": fresh()}));
    assert_eq!(r.status, 400, "{}", r.text);

    // None of it changed anything.
    assert_eq!(user_row(&s, "alice"), (0, String::new(), 0, version));
    assert!(recovery_rows(&s).is_empty());
    assert_eq!(user_row(&s, "bob").0, 0);
}

#[test]
fn enabling_twice_is_a_conflict() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let (secret, token) = setup(&c);
    let mut app = Authenticator::new(&secret);
    let code = app.next_code();
    let r = c.post(
        "/api/2fa/enable",
        json!({"setup_token": token, "code": code}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let r = c.post("/api/2fa/setup", json!({}));
    assert_eq!(
        (r.status, r.code()),
        (409, "two_factor_already_enabled".into())
    );
    let r = c.post(
        "/api/2fa/enable",
        json!({"setup_token": token, "code": app.next_code()}),
    );
    assert_eq!(
        (r.status, r.code()),
        (409, "two_factor_already_enabled".into())
    );
    assert_eq!(user_row(&s, "alice").1, secret);
}

// ── the two-step login ─────────────────────────────────────────────────────────

#[test]
fn login_takes_two_steps_and_a_totp_code_is_accepted_only_once() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let mut app = enable(&c).app;
    let enable_code = app.code_at(app.last_step);

    // Step one: the right password yields a challenge and no session.
    let web = s.client();
    let r = web.login("alice", PASSWORD);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["requires_2fa"], true);
    assert!(r.json().get("access_token").is_none());
    assert!(r.headers_named("set-cookie").is_empty());
    assert_eq!(web.get("/api/profile").status, 401);
    let token = r.json()["two_factor_token"].as_str().unwrap().to_string();

    // The code that confirmed the setup cannot log in.
    let r = second_step(&web, &token, &enable_code);
    assert_eq!(
        (r.status, r.code()),
        (401, "code_already_used".into()),
        "{}",
        r.text
    );

    let code = app.next_code();
    let r = second_step(&web, &token, &code);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["user"]["username"], "alice");
    assert!(r.json()["access_token"].as_str().is_some());
    assert!(r.json().get("used_recovery_code").is_none());
    assert_eq!(r.headers_named("set-cookie").len(), 2);
    assert_eq!(web.get("/api/profile").status, 200);
    assert_eq!(user_row(&s, "alice").2, app.last_step);

    // Replaying the code that just logged in fails, on a new challenge too.
    let again = challenge(&s, "alice");
    let r = second_step(&s.client(), &again, &code);
    assert_eq!(
        (r.status, r.code()),
        (401, "code_already_used".into()),
        "{}",
        r.text
    );
    // A fresh code works on that challenge.
    let r = second_step(&s.client(), &again, &app.next_code());
    assert_eq!(r.status, 200, "{}", r.text);
}

#[test]
fn second_step_refuses_wrong_expired_and_wrong_purpose_tokens() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let Enabled {
        app,
        answer: enabled,
        ..
    } = enable(&c);
    let id = enabled["user"]["id"].as_str().unwrap().to_string();
    let (_, secret, _, version) = user_row(&s, "alice");
    let keys = &s.app.keys;
    let code = app.code_at(now().0 + 1);
    let web = s.client();
    for (name, t) in [
        (
            "expired",
            keys.purpose_token(&id, "admin", version, "2fa_login", -60, None)
                .unwrap(),
        ),
        (
            "2fa_setup purpose",
            keys.purpose_token(&id, "admin", version, "2fa_setup", 300, Some(secret))
                .unwrap(),
        ),
        (
            "access token",
            keys.access_token(&id, "admin", version, "any-session")
                .unwrap(),
        ),
        (
            "older token version",
            keys.purpose_token(&id, "admin", version - 1, "2fa_login", 300, None)
                .unwrap(),
        ),
        ("garbage", "x.y.z".to_string()),
    ] {
        let r = second_step(&web, &t, &code);
        assert_eq!(r.status, 401, "{name}: {}", r.text);
        assert_eq!(r.code(), "invalid_token", "{name}");
    }
    let token = challenge(&s, "alice");
    let r = second_step(&web, &token, &app.wrong_code());
    assert_eq!((r.status, r.code()), (401, "invalid_code".into()));
    let r = second_step(&web, &token, "");
    assert_eq!((r.status, r.json()["field"].clone()), (400, json!("code")));
    let r = web.post(
        "/api/login/2fa",
        json!({"two_factor_token": token, "code": code, "remember": true}),
    );
    assert_eq!(r.status, 400);
    assert_eq!(web.get("/api/profile").status, 401);
    // None of the refused attempts used up the code.
    assert_eq!(second_step(&web, &token, &code).status, 200);
}

#[test]
fn a_password_change_kills_a_pending_login_challenge() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let mut app = enable(&c).app;
    let token = challenge(&s, "alice");
    let r = c.post(
        "/api/account/password",
        json!({"old_password": PASSWORD, "new_password": "another long password"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let r = second_step(&s.client(), &token, &app.next_code());
    assert_eq!(
        (r.status, r.code()),
        (401, "invalid_token".into()),
        "{}",
        r.text
    );
}

#[test]
fn parallel_logins_with_one_totp_code_let_exactly_one_in() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let mut app = enable(&c).app;
    let tokens: Vec<String> = (0..3).map(|_| challenge(&s, "alice")).collect();
    let code = app.next_code();
    let barrier = std::sync::Barrier::new(tokens.len());
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = tokens
            .iter()
            .map(|t| {
                let (barrier, code, base) = (&barrier, &code, &s.base);
                scope.spawn(move || {
                    let client = Client::new(base);
                    barrier.wait();
                    second_step(&client, t, code)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                let r = h.join().unwrap();
                assert!(
                    r.status == 200 || r.code() == "code_already_used",
                    "{}",
                    r.text
                );
                r.status
            })
            .collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
}

// ── recovery codes ─────────────────────────────────────────────────────────────

#[test]
fn a_recovery_code_logs_in_once_in_any_spelling() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let codes = enable(&c).recovery_codes;

    // Uppercase, spaces instead of hyphens.
    let spelled = codes[0].to_uppercase().replace('-', " ");
    let web = s.client();
    let r = second_step(&web, &challenge(&s, "alice"), &spelled);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["used_recovery_code"], true);
    assert_eq!(r.json()["recovery_codes_remaining"], 9);
    assert_eq!(web.get("/api/profile").status, 200);

    // The same code again, in its original spelling: refused.
    let r = second_step(&s.client(), &challenge(&s, "alice"), &codes[0]);
    assert_eq!(
        (r.status, r.code()),
        (401, "invalid_code".into()),
        "{}",
        r.text
    );

    // No separators at all, mixed case, padded.
    let bare = format!(" {} ", codes[1].replace('-', "").to_uppercase());
    let r = second_step(&s.client(), &challenge(&s, "alice"), &bare);
    assert_eq!(r.status, 200, "{}", r.text);
    // Hyphens in odd places.
    let odd = codes[2]
        .replace('-', "")
        .chars()
        .flat_map(|ch| [ch, '-'])
        .collect::<String>();
    let r = second_step(&s.client(), &challenge(&s, "alice"), &odd);
    assert_eq!(r.status, 200, "{}", r.text);

    assert_eq!(c.get("/api/profile").json()["recovery_codes_remaining"], 7);
    let used = recovery_rows(&s)
        .iter()
        .filter(|(_, u)| u.is_some())
        .count();
    assert_eq!(used, 3);
}

#[test]
fn two_parallel_logins_racing_for_one_recovery_code_exactly_one_wins() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let codes = enable(&c).recovery_codes;
    for (round, racers) in [(0usize, 2usize), (1, 4)] {
        let tokens: Vec<String> = (0..racers).map(|_| challenge(&s, "alice")).collect();
        let barrier = std::sync::Barrier::new(racers);
        let statuses: Vec<u16> = std::thread::scope(|scope| {
            let handles: Vec<_> = tokens
                .iter()
                .map(|t| {
                    let (barrier, code, base) = (&barrier, &codes[round], &s.base);
                    scope.spawn(move || {
                        let client = Client::new(base);
                        barrier.wait();
                        second_step(&client, t, code).status
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let wins = statuses.iter().filter(|s| **s == 200).count();
        assert_eq!(wins, 1, "round {round}: {statuses:?}");
        assert!(
            statuses.iter().all(|s| *s == 200 || *s == 401),
            "{statuses:?}"
        );
    }
    assert_eq!(c.get("/api/profile").json()["recovery_codes_remaining"], 8);
}

// ── disable and regenerate ─────────────────────────────────────────────────────

#[test]
fn disable_needs_password_and_a_current_code_and_ends_every_session() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let mut app = enable(&c).app;
    let enable_code = app.code_at(app.last_step);
    let other = s.client();
    let r = second_step(&other, &challenge(&s, "alice"), &app.next_code());
    assert_eq!(r.status, 200, "{}", r.text);

    let disable = |password: &str, code: &str| {
        c.post(
            "/api/2fa/disable",
            json!({"password": password, "code": code}),
        )
    };
    let r = disable("wrong password!", "123456");
    assert_eq!(
        (r.status, r.code()),
        (401, "wrong_password".into()),
        "{}",
        r.text
    );
    let r = disable(PASSWORD, &app.wrong_code());
    assert_eq!(
        (r.status, r.code()),
        (401, "invalid_code".into()),
        "{}",
        r.text
    );
    let r = disable(PASSWORD, &enable_code);
    assert_eq!(
        (r.status, r.code()),
        (401, "code_already_used".into()),
        "{}",
        r.text
    );
    let r = disable(PASSWORD, "");
    assert_eq!(r.status, 400, "{}", r.text);
    let r = c.post("/api/2fa/disable", json!({"password": PASSWORD}));
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(user_row(&s, "alice").0, 1);

    let r = disable(PASSWORD, &app.next_code());
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["two_factor_enabled"], false);
    let cleared = r.headers_named("set-cookie");
    assert_eq!(cleared.len(), 2);
    assert!(
        cleared.iter().all(|c| c.contains("Max-Age=0")),
        "{cleared:?}"
    );

    // Every session is over, here and on the other device.
    assert_eq!(c.get("/api/profile").status, 401);
    assert_eq!(other.get("/api/profile").status, 401);
    assert_eq!(other.post("/api/refresh", json!({})).status, 401);
    let (enabled, secret, last_step, _) = user_row(&s, "alice");
    assert_eq!((enabled, secret.as_str(), last_step), (0, "", 0));
    assert!(recovery_rows(&s).is_empty());

    // A password alone logs in again; disabling again is a clear conflict.
    let r = c.login("alice", PASSWORD);
    assert!(r.json()["access_token"].as_str().is_some(), "{}", r.text);
    let r = disable(PASSWORD, "123456");
    assert_eq!((r.status, r.code()), (409, "two_factor_not_enabled".into()));
}

#[test]
fn regenerating_recovery_codes_needs_password_and_code_and_voids_the_old_set() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let Enabled {
        mut app,
        recovery_codes: old_codes,
        ..
    } = enable(&c);
    let regenerate = |password: &str, code: &str| {
        c.post(
            "/api/2fa/recovery-codes/regenerate",
            json!({"password": password, "code": code}),
        )
    };
    let r = regenerate("wrong password!", "123456");
    assert_eq!(
        (r.status, r.code()),
        (401, "wrong_password".into()),
        "{}",
        r.text
    );
    let r = regenerate(PASSWORD, &app.wrong_code());
    assert_eq!(
        (r.status, r.code()),
        (401, "invalid_code".into()),
        "{}",
        r.text
    );
    // A recovery code is not a TOTP code.
    let r = regenerate(PASSWORD, &old_codes[9]);
    assert_eq!(
        (r.status, r.code()),
        (401, "invalid_code".into()),
        "{}",
        r.text
    );

    let r = regenerate(PASSWORD, &app.next_code());
    assert_eq!(r.status, 200, "{}", r.text);
    let new_codes: Vec<String> = r.json()["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(new_codes.len(), 10);
    assert!(new_codes.iter().all(|n| !old_codes.contains(n)));
    assert_eq!(recovery_rows(&s).len(), 10);
    assert_eq!(c.get("/api/profile").json()["recovery_codes_remaining"], 10);
    // The session survives regeneration.
    assert_eq!(c.get("/api/profile").status, 200);

    let r = second_step(&s.client(), &challenge(&s, "alice"), &old_codes[0]);
    assert_eq!((r.status, r.code()), (401, "invalid_code".into()));
    let r = second_step(&s.client(), &challenge(&s, "alice"), &new_codes[0]);
    assert_eq!(r.status, 200, "{}", r.text);

    // An account without 2FA has nothing to regenerate.
    let bob = Client::signed_up(&s, "bob");
    let r = bob.post(
        "/api/2fa/recovery-codes/regenerate",
        json!({"password": PASSWORD, "code": "123456"}),
    );
    assert_eq!((r.status, r.code()), (409, "two_factor_not_enabled".into()));
}

// ── rate limits ────────────────────────────────────────────────────────────────

#[test]
fn wrong_codes_are_limited_per_account_and_then_even_a_right_code_waits() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let Enabled {
        mut app,
        recovery_codes: codes,
        ..
    } = enable(&c);
    let token = challenge(&s, "alice");
    let web = s.client();
    for i in 0..5 {
        let r = second_step(&web, &token, &app.wrong_code());
        assert_eq!(r.status, 401, "attempt {i}: {}", r.text);
    }
    let right = app.next_code();
    let r = second_step(&web, &token, &right);
    assert_eq!(
        (r.status, r.code()),
        (429, "rate_limited".into()),
        "{}",
        r.text
    );
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!(wait > 0 && wait <= 300, "{wait}");
    // A recovery code, and the account's other code checks, wait as well.
    assert_eq!(second_step(&web, &token, &codes[0]).status, 429);
    let r = c.post(
        "/api/2fa/recovery-codes/regenerate",
        json!({"password": PASSWORD, "code": right}),
    );
    assert_eq!(r.status, 429, "{}", r.text);
    // Nothing was used up while limited.
    assert_eq!(c.get("/api/profile").json()["recovery_codes_remaining"], 10);
    assert!(user_row(&s, "alice").2 < app.last_step);

    // Another account is not affected.
    let bob = Client::signed_up(&s, "bob");
    let (bob_secret, bob_token) = setup(&bob);
    let r = bob.post(
        "/api/2fa/enable",
        json!({"setup_token": bob_token, "code": Authenticator::new(&bob_secret).next_code()}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
}

#[test]
fn successful_codes_do_not_count_toward_the_limit() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let codes = enable(&c).recovery_codes;
    // Six recovery-code logins in a row (more than the five failures allowed).
    for code in &codes[..6] {
        let r = second_step(&s.client(), &challenge(&s, "alice"), code);
        assert_eq!(r.status, 200, "{}", r.text);
    }
}

#[test]
fn the_second_step_is_limited_per_client_address() {
    let s = TestServer::start();
    let web = s.client();
    let mut statuses = Vec::new();
    for _ in 0..21 {
        statuses.push(second_step(&web, "not-a-token", "123456").status);
    }
    assert!(statuses[..20].iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(statuses[20], 429);
}

// ── the administrator's way out ────────────────────────────────────────────────

#[test]
fn the_disable_2fa_command_lets_a_locked_out_user_in_with_the_password_alone() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    enable(&c);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_miauinv"))
        .arg("--config")
        .arg(s.dir.path().join("config.yaml"))
        .args(["disable-2fa", "Alice"])
        .env(
            "JWT_SECRET",
            "another-secret-that-is-at-least-32-characters",
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(user_row(&s, "alice").0, 0);
    assert!(recovery_rows(&s).is_empty());
    // The running server's sessions of that account are over.
    assert_eq!(c.get("/api/profile").status, 401);
    let r = s.client().login("alice", PASSWORD);
    assert!(r.json()["access_token"].as_str().is_some(), "{}", r.text);

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_miauinv"))
        .arg("--config")
        .arg(s.dir.path().join("config.yaml"))
        .args(["disable-2fa", "nobody"])
        .env(
            "JWT_SECRET",
            "another-secret-that-is-at-least-32-characters",
        )
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no account named 'nobody'"));
}
