//! One-time links and their log (issue 28): an invitation or reset link is
//! built from the configured `public_url` (or `rp_origin`), never from the
//! request's `Host`; with neither set it is handed out as a path. The
//! security log records an invitation made, revoked and used, a reset link
//! made and used, a token made and revoked, and an account deleted.

use crate::common;

use common::raw::{exchange, plain};
use common::{Client, PASSWORD, TestServer};
use serde_json::{Value, json};

/// `POST path` with `Host: evil.example`, as the admin (their access token
/// as a Bearer, so no cookie or origin check stands in the way): the answer.
fn post_as_evil_host(server: &TestServer, bearer: &str, path: &str, body: &str) -> (u16, Value) {
    let addr = server.base.trim_start_matches("http://").parse().unwrap();
    let mut conn = plain(addr);
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: evil.example\r\nAuthorization: Bearer {bearer}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let answer = exchange(&mut conn, request.as_bytes());
    let json = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
    (answer.status, json)
}

/// An admin's access token on `server`, and the id of a second account.
fn admin_and_bob(server: &TestServer) -> (String, String) {
    let admin = server.client();
    assert_eq!(admin.register("ada", PASSWORD).status, 201);
    let token = admin.login("ada", PASSWORD).json()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    Client::signed_up(server, "bob");
    let users = admin.get("/api/admin/users").json();
    let bob = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "bob")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    (token, bob)
}

/// The invitation and the reset link made with `Host: evil.example`.
fn links(server: &TestServer) -> [Value; 2] {
    let (token, bob) = admin_and_bob(server);
    let (status, invite) =
        post_as_evil_host(server, &token, "/api/admin/invites", r#"{"role":"viewer"}"#);
    assert_eq!(status, 201, "{invite}");
    let path = format!("/api/admin/users/reset-link?id={bob}");
    let (status, reset) = post_as_evil_host(server, &token, &path, "{}");
    assert_eq!(status, 201, "{reset}");
    [invite, reset]
}

#[test]
fn links_never_come_from_the_host_header() {
    // Nothing configured: the link is its path, and the answer says so.
    let server = TestServer::start();
    let [invite, reset] = links(&server);
    for (link, page) in [
        (&invite, "/invite?token="),
        (&reset, "/reset-password?token="),
    ] {
        assert!(!link.to_string().contains("evil.example"), "{link}");
        let path = link["path"].as_str().unwrap();
        assert!(path.starts_with(page), "{link}");
        assert_eq!(link["url"], link["path"], "{link}");
        assert_eq!(link["origin_configured"], false, "{link}");
    }
    // The path works behind the address the person uses.
    let token = invite["path"]
        .as_str()
        .unwrap()
        .split("token=")
        .nth(1)
        .unwrap();
    let r = server.client().post(
        "/api/invites/accept",
        json!({"token": token, "username": "carol", "password": PASSWORD}),
    );
    assert_eq!(r.status, 201, "{}", r.text);

    // `public_url` wins; `rp_origin` stands in for it.
    for (config, origin) in [
        (
            "public_url: https://inv.example/\nrp_origin: https://passkeys.example\n",
            "https://inv.example",
        ),
        (
            "rp_origin: https://inv.example:8443\n",
            "https://inv.example:8443",
        ),
    ] {
        let server = TestServer::start_with(config);
        for link in links(&server) {
            assert!(!link.to_string().contains("evil.example"), "{link}");
            let url = link["url"].as_str().unwrap();
            assert_eq!(
                url,
                format!("{origin}{}", link["path"].as_str().unwrap()),
                "{link}"
            );
            assert_eq!(link["origin_configured"], true, "{link}");
        }
    }
}

#[test]
fn the_log_records_accounts_deleted_links_and_tokens() {
    let server = TestServer::start();
    let admin = Client::signed_up(&server, "ada");
    // An invitation made and revoked, another made and used.
    let first = admin
        .post("/api/admin/invites", json!({"role": "viewer"}))
        .json();
    assert_eq!(
        admin
            .delete(&format!("/api/admin/invites?id={}", first["id"]))
            .status,
        204
    );
    let second = admin
        .post("/api/admin/invites", json!({"role": "editor"}))
        .json();
    let token_of = |link: &Value| {
        link["path"]
            .as_str()
            .unwrap()
            .split("token=")
            .nth(1)
            .unwrap()
            .to_string()
    };
    let r = server.client().post(
        "/api/invites/accept",
        json!({"token": token_of(&second), "username": "carol", "password": PASSWORD}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    // Carol makes and revokes a token, loses her password, and is deleted.
    let carol = server.client();
    assert_eq!(carol.login("carol", PASSWORD).status, 200);
    let cron = carol
        .post("/api/tokens", json!({"name": "cron", "scope": "read"}))
        .json();
    assert_eq!(
        carol
            .delete(&format!("/api/tokens?id={}", cron["id"]))
            .status,
        204
    );
    let carol_id = carol.get("/api/profile").json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let link = admin
        .post(
            &format!("/api/admin/users/reset-link?id={carol_id}"),
            json!({}),
        )
        .json();
    let r = server.client().post(
        "/api/password-reset",
        json!({"token": token_of(&link), "password": "a brand new password"}),
    );
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(
        admin
            .delete(&format!("/api/admin/users?id={carol_id}"))
            .status,
        204
    );

    let page = admin.get("/api/security-events?all=true&limit=200").json();
    let events = page["events"].as_array().unwrap();
    let find = |kind: &str| -> Value {
        events
            .iter()
            .find(|e| e["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} in {events:#?}"))
            .clone()
    };
    let made = find("invite_created");
    assert_eq!(
        (made["username"].clone(), made["details"]["role"].clone()),
        (json!("ada"), json!("editor"))
    );
    let revoked = find("invite_revoked");
    assert_eq!(revoked["details"]["id"], first["id"]);
    assert_eq!(find("invite_used")["username"], "carol");
    let reset = find("reset_link_created");
    assert_eq!(
        (reset["username"].clone(), reset["actor"].clone()),
        (json!("carol"), json!("ada"))
    );
    assert_eq!(find("reset_link_used")["user_id"], carol_id.as_str());
    assert_eq!(find("token_created")["details"]["name"], "cron");
    assert_eq!(find("token_revoked")["details"]["id"], cron["id"]);
    let deleted = find("account_deleted");
    assert_eq!(
        (
            deleted["user_id"].clone(),
            deleted["actor"].clone(),
            deleted["details"]["role"].clone()
        ),
        (json!(carol_id), json!("ada"), json!("editor"))
    );
    // Carol's record outlives her account, and no link's secret is in it.
    let hers = admin
        .get(&format!(
            "/api/security-events?user_id={carol_id}&limit=200"
        ))
        .json();
    assert!(hers["events"].as_array().unwrap().len() >= 5, "{hers}");
    let dump = page.to_string();
    for secret in [token_of(&first), token_of(&second), token_of(&link)] {
        assert!(!dump.contains(&secret), "a link's secret in the log");
    }
}

#[test]
fn an_upgrade_forgets_the_tokens_of_disabled_accounts_and_old_logins_count_as_long_ago() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("database.db");
    let mut conn = rusqlite::Connection::open(&db_path).unwrap();
    miauinv::db::register_functions(&conn).unwrap();
    miauinv::db::migrate::migrate_to(&mut conn, 22).unwrap();
    conn.execute_batch(
        "INSERT INTO users (id, username, password, role, created_at) VALUES ('u1', 'ada', 'x', 'admin', 1);
         INSERT INTO users (id, username, password, role, created_at, disabled) VALUES ('u2', 'bob', 'x', 'editor', 1, 1);
         INSERT INTO api_tokens (user_id, name, scope, token_hash, created_at) VALUES ('u1', 'kept', 'read', 'h1', 1);
         INSERT INTO api_tokens (user_id, name, scope, token_hash, created_at) VALUES ('u2', 'gone', 'write', 'h2', 1);
         INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at) VALUES ('s1', 'u1', 1, 1, 9999999999);",
    )
    .unwrap();
    drop(conn);
    let server = TestServer::start_on(dir, &db_path);
    let conn = rusqlite::Connection::open(server.db_path()).unwrap();
    let names: Vec<String> = conn
        .prepare("SELECT name FROM api_tokens ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(names, vec!["kept".to_string()]);
    let proved: i64 = conn
        .query_row(
            "SELECT authenticated_at FROM sessions WHERE id = 's1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(proved, 0);
}
