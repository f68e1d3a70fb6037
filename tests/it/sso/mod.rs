//! Sign-in with an identity provider (issue 30), against real HTTP on both
//! sides: MiauInv on an ephemeral port and an OpenID provider in the test
//! process (`sso_support`) that signs what each test asks for. The browser's
//! part is played by a cookie-keeping client: start, the provider's
//! redirect, the callback's finish.

mod flows;
mod refusals;
mod strict;

use crate::common::{Client, Resp, TestServer};
use crate::sso_support::Idp;
use serde_json::{Value, json};

/// A server with one provider `idp` configured with `extra` keys (and any
/// config beside the providers in `config`).
pub fn server(idp: &dyn Idp, extra: &str, config: &str) -> TestServer {
    TestServer::start_public(&format!(
        "{config}oidc_providers:\n{}",
        idp.yaml("idp", extra)
    ))
}

/// What came back from the provider to the callback page.
pub struct Callback {
    pub state: String,
    pub code: Option<String>,
    pub error: Option<String>,
}

/// Starts a sign-in (or a link, with `link`) from `c` and follows the
/// provider's redirect to the callback's query, as a browser would.
pub fn to_provider(c: &Client, idp: &dyn Idp, link: bool) -> Callback {
    let r = if link {
        c.post("/api/sso/link", json!({ "provider": "idp" }))
    } else {
        c.post(
            "/api/sso/start",
            json!({ "provider": "idp", "next": "/items" }),
        )
    };
    assert_eq!(r.status, 200, "start: {}", r.text);
    let location = r.json()["location"].as_str().unwrap().to_string();
    let back = idp.authorize(&location);
    assert!(back.contains("/auth/oidc/callback?"), "{back}");
    let q: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(back.split_once('?').unwrap().1.as_bytes())
            .into_owned()
            .collect();
    // The callback page itself opens and hands the values to its script.
    let page = c.get(&format!(
        "/auth/oidc/callback?{}",
        back.split_once('?').unwrap().1
    ));
    assert_eq!(page.status, 200);
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    Callback {
        state: q["state"].clone(),
        code: q.get("code").cloned(),
        error: q.get("error").cloned(),
    }
}

/// The callback page's same-site POST.
pub fn finish(c: &Client, back: &Callback) -> Resp {
    let mut body = json!({ "state": back.state });
    if let Some(code) = &back.code {
        body["code"] = code.clone().into();
    }
    if let Some(error) = &back.error {
        body["error"] = error.clone().into();
    }
    c.post("/api/sso/finish", body)
}

/// A whole sign-in from a fresh browser.
pub fn sign_in(server: &TestServer, idp: &dyn Idp) -> (Client, Resp) {
    let c = server.client();
    let back = to_provider(&c, idp, false);
    let r = finish(&c, &back);
    (c, r)
}

/// The security log's events of `kind`, newest last, as (username, details).
pub fn events(server: &TestServer, kind: &str) -> Vec<(String, Value)> {
    let db = server.db();
    let mut stmt = db
        .prepare("SELECT username, details FROM security_events WHERE kind = ?1 ORDER BY id")
        .unwrap();
    stmt.query_map([kind], |r| {
        let details: String = r.get(1)?;
        Ok((r.get(0)?, serde_json::from_str(&details).unwrap()))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// The reason of the newest failed login.
pub fn last_failure(server: &TestServer) -> String {
    let failed = events(server, "login_failed");
    let (_, details) = failed.last().expect("a failed login was recorded");
    details["reason"].as_str().unwrap_or("").to_string()
}
