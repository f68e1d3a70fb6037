//! The account core end to end: registration, login, refresh rotation,
//! revocation, cookies, rate limits and the API's error contract.

use crate::common;
use common::{Client, PASSWORD, TestServer};
use serde_json::json;

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
fn password_change_revokes_every_session_and_issues_a_new_one() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let other = s.client();
    let other_login = other.login("alice", PASSWORD).json();
    let wrong = c.post(
        "/api/account/password",
        json!({"old_password": "nope nope", "new_password": "new password 123"}),
    );
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.json()["field"], "old_password");
    let short = c.post(
        "/api/account/password",
        json!({"old_password": PASSWORD, "new_password": "short"}),
    );
    assert_eq!(short.status, 400);
    let r = c.post(
        "/api/account/password",
        json!({"old_password": PASSWORD, "new_password": "new password 123"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.json()["access_token"].is_string());
    // This browser keeps working with the new session.
    assert_eq!(c.get("/api/profile").status, 200);
    // The other device is logged out: refresh token and access token both dead.
    assert_eq!(other.get("/api/profile").status, 401);
    let rr = other.post(
        "/api/refresh",
        json!({"refresh_token": other_login["refresh_token"]}),
    );
    assert_eq!(rr.status, 401);
    assert_eq!(s.client().login("alice", PASSWORD).status, 401);
    assert_eq!(s.client().login("alice", "new password 123").status, 200);
}

#[test]
fn username_change_needs_the_password() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    Client::signed_up(&s, "bob");
    let r = c.post(
        "/api/account/username",
        json!({"username": "alicia", "password": "bad password"}),
    );
    assert_eq!(r.status, 401);
    let r = c.post(
        "/api/account/username",
        json!({"username": "bob", "password": PASSWORD}),
    );
    assert_eq!(r.status, 409);
    let r = c.post(
        "/api/account/username",
        json!({"username": " Alicia ", "password": PASSWORD}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["username"], "alicia");
    assert_eq!(s.client().login("alicia", PASSWORD).status, 200);
}

#[test]
fn logout_revokes_refresh_tokens_and_clears_cookies() {
    let s = TestServer::start();
    let c = s.client();
    c.register("alice", PASSWORD);
    let login = c.login("alice", PASSWORD).json();
    let r = c.send("POST", "/api/logout", None);
    assert_eq!(r.status, 200, "{}", r.text);
    let cookies = r.headers_named("set-cookie");
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("access_token=;") && c.contains("Max-Age=0"))
    );
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("refresh_token=;") && c.contains("Max-Age=0"))
    );
    let rr = s.client().post(
        "/api/refresh",
        json!({"refresh_token": login["refresh_token"]}),
    );
    assert_eq!(rr.status, 401);
    let mut b = s.client();
    b.bearer = login["access_token"].as_str().map(String::from);
    assert_eq!(
        b.get("/api/profile").status,
        401,
        "access token dies with logout"
    );
}

#[test]
fn tampered_expired_or_purpose_tokens_are_not_access_tokens() {
    let s = TestServer::start();
    let c = s.client();
    c.register("alice", PASSWORD);
    let token = c.login("alice", PASSWORD).json()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let mut bad = s.client();
    let mut chars: Vec<char> = token.chars().collect();
    let last = chars.len() - 2;
    chars[last] = if chars[last] == 'A' { 'B' } else { 'A' };
    bad.bearer = Some(chars.into_iter().collect());
    assert_eq!(bad.get("/api/profile").status, 401);
    let user_id = c.get("/api/profile").json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let purpose = s
        .app
        .keys
        .purpose_token(&user_id, "admin", 0, "2fa_login", 300, None)
        .unwrap();
    bad.bearer = Some(purpose);
    assert_eq!(bad.get("/api/profile").status, 401);
}

#[test]
fn pages_redirect_to_login_and_clear_a_bad_cookie() {
    let s = TestServer::start();
    let c = s.client();
    let r = c.get("/profile/settings");
    assert_eq!(r.status, 303);
    assert_eq!(
        r.header("location"),
        Some("/login?next=%2Fprofile%2Fsettings")
    );
    let r = c.send_with(
        "GET",
        "/profile/settings",
        None,
        &[("Cookie", "access_token=garbage")],
    );
    assert_eq!(r.status, 303);
    assert!(
        r.headers_named("set-cookie")
            .iter()
            .any(|c| c.starts_with("access_token=;"))
    );
    let api = c.get("/api/profile");
    assert_eq!(api.status, 401);
    assert_eq!(
        api.header("content-type"),
        Some("application/json; charset=utf-8")
    );
}

#[test]
fn login_is_rate_limited_per_account_and_address_with_retry_after() {
    let s = TestServer::start();
    let c = s.client();
    c.register("alice", PASSWORD);
    let mut limited = None;
    for _ in 0..12 {
        let r = c.login("alice", "wrong password");
        if r.status == 429 {
            limited = Some(r);
            break;
        }
        assert_eq!(r.status, 401);
    }
    let r = limited.expect("rate limit reached");
    assert_eq!(r.code(), "rate_limited");
    assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() > 0);
    // Even the right password is refused while limited.
    assert_eq!(c.login("alice", PASSWORD).status, 429);
}

#[test]
fn registration_is_rate_limited_per_address() {
    let s = TestServer::start();
    let c = s.client();
    let statuses: Vec<u16> = (0..12)
        .map(|i| c.register(&format!("user{i}"), PASSWORD).status)
        .collect();
    assert!(statuses.contains(&429), "{statuses:?}");
}

#[test]
fn registration_closed_removes_the_route_and_shows_a_page() {
    let s = TestServer::start_with("allow_registration: false\n");
    let c = s.client();
    let r = c.register("alice", PASSWORD);
    assert_eq!(r.status, 404);
    assert_eq!(r.code(), "not_found");
    let page = c.get("/register");
    assert_eq!(page.status, 200);
    assert!(page.text.contains("Registration is closed"));
}

#[test]
fn error_contract_statuses() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    // 400 malformed JSON
    let r = c.send_with(
        "POST",
        "/api/login",
        None,
        &[("Content-Type", "application/json")],
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.code(), "invalid_json");
    // 400 unknown field, named
    let r = c.post(
        "/api/login",
        json!({"username": "a", "password": "b", "admin": true}),
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.code(), "unknown_field");
    assert_eq!(r.json()["field"], "admin");
    // 400 missing field
    let r = c.post("/api/login", json!({"username": "a"}));
    assert_eq!(r.code(), "missing_field");
    // 415 wrong content type
    let r = c.send_with(
        "POST",
        "/api/login",
        Some(json!({})),
        &[("Content-Type", "text/plain")],
    );
    assert_eq!(r.status, 415);
    // 404 JSON for API, HTML for pages
    let r = c.get("/api/nothing");
    assert_eq!(r.status, 404);
    assert_eq!(r.code(), "not_found");
    let r = c.get("/nothing");
    assert_eq!(r.status, 404);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    // 405 with Allow
    let r = c.send("DELETE", "/api/login", None);
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("POST"));
    // 413 body over 1 MiB
    let big = "x".repeat(1024 * 1024 + 10);
    let r = c.send(
        "POST",
        "/api/login",
        Some(json!({"username": big, "password": "x"})),
    );
    assert_eq!(r.status, 413);
    assert_eq!(r.code(), "payload_too_large");
    // Every error is JSON with error and code.
    for r in [c.get("/api/nothing"), c.send("PUT", "/api/profile", None)] {
        let j = r.json();
        assert!(
            j["error"].is_string() && j["code"].is_string(),
            "{}",
            r.text
        );
    }
}

#[test]
fn cross_origin_cookie_requests_are_refused_but_bearer_is_not() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let r = c.send_with(
        "POST",
        "/api/logout",
        None,
        &[("Origin", "http://evil.example")],
    );
    assert_eq!(r.status, 403);
    assert_eq!(r.code(), "cross_origin");
    let host = s.base.trim_start_matches("http://").to_string();
    let r = c.send_with(
        "POST",
        "/api/logout",
        None,
        &[("Origin", &format!("http://{host}"))],
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let token = s.client().login("alice", PASSWORD).json()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let mut b = s.client();
    b.bearer = Some(token);
    let r = b.send_with(
        "POST",
        "/api/logout",
        None,
        &[("Origin", "http://evil.example")],
    );
    assert_eq!(r.status, 200);
}

#[test]
fn healthz_answers_and_every_response_has_security_headers() {
    let s = TestServer::start();
    let r = s.client().get("/healthz");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "ok");
    for h in [
        "content-security-policy",
        "x-content-type-options",
        "referrer-policy",
    ] {
        assert!(r.header(h).is_some(), "{h}");
    }
    assert!(
        r.header("content-security-policy")
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(r.header("cache-control"), Some("no-store"));
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
