//! A tool, not a check: saves screenshots of every page in the dark and light
//! theme at desktop (1280×800) and phone (390×844) width into
//! `docs/screenshots/`. Run it after changing how pages look:
//! `cargo test --test browser_screenshots -- --ignored`

use crate::browser_support;
use crate::common;
use crate::totp_support;

use browser_support::{Chromium, Page};
use common::{Client, TestServer};
use serde_json::{Value, json};
use std::path::Path;

fn id(v: Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

/// A small workshop's inventory, so the pages show what they are for.
fn seed(c: &Client) {
    let post = |path: &str, body: Value| {
        let r = c.post(path, body);
        assert!(r.status == 201 || r.status == 200, "{path}: {}", r.text);
        r.json()
    };
    let shelf = id(post("/api/location", json!({"name": "Shelf A · Workshop"})));
    let drawer = id(post("/api/location", json!({"name": "Parts drawer 3"})));
    let van = id(post("/api/location", json!({"name": "Service van"})));
    let items = [
        (
            "M3 × 12 hex screw",
            "Fasteners",
            "Stainless, DIN 912",
            400,
            vec![(drawer, 300), (van, 60)],
        ),
        (
            "Raspberry Pi 5 (8 GB)",
            "Electronics",
            "Single-board computer",
            6,
            vec![(shelf, 4)],
        ),
        (
            "NEMA 17 stepper motor",
            "Motion",
            "1.8°, 45 Ncm",
            12,
            vec![(shelf, 8), (van, 2)],
        ),
        (
            "PLA filament, black",
            "Consumables",
            "1 kg spool, 1.75 mm",
            10,
            vec![(shelf, 7)],
        ),
        (
            "24 V power supply",
            "Electronics",
            "Mean Well LRS-150-24",
            3,
            vec![(shelf, 1)],
        ),
        (
            "Cable ties 200 mm",
            "Consumables",
            "",
            500,
            vec![(drawer, 500)],
        ),
    ];
    // Minimums under which two items are on the dashboard's reorder list.
    let minimum = |name: &str| match name {
        "M3 × 12 hex screw" => 500,
        "Cable ties 200 mm" => 600,
        _ => 0,
    };
    let mut ids = Vec::new();
    for (name, category, description, total, stock) in items {
        let item = id(post(
            "/api/item",
            json!({"name": name, "category": category, "description": description,
                   "total_quantity": total, "min_quantity": minimum(name)}),
        ));
        for (loc, qty) in stock {
            post(
                "/api/stock",
                json!({"item_id": item, "location_id": loc, "quantity": qty}),
            );
        }
        ids.push(item);
    }
    let arm = id(post(
        "/api/project",
        json!({"name": "Robot arm v2", "description": "Six-axis arm for the demo booth"}),
    ));
    let printer = id(post(
        "/api/project",
        json!({"name": "Printer farm", "description": "Four printers in the back room"}),
    ));
    post(
        "/api/association",
        json!({"project_id": arm, "item_id": ids[2], "quantity": 6}),
    );
    post(
        "/api/association",
        json!({"project_id": arm, "item_id": ids[0], "quantity": 120}),
    );
    post(
        "/api/association",
        json!({"project_id": arm, "item_id": ids[1], "quantity": 2}),
    );
    post(
        "/api/association",
        json!({"project_id": printer, "item_id": ids[3], "quantity": 8}),
    );
    post(
        "/api/association",
        json!({"project_id": printer, "item_id": ids[4], "quantity": 3}),
    );
    post(
        "/api/association",
        json!({"project_id": printer, "item_id": ids[1], "quantity": 4}),
    );
    post(
        "/api/stock/transfer",
        json!({"item_id": ids[2], "from_location_id": shelf, "to_location_id": van, "quantity": 2, "note": "for the customer visit"}),
    );
}

fn shoot(page: &Page, name: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
    std::fs::create_dir_all(&dir).expect("docs/screenshots");
    for (scheme, width, height, mobile, size) in [
        ("dark", 1280, 800, false, "desktop"),
        ("light", 1280, 800, false, "desktop"),
        ("dark", 390, 844, true, "phone"),
        ("light", 390, 844, true, "phone"),
    ] {
        page.color_scheme(scheme);
        page.viewport(width, height, mobile);
        // Let layout and the page's own requests settle after the change.
        page.wait_for(
            "fonts and layout settle",
            "document.fonts.ready.then(() => true)",
        );
        page.wait_for(
            "two frames are drawn",
            "new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))",
        );
        let png = page.screenshot_full(height);
        std::fs::write(dir.join(format!("{name}-{size}-{scheme}.png")), png).expect("write png");
    }
    page.viewport(1280, 800, false);
}

#[test]
#[ignore = "a tool: writes docs/screenshots/"]
fn screenshots_of_every_page() {
    // At http://localhost:<port>, where passkeys work.
    let server = TestServer::start_with_passkeys();
    let api = Client::signed_up(&server, "mia");
    seed(&api);
    let chrome = Chromium::launch();
    let page = chrome.page(&server.base, "screenshots");

    page.goto("/");
    shoot(&page, "landing");
    page.goto("/register");
    shoot(&page, "register");
    page.goto("/login");
    page.fill("#login-username", "mia")
        .fill("#login-password", "wrong password");
    page.click("#login-form button[type=submit]");
    page.wait_visible("#login-form [data-error]");
    shoot(&page, "login-error");
    page.goto("/login");
    page.fill("#login-username", "mia")
        .fill("#login-password", common::PASSWORD);
    page.click("#login-form button[type=submit]");
    page.wait_path("/dashboard");
    page.wait_for(
        "movements",
        "document.querySelectorAll('#moves-list li').length > 0",
    );
    shoot(&page, "dashboard");
    page.goto("/inventory");
    page.wait_for(
        "item rows",
        "document.querySelectorAll('[data-rows] .loc-chip').length > 0",
    );
    shoot(&page, "inventory");
    page.fill("#move-item", "pi");
    page.wait_visible("#move-item-list .picker-option");
    page.js("document.querySelector('#move').scrollIntoView()");
    shoot(&page, "inventory-picker");
    page.goto("/inventory?item=3");
    page.wait_visible("#item-detail");
    page.wait_for(
        "history",
        "document.querySelectorAll('[data-detail=history] li').length > 1",
    );
    shoot(&page, "inventory-item");
    page.pick("#allocate-item", "24 V power supply")
        .pick("#allocate-project", "Robot arm v2");
    page.fill("#allocate-quantity", "5");
    page.click("#allocate-form button[type=submit]");
    page.wait_visible("#allocate-form [data-error]");
    page.js("document.querySelector('#allocate').scrollIntoView()");
    shoot(&page, "inventory-over-allocation");
    page.goto("/items");
    page.wait_for(
        "items",
        "document.querySelectorAll('[data-rows] tr').length > 0",
    );
    shoot(&page, "items");
    page.click("[data-rows] tr:first-child .row-actions button");
    page.wait_visible("#edit-dialog");
    shoot(&page, "items-edit");
    page.goto("/locations");
    page.wait_for(
        "locations",
        "document.querySelectorAll('[data-rows] tr').length > 0",
    );
    shoot(&page, "locations");
    page.click("[data-rows] tr:first-child a");
    page.wait_path("/locations");
    page.wait_visible("[data-rows] tr");
    shoot(&page, "location");
    page.goto("/projects");
    page.wait_for(
        "projects",
        "document.querySelectorAll('[data-rows] tr').length > 0",
    );
    shoot(&page, "projects");
    page.click("[data-rows] tr:first-child a");
    page.wait_path("/projects");
    page.wait_visible("[data-rows] tr");
    shoot(&page, "project");
    page.press("/");
    page.type_keys("Sh");
    page.wait_visible("#quickfind-list .picker-option");
    shoot(&page, "quick-find");
    page.goto("/profile/");
    shoot(&page, "profile");
    page.goto("/profile/settings");
    page.wait_for(
        "the passkey list",
        "!document.querySelector('#passkey-list').textContent.includes('Loading')",
    );
    shoot(&page, "settings");
    security_screenshots(&page);

    let closed = TestServer::start_with("allow_registration: false\n");
    let other = chrome.page(&closed.base, "screenshots_closed");
    other.goto("/register");
    shoot(&other, "register-closed");
}

/// The security states: 2FA setup with its QR code, the recovery codes shown
/// once, the login's second step, and the settings with 2FA on and passkeys.
fn security_screenshots(page: &Page) {
    page.virtual_authenticator();
    // One authenticator holds one passkey per account (a second is refused).
    page.goto("/profile/settings");
    page.fill("#passkey-name", "Laptop (fingerprint)")
        .fill("#passkey-password", common::PASSWORD)
        .click("#passkey-add-form button[type=submit]");
    page.wait_text("#passkey-list", "Laptop");

    page.click("#twofa-start-form button[type=submit]");
    page.wait_for(
        "the QR code",
        "document.querySelector('#twofa-qr').naturalWidth > 0",
    );
    page.js("document.querySelector('#two-factor').scrollIntoView()");
    shoot(page, "settings-2fa-setup");

    let secret: String = page.text("#twofa-secret").split_whitespace().collect();
    let mut app = totp_support::Authenticator::new(&secret);
    page.fill("#twofa-enable-code", &app.next_code())
        .click("#twofa-enable-form button[type=submit]");
    page.wait_visible("#twofa-codes");
    shoot(page, "settings-2fa-codes");

    page.click("#logout").wait_path("/login");
    page.fill("#login-username", "mia")
        .fill("#login-password", common::PASSWORD);
    page.click("#login-form button[type=submit]");
    page.wait_visible("#twofa-form");
    shoot(page, "login-2fa");

    // Back in with a passkey, so the list shows a last use.
    page.goto("/login");
    page.click("#passkey-login-button");
    page.wait_path("/dashboard");
    page.goto("/profile/settings");
    page.wait_text("#passkey-list", "last used");
    shoot(page, "settings-security");
    page.click_text("#two-factor", "Disable 2FA");
    page.wait_visible("#twofa-disable-form");
    shoot(page, "settings-2fa-disable");
    page.click_text("#passkey-list", "Remove");
    page.wait_visible("#password-dialog");
    shoot(page, "settings-passkey-remove");
    page.js("document.querySelector('#password-dialog').close(); true");
    page.goto("/profile/");
    shoot(page, "profile-security");
}
