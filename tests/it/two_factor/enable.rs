//! Setting 2FA up and turning it on.

use super::*;

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
