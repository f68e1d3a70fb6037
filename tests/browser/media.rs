//! Photos and attachments in real headless Chromium against the real server:
//! the item page's gallery (upload through the page, the thumbnail appears,
//! it opens enlarged, it is listed in the inventory), and uploaded SVG and HTML
//! files whose scripts never run in MiauInv's origin when opened.

use crate::browser_support;
use crate::common;
use crate::media_support;

use browser_support::{Chromium, Page};
use common::{Client, PASSWORD, TestServer};
use headless_chrome::protocol::cdp::{DOM, Page as Cdp};
use serde_json::json;

/// Chooses `path` in the file input `selector`, as the file chooser would.
fn choose_file(page: &Page, selector: &str, path: &std::path::Path) {
    let input = page
        .tab
        .find_element(selector)
        .unwrap_or_else(|e| page.fail(&format!("find {selector}"), e));
    let set = DOM::SetFileInputFiles {
        files: vec![path.display().to_string()],
        node_id: Some(input.node_id),
        backend_node_id: None,
        object_id: None,
    };
    if let Err(e) = page.tab.call_method(set) {
        page.fail(&format!("choose a file in {selector}"), e);
    }
}

#[test]
fn a_photo_uploaded_through_the_item_page_shows_in_the_gallery_and_the_list() {
    let server = TestServer::start();
    let api = Client::signed_up(&server, "alice");
    let item = api.created(
        "/api/item",
        json!({"name": "Oscilloscope", "total_quantity": 1}),
    );
    let photo = server.dir.path().join("scope.jpg");
    std::fs::write(&photo, media_support::jpeg(1200, 900)).unwrap();

    let chromium = Chromium::launch();
    let page = chromium.page(&server.base, "gallery");
    page.log_in("alice", PASSWORD);
    page.goto(&format!("/inventory?item={item}"));
    page.wait_visible("[data-media='no-photos']");
    choose_file(&page, "#photo-input", &photo);

    // The thumbnail appears and has really loaded (a decoded image, not a
    // broken one).
    page.wait_for(
        "the thumbnail loads",
        "(() => { const i = document.querySelector('.gallery img'); \
         return i && i.complete && i.naturalWidth === 256; })()",
    );
    assert!(
        page.js("document.querySelector('#photo-progress').hidden")
            .as_bool()
            .unwrap()
    );
    assert_eq!(page.text(".gallery .badge"), "Primary");

    page.click(".gallery .thumb");
    page.wait_for(
        "the photo opens enlarged",
        "(() => { const d = document.querySelector('#photo-dialog'); const i = document.querySelector('#photo-full'); \
         return d.open && i.complete && i.naturalWidth === 1200; })()",
    );
    page.click("#photo-dialog button[type=submit]");
    page.wait_for(
        "the dialog closes",
        "!document.querySelector('#photo-dialog').open",
    );

    // The inventory list shows the primary photo's thumbnail, lazily.
    page.goto("/inventory");
    page.wait_for(
        "the list's thumbnail",
        &format!(
            "(() => {{ const i = document.querySelector('tr[data-id=\"{item}\"] img.row-thumb'); \
             return i && i.loading === 'lazy' && i.complete && i.naturalWidth === 256; }})()"
        ),
    );

    // Deleting it from the gallery, after confirming.
    page.goto(&format!("/inventory?item={item}"));
    page.click(".gallery .thumb");
    page.click("#photo-delete");
    page.click("#confirm-ok");
    page.wait_visible("[data-media='no-photos']");
    let read = api.get(&format!("/api/item?id={item}")).json();
    assert!(read.get("photos").is_none(), "{read}");
}

#[test]
fn an_attachment_uploaded_through_the_item_page_is_listed_for_download() {
    let server = TestServer::start();
    let api = Client::signed_up(&server, "alice");
    let item = api.created(
        "/api/item",
        json!({"name": "Multimeter", "total_quantity": 1}),
    );
    let manual = server.dir.path().join("Manual v2.txt");
    std::fs::write(&manual, "Press the yellow button.").unwrap();

    let chromium = Chromium::launch();
    let page = chromium.page(&server.base, "attachments");
    page.log_in("alice", PASSWORD);
    page.goto(&format!("/inventory?item={item}"));
    page.wait_visible("[data-media='no-attachments']");
    choose_file(&page, "#attachment-input", &manual);
    page.wait_text("[data-media='attachments']", "Manual v2.txt");
    let attachments = api.get(&format!("/api/item?id={item}")).json()["attachments"].clone();
    assert_eq!(attachments[0]["filename"], "Manual v2.txt");
    assert_eq!(attachments[0]["content_type"], "text/plain");
    let href =
        page.js("document.querySelector('[data-media=\"attachments\"] a').getAttribute('href')");
    assert_eq!(
        href,
        json!(format!("/api/item/attachment?id={}", attachments[0]["id"]))
    );
}

/// What a hostile upload's script would do if it ever ran in our origin: leave
/// a mark in storage and a cookie, and create an item through the API.
fn hostile_script(kind: &str) -> String {
    format!(
        "localStorage.setItem('pwned', '{kind}'); document.cookie = 'pwned={kind}; path=/'; \
         fetch('/api/item', {{method: 'POST', headers: {{'Content-Type': 'application/json'}}, \
         body: JSON.stringify({{name: 'pwned by {kind}'}})}});"
    )
}

#[test]
fn uploaded_svg_and_html_never_run_script_in_our_origin() {
    let server = TestServer::start();
    let api = Client::signed_up(&server, "alice");
    let item = api.created("/api/item", json!({"name": "Target", "total_quantity": 1}));
    let upload = |name: &str, ctype: &str, body: &str| -> i64 {
        let r = api.send_bytes(
            "POST",
            &format!("/api/item/attachment?id={item}&filename={name}"),
            Some(body.as_bytes()),
            &[("Content-Type", ctype)],
        );
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        r.json()["id"].as_i64().unwrap()
    };
    // Our page CSP allows scripts of our own origin, so the pages below also
    // load a script uploaded as an attachment: only the way attachments are
    // served (a download, bytes, nosniff, a sandbox) keeps it from running.
    let script = upload("evil.js", "text/javascript", &hostile_script("js"));
    let external = format!("/api/item/attachment?id={script}");
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"{}\"><script>{}</script><script href=\"{external}\"/></svg>",
        hostile_script("svg-onload").replace('"', "&quot;"),
        hostile_script("svg")
    );
    let html = format!(
        "<!doctype html><html><body><h1>Datasheet</h1><script>{}</script><script src=\"{external}\"></script></body></html>",
        hostile_script("html")
    );
    let ids = vec![
        upload("drawing.svg", "image/svg+xml", &svg),
        upload("sheet.html", "text/html", &html),
        script,
    ];

    let chromium = Chromium::launch();
    let page = chromium.page(&server.base, "hostile_attachments");
    page.log_in("alice", PASSWORD);
    for id in &ids {
        let url = format!("{}/api/item/attachment?id={id}", server.base);
        // A download is not a document: Chromium may report the navigation
        // as aborted, which is the point.
        let nav: Cdp::Navigate = serde_json::from_value(json!({ "url": url })).unwrap();
        let _ = page.tab.call_method(nav);
        // A negative check, so a bounded wait: a script that ran would have
        // written its mark by now; nothing shows that none will.
        std::thread::sleep(std::time::Duration::from_millis(1500));
    }
    // Also as a frame and as an object in a page of ours: refused, or inert.
    page.goto("/dashboard");
    page.js(&format!(
        "(() => {{ for (const id of {ids:?}) {{ \
           const f = document.createElement('iframe'); f.src = '/api/item/attachment?id=' + id; document.body.append(f); \
           const o = document.createElement('object'); o.data = '/api/item/attachment?id=' + id; document.body.append(o); \
           const i = document.createElement('img'); i.src = '/api/item/attachment?id=' + id; document.body.append(i); }} \
         return true; }})()"
    ));
    // A negative check, as above: time for anything that would run to run.
    std::thread::sleep(std::time::Duration::from_millis(1500));

    page.goto("/dashboard");
    assert_eq!(
        page.js("localStorage.getItem('pwned')"),
        serde_json::Value::Null
    );
    assert_eq!(page.js("document.cookie.includes('pwned')"), json!(false));
    let items = api.get("/api/item?q=pwned").json();
    let rows = items["data"]
        .as_array()
        .or(items.as_array())
        .cloned()
        .unwrap_or_default();
    assert!(rows.is_empty(), "a script ran and created {rows:?}");
}

/// Records, on the page, what an upload does: each XMLHttpRequest sent, each
/// POST /api/refresh, and the upload bar's state at each change.
const WATCH: &str = "window.__sent = []; window.__refreshes = 0; window.__bar = []; \
    const open = XMLHttpRequest.prototype.open; \
    XMLHttpRequest.prototype.open = function (method, url) { __sent.push(`${method} ${url}`); return open.apply(this, arguments); }; \
    const fetched = window.fetch; \
    window.fetch = function (url) { if (String(url).includes('/api/refresh')) __refreshes += 1; return fetched.apply(this, arguments); }; \
    for (const bar of document.querySelectorAll('.upload-progress')) { \
      new MutationObserver(() => __bar.push({ id: bar.id, hidden: bar.hidden, value: bar.value, max: bar.max })) \
        .observe(bar, { attributes: true }); } \
    true";

#[test]
fn an_upload_shows_progress_and_succeeds_after_the_access_token_is_renewed_once() {
    let server = TestServer::start();
    let api = Client::signed_up(&server, "alice");
    let item = api.created("/api/item", json!({"name": "Lathe", "total_quantity": 1}));
    let photo = server.dir.path().join("lathe.jpg");
    let jpeg = media_support::jpeg(1600, 1200);
    std::fs::write(&photo, &jpeg).unwrap();

    let chromium = Chromium::launch();
    let page = chromium.page(&server.base, "upload_after_refresh");
    page.log_in("alice", PASSWORD);
    page.goto(&format!("/inventory?item={item}"));
    page.wait_visible("[data-media='no-photos']");
    page.js(WATCH);
    // The access token has expired; the refresh cookie still holds the session.
    page.delete_cookie("access_token", "/");
    choose_file(&page, "#photo-input", &photo);
    page.wait_for(
        "the thumbnail loads",
        "(() => { const i = document.querySelector('.gallery img'); \
         return i && i.complete && i.naturalWidth === 256; })()",
    );
    let post = format!("POST /api/item/photo?id={item}");
    assert_eq!(
        page.js("JSON.stringify(__sent)"),
        json!(json!([post, post]).to_string()),
        "refused once (no access token), sent again after the refresh"
    );
    assert_eq!(page.js("__refreshes"), json!(1), "one refresh");
    // The bar showed the upload going out, all of it, and is hidden again.
    let full = format!(
        "__bar.some((b) => b.id === 'photo-progress' && !b.hidden && b.max >= {} && b.value === b.max)",
        jpeg.len()
    );
    assert_eq!(
        page.js(&full),
        json!(true),
        "{}",
        page.js("JSON.stringify(__bar)")
    );
    assert_eq!(
        page.js("document.getElementById('photo-progress').hidden"),
        json!(true)
    );
    assert_eq!(
        page.js("document.getElementById('photo-error').hidden"),
        json!(true)
    );
    let read = api.get(&format!("/api/item?id={item}")).json();
    assert_eq!(read["photos"].as_array().map(Vec::len), Some(1), "{read}");
}

#[test]
fn the_size_limits_come_from_the_page_and_a_file_over_one_is_not_sent() {
    let server = TestServer::start();
    let api = Client::signed_up(&server, "alice");
    let item = api.created("/api/item", json!({"name": "Drill", "total_quantity": 1}));
    let chromium = Chromium::launch();
    let page = chromium.page(&server.base, "upload_limits");
    page.log_in("alice", PASSWORD);
    page.goto(&format!("/inventory?item={item}"));
    page.wait_visible("[data-media='no-photos']");
    // (A list comes back over the driver as JSON text.)
    let limits = page.js(
        "(() => { const d = document.getElementById('item-media').dataset; \
         return JSON.stringify([Number(d.maxPhoto), Number(d.maxAttachment)]); })()",
    );
    assert_eq!(
        limits,
        json!(json!([miauinv::router::MAX_PHOTO, miauinv::router::MAX_ATTACHMENT]).to_string())
    );
    page.js(WATCH);

    // One byte over the server's photo limit: named, and nothing is sent.
    let big = server.dir.path().join("huge.jpg");
    std::fs::write(&big, vec![0u8; miauinv::router::MAX_PHOTO + 1]).unwrap();
    choose_file(&page, "#photo-input", &big);
    page.wait_text("#photo-error", "the most MiauInv takes is 15 MiB");

    // The check reads the page's number: a page that said 1 KiB would refuse
    // a 2 KiB file, and say so.
    page.js("document.getElementById('item-media').dataset.maxAttachment = '1024'");
    let manual = server.dir.path().join("manual.txt");
    std::fs::write(&manual, "x".repeat(2048)).unwrap();
    choose_file(&page, "#attachment-input", &manual);
    page.wait_text(
        "#attachment-error",
        "This file is 2 KiB; the most MiauInv takes is 1 KiB.",
    );
    assert_eq!(page.js("__sent.length"), json!(0), "nothing was uploaded");
    let read = api.get(&format!("/api/item?id={item}")).json();
    assert!(
        read.get("photos").is_none() && read.get("attachments").is_none(),
        "{read}"
    );
}
