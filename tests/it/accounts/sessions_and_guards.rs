//! Password and username changes, logout, bad tokens, redirects, rate limits, closed
//! registration, the error contract, origins and headers.

use super::*;

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
