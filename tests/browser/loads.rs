//! Pages finish loading: headless Chromium opens `/login` and `/dashboard` in
//! fresh browser contexts (no cache, no cookies, no open connections: a fresh
//! profile as far as the server can tell), on freshly started servers and on
//! a warm one, and the DevTools Network events show every request the page
//! made to the server finished or failed; none is left pending. (A request
//! stranded in tiny_http's pool once left the login form dead.)

use crate::browser_support;
use crate::common;

use browser_support::{Chromium, Page};
use common::{Client, PASSWORD, TestServer};
use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::protocol::cdp::{Network, Page as Cdp};
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Rounds of four loads (two of each page) per kind of server: 32 loads of
/// each page in all.
const ROUNDS: usize = 8;
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

/// A page in a fresh browser context that watches its requests to the server.
struct Load<'c> {
    page: Page,
    path: &'c str,
    label: String,
    /// Request id → URL of every request to our server not yet over.
    pending: Arc<Mutex<HashMap<String, String>>>,
    seen: Arc<Mutex<usize>>,
}

/// A fresh context with `cookies`, watching the Network events, not yet
/// navigated (so that several loads can start at once).
fn prepare<'c>(
    chrome: &Chromium,
    server: &TestServer,
    path: &'c str,
    cookies: &[(String, String, String)],
    label: String,
) -> Load<'c> {
    let page = chrome.page(&server.base, &label);
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
    Load {
        page,
        path,
        label,
        pending,
        seen,
    }
}

impl Load<'_> {
    fn settles_after_navigate(self) {
        self.navigate();
        self.settles(Instant::now());
    }

    fn navigate(&self) {
        let url = format!("{}{}", self.page.base, self.path);
        let go: Cdp::Navigate = serde_json::from_value(json!({ "url": url })).unwrap();
        self.page.tab.call_method(go).unwrap();
    }

    /// Waits until the document has loaded and every request to the server
    /// has finished or failed (and stays so for `QUIET`), for at most
    /// `SETTLE` after `started`.
    fn settles(self, started: Instant) {
        let (page, path, label) = (&self.page, self.path, &self.label);
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
            let settled = landed.starts_with('/')
                && *self.seen.lock().unwrap() > 0
                && self.pending.lock().unwrap().is_empty();
            settled_at = match (settled, settled_at) {
                (true, Some(t)) if t.elapsed() >= QUIET => break landed,
                (true, at) => at.or(Some(Instant::now())),
                (false, _) => None,
            };
            if started.elapsed() > SETTLE {
                let left: Vec<String> = self.pending.lock().unwrap().values().cloned().collect();
                page.fail(
                    &format!("{label}: load {path}"),
                    format!("after {SETTLE:?}, still pending: {left:?} (document at {landed:?})"),
                );
            }
            // The polling step of this wait (it fails with the page's
            // state, so it is not `wait_until`).
            std::thread::sleep(Duration::from_millis(25));
        };
        assert_eq!(landed, path, "{label}: landed elsewhere");
        let _ = page.tab.close(false);
    }
}

/// Two loads of `/login` and two of `/dashboard` (with `cookies`), started
/// at once, as several people opening the app together would.
fn four_loads_at_once(
    chrome: &Chromium,
    server: &TestServer,
    cookies: &[(String, String, String)],
    round: &str,
) {
    let loads: Vec<Load> = ["/login", "/login", "/dashboard", "/dashboard"]
        .into_iter()
        .enumerate()
        .map(|(i, path)| {
            let cookies = if path == "/dashboard" { cookies } else { &[] };
            prepare(chrome, server, path, cookies, format!("{round}_{i}"))
        })
        .collect();
    for load in &loads {
        load.navigate();
    }
    let started = Instant::now();
    for load in loads {
        load.settles(started);
    }
}

#[test]
fn login_and_dashboard_finish_loading_on_fresh_and_warm_servers() {
    let chrome = Chromium::launch();
    // A first load on its own: Chromium starts its network service and first
    // renderer before the rounds begin.
    let warm = TestServer::start();
    let warm_cookies = session_cookies(&warm, "warm");
    prepare(&chrome, &warm, "/login", &[], "warm_up".into()).settles_after_navigate();
    // Fresh servers and the warm one side by side (the browser mostly waits
    // on DevTools round trips, not on the CPU).
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for round in 0..ROUNDS {
                let server = TestServer::start();
                let cookies = session_cookies(&server, "fresh");
                four_loads_at_once(&chrome, &server, &cookies, &format!("fresh_{round}"));
            }
        });
        scope.spawn(|| {
            for round in 0..ROUNDS {
                four_loads_at_once(&chrome, &warm, &warm_cookies, &format!("warm_{round}"));
            }
        });
    });
}
