//! Pages finish loading: headless Chromium opens `/login` and `/dashboard` in
//! fresh browser contexts (no cache, no cookies, no open connections: a fresh
//! profile as far as the server can tell), on freshly started servers and on
//! a warm one, and the DevTools Network events show every request the page
//! made to the server finished or failed; none is left pending. (A request
//! stranded in tiny_http's pool once left the login form dead.)

mod browser_support;
mod common;

use browser_support::Chromium;
use common::{Client, PASSWORD, TestServer};
use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::protocol::cdp::{Network, Page as Cdp};
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Loads per page and kind of server.
const LOADS: usize = 15;
/// How long a page has to settle.
const SETTLE: Duration = Duration::from_secs(5);
/// How long the page must stay settled (late script requests count too).
const QUIET: Duration = Duration::from_millis(300);

/// The session cookies of a new account (name, value, path).
fn session_cookies(server: &TestServer, username: &str) -> Vec<(String, String, String)> {
    let client = Client::new(&server.base);
    assert_eq!(client.register(username, PASSWORD).status, 201);
    let login = client.login(username, PASSWORD);
    assert_eq!(login.status, 200, "{}", login.text);
    login
        .headers_named("set-cookie")
        .iter()
        .filter_map(|c| {
            let mut parts = c.split(';').map(str::trim);
            let (name, value) = parts.next()?.split_once('=')?;
            let path = parts.find_map(|p| p.strip_prefix("Path=")).unwrap_or("/");
            Some((name.to_string(), value.to_string(), path.to_string()))
        })
        .collect()
}

/// Opens `path` in a fresh context with `cookies` and waits until every
/// request to the server has finished or failed, for at most `SETTLE`.
fn load_settles(
    chrome: &Chromium,
    server: &TestServer,
    path: &str,
    cookies: &[(String, String, String)],
    label: &str,
) {
    let page = chrome.page(&server.base, label);
    // Request id → URL of every request to our server not yet over.
    let pending: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let seen: Arc<Mutex<usize>> = Arc::default();
    let (p, s, base) = (pending.clone(), seen.clone(), server.base.clone());
    let listener = move |event: &Event| {
        let mut pending = p.lock().unwrap();
        match event {
            Event::NetworkRequestWillBeSent(e) if e.params.request.url.starts_with(&base) => {
                pending.insert(e.params.request_id.clone(), e.params.request.url.clone());
                *s.lock().unwrap() += 1;
            }
            Event::NetworkLoadingFinished(e) => {
                pending.remove(&e.params.request_id);
            }
            Event::NetworkLoadingFailed(e) => {
                pending.remove(&e.params.request_id);
            }
            _ => {}
        }
    };
    page.tab.add_event_listener(Arc::new(listener)).unwrap();
    let enable: Network::Enable = serde_json::from_value(json!({})).unwrap();
    page.tab.call_method(enable).unwrap();
    if !cookies.is_empty() {
        let cookies: Vec<_> = cookies
            .iter()
            .map(|(name, value, path)| {
                json!({ "name": name, "value": value, "url": server.base, "path": path })
            })
            .collect();
        let set: Network::SetCookies =
            serde_json::from_value(json!({ "cookies": cookies })).unwrap();
        page.tab.call_method(set).unwrap();
    }
    let go: Cdp::Navigate = serde_json::from_value(json!({ "url": server.url(path) })).unwrap();
    page.tab.call_method(go).unwrap();

    let started = Instant::now();
    let mut settled_at: Option<Instant> = None;
    let landed = loop {
        // The path of the document, once it has loaded ("" before).
        let landed = page
            .tab
            .evaluate(
                "document.readyState === 'complete' ? location.pathname : ''",
                false,
            )
            .ok()
            .and_then(|o| o.value)
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        let complete = landed.starts_with('/');
        let settled = complete && *seen.lock().unwrap() > 0 && pending.lock().unwrap().is_empty();
        settled_at = match (settled, settled_at) {
            (true, Some(t)) if t.elapsed() >= QUIET => break landed,
            (true, at) => at.or(Some(Instant::now())),
            (false, _) => None,
        };
        if started.elapsed() > SETTLE {
            let left: Vec<String> = pending.lock().unwrap().values().cloned().collect();
            page.fail(
                &format!("{label}: load {path}"),
                format!("after {SETTLE:?}, still pending: {left:?} (document at {landed:?})"),
            );
        }
        std::thread::sleep(Duration::from_millis(25));
    };
    assert_eq!(landed, path, "{label}: landed elsewhere");
    let _ = page.tab.close(false);
}

#[test]
fn login_and_dashboard_finish_loading_on_fresh_and_warm_servers() {
    let chrome = Chromium::launch();
    let warm = TestServer::start();
    let warm_cookies = session_cookies(&warm, "warm");
    // One load first: Chromium starts its network service and first renderer
    // before four series start at once.
    load_settles(&chrome, &warm, "/login", &[], "warm_up");
    // Four series side by side in one browser (the browser waits on DevTools
    // round trips, not on the CPU): fresh servers for each page, and the warm one.
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for i in 0..LOADS {
                let server = TestServer::start();
                load_settles(&chrome, &server, "/login", &[], &format!("fresh_login_{i}"));
            }
        });
        scope.spawn(|| {
            for i in 0..LOADS {
                let server = TestServer::start();
                let cookies = session_cookies(&server, "fresh");
                let label = format!("fresh_dashboard_{i}");
                load_settles(&chrome, &server, "/dashboard", &cookies, &label);
            }
        });
        scope.spawn(|| {
            for i in 0..LOADS {
                load_settles(&chrome, &warm, "/login", &[], &format!("warm_login_{i}"));
            }
        });
        scope.spawn(|| {
            for i in 0..LOADS {
                let label = format!("warm_dashboard_{i}");
                load_settles(&chrome, &warm, "/dashboard", &warm_cookies, &label);
            }
        });
    });
}
