//! The two-step login, and recovery codes in place of a code.

use super::*;

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
