//! QR labels: the short URLs they encode and where those lead (logged in or
//! not), one label as SVG (escaped, with a CSP that runs nothing), the
//! `public_url` config key, and the `/labels` sheet page.

use crate::common;
use common::{Client, TestServer};
use serde_json::json;

#[test]
fn short_links_open_the_item_or_location_page() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let r = c.get("/l/i/12");
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/inventory?item=12"));
    let r = c.get("/l/l/3");
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/locations?id=3"));
    for bad in [
        "/l/x/3", "/l/i/abc", "/l/i/0", "/l/i/-1", "/l/i/", "/l/i/1/2",
    ] {
        assert_eq!(c.get(bad).status, 404, "{bad}");
    }
    // Logged out: to the login page, with the way back kept.
    let anon = s.client();
    let r = anon.get("/l/i/12");
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/login?next=%2Fl%2Fi%2F12"));
}

#[test]
fn a_label_is_an_escaped_svg_that_runs_nothing() {
    let s = TestServer::start_with("public_url: \"https://inv.example.com/\"\n");
    let c = Client::signed_up(&s, "alice");
    let it = c.created(
        "/api/item",
        json!({"name": "<script>alert(1)</script> & \"bolts\"", "total_quantity": 1, "sku": "B-<7>"}),
    );
    let r = c.get(&format!("/api/label.svg?type=item&id={it}"));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.header("content-type"),
        Some("image/svg+xml; charset=utf-8")
    );
    let csp = r.headers_named("content-security-policy");
    assert!(
        csp.contains(&"default-src 'none'; frame-ancestors 'none'"),
        "{csp:?}"
    );
    assert!(
        r.text.starts_with(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"70mm\" height=\"37mm\""
        )
    );
    assert!(!r.text.contains("<script"), "{}", r.text);
    assert!(r.text.contains("&lt;script&gt;"));
    assert!(r.text.contains("B-&lt;7&gt;"));
    assert!(r.text.contains(&format!("ITEM #{it}")));
    assert!(r.text.contains("<path "), "the QR code is drawn");

    let loc = c.created("/api/location", json!({"name": "Garage"}));
    let inner = c.created(
        "/api/location",
        json!({"name": "Shelf A", "parent_id": loc}),
    );
    let r = c.get(&format!(
        "/api/label.svg?type=location&id={inner}&layout=single-50x30"
    ));
    assert_eq!(r.status, 200);
    assert!(r.text.contains("width=\"50mm\" height=\"30mm\""));
    let r = c.get(&format!("/api/label.svg?type=location&id={inner}"));
    assert!(r.text.contains(">Garage / Shelf"), "the path: {}", r.text);
    assert!(r.text.contains(&format!("LOCATION #{inner}")));

    for (q, status) in [
        ("type=box&id=1", 400),
        ("id=1", 400),
        ("type=item", 400),
        ("type=item&id=x", 400),
        ("type=item&id=1&layout=a3", 400),
        ("type=item&id=999", 404),
        ("type=location&id=999", 404),
    ] {
        let r = c.get(&format!("/api/label.svg?{q}"));
        assert_eq!(r.status, status, "{q}: {}", r.text);
    }
    assert_eq!(s.client().get("/api/label.svg?type=item&id=1").status, 401);
}

#[test]
fn public_url_is_checked_at_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = dir.path().join("config.yaml");
    std::fs::write(&cfg, "public_url: \"ftp://x\"\n").unwrap();
    let err = miauinv::config::load(&cfg, &|_: &str| None).expect_err("refused");
    assert!(err.contains("public_url"), "{err}");
    std::fs::write(&cfg, "public_url: \"https://inv.example.com/\"\n").unwrap();
    let ok = miauinv::config::load(&cfg, &|_: &str| None).expect("accepted");
    assert_eq!(ok.public_url().as_deref(), Some("https://inv.example.com"));
    std::fs::write(&cfg, "rp_origin: \"https://passkeys.example.com\"\n").unwrap();
    let ok = miauinv::config::load(&cfg, &|_: &str| None).expect("accepted");
    assert_eq!(
        ok.public_url().as_deref(),
        Some("https://passkeys.example.com"),
        "public_url defaults to rp_origin"
    );
}

#[test]
fn the_sheet_page_draws_the_chosen_labels_and_a_locations_contents() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let a = c.created("/api/item", json!({"name": "Anvil", "total_quantity": 2}));
    let b = c.created("/api/item", json!({"name": "Bellows", "total_quantity": 2}));
    let shed = c.created("/api/location", json!({"name": "Shed"}));
    let shelf = c.created("/api/location", json!({"name": "Shelf", "parent_id": shed}));
    c.created(
        "/api/stock",
        json!({"item_id": b, "location_id": shelf, "quantity": 1}),
    );
    let r = c.get(&format!(
        "/labels?items={a},{a}&locations={shed}&layout=letter-5160"
    ));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.text.matches("<div class=\"label\">").count(), 2);
    assert!(r.text.contains("layout-letter-5160"));
    let base = s.url("");
    assert!(!base.is_empty());
    // Everything in the shed: the shed, the shelf inside it and Bellows.
    let r = c.get(&format!("/labels?contents={shed}"));
    assert_eq!(r.text.matches("<div class=\"label\">").count(), 3);
    assert!(r.text.contains("Bellows") && r.text.contains("Shed / Shelf"));
    for bad in ["/labels?items=x", "/labels?layout=huge", "/labels?items=0"] {
        assert_eq!(c.get(bad).status, 400, "{bad}");
    }
    // 240 labels fill ten A4 3 × 8 sheets.
    let ids: Vec<String> = (0..240)
        .map(|i| {
            c.created(
                "/api/item",
                json!({"name": format!("Part {i}"), "total_quantity": 1}),
            )
            .to_string()
        })
        .collect();
    // How long it takes is measured in bench/labels.rs, not here: a timed
    // assertion in a debug build on a shared machine only flakes.
    let r = c.get(&format!("/labels?items={}", ids.join(",")));
    assert_eq!(r.status, 200);
    assert_eq!(r.text.matches("<div class=\"sheet\">").count(), 10);
    assert_eq!(r.text.matches("<div class=\"label\">").count(), 240);
}
