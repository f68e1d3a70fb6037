//! Turning 2FA off, new recovery codes, rate limits, and the administrator's way out.

use super::*;

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
