//! End-to-end tests in real headless Chromium against the real server: what a
//! person does in the browser, click by click. Needs Debian's `chromium`
//! (`apt-get install -y chromium`); without it these tests fail and say so.

use crate::browser_support;
use crate::common;

use browser_support::{Chromium, Page};
use common::{PASSWORD, TestServer};

/// Sets the value of a number field (typing into type=number is fiddly over CDP
/// and adds nothing to what is being tested).
fn set_number(page: &Page, selector: &str, value: i64) {
    page.fill(selector, &value.to_string());
}

fn stat(page: &Page, key: &str) -> String {
    page.text(&format!("[data-stat=\"{key}\"]"))
}

#[test]
fn main_journey_from_registration_to_logout() {
    let server = TestServer::start();
    let chrome = Chromium::launch();
    let page = chrome.page(&server.base, "main_journey");

    // The landing page leads to registration; registering logs straight in.
    page.goto("/");
    page.wait_text("h1", "Know where every part is");
    page.click_text(".hero", "Create an account");
    page.wait_path("/register");
    page.register("alice", PASSWORD);
    page.wait_text(".user-name", "alice");
    page.wait_for(
        "stats are loaded",
        "document.querySelector('[data-stat=items]').textContent.trim() === '0'",
    );

    // Log out and back in.
    page.click("#logout").wait_path("/login");
    assert!(!page.cookie_names().iter().any(|c| c == "access_token"));
    page.submit_login("alice", PASSWORD);
    page.wait_path("/dashboard");

    // A location, a second location and an item.
    page.goto("/locations");
    for name in ["Shelf A", "Van"] {
        page.click("#new-button").fill("#location-name", name);
        page.click("#edit-form button[type=submit]");
        page.wait_text("[data-rows]", name);
    }
    page.goto("/items");
    page.click("#new-button")
        .fill("#item-name", "M3 screw <b>")
        .fill("#item-category", "Fasteners");
    set_number(&page, "#item-total", 10);
    page.click("#edit-form button[type=submit]");
    page.wait_text("[data-rows]", "M3 screw <b>");
    // Names are shown as text, never as markup.
    assert_eq!(
        page.js("document.querySelectorAll('[data-rows] b').length"),
        0
    );

    // Stock it, create a project, allocate.
    page.goto("/inventory");
    page.pick("#stock-item", "M3 screw <b>")
        .pick("#stock-location", "Shelf A");
    set_number(&page, "#stock-quantity", 6);
    page.click("#stock-form button[type=submit]");
    page.wait_text("[data-rows] .loc-chips", "Shelf A×6");
    page.goto("/projects");
    page.click("#new-button")
        .fill("#project-name", "Robot arm")
        .fill("#project-description", "Six axes");
    page.click("#edit-form button[type=submit]");
    page.wait_text("[data-rows]", "Robot arm");
    page.goto("/inventory");
    page.pick("#allocate-item", "M3 screw <b>")
        .pick("#allocate-project", "Robot arm");
    set_number(&page, "#allocate-quantity", 4);
    page.click("#allocate-form button[type=submit]");
    page.wait_for(
        "the row counts the allocation",
        "document.querySelector('[data-rows] tr td:nth-child(4)')?.textContent === '4'",
    );

    // The dashboard counts all of it.
    page.goto("/dashboard");
    page.wait_for(
        "stats are loaded",
        "document.querySelector('[data-stat=items]').textContent.trim() === '1'",
    );
    assert_eq!(stat(&page, "locations"), "2");
    assert_eq!(stat(&page, "projects"), "1");
    assert_eq!(stat(&page, "units_stocked"), "6");
    assert_eq!(stat(&page, "units_allocated"), "4");
    page.wait_text("#moves-list", "M3 screw <b>");

    // Allocating more than is left shows the API's sentence next to the form.
    page.goto("/inventory");
    page.pick("#allocate-item", "M3 screw <b>")
        .pick("#allocate-project", "Robot arm");
    set_number(&page, "#allocate-quantity", 50);
    page.click("#allocate-form button[type=submit]");
    page.wait_visible("#allocate-form [data-error]");
    let message = page.text("#allocate-form [data-error]");
    assert!(message.contains("left to allocate"), "{message}");
    assert!(page.text("#stock-form [data-error]").is_empty());

    // Move 2 from the shelf to the van, starting from the row's quick action.
    page.click("[data-rows] button[aria-label^='Move']");
    assert_eq!(
        page.js("document.querySelector('#move-item').value"),
        "M3 screw <b>"
    );
    assert_eq!(
        page.js("document.querySelector('#move-from').value"),
        "Shelf A"
    );
    assert_eq!(page.focused(), "move-to");
    page.pick("#move-to", "Van");
    set_number(&page, "#move-quantity", 2);
    page.fill("#move-note", "for the site visit");
    page.click("#move-form button[type=submit]");
    page.wait_text("[data-rows] .loc-chips", "Van×2");
    page.wait_text("[data-rows] .loc-chips", "Shelf A×4");

    // The item's own page shows where it is and what happened.
    page.click("[data-rows] th a");
    page.wait_path("/inventory");
    page.wait_visible("#item-detail");
    page.wait_text("[data-detail=locations]", "Van");
    page.wait_text("[data-detail=allocations]", "Robot arm");
    page.wait_text("[data-detail=history]", "for the site visit");

    page.click("#logout").wait_path("/login");
    page.goto("/dashboard").wait_path("/login");
}

#[test]
fn registration_closed_shows_the_closed_page() {
    let server = TestServer::start_with("allow_registration: false\n");
    let chrome = Chromium::launch();
    let page = chrome.page(&server.base, "registration_closed");
    page.goto("/register");
    page.wait_text("h1", "Registration is closed");
    assert_eq!(
        page.js("document.querySelectorAll('form:not([method=dialog])').length"),
        0,
        "the closed page offers no form"
    );
    page.goto("/");
    assert_eq!(
        page.js(
            "[...document.querySelectorAll('a')].some(a => a.getAttribute('href') === '/register')"
        ),
        false,
        "no link to a closed registration"
    );
}

#[test]
fn pages_send_a_stranger_to_login_and_back_afterwards() {
    let server = TestServer::start();
    common::Client::signed_up(&server, "bob");
    let chrome = Chromium::launch();
    let page = chrome.page(&server.base, "login_redirect");
    page.goto("/projects").wait_path("/login");
    page.submit_login("bob", PASSWORD);
    page.wait_path("/projects");

    // A wrong password is answered next to the form, not with a redirect.
    let other = chrome.page(&server.base, "login_wrong_password");
    other.goto("/login");
    other
        .fill("#login-username", "bob")
        .fill("#login-password", "not the password");
    other.press("Enter");
    other.wait_text("#login-form [data-error]", "Wrong username or password");
    assert_eq!(other.path(), "/login");
}

#[test]
fn an_expired_access_token_is_renewed_with_the_refresh_cookie() {
    let server = TestServer::start();
    let chrome = Chromium::launch();
    let page = chrome.page(&server.base, "refresh_on_401");
    page.register("carol", PASSWORD);

    // The API client: a 401 triggers one refresh and the action still succeeds.
    page.goto("/profile/settings");
    page.delete_cookie("access_token", "/");
    assert!(!page.cookie_names().iter().any(|c| c == "access_token"));
    page.fill("#new-username", "caroline")
        .fill("#username-password", PASSWORD)
        .click("#username-form button[type=submit]");
    page.wait_text("#username-form [data-ok]", "caroline");
    assert!(page.cookie_names().iter().any(|c| c == "access_token"));

    // A page visited without the access cookie comes back through /login.
    page.delete_cookie("access_token", "/");
    page.goto("/profile/");
    page.wait_path("/profile/");
    page.wait_text("#who-title", "caroline");

    // Once the refresh token is gone too, the page sends the person to /login.
    page.goto("/profile/settings");
    page.delete_cookie("access_token", "/");
    page.delete_cookie("refresh_token", "/api");
    page.fill("#new-username", "carol")
        .fill("#username-password", PASSWORD)
        .click("#username-form button[type=submit]");
    page.wait_path("/login");
}

#[test]
fn settings_change_the_password_and_keep_this_browser_logged_in() {
    let server = TestServer::start();
    let chrome = Chromium::launch();
    let page = chrome.page(&server.base, "change_password");
    page.register("dave", PASSWORD);
    page.goto("/profile/settings");
    page.wait_text("#two-factor", "Two-factor authentication is off");
    page.wait_text("#passkeys", "No passkeys are registered");

    page.fill("#old-password", "wrong password here")
        .fill("#new-password", "a much longer secret")
        .fill("#confirm-password", "a much longer secret")
        .click("#password-form button[type=submit]");
    page.wait_text(
        "#password-form [data-error]",
        "current password is not correct",
    );

    page.fill("#old-password", PASSWORD)
        .fill("#new-password", "a much longer secret")
        .fill("#confirm-password", "a much longer secret")
        .click("#password-form button[type=submit]");
    page.wait_text("#password-form [data-ok]", "password was changed");
    page.goto("/profile/");
    page.wait_text("#security-title", "Security");
    assert!(
        page.text("[aria-labelledby=security-title] .facts")
            .contains("1 signed-in device")
    );
}
