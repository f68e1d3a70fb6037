//! The API reference at `/api/docs` in real headless Chromium: the vendored
//! Swagger UI renders every operation of the server's own OpenAPI document
//! under the site's CSP, with no console error (a CSP violation is one), and
//! every request the page makes stays on our origin: the page works offline.

use crate::browser_support;
use crate::common;

use browser_support::{Chromium, Page};
use common::{Client, PASSWORD, TestServer};
use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::protocol::cdp::{Log, Network, Page as Cdp, Runtime};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the page did, as DevTools reported it.
#[derive(Default)]
struct Seen {
    /// Every URL the page asked for, in order.
    requests: Vec<String>,
    /// Request id → URL, to name a request that failed.
    ids: HashMap<String, String>,
    /// Console errors, uncaught exceptions, failed and refused requests.
    problems: Vec<String>,
}

/// Watches the page's network, console and log from before it opens, and
/// records in the page every CSP violation (`window.__csp`).
fn watch(page: &Page) -> Arc<Mutex<Seen>> {
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let s = seen.clone();
    let listener = move |event: &Event| {
        let mut s = s.lock().unwrap();
        match event {
            Event::NetworkRequestWillBeSent(e) => {
                let url = e.params.request.url.clone();
                s.ids.insert(e.params.request_id.clone(), url.clone());
                s.requests.push(url);
            }
            Event::NetworkResponseReceived(e) if e.params.response.status >= 400 => {
                let r = &e.params.response;
                s.problems.push(format!("{} answered {}", r.url, r.status));
            }
            Event::NetworkLoadingFailed(e) => {
                let url = s.ids.get(&e.params.request_id).cloned().unwrap_or_default();
                s.problems
                    .push(format!("{url} failed: {}", e.params.error_text));
            }
            Event::LogEntryAdded(e)
                if matches!(e.params.entry.level, Log::LogEntryLevel::Error) =>
            {
                let entry = &e.params.entry;
                s.problems
                    .push(format!("log: {} ({:?})", entry.text, entry.url));
            }
            Event::RuntimeConsoleAPICalled(e)
                if matches!(
                    e.params.Type,
                    Runtime::ConsoleAPICalledEventTypeOption::Error
                ) =>
            {
                let args: Vec<String> = e
                    .params
                    .args
                    .iter()
                    .map(|a| {
                        a.description
                            .clone()
                            .or_else(|| a.value.as_ref().map(Value::to_string))
                            .unwrap_or_default()
                    })
                    .collect();
                s.problems
                    .push(format!("console.error: {}", args.join(" ")));
            }
            Event::RuntimeExceptionThrown(e) => {
                let d = &e.params.exception_details;
                let what = d
                    .exception
                    .as_ref()
                    .and_then(|x| x.description.clone())
                    .unwrap_or_else(|| d.text.clone());
                s.problems.push(format!("uncaught: {what}"));
            }
            _ => {}
        }
    };
    page.tab
        .add_event_listener(Arc::new(listener))
        .expect("event listener");
    let csp: Cdp::AddScriptToEvaluateOnNewDocument = serde_json::from_value(json!({
        "source": "window.__csp = []; addEventListener('securitypolicyviolation', \
            e => __csp.push(e.violatedDirective + ' refused ' + (e.blockedURI || 'inline')));"
    }))
    .expect("AddScriptToEvaluateOnNewDocument");
    page.tab.call_method(csp).expect("CSP violation collector");
    let network: Network::Enable = serde_json::from_value(json!({})).expect("Network.enable");
    page.tab.call_method(network).expect("Network.enable");
    page.tab.enable_log().expect("Log.enable");
    page.tab.enable_runtime().expect("Runtime.enable");
    seen
}

/// The operations of the server's OpenAPI document as `METHOD /path`, read
/// as `username`.
fn document_operations(server: &TestServer, username: &str) -> Vec<String> {
    let client = Client::new(&server.base);
    assert_eq!(client.login(username, PASSWORD).status, 200);
    let r = client.get("/api/openapi.json");
    assert_eq!(r.status, 200, "the document is served: {}", r.text);
    let doc = r.json();
    let methods = ["get", "put", "post", "delete", "patch", "head", "options"];
    let mut ops: Vec<String> = doc["paths"]
        .as_object()
        .unwrap_or_else(|| panic!("no paths in the document: {doc}"))
        .iter()
        .flat_map(|(path, item)| {
            methods
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(move |m| format!("{} {path}", m.to_uppercase()))
        })
        .collect();
    ops.sort();
    ops
}

/// The operations the page shows as `METHOD /path` (Swagger UI puts a
/// zero-width space before each `/` of a path so long ones can wrap).
fn shown_operations(page: &Page) -> Vec<String> {
    let text = page.js(
        "JSON.stringify([...document.querySelectorAll('.opblock-summary')].map(s => \
           s.querySelector('.opblock-summary-method').textContent.trim() + ' ' + \
           s.querySelector('.opblock-summary-path').textContent.replace(/\\u200b/g, '').trim()))",
    );
    let mut ops: Vec<String> =
        serde_json::from_str(text.as_str().expect("JSON text")).expect("a list of operations");
    ops.sort();
    ops
}

#[test]
fn api_reference_renders_every_operation_offline_under_the_site_policy() {
    let server = TestServer::start();

    // A page, not a JSON route, though it lives under /api/; with the site's
    // policy, unrelaxed.
    let r = Client::new(&server.base).get("/api/docs");
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.header("content-type")
            .unwrap_or("")
            .starts_with("text/html"),
        "{:?}",
        r.header("content-type")
    );
    let csp = r.header("content-security-policy").unwrap_or("");
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(!csp.contains("unsafe"), "{csp}");

    // In the browser signed in, so the document loads whatever access the
    // routing table gives it.
    let chrome = Chromium::launch();
    let page = chrome.page(&server.base, "api_reference");
    page.register("ada", PASSWORD);
    let seen = watch(&page);

    // Found the way a person finds it: the link in the footer.
    page.click("footer a[href='/api/docs']")
        .wait_path("/api/docs");
    page.loaded("open the API reference");
    page.wait_for(
        "the operations are rendered",
        "document.querySelectorAll('.opblock-summary').length > 0",
    );
    let expected = document_operations(&server, "ada");
    let shown = shown_operations(&page);
    assert_eq!(shown, expected, "every operation of the document, once");
    assert!(
        shown.iter().any(|op| op == "GET /api/item"),
        "the inventory is documented: {shown:?}"
    );

    // Opening an operation renders its parameters and responses too.
    page.click("[data-path='/api/item']");
    page.wait_visible(".opblock.is-open .responses-wrapper");

    // Late requests and errors count: give the page a moment to settle (a
    // negative check, so a bounded wait: nothing shows that none will come).
    std::thread::sleep(Duration::from_millis(500));
    let violations = page.js("JSON.stringify(window.__csp)");
    assert_eq!(violations, json!("[]"), "CSP violations");
    let errors = page.js("JSON.stringify(window.__errors)");
    assert_eq!(errors, json!("[]"), "script errors");
    let seen = seen.lock().unwrap();
    assert!(seen.problems.is_empty(), "{:#?}", seen.problems);
    let elsewhere: Vec<&String> = seen
        .requests
        .iter()
        .filter(|url| !url.starts_with(&format!("{}/", server.base)) && !url.starts_with("data:"))
        .collect();
    assert!(
        elsewhere.is_empty(),
        "requests off the origin: {elsewhere:#?}"
    );
    for wanted in [
        "/api/openapi.json",
        "swagger-ui-bundle.js",
        "swagger-ui.css",
    ] {
        assert!(
            seen.requests.iter().any(|url| url.contains(wanted)),
            "{wanted} among {:#?}",
            seen.requests
        );
    }
}
