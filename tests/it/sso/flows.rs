//! The sign-ins that work: an account made with the role the groups map to,
//! a linked identity signing in to its account, linking by a verified email
//! (and not by an unverified one), a link made from Settings, the role that
//! follows the groups, the code step of an account with 2FA, and passwords
//! off with a break-glass admin.

use super::*;
use crate::common::{PASSWORD, TestServer};
use crate::sso_support::{Idp, Provider};
use serde_json::json;

/// Each scenario runs twice: against the provider in the test process, and
/// against a real one (`oidc-provider-mock`).
macro_rules! with_both_providers {
    ($($scenario:ident),* $(,)?) => {
        $(mod $scenario {
            #[test]
            fn fake_provider() {
                super::$scenario(&crate::sso_support::Provider::start());
            }
            #[test]
            fn real_provider() {
                super::$scenario(&crate::sso_support::MockIdp::start());
            }
        })*
    };
}

with_both_providers!(
    a_first_sign_in_makes_an_account_with_the_mapped_role_and_a_session,
    without_auto_create_an_unknown_identity_is_refused_and_told_how_to_get_in,
    a_verified_email_links_to_the_one_account_with_it_and_an_unverified_one_never,
    a_link_from_settings_adds_the_identity_and_unlinking_keeps_a_way_in,
    an_account_made_by_a_provider_cannot_unlink_its_only_way_in,
    with_sync_the_role_follows_the_groups_but_never_leaves_the_server_without_an_admin,
    an_account_with_two_factor_gives_its_code_after_the_provider_unless_the_provider_is_trusted,
    with_passwords_off_only_the_break_glass_accounts_sign_in_with_one,
    logging_out_of_a_provider_session_offers_the_providers_logout,
);

const ROLES: &str = "role_map:\n  - crew: editor\n  - bosses: admin\ndefault_role: viewer\n";

/// An admin made first (the first account is always admin), so the
/// accounts the provider makes get their mapped roles.
fn with_admin(server: &TestServer) -> Client {
    Client::signed_up(server, "root")
}

fn a_first_sign_in_makes_an_account_with_the_mapped_role_and_a_session(idp: &dyn Idp) {
    let server = server(idp, &format!("auto_create: true\n{ROLES}"), "");
    with_admin(&server);
    idp.next(
        "sub-ann",
        json!({ "preferred_username": "Ann Smith", "email": "ann@example.com", "groups": ["crew"] }),
    );
    let (c, r) = sign_in(&server, idp);
    assert_eq!(r.status, 200, "{}", r.text);
    let answer = r.json();
    assert_eq!(
        answer["next"], "/items",
        "the page the sign-in started from"
    );
    assert_eq!(answer["user"]["username"], "ann-smith");
    assert_eq!(answer["user"]["role"], "editor");
    // The session cookies were set by the finish: the next request is signed in.
    assert_eq!(c.get("/api/profile").json()["username"], "ann-smith");
    let sessions = c.get("/api/sessions").json();
    assert_eq!(sessions[0]["signed_in_with"], "Test IdP");
    let (who, details) = events(&server, "login_succeeded").pop().unwrap();
    assert_eq!(who, "ann-smith");
    assert_eq!(
        (details["method"].as_str(), details["provider"].as_str()),
        (Some("sso"), Some("idp"))
    );
    assert_eq!(events(&server, "account_created_by_sso").len(), 1);
    // The same identity again: the same account, not a second one.
    let (_, again) = sign_in(&server, idp);
    assert_eq!(again.json()["user"]["id"], answer["user"]["id"]);
    // A renamed identity at the provider is still the same person.
    idp.next(
        "sub-ann",
        json!({ "preferred_username": "ann.renamed", "groups": ["crew"] }),
    );
    let (_, renamed) = sign_in(&server, idp);
    assert_eq!(renamed.json()["user"]["username"], "ann-smith");
    // Another person with the same preferred name gets a name of their own.
    idp.next("sub-ann-2", json!({ "preferred_username": "ann smith" }));
    let (_, other) = sign_in(&server, idp);
    assert_eq!(other.json()["user"]["username"], "ann-smith-2");
    assert_eq!(
        other.json()["user"]["role"],
        "viewer",
        "no group: the default role"
    );
}

#[test]
fn the_groups_may_sit_only_in_the_user_info() {
    let idp = Provider::start();
    let server = server(&idp, &format!("auto_create: true\n{ROLES}"), "");
    with_admin(&server);
    idp.next("sub-bo", json!({ "preferred_username": "bo" }));
    idp.userinfo_only(json!({ "groups": ["bosses"] }));
    let (_, r) = sign_in(&server, &idp);
    assert_eq!(r.json()["user"]["role"], "admin", "{}", r.text);
}

fn without_auto_create_an_unknown_identity_is_refused_and_told_how_to_get_in(idp: &dyn Idp) {
    let server = server(idp, ROLES, "");
    with_admin(&server);
    idp.next("sub-nobody", json!({ "preferred_username": "nobody" }));
    let (c, r) = sign_in(&server, idp);
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.code(), "not_linked");
    assert!(
        r.json()["error"].as_str().unwrap().contains("link"),
        "{}",
        r.text
    );
    assert_eq!(c.get("/api/profile").status, 401, "no session");
    assert_eq!(last_failure(&server), "not_linked");
    let users: i64 = server
        .db()
        .query_row("SELECT count(*) FROM users", [], |r| r.get(0))
        .unwrap();
    assert_eq!(users, 1, "no account was made");
}

/// Gives `username` a confirmed notification email, as the confirmation
/// link would.
fn confirmed_email(server: &TestServer, username: &str, email: &str) {
    server
        .db()
        .execute(
            "UPDATE users SET notification_email = ?2, notification_email_confirmed_at = unixepoch() WHERE username = ?1",
            [username, email],
        )
        .unwrap();
}

fn a_verified_email_links_to_the_one_account_with_it_and_an_unverified_one_never(idp: &dyn Idp) {
    let server = server(idp, "link_by_verified_email: true\n", "");
    let root = with_admin(&server);
    let carl = Client::signed_up(&server, "carl");
    confirmed_email(&server, "carl", "carl@example.com");
    // The provider does not vouch for the address: no link (takeover).
    idp.next(
        "sub-carl",
        json!({ "email": "Carl@Example.com", "email_verified": false }),
    );
    let (_, r) = sign_in(&server, idp);
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.code(), "not_linked");
    // Now it does: linked to carl, signed in as carl.
    idp.next(
        "sub-carl",
        json!({ "email": "Carl@Example.com", "email_verified": true }),
    );
    let (c, r) = sign_in(&server, idp);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["user"]["username"], "carl");
    assert_eq!(c.get("/api/profile").json()["username"], "carl");
    let (who, details) = events(&server, "identity_linked").pop().unwrap();
    assert_eq!(
        (who.as_str(), details["by"].as_str()),
        ("carl", Some("verified_email"))
    );
    // The admin sees how carl signs in.
    let users = root.get("/api/admin/users").json();
    let carl_row = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "carl")
        .unwrap();
    assert_eq!(carl_row["sso_providers"], json!(["idp"]));
    assert_eq!(carl_row["password"], true);
    drop(carl);
}

fn a_link_from_settings_adds_the_identity_and_unlinking_keeps_a_way_in(idp: &dyn Idp) {
    let server = server(idp, "", "");
    let dee = with_admin(&server);
    idp.next("sub-dee", json!({ "email": "dee@example.com" }));
    let back = to_provider(&dee, idp, true);
    let r = finish(&dee, &back);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["linked"], "idp");
    assert_eq!(r.json()["next"], "/profile/settings");
    let listed = dee.get("/api/sso/identities").json();
    assert_eq!(listed[0]["id"], "idp");
    assert_eq!(listed[0]["linked"]["email"], "dee@example.com");
    // The identity now signs in to dee's account.
    let (_, r) = sign_in(&server, idp);
    assert_eq!(r.json()["user"]["username"], "root");
    // The same identity cannot be linked to a second account.
    let eve = Client::signed_up(&server, "eve");
    let back = to_provider(&eve, idp, true);
    let r = finish(&eve, &back);
    assert_eq!((r.status, r.code().as_str()), (409, "linked_elsewhere"));
    // dee has a password: unlinking leaves a way in.
    assert_eq!(dee.delete("/api/sso/identities?provider=idp").status, 204);
    assert!(dee.get("/api/sso/identities").json()[0]["linked"].is_null());
    assert_eq!(events(&server, "identity_unlinked").len(), 1);
}

fn an_account_made_by_a_provider_cannot_unlink_its_only_way_in(idp: &dyn Idp) {
    let server = server(idp, "auto_create: true\ndefault_role: editor\n", "");
    with_admin(&server);
    idp.next("sub-fay", json!({ "preferred_username": "fay" }));
    let (fay, r) = sign_in(&server, idp);
    assert_eq!(r.status, 200, "{}", r.text);
    let r = fay.delete("/api/sso/identities?provider=idp");
    assert_eq!((r.status, r.code().as_str()), (409, "last_way_in"));
    // It has no password: a password login for it is refused like a wrong one.
    for password in ["", PASSWORD] {
        let r = server.client().login("fay", password);
        assert_eq!((r.status, r.code().as_str()), (401, "invalid_credentials"));
    }
}

fn with_sync_the_role_follows_the_groups_but_never_leaves_the_server_without_an_admin(
    idp: &dyn Idp,
) {
    let extra = format!("auto_create: true\nsync_role_on_login: true\n{ROLES}");
    let server = server(idp, &extra, "");
    // The provider's person becomes the first account: admin whatever the groups.
    idp.next(
        "sub-gil",
        json!({ "preferred_username": "gil", "groups": ["bosses"] }),
    );
    let (_, r) = sign_in(&server, idp);
    assert_eq!(r.json()["user"]["role"], "admin");
    // Their groups change at the provider: gil is the last admin, so the
    // sign-in is refused rather than leave nobody to run the server.
    idp.next(
        "sub-gil",
        json!({ "preferred_username": "gil", "groups": ["crew"] }),
    );
    let (c, r) = sign_in(&server, idp);
    assert_eq!(
        (r.status, r.code().as_str()),
        (403, "last_admin"),
        "{}",
        r.text
    );
    assert_eq!(c.get("/api/profile").status, 401);
    assert_eq!(last_failure(&server), "last_admin");
    // Another admin exists: the role follows.
    let hal = Client::signed_up(&server, "hal");
    let admin_id = server
        .db()
        .query_row("SELECT id FROM users WHERE username = 'hal'", [], |r| {
            r.get::<_, String>(0)
        })
        .unwrap();
    server
        .db()
        .execute("UPDATE users SET role = 'admin' WHERE id = ?1", [&admin_id])
        .unwrap();
    let (_, r) = sign_in(&server, idp);
    assert_eq!(r.json()["user"]["role"], "editor", "{}", r.text);
    let (_, details) = events(&server, "role_changed").pop().unwrap();
    assert_eq!(
        (details["from"].as_str(), details["to"].as_str()),
        (Some("admin"), Some("editor"))
    );
    // And back again at the next sign-in.
    idp.next(
        "sub-gil",
        json!({ "preferred_username": "gil", "groups": ["bosses"] }),
    );
    let (_, r) = sign_in(&server, idp);
    assert_eq!(r.json()["user"]["role"], "admin");
    drop(hal);
}

fn an_account_with_two_factor_gives_its_code_after_the_provider_unless_the_provider_is_trusted(
    idp: &dyn Idp,
) {
    let server = server(idp, "", "");
    let ivy = with_admin(&server);
    let mut app = crate::totp_support::enable(&ivy).app;
    idp.next("sub-ivy", json!({ "amr": ["pwd", "mfa"] }));
    let back = to_provider(&ivy, idp, true);
    assert_eq!(finish(&ivy, &back).status, 200);
    let (c, r) = sign_in(&server, idp);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["requires_2fa"], true, "{}", r.text);
    assert!(
        r.json().get("access_token").is_none(),
        "no session before the code"
    );
    assert_eq!(c.get("/api/profile").status, 401);
    let code = app.next_code();
    let token = r.json()["two_factor_token"].as_str().unwrap().to_string();
    let r = c.post(
        "/api/login/2fa",
        json!({ "two_factor_token": token, "code": code }),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let sessions = c.get("/api/sessions").json();
    let this = sessions
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .unwrap();
    assert_eq!(this["signed_in_with"], "Test IdP");
    let (_, details) = events(&server, "login_succeeded").pop().unwrap();
    assert_eq!(
        (details["method"].as_str(), details["provider"].as_str()),
        (Some("two_factor"), Some("idp"))
    );

    // A provider trusted to ask a second factor, whose token says it did.
    let trusted = super::server(idp, "trusted_mfa: true\n", "");
    let ivy = with_admin(&trusted);
    crate::totp_support::enable(&ivy);
    let back = to_provider(&ivy, idp, true);
    assert_eq!(finish(&ivy, &back).status, 200);
    let (_, r) = sign_in(&trusted, idp);
    assert!(r.json().get("access_token").is_some(), "{}", r.text);
    // Its token without a second factor: the code is asked.
    idp.next("sub-ivy", json!({ "amr": ["pwd"] }));
    let (_, r) = sign_in(&trusted, idp);
    assert_eq!(r.json()["requires_2fa"], true, "{}", r.text);
}

fn with_passwords_off_only_the_break_glass_accounts_sign_in_with_one(idp: &dyn Idp) {
    let config = "password_login: false\nbreak_glass_accounts: [root]\n";
    let server = server(idp, "", config);
    let root = with_admin(&server);
    assert_eq!(server.client().register("joe", PASSWORD).status, 201);
    let r = server.client().login("joe", PASSWORD);
    assert_eq!(
        (r.status, r.code().as_str()),
        (403, "password_login_off"),
        "{}",
        r.text
    );
    assert_eq!(last_failure(&server), "password_login_off");
    assert_eq!(server.client().login("root", PASSWORD).status, 200);
    // The login page offers the provider and no password form, but for
    // the break-glass way in.
    let page = server.client().get("/login").text;
    assert!(page.contains("data-sso-provider=\"idp\""), "{page}");
    assert!(!page.contains("id=\"login-form\""));
    assert!(
        server
            .client()
            .get("/login?password")
            .text
            .contains("id=\"login-form\"")
    );
    // The admin page says how people sign in; no warning while root is a
    // break-glass admin.
    let admin = root.get("/admin").text;
    assert!(admin.contains("passwords off (except root)"), "{admin}");
    assert!(!admin.contains("id=\"no-break-glass\""));
    // Passwords turned off with no break-glass admin: the admin (still
    // signed in from before) is warned.
    let unguarded = super::server(idp, "", "");
    let root = with_admin(&unguarded);
    assert!(!root.get("/admin").text.contains("id=\"no-break-glass\""));
    let cfg = unguarded.dir.path().join("config.yaml");
    let mut yaml = std::fs::read_to_string(&cfg).unwrap();
    yaml.push_str("password_login: false\n");
    std::fs::write(&cfg, yaml).unwrap();
    let unguarded = unguarded.restart();
    let admin = root.get("/admin");
    assert_eq!(admin.status, 200);
    assert!(
        admin.text.contains("id=\"no-break-glass\""),
        "{}",
        admin.text
    );
    drop(unguarded);
}

fn logging_out_of_a_provider_session_offers_the_providers_logout(idp: &dyn Idp) {
    let server = server(idp, "auto_create: true\ndefault_role: viewer\n", "");
    with_admin(&server);
    idp.next("sub-kai", json!({ "preferred_username": "kai" }));
    let (c, r) = sign_in(&server, idp);
    assert_eq!(r.status, 200);
    let out = c.post("/api/logout", json!({})).json();
    let url = out["provider_logout"]["url"].as_str().unwrap();
    let discovery: Value = ureq::get(&format!(
        "{}/.well-known/openid-configuration",
        idp.issuer()
    ))
    .call()
    .unwrap()
    .body_mut()
    .read_json()
    .unwrap();
    let end = discovery["end_session_endpoint"].as_str().unwrap();
    assert!(url.starts_with(&format!("{end}?")), "{url}");
    assert!(url.contains("client_id=miauinv-test"));
    assert!(url.contains(
        &url::form_urlencoded::byte_serialize(server.url("/login").as_bytes()).collect::<String>()
    ));
    // A password session has none.
    let root = server.client();
    root.login("root", PASSWORD);
    assert!(
        root.post("/api/logout", json!({}))
            .json()
            .get("provider_logout")
            .is_none()
    );
}
