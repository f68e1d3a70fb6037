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

mod disable;
mod enable;
mod login;
