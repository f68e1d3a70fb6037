//! The login page's `next`, in real headless Chromium: whatever a link puts in
//! it, logging in lands on a page of our own origin. Browsers strip tab, CR and
//! LF from URLs and read `\` as `/`, so `/%09/evil.com` would be `//evil.com`,
//! another host, if `next` were checked as a string instead of parsed.

use crate::browser_support;
use crate::common;

use browser_support::{Chromium, Page};
use common::{PASSWORD, TestServer};
use serde_json::json;

/// `next` values that name another origin once a browser has parsed them.
const HOSTILE: &[&str] = &[
    "/%09/evil.com",
    "/%0A/evil.com",
    "/%0D/evil.com",
    "/%09%5Cevil.com",
    "%2F%2Fevil.com",
    "/%5Cevil.com",
    "https://evil.com/",
    "javascript:alert(1)",
];

/// Waits until the page shows `path` on the server's own origin.
fn lands_on(page: &Page, base: &str, path: &str, after: &str) {
    let expr = format!(
        "location.origin === {} && location.pathname === {} && document.readyState === 'complete'",
        json!(base),
        json!(path)
    );
    page.wait_for(&format!("land on {path} after {after}"), &expr);
}

#[test]
fn a_hostile_next_never_leaves_our_origin_after_login() {
    let server = TestServer::start();
    assert_eq!(server.client().register("alice", PASSWORD).status, 201);
    let chrome = Chromium::launch();
    for (i, next) in HOSTILE.iter().enumerate() {
        // A fresh browser: the login form, then `next`.
        let page = chrome.page(&server.base, &format!("hostile_next_{i}"));
        page.goto(&format!("/login?next={next}"));
        page.fill("#login-username", "alice")
            .fill("#login-password", PASSWORD)
            .click("#login-form button[type=submit]");
        lands_on(
            &page,
            &server.base,
            "/dashboard",
            &format!("login with next={next}"),
        );
        // With the session alive, the login page renews it and follows `next`
        // by itself, without a click: the same check applies.
        page.goto(&format!("/login?next={next}"));
        lands_on(
            &page,
            &server.base,
            "/dashboard",
            &format!("resume with next={next}"),
        );
    }
    // A page of ours is still where `next` leads.
    let page = chrome.page(&server.base, "local_next");
    page.goto("/login?next=/items%3Fq%3Dscrew");
    page.fill("#login-username", "alice")
        .fill("#login-password", PASSWORD)
        .click("#login-form button[type=submit]");
    lands_on(&page, &server.base, "/items", "login with next=/items");
    assert_eq!(page.js("location.search"), "?q=screw");
}
