//! Every way a sign-in through a provider must fail, failing with a clear
//! answer, no session and an entry in the security log: a state that is not
//! this browser's, a state or code used twice, the provider's own refusal,
//! and each lie an ID token can tell (nonce, audience, issuer, expiry,
//! `alg: none`, a key the provider does not publish, a forged signature);
//! a provider that is down at start-up and comes up later; a bad provider
//! config that stops the start with the key named.

use super::*;
use crate::sso_support::{Idp, Provider, Tamper};
use serde_json::json;

fn person(idp: &Provider) {
    idp.next("sub-lee", json!({ "preferred_username": "lee" }));
}

fn refused(server: &TestServer, c: &Client, r: &Resp, status: u16, code: &str, reason: &str) {
    assert_eq!((r.status, r.code().as_str()), (status, code), "{}", r.text);
    assert!(r.json()["error"].as_str().is_some_and(|e| !e.is_empty()));
    assert_eq!(c.get("/api/profile").status, 401, "no session");
    assert_eq!(last_failure(server), reason);
}

#[test]
fn a_state_from_another_browser_or_used_twice_is_refused() {
    let idp = Provider::start();
    let server = server(&idp, "auto_create: true\ndefault_role: viewer\n", "");
    person(&idp);
    let mine = server.client();
    let back = to_provider(&mine, &idp, false);
    // Another browser (no flow cookie) with this browser's state and code:
    // a login forced on someone else.
    let other = server.client();
    let r = finish(&other, &back);
    refused(&server, &other, &r, 401, "sign_in_expired", "state");
    // The state was used by that attempt: this browser cannot use it either.
    let r = finish(&mine, &back);
    refused(&server, &mine, &r, 401, "sign_in_expired", "state");
    // A made-up state.
    let back = to_provider(&mine, &idp, false);
    let forged = Callback {
        state: "not-a-state".into(),
        code: back.code.clone(),
        error: None,
    };
    let r = finish(&mine, &forged);
    refused(&server, &mine, &r, 401, "sign_in_expired", "state");
    // The real one still works once, then never again.
    assert_eq!(finish(&mine, &back).status, 200);
    let again = server.client();
    let r = finish(&again, &back);
    refused(&server, &again, &r, 401, "sign_in_expired", "state");
}

#[test]
fn a_code_used_twice_is_refused_by_the_provider_and_so_by_us() {
    let idp = Provider::start();
    let server = server(&idp, "auto_create: true\ndefault_role: viewer\n", "");
    person(&idp);
    let c = server.client();
    let first = to_provider(&c, &idp, false);
    assert_eq!(finish(&c, &first).status, 200);
    // A new sign-in of this browser, finished with the old code: the
    // provider refuses it (used, and not this sign-in's PKCE challenge).
    let c = server.client();
    let second = to_provider(&c, &idp, false);
    let replay = Callback {
        state: second.state.clone(),
        code: first.code.clone(),
        error: None,
    };
    let r = finish(&c, &replay);
    refused(&server, &c, &r, 502, "provider_error", "code_refused");
    assert_eq!(idp.refusals(), vec!["invalid_grant".to_string()]);
}

#[test]
fn the_providers_own_refusal_is_said_and_logged() {
    let idp = Provider::start();
    let server = server(&idp, "auto_create: true\n", "");
    person(&idp);
    idp.deny();
    let c = server.client();
    let back = to_provider(&c, &idp, false);
    assert_eq!(back.error.as_deref(), Some("access_denied"));
    let r = finish(&c, &back);
    refused(&server, &c, &r, 401, "provider_refused", "provider_refused");
    let (_, details) = events(&server, "login_failed").pop().unwrap();
    assert!(
        details["detail"]
            .as_str()
            .unwrap()
            .contains("access_denied")
    );
}

#[test]
fn each_lie_of_the_id_token_is_refused() {
    let idp = Provider::start();
    let server = server(&idp, "auto_create: true\ndefault_role: viewer\n", "");
    let cases = [
        (Tamper::Nonce, "nonce"),
        (Tamper::Audience, "audience"),
        (Tamper::Issuer, "issuer"),
        (Tamper::Expired, "expired"),
        (Tamper::AlgNone, "malformed"),
        (Tamper::UnknownKey, "unknown_key"),
        (Tamper::ForgedSignature, "signature"),
        (Tamper::UserinfoSubject, "sub_mismatch"),
    ];
    for (tamper, reason) in cases {
        person(&idp);
        idp.tamper(tamper);
        let (c, r) = sign_in(&server, &idp);
        refused(&server, &c, &r, 401, "sign_in_refused", reason);
    }
    let users: i64 = server
        .db()
        .query_row("SELECT count(*) FROM users", [], |r| r.get(0))
        .unwrap();
    assert_eq!(users, 0, "no lie made an account");
    // An honest token afterwards signs in.
    person(&idp);
    assert_eq!(sign_in(&server, &idp).1.status, 200);
}

#[test]
fn a_wrong_client_secret_is_a_provider_error_not_a_crash() {
    let idp = Provider::start();
    let entry = idp
        .yaml("idp", "")
        .replace("test-client-secret", "wrong-secret");
    let server = TestServer::start_public(&format!("oidc_providers:\n{entry}"));
    person(&idp);
    let (c, r) = sign_in(&server, &idp);
    refused(&server, &c, &r, 502, "provider_error", "code_refused");
    assert_eq!(idp.refusals(), vec!["invalid_client".to_string()]);
}

#[test]
fn a_provider_down_at_start_is_asked_again_when_someone_clicks() {
    // A port nothing listens on yet.
    let port = crate::sso_support::free_port();
    let entry = format!(
        "  - id: idp\n    issuer: http://127.0.0.1:{port}\n    client_id: miauinv-test\n    client_secret: test-client-secret\n    auto_create: true\n    default_role: viewer\n"
    );
    let server = TestServer::start_public(&format!("oidc_providers:\n{entry}"));
    let c = server.client();
    let r = c.post("/api/sso/start", json!({ "provider": "idp" }));
    assert_eq!(
        (r.status, r.code().as_str()),
        (503, "provider_unreachable"),
        "{}",
        r.text
    );
    assert_eq!(last_failure(&server), "unreachable");
    // The provider comes up: the next click works.
    let idp = Provider::start_on(port);
    person(&idp);
    let (c, r) = sign_in(&server, &idp);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(c.get("/api/profile").json()["username"], "lee");
}

#[test]
fn start_and_finish_refuse_bad_input_with_a_clear_error() {
    let idp = Provider::start();
    let server = server(&idp, "", "");
    let c = server.client();
    let r = c.post("/api/sso/start", json!({ "provider": "nope" }));
    assert_eq!(
        (r.status, r.json()["field"].as_str()),
        (400, Some("provider"))
    );
    let r = c.post("/api/sso/start", json!({ "provider": "idp", "extra": 1 }));
    assert_eq!(r.status, 400);
    let r = c.post("/api/sso/finish", json!({ "state": "x".repeat(600) }));
    assert_eq!(r.status, 400, "{}", r.text);
    // A `next` that leaves the server is the dashboard instead.
    idp.next("sub-mo", json!({}));
    for next in [
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "/\t/evil.example",
    ] {
        let r = c.post("/api/sso/start", json!({ "provider": "idp", "next": next }));
        assert_eq!(r.status, 200);
        let flow_next: String = server
            .db()
            .query_row(
                "SELECT next FROM sso_flows ORDER BY rowid DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(flow_next, "/dashboard", "{next:?}");
    }
    // The link route needs a signed-in account.
    assert_eq!(
        c.post("/api/sso/link", json!({ "provider": "idp" })).status,
        401
    );
}

#[test]
fn a_bad_provider_config_stops_the_start_with_the_key_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    let no_env = |_: &str| None;
    let cases = [
        (
            "  - id: Bad Id\n    issuer: https://a.example\n    client_id: x\n",
            "oidc_providers[0].id",
        ),
        (
            "  - id: a\n    issuer: http://idp.example\n    client_id: x\n",
            "oidc_providers.a.issuer",
        ),
        (
            "  - id: a\n    issuer: https://a.example\n",
            "oidc_providers.a.client_id",
        ),
        (
            "  - id: a\n    issuer: https://a.example\n    client_id: x\n    role_map:\n      - crew: boss\n",
            "oidc_providers.a.role_map[0]",
        ),
        (
            "  - id: a\n    issuer: https://a.example\n    client_id: x\n    scopes: [profile]\n",
            "oidc_providers.a.scopes",
        ),
        (
            "  - id: a\n    issuer: https://a.example\n    client_id: x\n    client_secret_file: /no/such/file\n",
            "oidc_providers.a.client_secret_file",
        ),
        (
            "  - id: a\n    issuer: https://a.example\n    client_id: x\n    default_role: root\n",
            "oidc_providers.a.default_role",
        ),
    ];
    for (entry, key) in cases {
        std::fs::write(&path, format!("oidc_providers:\n{entry}")).unwrap();
        let err = miauinv::config::load(&path, &no_env).expect_err(entry);
        assert!(err.contains(&format!("'{key}'")), "{key}: {err}");
    }
    // The environment names its own key, and wins over the file.
    std::fs::write(
        &path,
        "oidc_providers:\n  - id: my-idp\n    issuer: https://a.example\n    client_id: x\n",
    )
    .unwrap();
    let env = |k: &str| (k == "MIAUINV_OIDC_MY_IDP_DEFAULT_ROLE").then(|| "boss".to_string());
    let err = miauinv::config::load(&path, &env).unwrap_err();
    assert!(err.contains("'MIAUINV_OIDC_MY_IDP_DEFAULT_ROLE'"), "{err}");
    let env = |k: &str| (k == "MIAUINV_OIDC_MY_IDP_CLIENT_SECRET").then(|| "from-env".to_string());
    let cfg = miauinv::config::load(&path, &env).unwrap();
    assert_eq!(cfg.oidc_providers[0].client_secret, "from-env");
    // The secret is never in the config's debug text (logs).
    assert!(!format!("{cfg:?}").contains("from-env"));
}
