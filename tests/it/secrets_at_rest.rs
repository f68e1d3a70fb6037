//! Secrets at rest (issue 21): TOTP secrets are sealed with AES-256-GCM under
//! `appdata/secret.key` (0600, made on first start), so the database file holds
//! none in clear; recovery codes are hashed with HMAC-SHA-256 under that key.
//! A database from before (plain secrets, bare SHA-256 hashes) is converted at
//! start-up, and its 2FA logins and old recovery codes keep working.

use crate::common;
use crate::media_support::contains;
use crate::totp_support;
use common::{Client, PASSWORD, TestServer};
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use totp_support::{Enabled, enable};

/// Every byte of the database: the file and its write-ahead log.
fn database_bytes(s: &TestServer) -> Vec<u8> {
    let mut bytes = std::fs::read(s.db_path()).unwrap();
    let mut wal = s.db_path().into_os_string();
    wal.push("-wal");
    bytes.extend(std::fs::read(wal).unwrap_or_default());
    bytes
}

fn login_with(s: &TestServer, code: &str) -> u16 {
    let c = s.client();
    let r = c.login("alice", PASSWORD);
    let token = r.json()["two_factor_token"].as_str().unwrap().to_string();
    c.post(
        "/api/login/2fa",
        json!({"two_factor_token": token, "code": code}),
    )
    .status
}

#[test]
fn the_key_file_is_private_and_the_database_holds_no_totp_secret() {
    let s = TestServer::start();
    let key = s.dir.path().join("secret.key");
    let mode = std::fs::metadata(&key).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let before = std::fs::read_to_string(&key).unwrap();

    let c = Client::signed_up(&s, "alice");
    let Enabled {
        mut app,
        secret,
        recovery_codes: codes,
        ..
    } = enable(&c);
    let stored: String = rusqlite::Connection::open(s.db_path())
        .unwrap()
        .query_row(
            "SELECT two_factor_secret FROM users WHERE username = 'alice'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(stored.starts_with("enc1:"), "{stored}");
    assert!(
        !contains(&database_bytes(&s), secret.as_bytes()),
        "the secret in clear in the file"
    );
    for code in &codes {
        assert!(!contains(
            &database_bytes(&s),
            code.replace('-', "").as_bytes()
        ));
    }
    assert_eq!(login_with(&s, &app.next_code()), 200);

    // The same key after a restart: 2FA and recovery codes still work.
    let s = s.restart();
    assert_eq!(
        std::fs::read_to_string(&key).unwrap(),
        before,
        "the key is kept"
    );
    assert_eq!(login_with(&s, &app.next_code()), 200);
    assert_eq!(login_with(&s, &codes[0]), 200);
    assert_eq!(login_with(&s, &codes[0]), 401, "used up");
}

#[test]
fn plain_secrets_and_bare_hashes_of_an_older_database_are_converted_at_start() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let Enabled {
        mut app, secret, ..
    } = enable(&c);
    let id = c.get("/api/profile").json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Put the account back the way an older MiauInv stored it: the secret in
    // clear and recovery codes as bare SHA-256 of the normalised code.
    let old_code = "3f9a2-0b1c4-d5e6f-78901";
    {
        let conn = rusqlite::Connection::open(s.db_path()).unwrap();
        conn.execute(
            "UPDATE users SET two_factor_secret = ?1 WHERE id = ?2",
            [&secret, &id],
        )
        .unwrap();
        conn.execute("DELETE FROM two_factor_recovery_codes", [])
            .unwrap();
        conn.execute(
            "INSERT INTO two_factor_recovery_codes (id, user_id, code_hash, created_at) VALUES ('old', ?1, ?2, 0)",
            [&id, &miauinv::crypto::sha256_hex("3f9a20b1c4d5e6f78901")],
        )
        .unwrap();
    }
    let s = s.restart();
    let conn = rusqlite::Connection::open(s.db_path()).unwrap();
    let (stored, hash): (String, String) = conn
        .query_row(
            "SELECT u.two_factor_secret, r.code_hash FROM users u JOIN two_factor_recovery_codes r ON r.user_id = u.id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(
        stored.starts_with("enc1:") && !stored.contains(&secret),
        "{stored}"
    );
    assert!(hash.starts_with("k1:"), "{hash}");
    drop(conn);
    assert!(!contains(&database_bytes(&s), secret.as_bytes()));

    // Converting again changes nothing (it is idempotent).
    let s = s.restart();
    let conn = rusqlite::Connection::open(s.db_path()).unwrap();
    let again: String = conn
        .query_row("SELECT code_hash FROM two_factor_recovery_codes", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(again, hash);
    drop(conn);

    assert_eq!(login_with(&s, &app.next_code()), 200);
    assert_eq!(
        login_with(&s, old_code),
        200,
        "an old recovery code still works"
    );
    assert_eq!(login_with(&s, old_code), 401);
}
