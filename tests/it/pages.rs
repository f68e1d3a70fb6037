//! The HTML pages and `/assets/*` over plain HTTP: who may see which page,
//! what the pages contain, and how assets are typed, cached, minified and
//! compressed.

use crate::common;

use common::{Client, TestServer};
use flate2::read::GzDecoder;
use std::io::{Read, Write};
use std::net::TcpStream;

const PAGES: &[&str] = &[
    "/dashboard",
    "/inventory",
    "/items",
    "/locations",
    "/projects",
    "/labels",
    "/stocktake",
    "/profile/",
    "/profile/settings",
];

#[test]
fn every_page_needs_a_login_and_redirects_to_it() {
    let s = TestServer::start();
    let c = s.client();
    for page in PAGES {
        let r = c.get(page);
        assert_eq!(r.status, 303, "{page}");
        let location = r.header("location").unwrap_or_default();
        assert!(
            location.starts_with("/login?next=%2F"),
            "{page} → {location}"
        );
    }
}

#[test]
fn every_page_renders_for_a_logged_in_user_as_html() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    for page in PAGES {
        let r = c.get(page);
        assert_eq!(r.status, 200, "{page}: {}", r.text);
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
        assert!(r.text.contains("<title>"), "{page}");
        assert!(r.text.contains("alice"), "{page} names the user");
        // No inline script or style: the Content-Security-Policy forbids them.
        assert!(!r.text.contains("<script>"), "{page} has an inline script");
        assert!(!r.text.contains(" style="), "{page} has an inline style");
        assert!(
            !r.text.contains(" onclick="),
            "{page} has an inline handler"
        );
    }
}

#[test]
fn the_start_page_welcomes_strangers_and_sends_users_to_the_dashboard() {
    let s = TestServer::start();
    let r = s.client().get("/");
    assert_eq!(r.status, 200);
    assert!(r.text.contains("href=\"/register\""));
    let c = Client::signed_up(&s, "alice");
    let r = c.get("/");
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/dashboard"));
}

#[test]
fn registration_page_follows_the_configuration() {
    let open = TestServer::start();
    let r = open.client().get("/register");
    assert!(r.text.contains("id=\"register-form\""));
    let closed = TestServer::start_with("allow_registration: false\n");
    let r = closed.client().get("/register");
    assert_eq!(r.status, 200);
    assert!(r.text.contains("Registration is closed"));
    assert!(!r.text.contains("register-form"));
    let landing = closed.client().get("/");
    assert!(!landing.text.contains("href=\"/register\""));
}

#[test]
fn the_dashboard_arrives_with_its_numbers_and_escapes_names() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let item = c.post(
        "/api/item",
        serde_json::json!({"name": "<img src=x onerror=alert(1)>", "total_quantity": 5}),
    );
    assert_eq!(item.status, 201, "{}", item.text);
    let project = c.post("/api/project", serde_json::json!({"name": "P"}));
    let r = c.post(
        "/api/association",
        serde_json::json!({"item_id": item.json()["id"], "project_id": project.json()["id"], "quantity": 3}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let page = c.get("/dashboard").text;
    assert!(page.contains("data-stat=\"items\">1<"), "{page}");
    assert!(page.contains("data-stat=\"units_allocated\">3<"));
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!page.contains("<img src=x"));
}

#[test]
fn items_locations_and_projects_have_pages_of_their_own() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let id = |r: common::Resp| r.json()["id"].as_i64().expect("an id");
    let item = id(c.post(
        "/api/item",
        serde_json::json!({"name": "<b>Fuse</b>", "category": "Electrical", "total_quantity": 4}),
    ));
    let shelf = id(c.post("/api/location", serde_json::json!({"name": "Shelf <A>"})));
    let robot = id(c.post(
        "/api/project",
        serde_json::json!({"name": "Robot", "description": "Six axes"}),
    ));
    let plain = id(c.post("/api/item", serde_json::json!({"name": "Plain"})));
    for (path, shows) in [
        (format!("/inventory?item={item}"), "&lt;b&gt;Fuse"),
        (format!("/inventory?item={plain}"), "Plain"),
        (format!("/locations?id={shelf}"), "Shelf &lt;A&gt;"),
        (format!("/projects?id={robot}"), "Six axes"),
    ] {
        let r = c.get(&path);
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        assert!(r.text.contains(shows), "{path} shows {shows}");
        assert!(
            !r.text.contains("<b>Fuse"),
            "{path}: names are text, not markup"
        );
        assert!(r.text.contains("class=\"breadcrumb\""), "{path} leads back");
        assert!(!r.text.contains(" style="), "{path} has an inline style");
        assert!(!r.text.contains("<select id=\"stock-item\""), "{path}");
    }
    for missing in [
        "/inventory?item=999",
        "/locations?id=999",
        "/projects?id=999",
    ] {
        assert_eq!(c.get(missing).status, 404, "{missing}");
    }
    assert_eq!(c.get("/locations?id=abc").status, 400);
}

#[test]
fn no_page_lists_every_row_in_a_select() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    for page in PAGES {
        let html = c.get(page).text;
        for kind in ["items", "locations", "projects"] {
            assert!(
                !html.contains(&format!("data-options=\"{kind}\"")),
                "{page} fills a select with every {kind}"
            );
        }
    }
    let inventory = c.get("/inventory").text;
    assert!(inventory.contains("role=\"combobox\""));
    assert!(
        !inventory.contains("id=\"matrix\""),
        "the item × location matrix is gone"
    );
}

#[test]
fn profile_pages_tell_the_truth_about_the_account() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let profile = c.get("/profile/").text;
    assert!(profile.contains("Two-factor authentication"));
    assert!(profile.contains(">Off<"));
    assert!(profile.contains("None registered"));
    assert!(profile.contains("1 signed-in device"));
    let settings = c.get("/profile/settings").text;
    assert!(settings.contains("Two-factor authentication is off"));
    assert!(settings.contains("No passkeys are registered"));
    assert!(settings.contains("id=\"password-form\""));
    assert!(settings.contains("id=\"username-form\""));
}

#[test]
fn unknown_pages_are_html_and_unknown_api_paths_are_json() {
    let s = TestServer::start();
    let c = s.client();
    let page = c.get("/no-such-page");
    assert_eq!(page.status, 404);
    assert!(
        page.header("content-type")
            .unwrap_or("")
            .starts_with("text/html")
    );
    let api = c.get("/api/no-such-thing");
    assert_eq!(api.status, 404);
    assert!(
        api.header("content-type")
            .unwrap_or("")
            .starts_with("application/json")
    );
}

/// The asset URL the page uses, e.g. `/assets/css/app.min.css?v=…`.
fn asset_link(html: &str, name: &str) -> String {
    let start = html
        .find(&format!("/assets/{name}?v="))
        .unwrap_or_else(|| panic!("{name} is not linked"));
    html[start..]
        .split('"')
        .next()
        .expect("quoted attribute")
        .to_string()
}

#[test]
fn assets_have_types_etags_and_answer_304() {
    let s = TestServer::start();
    let c = s.client();
    for (path, ctype) in [
        ("/assets/css/app.css", "text/css; charset=utf-8"),
        ("/assets/js/api.js", "text/javascript; charset=utf-8"),
        ("/assets/img/logo.svg", "image/svg+xml"),
    ] {
        let r = c.get(path);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), Some(ctype), "{path}");
        let etag = r.header("etag").expect("ETag").to_string();
        let again = c.send_with("GET", path, None, &[("If-None-Match", &etag)]);
        assert_eq!(again.status, 304, "{path}");
        assert!(again.text.is_empty());
        assert_eq!(again.header("etag"), Some(etag.as_str()));
    }
    assert_eq!(c.get("/assets/css/nope.css").status, 404);
    assert_eq!(c.get("/assets/../Cargo.toml").status, 404);
}

#[test]
fn fingerprinted_assets_are_cached_for_a_year_and_others_revalidated() {
    let s = TestServer::start();
    let c = s.client();
    let html = c.get("/login").text;
    let css = asset_link(&html, "css/app.min.css");
    let r = c.get(&css);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let stale = c.get("/assets/css/app.min.css?v=0000000000000000");
    assert_eq!(stale.header("cache-control"), Some("no-cache"));
    let plain = c.get("/assets/css/app.min.css");
    assert_eq!(plain.header("cache-control"), Some("no-cache"));
    assert!(html.contains(&asset_link(&html, "js/shell.min.js")));
}

#[test]
fn min_variants_are_minified_and_smaller() {
    let s = TestServer::start();
    let c = s.client();
    for (source, min) in [
        ("/assets/js/inventory.js", "/assets/js/inventory.min.js"),
        ("/assets/css/app.css", "/assets/css/app.min.css"),
    ] {
        let full = c.get(source);
        let small = c.get(min);
        assert_eq!(small.status, 200, "{min}");
        assert_eq!(small.header("content-type"), full.header("content-type"));
        assert!(
            small.text.len() * 10 < full.text.len() * 9,
            "{min} is not smaller: {} vs {}",
            small.text.len(),
            full.text.len()
        );
        assert!(!small.text.contains("\n\n"), "{min} still has blank lines");
        // The same bytes every time (cached after the first request).
        assert_eq!(c.get(min).text, small.text);
        assert_eq!(c.get(min).header("etag"), small.header("etag"));
    }
    assert_eq!(c.get("/assets/js/nope.min.js").status, 404);
}

#[test]
fn assets_are_gzipped_when_the_client_accepts_it() {
    let s = TestServer::start();
    let c = s.client();
    let plain = c.send_with(
        "GET",
        "/assets/css/app.css",
        None,
        &[("Accept-Encoding", "identity")],
    );
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(plain.header("vary"), Some("Accept-Encoding"));

    // Raw HTTP, so nothing in between decompresses the body for us.
    let addr = s.base.trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(&addr).expect("connect");
    write!(
        stream,
        "GET /assets/css/app.css HTTP/1.1\r\nHost: {addr}\r\n\
         Accept-Encoding: br;q=1.0, gzip;q=0.8\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let compressed = &raw[split + 4..];
    assert!(head.contains("content-encoding: gzip"), "{head}");
    assert!(head.contains("vary: accept-encoding"), "{head}");
    let etag = head
        .lines()
        .find_map(|l| l.strip_prefix("etag: "))
        .expect("ETag")
        .to_string();
    assert_ne!(
        Some(etag.as_str()),
        plain.header("etag"),
        "each encoding has its own tag"
    );
    let mut text = String::new();
    GzDecoder::new(compressed)
        .read_to_string(&mut text)
        .expect("valid gzip");
    assert_eq!(text, plain.text);
    assert!(compressed.len() < plain.text.len());

    let refused = c.send_with(
        "GET",
        "/assets/css/app.css",
        None,
        &[("Accept-Encoding", "gzip;q=0")],
    );
    assert_eq!(refused.header("content-encoding"), None);
    // A 304 for either representation's tag.
    let again = c.send_with(
        "GET",
        "/assets/css/app.css",
        None,
        &[("If-None-Match", &etag)],
    );
    assert_eq!(again.status, 304);
}
