//! The routing table's access column, walked whole: every route in `ROUTES`
//! is called by every kind of caller (nobody, a viewer, an editor, an admin,
//! and personal API tokens of each scope), and each answer is checked against
//! what the column promises. A new route is covered the day it is added.

use crate::common;

use common::{Client, PASSWORD, Resp, TestServer};
use miauinv::ctx::Access;
use miauinv::http::Method;
use miauinv::router::ROUTES;
use serde_json::json;

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Caller {
    Nobody,
    Viewer,
    Editor,
    Admin,
    /// The admin's read-scoped personal token.
    ReadToken,
    /// The admin's write-scoped personal token.
    WriteToken,
    /// A viewer's write-scoped token: a token never gives more than its owner's role.
    ViewerWriteToken,
}

const CALLERS: [Caller; 7] = [
    Caller::Nobody,
    Caller::Viewer,
    Caller::Editor,
    Caller::Admin,
    Caller::ReadToken,
    Caller::WriteToken,
    Caller::ViewerWriteToken,
];

/// The codes with which the access layer turns a caller away.
const REFUSALS: [&str; 5] = [
    "unauthenticated",
    "read_only",
    "admin_only",
    "token_not_allowed",
    "read_only_token",
];

/// What the table promises: `None` = admitted, else the refusal's code.
fn expected(access: Access, caller: Caller, writes: bool) -> Option<&'static str> {
    use Caller::*;
    let token = matches!(caller, ReadToken | WriteToken | ViewerWriteToken);
    match access {
        Access::Public => None,
        _ if caller == Nobody => Some("unauthenticated"),
        Access::Account | Access::Admin if token => Some("token_not_allowed"),
        _ if caller == ReadToken && writes => Some("read_only_token"),
        Access::Editor if matches!(caller, Viewer | ViewerWriteToken) => Some("read_only"),
        Access::Admin if caller != Admin => Some("admin_only"),
        _ => None,
    }
}

fn method_name(m: Method) -> &'static str {
    m.as_str()
}

struct World {
    server: TestServer,
    nobody: Client,
    viewer: Client,
    editor: Client,
    admin: Client,
    read_token: Client,
    write_token: Client,
    viewer_write_token: Client,
}

fn token_client(server: &TestServer, owner: &Client, scope: &str) -> Client {
    let r = owner.post(
        "/api/tokens",
        json!({"name": format!("{scope} script"), "scope": scope}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let secret = r.json()["token"].as_str().unwrap().to_string();
    assert!(secret.starts_with("miau_"), "{secret}");
    let mut c = server.client();
    c.bearer = Some(secret);
    c
}

fn world() -> World {
    let server = TestServer::start();
    let admin = Client::signed_up(&server, "ada");
    let editor = Client::signed_up(&server, "eddie");
    let viewer = Client::signed_up(&server, "vera");
    let users = admin.get("/api/admin/users").json();
    let vera = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "vera")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = admin.put(
        &format!("/api/admin/users?id={vera}"),
        json!({"role": "viewer"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let read_token = token_client(&server, &admin, "read");
    let write_token = token_client(&server, &admin, "write");
    let viewer_write_token = token_client(&server, &viewer, "write");
    World {
        nobody: server.client(),
        server,
        viewer,
        editor,
        admin,
        read_token,
        write_token,
        viewer_write_token,
    }
}

impl World {
    fn client(&self, caller: Caller) -> &Client {
        match caller {
            Caller::Nobody => &self.nobody,
            Caller::Viewer => &self.viewer,
            Caller::Editor => &self.editor,
            Caller::Admin => &self.admin,
            Caller::ReadToken => &self.read_token,
            Caller::WriteToken => &self.write_token,
            Caller::ViewerWriteToken => &self.viewer_write_token,
        }
    }
}

fn call(c: &Client, method: Method, path: &str) -> Resp {
    match method {
        Method::Get | Method::Delete => c.send(method_name(method), path, None),
        // Ending the other sessions would revoke the callers' API tokens too
        // (its default): the token callers after it would only meet a 401.
        _ if path == "/api/sessions/revoke-others" => {
            c.send("POST", path, Some(json!({"revoke_tokens": false})))
        }
        _ => c.send(method_name(method), path, Some(json!({}))),
    }
}

#[test]
fn every_route_answers_each_role_and_token_as_its_access_column_says() {
    let w = world();
    // Logging out ends the caller's sessions: it goes last.
    let mut routes: Vec<_> = ROUTES.iter().collect();
    routes.sort_by_key(|r| r.path == "/api/logout");
    let mut checked = 0;
    for route in routes {
        let path = route.path.replace('*', "css/app.css");
        let writes = !matches!(route.method, Method::Get | Method::Head);
        for caller in CALLERS {
            let r = call(w.client(caller), route.method, &path);
            let what = format!(
                "{} {path} ({:?}) as {caller:?}: {} {}",
                method_name(route.method),
                route.access,
                r.status,
                r.text.chars().take(200).collect::<String>()
            );
            let code = serde_json::from_str::<serde_json::Value>(&r.text)
                .ok()
                .and_then(|v| v["code"].as_str().map(str::to_string))
                .unwrap_or_default();
            match expected(route.access, caller, writes) {
                Some("unauthenticated") if !path.starts_with("/api/") => {
                    assert_eq!(r.status, 303, "{what}");
                    assert!(
                        r.header("location").unwrap_or("").starts_with("/login"),
                        "{what}"
                    );
                }
                Some(refusal) if !path.starts_with("/api/") => {
                    // Pages answer refusals as HTML error pages.
                    assert_eq!(r.status, 403, "{refusal}: {what}");
                }
                Some(refusal) => {
                    let status = if refusal == "unauthenticated" {
                        401
                    } else {
                        403
                    };
                    assert_eq!((r.status, code.as_str()), (status, refusal), "{what}");
                }
                None => {
                    assert!(!REFUSALS.contains(&code.as_str()), "{what}");
                    assert!(r.status < 500, "{what}");
                    // A page admitted is a page, not the way to the login
                    // (the landing page sends the signed-in to the dashboard).
                    if path != "/" {
                        assert_ne!(r.status, 303, "{what}");
                    }
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, ROUTES.len() * CALLERS.len());
}

#[test]
fn a_viewer_reads_everything_and_changes_nothing() {
    let w = world();
    let item = w.admin.created("/api/item", json!({"name": "Resistor"}));
    let r = w.viewer.get(&format!("/api/item?id={item}"));
    assert_eq!(r.status, 200, "{}", r.text);
    for (method, path, body) in [
        (
            "POST",
            "/api/item".to_string(),
            json!({"name": "Capacitor"}),
        ),
        (
            "PUT",
            format!("/api/item?id={item}"),
            json!({"name": "Renamed"}),
        ),
        ("DELETE", format!("/api/item?id={item}"), json!(null)),
        (
            "POST",
            "/api/location".to_string(),
            json!({"name": "Shelf"}),
        ),
    ] {
        let body = (!body.is_null()).then_some(body);
        let r = w.viewer.send(method, &path, body);
        assert_eq!(
            (r.status, r.code()),
            (403, "read_only".into()),
            "{method} {path}: {}",
            r.text
        );
    }
    // Nothing changed.
    assert_eq!(
        w.admin.get(&format!("/api/item?id={item}")).json()["name"],
        "Resistor"
    );
    assert_eq!(w.admin.get("/api/item").json().as_array().unwrap().len(), 1);
    // Their own account stays theirs to manage.
    let r = w.viewer.get("/api/profile");
    assert_eq!(r.json()["role"], "viewer");
    let r = w.viewer.post(
        "/api/account/password",
        json!({"old_password": PASSWORD, "new_password": "another fine password"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let _ = &w.server;
}
