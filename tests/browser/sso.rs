//! Sign-in with an identity provider in real headless Chromium, through a
//! real OpenID provider (`oidc-provider-mock`): the login page's button, the
//! provider's own sign-in page, the way back cross-site to the callback page,
//! which finishes the sign-in same-site, and the dashboard with the role the
//! person's groups map to. Then Settings shows the linked provider, logging
//! out offers the provider's logout, and a refused sign-in is a clear page
//! with a way back.

use crate::browser_support::Chromium;
use crate::common::{Client, TestServer};
use crate::sso_support::{Idp, MockIdp};
use serde_json::json;

#[test]
fn a_person_signs_in_with_the_provider_and_lands_on_the_dashboard_with_the_mapped_role() {
    let idp = MockIdp::start();
    let extra = "auto_create: true\nrole_map:\n  - crew: editor\ndefault_role: deny\n";
    let server = TestServer::start_public(&format!("oidc_providers:\n{}", idp.yaml("idp", extra)));
    Client::signed_up(&server, "root");
    idp.next(
        "nia-sub",
        json!({ "preferred_username": "nia", "groups": ["crew"] }),
    );

    let chrome = Chromium::launch();
    let page = chrome.page(&server.base, "sso_sign_in");
    page.goto("/dashboard").wait_path("/login");
    page.click("[data-sso-provider=idp]");
    page.wait_for(
        "the provider's sign-in page",
        &format!("location.origin === {:?} && document.readyState === 'complete' && !!document.querySelector('input[name=sub]')", idp.issuer()),
    );
    page.fill("input[name=sub]", "nia-sub")
        .click("form button[type=submit]")
        .wait_path("/dashboard");
    let me = page
        .js("fetch('/api/profile').then(r => r.json()).then(p => [p.username, p.role].join(' '))");
    assert_eq!(me, json!("nia editor"));
    // The code and state are gone from the history.
    let callback_urls =
        page.js("performance.getEntriesByType('navigation').map(e => e.name).join(' ')");
    assert!(
        !callback_urls.as_str().unwrap_or("").contains("code="),
        "{callback_urls}"
    );

    page.goto("/profile/settings");
    page.wait_text("#sso-list [data-provider=idp]", "Unlink");
    // Logging out offers the provider's own logout.
    page.click("#logout").wait_path("/login");
    page.wait_visible("#provider-logout a");
    let href = page.js("document.querySelector('#provider-logout a').href");
    let end = format!("{}/oauth2/end_session?", idp.issuer());
    assert!(href.as_str().unwrap_or("").starts_with(&end), "{href}");

    // Someone the groups give nothing: a clear page with the way back.
    idp.next(
        "odd-sub",
        json!({ "preferred_username": "odd", "groups": ["strangers"] }),
    );
    let page = chrome.page(&server.base, "sso_refused");
    page.goto("/login");
    page.click("[data-sso-provider=idp]");
    page.wait_for(
        "the provider's sign-in page",
        &format!(
            "location.origin === {:?} && !!document.querySelector('input[name=sub]')",
            idp.issuer()
        ),
    );
    page.fill("input[name=sub]", "odd-sub")
        .click("form button[type=submit]")
        .wait_path("/auth/oidc/callback");
    page.wait_text("#sso-failure", "give no access");
    page.wait_visible("#sso-failed a[href='/login']");
}
