//! Against a strict, certified provider (`oidc-provider` from npm): what the
//! other two providers do not enforce. Its PKCE check refuses a code
//! finished by another sign-in of the same browser (an unused code with the
//! wrong verifier), the nonce it echoes is the one MiauInv checks, and the
//! provider logout MiauInv offers is one it accepts (its client id and a
//! registered post-logout address).

use super::*;
use crate::sso_support::{Idp, NodeIdp, free_port};
use serde_json::json;

#[test]
fn a_strict_provider_enforces_pkce_echoes_the_nonce_and_takes_our_logout() {
    let port = free_port();
    let entry = format!(
        "  - id: idp\n    name: Node IdP\n    issuer: http://127.0.0.1:{port}\n    client_id: miauinv-test\n    client_secret: test-client-secret\n    auto_create: true\n    default_role: viewer\n"
    );
    let server = TestServer::start_public(&format!("oidc_providers:\n{entry}"));
    Client::signed_up(&server, "root");
    let idp = NodeIdp::start(
        port,
        &server.url("/auth/oidc/callback"),
        &server.url("/login"),
    );
    idp.next("nia", json!({}));
    // The whole flow, its nonce checked against the one the provider echoed.
    let (c, r) = sign_in(&server, &idp);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["user"]["username"], "nia");

    // A code the provider gave to one sign-in, finished by the next one of
    // the same browser: the code is fresh, but the verifier is the other
    // sign-in's.
    let b = server.client();
    let first = to_provider(&b, &idp, false);
    let second = to_provider(&b, &idp, false);
    let crossed = Callback {
        state: second.state.clone(),
        code: first.code.clone(),
        error: None,
    };
    let r = finish(&b, &crossed);
    assert_eq!(
        (r.status, r.code().as_str()),
        (502, "provider_error"),
        "{}",
        r.text
    );
    assert_eq!(last_failure(&server), "code_refused");
    let (_, details) = events(&server, "login_failed").pop().unwrap();
    assert!(
        details["detail"]
            .as_str()
            .unwrap()
            .contains("invalid_grant"),
        "{details}"
    );

    // The logout MiauInv offers: the provider asks to confirm, it does not
    // refuse the request.
    let out = c.post("/api/logout", json!({})).json();
    let url = out["provider_logout"]["url"]
        .as_str()
        .expect("a provider logout")
        .to_string();
    let mut page = ureq::get(&url).call().expect("the provider answers");
    assert_eq!(page.status().as_u16(), 200);
    let html = page.body_mut().read_to_string().unwrap();
    assert!(
        html.contains("logout") && !html.contains("invalid_request"),
        "{html}"
    );
}
