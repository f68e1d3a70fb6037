//! No password, code or token travels in an address (issue 28). Every form
//! of the pages is a POST to `/no-script`, which answers a plain page and
//! keeps nothing: with JavaScript off (or before a page's module has attached
//! its handler) a submitted form lands there. Each form that holds a
//! password, a 2FA code or a secret is submitted natively in Chromium with
//! scripts disabled; neither the address it leads to nor the real server's
//! access log holds what was typed. One-time link pages send no `Referer`.

use crate::browser_support::{Chromium, Page};
use crate::common::spawned::{self, Spawned};
use crate::common::{Client, PASSWORD};
use headless_chrome::protocol::cdp::Emulation;
use serde_json::json;

/// Fills every field of every form on the page with a marker and submits
/// each form natively (no page script runs), one after the other; answers
/// the markers typed.
fn submit_every_form(page: &Page, server: &Spawned, path: &str) -> Vec<String> {
    page.goto(path);
    let forms =
        page.js("document.querySelectorAll('form:not([method=dialog]):not([method=get])').length");
    let forms = forms.as_u64().expect("a count");
    assert!(forms > 0, "{path} has no form");
    let mut typed = Vec::new();
    for n in 0..forms {
        if n > 0 {
            page.goto(path);
        }
        let marker = format!("leak{}x{n}secret", path.len());
        // Text, password and code fields; the form may be hidden until a
        // script would show it: a native submission sends it all the same.
        // The marker on the old window tells `loaded` to wait for the next
        // document, not to answer for this one.
        let filled = page.js(&format!(
            "(() => {{ const f = document.querySelectorAll('form:not([method=dialog]):not([method=get])')[{n}]; \
               const fields = [...f.querySelectorAll('input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=file]):not([type=submit]), textarea')]; \
               fields.forEach((i) => {{ i.removeAttribute('maxlength'); i.removeAttribute('pattern'); i.value = '{marker}'; }}); \
               window.__leaving = true; f.noValidate = true; f.requestSubmit(); return fields.length; }})()"
        ));
        page.loaded(&format!("the native submission of form {n} on {path}"));
        let landed = page.tab.get_url();
        assert!(
            landed.ends_with("/no-script"),
            "form {n} on {path} ({filled} fields) went to {landed}"
        );
        assert!(!landed.contains(&marker), "{landed}");
        let heading = page.text("h1");
        assert!(
            heading.contains("needs JavaScript"),
            "{landed}: {heading}\n{}",
            server.log()
        );
        typed.push(marker);
    }
    typed
}

fn scripts_off(page: &Page) {
    let off: Emulation::SetScriptExecutionDisabled =
        serde_json::from_value(json!({ "value": true })).expect("SetScriptExecutionDisabled");
    page.tab.call_method(off).expect("scripts turned off");
}

#[test]
fn forms_submitted_without_script_leak_nothing_into_addresses_or_the_log() {
    let root = tempfile::tempdir().unwrap();
    let appdata = root.path().join("appdata");
    std::fs::create_dir(&appdata).unwrap();
    let (config, port) = spawned::config(&appdata);
    std::fs::write(appdata.join("config.yaml"), config).unwrap();
    let server = Spawned::serve(&appdata, port, "022");

    // An admin, a second account with a reset link, and an invitation.
    let admin = Client::new(&server.base);
    assert_eq!(admin.register("alice", PASSWORD).status, 201);
    assert_eq!(admin.login("alice", PASSWORD).status, 200);
    assert_eq!(
        Client::new(&server.base).register("bob", PASSWORD).status,
        201
    );
    let users = admin.get("/api/admin/users").json();
    let bob = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "bob")
        .expect("bob")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let link = |r: crate::common::Resp| -> String {
        assert_eq!(r.status, 201, "{}", r.text);
        // No public address is configured: the link is handed out as a path.
        r.json()["path"].as_str().unwrap().to_string()
    };
    let reset = link(admin.post(&format!("/api/admin/users/reset-link?id={bob}"), json!({})));
    let invite = link(admin.post("/api/admin/invites", json!({"role": "viewer"})));
    // A one-time link's page tells the browser to send no Referer from it.
    for path in [&reset, &invite] {
        let r = admin.get(path);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("Referrer-Policy"), Some("no-referrer"), "{path}");
    }

    let chrome = Chromium::launch();
    let mut typed = Vec::new();
    // Signed out: the login (with its 2FA step), registration, an
    // invitation and a reset link.
    let visitor = chrome.page(&server.base, "no_script_visitor");
    scripts_off(&visitor);
    for path in ["/login", "/register", invite.as_str(), reset.as_str()] {
        typed.extend(submit_every_form(&visitor, &server, path));
    }
    // Signed in (with scripts on, then off): every form of the settings
    // (password, 2FA codes, passkeys, tokens, the notice address) and the
    // admin's notification channels (SMTP passwords, signing secrets).
    let signed_in = chrome.page(&server.base, "no_script_admin");
    signed_in.log_in("alice", PASSWORD);
    scripts_off(&signed_in);
    for path in ["/profile/settings", "/admin/notifications", "/admin"] {
        typed.extend(submit_every_form(&signed_in, &server, path));
    }

    let log = server.log();
    assert!(
        log.matches("POST /no-script 200").count() >= typed.len(),
        "every native submission reached /no-script: {log}"
    );
    for marker in &typed {
        assert!(!log.contains(marker.as_str()), "{marker} in the log: {log}");
    }
    // The links' tokens are not in the log either: it has paths only.
    for path in [&reset, &invite] {
        let token = path.split("token=").nth(1).expect("a token");
        assert!(!log.contains(token), "a link's token in the log: {log}");
    }
}
