//! Signing up and in: the first admin, validation, cookies, bearer tokens, refresh tokens.

use super::*;

#[test]
fn first_account_is_admin_and_later_ones_are_users() {
    let s = TestServer::start();
    let c = s.client();
    let a = c.register("  Alice ", PASSWORD);
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(a.json()["username"], "alice");
    assert_eq!(a.json()["role"], "admin");
    assert!(a.json()["id"].as_str().is_some());
    assert!(a.json().get("password").is_none());
    let b = c.register("bob", PASSWORD);
    assert_eq!(b.json()["role"], "editor");
    let dup = c.register("ALICE", PASSWORD);
    assert_eq!(dup.status, 409);
    assert_eq!(dup.code(), "username_taken");
}

#[test]
fn usernames_and_passwords_are_validated_with_clear_messages() {
    let s = TestServer::start();
    let c = s.client();
    for (name, pw, field) in [
        ("ab", PASSWORD, "username"),
        ("has space", PASSWORD, "username"),
        ("emoji😀", PASSWORD, "username"),
        // The Kelvin sign lowercases to `k`, but it is no letter a-z (the
        // document's pattern says so too).
        ("\u{212A}elvin", PASSWORD, "username"),
        (&"x".repeat(33), PASSWORD, "username"),
        // 33 characters as sent: the limit is on the text given, before trimming.
        (&format!(" {} ", "x".repeat(31)), PASSWORD, "username"),
        ("carol", "short", "password"),
    ] {
        let r = c.register(name, pw);
        assert_eq!(r.status, 400, "{name}: {}", r.text);
        assert_eq!(r.json()["field"], field, "{}", r.text);
        assert!(!r.json()["error"].as_str().unwrap().is_empty());
    }
    let long = "é".repeat(37); // 74 bytes > bcrypt's 72
    let r = c.register("carol", &long);
    assert_eq!(r.status, 400);
    assert!(r.json()["error"].as_str().unwrap().contains("72 bytes"));
}

#[test]
fn login_sets_http_only_strict_cookies_and_returns_tokens() {
    let s = TestServer::start();
    let c = s.client();
    c.register("alice", PASSWORD);
    let r = c.login("Alice", PASSWORD);
    assert_eq!(r.status, 200, "{}", r.text);
    let body = r.json();
    assert!(body["access_token"].as_str().unwrap().len() > 20);
    assert!(body["refresh_token"].as_str().unwrap().len() >= 43);
    assert_eq!(body["user"]["username"], "alice");
    assert_eq!(body["user"]["role"], "admin");
    let cookies = r.headers_named("set-cookie");
    assert_eq!(cookies.len(), 2);
    for c in &cookies {
        assert!(c.contains("HttpOnly"), "{c}");
        assert!(c.contains("SameSite=Strict"), "{c}");
        assert!(!c.contains("Secure"), "plain HTTP must not set Secure: {c}");
    }
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("refresh_token=") && c.contains("Path=/api"))
    );
    // The cookie alone authenticates.
    let p = c.get("/api/profile");
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(p.json()["username"], "alice");
    assert_eq!(p.json()["two_factor_enabled"], false);
    assert_eq!(p.json()["recovery_codes_remaining"], 0);
    assert_eq!(c.get("/api/userinfo").json()["id"], p.json()["id"]);
}

#[test]
fn secure_cookie_when_a_trusted_proxy_says_https() {
    let s = TestServer::start_with("trusted_proxies: [\"127.0.0.1\"]\n");
    let c = s.client();
    c.register("alice", PASSWORD);
    let r = c.send_with(
        "POST",
        "/api/login",
        Some(json!({"username": "alice", "password": PASSWORD})),
        &[("X-Forwarded-Proto", "https")],
    );
    assert_eq!(r.status, 200);
    assert!(
        r.headers_named("set-cookie")
            .iter()
            .all(|c| c.contains("; Secure"))
    );
    assert!(r.header("strict-transport-security").is_some());
}

#[test]
fn wrong_password_and_unknown_user_look_the_same() {
    let s = TestServer::start();
    let c = s.client();
    c.register("alice", PASSWORD);
    let a = c.login("alice", "wrong password");
    let b = c.login("nobody", "wrong password");
    assert_eq!(a.status, 401);
    assert_eq!(b.status, 401);
    assert_eq!(a.json(), b.json());
}

#[test]
fn bearer_header_authenticates_and_wins_over_cookie() {
    let s = TestServer::start();
    let alice = Client::signed_up(&s, "alice");
    let bob_login = {
        let b = s.client();
        b.register("bob", PASSWORD);
        b.login("bob", PASSWORD).json()
    };
    let mut c = s.client();
    c.bearer = Some(bob_login["access_token"].as_str().unwrap().to_string());
    assert_eq!(c.get("/api/profile").json()["username"], "bob");
    // alice's client has a cookie; adding bob's bearer must give bob.
    let r = alice.send_with(
        "GET",
        "/api/profile",
        None,
        &[(
            "Authorization",
            &format!("Bearer {}", bob_login["access_token"].as_str().unwrap()),
        )],
    );
    assert_eq!(r.json()["username"], "bob");
}

#[test]
fn refresh_token_rotates_and_is_single_use() {
    let s = TestServer::start();
    let c = s.client();
    c.register("alice", PASSWORD);
    let first = c.login("alice", PASSWORD).json();
    let rt = first["refresh_token"].as_str().unwrap().to_string();
    let anon = s.client();
    let r = anon.post("/api/refresh", json!({"refresh_token": rt}));
    assert_eq!(r.status, 200, "{}", r.text);
    let second = r.json();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(second["user"]["username"], "alice");
    // The used token is dead. Presented again at once (two tabs waking
    // together), it is refused without ending the new session...
    let again = anon.post("/api/refresh", json!({"refresh_token": rt}));
    assert_eq!(again.status, 401);
    assert_eq!(again.code(), "refresh_superseded");
    let live = anon.send_with(
        "GET",
        "/api/profile",
        None,
        &[(
            "Authorization",
            &format!("Bearer {}", second["access_token"].as_str().unwrap()),
        )],
    );
    assert_eq!(live.status, 200, "a parallel refresh ended the session");
    // ...but presented after the grace period, it counts as theft: its reuse
    // revokes the whole family, including the rotated one. (The rotation is
    // moved back in the real database file instead of waiting.)
    let db = rusqlite::Connection::open(s.db_path()).unwrap();
    db.execute(
        "UPDATE refresh_tokens SET revoked_at = revoked_at - 60 WHERE revoked = 1",
        [],
    )
    .unwrap();
    let stolen = anon.post("/api/refresh", json!({"refresh_token": rt}));
    assert_eq!(stolen.status, 401);
    assert_eq!(stolen.code(), "invalid_refresh_token");
    let third = anon.post(
        "/api/refresh",
        json!({"refresh_token": second["refresh_token"]}),
    );
    assert_eq!(third.status, 401);
}

#[test]
fn refresh_reads_the_cookie_when_no_body_is_sent() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let r = c.send("POST", "/api/refresh", None);
    assert_eq!(r.status, 200, "{}", r.text);
    let r2 = c.send("POST", "/api/refresh", None);
    assert_eq!(
        r2.status, 200,
        "the jar holds the rotated cookie: {}",
        r2.text
    );
}

#[test]
fn refresh_tokens_are_stored_only_as_hashes_with_device_info() {
    let s = TestServer::start();
    let c = s.client();
    c.register("alice", PASSWORD);
    let body = c
        .send_with(
            "POST",
            "/api/login",
            Some(json!({"username": "alice", "password": PASSWORD})),
            &[("User-Agent", "TestAgent/1.0")],
        )
        .json();
    let rt = body["refresh_token"].as_str().unwrap();
    let db = rusqlite::Connection::open(s.db_path()).unwrap();
    let (hash, device): (String, String) = db
        .query_row(
            "SELECT token_hash, device_info FROM refresh_tokens",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_ne!(hash, rt);
    assert!(!hash.contains(rt));
    assert_eq!(hash.len(), 64);
    assert_eq!(device, "TestAgent/1.0");
}

#[test]
fn concurrent_first_registrations_yield_exactly_one_admin() {
    let s = TestServer::start();
    let base = s.base.clone();
    let handles: Vec<_> = (0..6)
        .map(|i| {
            let base = base.clone();
            std::thread::spawn(move || {
                Client::new(&base)
                    .register(&format!("user{i}"), PASSWORD)
                    .json()
            })
        })
        .collect();
    let roles: Vec<String> = handles
        .into_iter()
        .map(|h| h.join().unwrap()["role"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        roles.iter().filter(|r| *r == "admin").count(),
        1,
        "{roles:?}"
    );
}
