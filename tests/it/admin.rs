//! A household or a team: the admin's API (roles, disabling, reset links,
//! ending sessions, deleting, invitations, the server's state), personal API
//! tokens, and the `miauinv user …` command line against a real database.

use crate::common;
use common::token_of;

use common::{Client, PASSWORD, TestServer, cli_with_input};
use serde_json::{Value, json};

fn id_of(admin: &Client, username: &str) -> String {
    let users = admin.get("/api/admin/users").json();
    users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == username)
        .unwrap_or_else(|| panic!("no {username} in {users}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn registration_closed_an_invitation_still_brings_a_person_in_once() {
    let server = TestServer::start_with("allow_registration: false\n");
    // With registration closed, the first admin comes from the command line.
    let (ok, out) = cli_with_input(
        server.dir.path(),
        &["user", "create", "boss", "--role", "admin"],
        &format!("{PASSWORD}\n"),
    );
    assert!(ok, "{out}");
    let admin = server.client();
    assert_eq!(admin.login("boss", PASSWORD).status, 200);
    assert_eq!(server.client().register("mallory", PASSWORD).status, 404);

    let r = admin.post(
        "/api/admin/invites",
        json!({"role": "viewer", "expires_in_days": 3}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let invite = r.json();
    let url = invite["url"].as_str().unwrap();
    assert!(url.contains("/invite?token="), "{url}");
    let token = token_of(url);
    assert!(invite["expires_at"].as_i64().unwrap() - miauinv::db::now() <= 3 * 86_400);

    // The page shows the form for the invitation's role.
    let page = server.client().get(&format!("/invite?token={token}"));
    assert_eq!(page.status, 200);
    assert!(page.text.contains("viewer"), "{}", page.text);

    let guest = server.client();
    let r = guest.post(
        "/api/invites/accept",
        json!({"token": token, "username": "grandma", "password": PASSWORD}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["role"], "viewer");
    assert_eq!(guest.login("grandma", PASSWORD).status, 200);

    // Used once: the link is dead for the next person, page and API alike.
    let r = server.client().post(
        "/api/invites/accept",
        json!({"token": token, "username": "cousin", "password": PASSWORD}),
    );
    assert_eq!(
        (r.status, r.code()),
        (400, "link_invalid".into()),
        "{}",
        r.text
    );
    assert_eq!(
        server
            .client()
            .get(&format!("/invite?token={token}"))
            .status,
        410
    );
    assert_eq!(server.client().login("cousin", PASSWORD).status, 401);

    let list = admin.get("/api/admin/invites").json();
    assert_eq!(list[0]["state"], "used");
    assert_eq!(list[0]["used_by"], "grandma");

    // A revoked invitation works no more; a forged one never did.
    let second = admin
        .post("/api/admin/invites", json!({"role": "editor"}))
        .json();
    let r = admin.delete(&format!("/api/admin/invites?id={}", second["id"]));
    assert_eq!(r.status, 204);
    let r = server.client().post(
        "/api/invites/accept",
        json!({"token": token_of(second["url"].as_str().unwrap()), "username": "cousin", "password": PASSWORD}),
    );
    assert_eq!(r.code(), "link_invalid");
    let r = admin.post("/api/admin/invites", json!({"role": "owner"}));
    assert_eq!(r.status, 400, "{}", r.text);
    let r = admin.post(
        "/api/admin/invites",
        json!({"role": "editor", "expires_in_days": 0}),
    );
    assert_eq!(
        (r.status, r.json()["field"].clone()),
        (400, json!("expires_in_days"))
    );
}

#[test]
fn a_reset_link_works_once_and_ends_every_session() {
    let server = TestServer::start();
    let admin = Client::signed_up(&server, "ada");
    let bob = Client::signed_up(&server, "bob");
    let bob_id = id_of(&admin, "bob");
    let r = admin.post(
        &format!("/api/admin/users/reset-link?id={bob_id}"),
        json!({}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let link = r.json();
    let token = token_of(link["url"].as_str().unwrap());
    let ttl = link["expires_at"].as_i64().unwrap() - miauinv::db::now();
    assert!((86_300..=86_400).contains(&ttl), "{ttl}");
    // Making a link ends nothing.
    assert_eq!(bob.get("/api/profile").status, 200);

    let page = server
        .client()
        .get(&format!("/reset-password?token={token}"));
    assert_eq!(page.status, 200);
    assert!(page.text.contains("bob"));
    let r = server.client().post(
        "/api/password-reset",
        json!({"token": token, "password": "a brand new password"}),
    );
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(bob.get("/api/profile").status, 401, "the old session ended");
    assert_eq!(server.client().login("bob", PASSWORD).status, 401);
    assert_eq!(
        server.client().login("bob", "a brand new password").status,
        200
    );

    let again = server.client().post(
        "/api/password-reset",
        json!({"token": token, "password": "yet another password"}),
    );
    assert_eq!((again.status, again.code()), (400, "link_invalid".into()));
    assert_eq!(
        server
            .client()
            .get(&format!("/reset-password?token={token}"))
            .status,
        410
    );
}

#[test]
fn a_disabled_account_loses_its_sessions_and_tokens_at_once_and_cannot_log_in() {
    let server = TestServer::start();
    let admin = Client::signed_up(&server, "ada");
    let bob = Client::signed_up(&server, "bob");
    let secret = bob
        .post("/api/tokens", json!({"name": "cron", "scope": "read"}))
        .json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let mut script = server.client();
    script.bearer = Some(secret);
    assert_eq!(script.get("/api/item").status, 200);

    let bob_id = id_of(&admin, "bob");
    let r = admin.put(
        &format!("/api/admin/users?id={bob_id}"),
        json!({"disabled": true}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["disabled"], true);
    assert_eq!(
        bob.get("/api/profile").status,
        401,
        "cookie session ended at once"
    );
    assert_eq!(bob.post("/api/refresh", json!({})).status, 401);
    assert_eq!(script.get("/api/item").status, 401, "API token stopped");
    let r = server.client().login("bob", PASSWORD);
    assert_eq!((r.status, r.code()), (403, "account_disabled".into()));
    // A wrong password says nothing about the account being disabled.
    let r = server.client().login("bob", "not the password");
    assert_eq!((r.status, r.code()), (401, "invalid_credentials".into()));

    admin.put(
        &format!("/api/admin/users?id={bob_id}"),
        json!({"disabled": false}),
    );
    assert_eq!(server.client().login("bob", PASSWORD).status, 200);
    assert_eq!(
        script.get("/api/item").status,
        401,
        "disabling revoked the token: enabling brings it not back"
    );

    // Ending sessions ends them all; deleting the account ends its tokens for good.
    let r = admin.post(
        &format!("/api/admin/users/end-sessions?id={bob_id}"),
        json!({}),
    );
    assert_eq!(r.status, 204);
    let r = admin.delete(&format!("/api/admin/users?id={bob_id}"));
    assert_eq!(r.status, 204);
    assert_eq!(script.get("/api/item").status, 401);
    assert_eq!(
        admin
            .delete(&format!("/api/admin/users?id={bob_id}"))
            .status,
        404
    );
}

#[test]
fn the_last_active_admin_cannot_be_demoted_disabled_or_deleted() {
    let server = TestServer::start();
    let admin = Client::signed_up(&server, "ada");
    let ada = id_of(&admin, "ada");
    for (method, path, body) in [
        (
            "PUT",
            format!("/api/admin/users?id={ada}"),
            Some(json!({"role": "editor"})),
        ),
        (
            "PUT",
            format!("/api/admin/users?id={ada}"),
            Some(json!({"disabled": true})),
        ),
        ("DELETE", format!("/api/admin/users?id={ada}"), None),
    ] {
        let r = admin.send(method, &path, body);
        assert_eq!(
            (r.status, r.code()),
            (409, "last_admin".into()),
            "{method} {path}: {}",
            r.text
        );
    }
    // With a second admin, the first may step down; the second is then the last.
    Client::signed_up(&server, "bea");
    let bea = id_of(&admin, "bea");
    assert_eq!(
        admin
            .put(
                &format!("/api/admin/users?id={bea}"),
                json!({"role": "admin"})
            )
            .status,
        200
    );
    let r = admin.put(
        &format!("/api/admin/users?id={ada}"),
        json!({"role": "editor"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        admin.get("/api/admin/users").code(),
        "admin_only",
        "the change holds at once"
    );
    let status: Value = {
        let bea_client = server.client();
        bea_client.login("bea", PASSWORD);
        bea_client.get("/api/admin/status").json()
    };
    assert_eq!(status["accounts"]["admins"], 1);
    assert_eq!(status["accounts"]["users"], 2);
    assert!(status["database_bytes"].as_u64().unwrap() > 0);
    assert_eq!(status["schema_version"], miauinv::db::migrate::LATEST);
}

#[test]
fn personal_tokens_are_shown_once_stored_hashed_listed_and_revocable() {
    let server = TestServer::start();
    let owner = Client::signed_up(&server, "ada");
    let r = owner.post(
        "/api/tokens",
        json!({"name": "Home Assistant", "scope": "write", "expires_in_days": 30}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let made = r.json();
    let secret = made["token"].as_str().unwrap().to_string();
    let list = owner.get("/api/tokens").json();
    assert_eq!(list[0]["name"], "Home Assistant");
    assert_eq!(list[0]["scope"], "write");
    assert!(list[0].get("token").is_none(), "never shown again: {list}");
    let conn = rusqlite::Connection::open(server.db_path()).unwrap();
    let stored: String = conn
        .query_row("SELECT token_hash FROM api_tokens", [], |r| r.get(0))
        .unwrap();
    assert_ne!(stored, secret);
    assert!(!stored.contains(&secret[5..]));

    let mut script = server.client();
    script.bearer = Some(secret.clone());
    assert_eq!(
        script.post("/api/item", json!({"name": "Relay"})).status,
        201
    );
    let used = owner.get("/api/tokens").json();
    assert!(used[0]["last_used_at"].is_i64(), "{used}");
    // Account routes need a real login, whatever the scope.
    let r = script.post("/api/tokens", json!({"name": "more", "scope": "write"}));
    assert_eq!((r.status, r.code()), (403, "token_not_allowed".into()));
    let r = script.get("/api/profile");
    assert_eq!(r.code(), "token_not_allowed");

    for bad in [
        json!({"name": "", "scope": "read"}),
        json!({"name": "x", "scope": "admin"}),
        json!({"name": "x", "scope": "read", "expires_in_days": 0}),
        json!({"name": "x", "scope": "read", "extra": 1}),
    ] {
        assert_eq!(owner.post("/api/tokens", bad.clone()).status, 400, "{bad}");
    }
    let r = owner.delete(&format!("/api/tokens?id={}", made["id"]));
    assert_eq!(r.status, 204);
    assert_eq!(script.get("/api/item").status, 401);
    assert_eq!(
        owner
            .delete(&format!("/api/tokens?id={}", made["id"]))
            .status,
        404
    );
    // A made-up token is no token.
    let mut forged = server.client();
    forged.bearer = Some("miau_forged".into());
    assert_eq!(forged.get("/api/item").status, 401);
}

#[test]
fn the_user_command_lists_creates_sets_roles_disables_enables_and_resets() {
    let server = TestServer::start();
    Client::signed_up(&server, "ada");
    let (ok, out) = cli_with_input(
        server.dir.path(),
        &["user", "create", "Carl", "--role", "viewer"],
        &format!("{PASSWORD}\n"),
    );
    assert!(ok, "{out}");
    let carl = server.client();
    assert_eq!(
        carl.login("carl", PASSWORD).json()["user"]["role"],
        "viewer"
    );

    let (ok, out) = cli_with_input(server.dir.path(), &["user", "list"], "");
    assert!(ok, "{out}");
    assert!(
        out.contains("carl")
            && out.contains("viewer")
            && out.contains("ada")
            && out.contains("admin"),
        "{out}"
    );

    assert!(
        cli_with_input(
            server.dir.path(),
            &["user", "set-role", "carl", "editor"],
            ""
        )
        .0
    );
    assert_eq!(carl.post("/api/item", json!({"name": "Fuse"})).status, 201);
    let (ok, out) = cli_with_input(
        server.dir.path(),
        &["user", "set-role", "carl", "owner"],
        "",
    );
    assert!(!ok && out.contains("not a role"), "{out}");

    assert!(cli_with_input(server.dir.path(), &["user", "disable", "carl"], "").0);
    assert_eq!(carl.get("/api/item").status, 401);
    assert_eq!(server.client().login("carl", PASSWORD).status, 403);
    assert!(cli_with_input(server.dir.path(), &["user", "enable", "carl"], "").0);

    let (ok, out) = cli_with_input(
        server.dir.path(),
        &["user", "reset-password", "carl"],
        "short\n",
    );
    assert!(!ok, "a weak password is refused: {out}");
    assert!(
        cli_with_input(
            server.dir.path(),
            &["user", "reset-password", "carl"],
            "a long new password\n"
        )
        .0
    );
    assert_eq!(
        server.client().login("carl", "a long new password").status,
        200
    );

    // The same rules as the API: the last admin stays one.
    let (ok, out) = cli_with_input(
        server.dir.path(),
        &["user", "set-role", "ada", "viewer"],
        "",
    );
    assert!(!ok && out.contains("last active admin"), "{out}");
    let (ok, out) = cli_with_input(server.dir.path(), &["user", "disable", "nobody"], "");
    assert!(!ok && out.contains("no account named"), "{out}");
}
