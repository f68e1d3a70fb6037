//! Label sheets at their printed sizes, scanning a label, a keyboard-wedge burst, screenshots,
//! and the service worker.

use super::*;
use crate::common::PASSWORD;

/// Emulates print media (what the sheet looks like on paper).
fn print_media(page: &Page) {
    let cmd: headless_chrome::protocol::cdp::Emulation::SetEmulatedMedia =
        serde_json::from_value(json!({ "media": "print" })).expect("SetEmulatedMedia");
    if let Err(e) = page.tab.call_method(cmd) {
        page.fail("emulate print media", e);
    }
}

#[test]
fn printed_label_sheets_have_the_templates_sizes() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let ids: Vec<String> = (0..26)
        .map(|i| {
            c.created(
                "/api/item",
                json!({"name": format!("Resistor {i} kΩ"), "total_quantity": 1}),
            )
            .to_string()
        })
        .collect();
    let browser = Chromium::launch();
    let page = browser.page(&s.url(""), "label_sheet_sizes");
    page.log_in("alice", PASSWORD);
    print_media(&page);
    // (layout, page w × h, label w × h, labels on the first sheet) in mm.
    let inch = 25.4;
    let layouts = [
        ("a4-3x8", 210.0, 297.0, 70.0, 37.0, 24),
        ("a4-l7160", 210.0, 297.0, 63.5, 38.1, 21),
        (
            "letter-5160",
            8.5 * inch,
            11.0 * inch,
            2.625 * inch,
            1.0 * inch,
            26,
        ),
        ("single-62", 62.0, 29.0, 62.0, 29.0, 1),
        ("single-50x30", 50.0, 30.0, 50.0, 30.0, 1),
    ];
    for (layout, pw, ph, lw, lh, first) in layouts {
        page.goto(&format!("/labels?items={}&layout={layout}", ids.join(",")));
        let m = js_json(
            &page,
            "(() => { const mm = (px) => px * 25.4 / 96; \
               const s = document.querySelector('.sheet').getBoundingClientRect(); \
               const labels = [...document.querySelector('.sheet').querySelectorAll('.label')]; \
               const l = labels[0].getBoundingClientRect(); \
               const last = labels[labels.length - 1].getBoundingClientRect(); \
               return { pw: mm(s.width), ph: mm(s.height), lw: mm(l.width), lh: mm(l.height), \
                        n: labels.length, right: mm(last.right - s.left), bottom: mm(last.bottom - s.top), \
                        topbar: getComputedStyle(document.querySelector('.topbar')).display }; })()",
        );
        let near = |key: &str, want: f64| {
            let got = m[key].as_f64().unwrap_or(f64::NAN);
            assert!(
                (got - want).abs() <= 0.5,
                "{layout}: {key} is {got:.2} mm, the template says {want:.2} mm"
            );
        };
        near("pw", pw);
        near("ph", ph);
        near("lw", lw);
        near("lh", lh);
        assert_eq!(m["n"], first, "{layout}: labels on the first sheet");
        assert!(
            m["right"].as_f64().unwrap_or(f64::MAX) <= pw + 0.5
                && m["bottom"].as_f64().unwrap_or(f64::MAX) <= ph + 0.5,
            "{layout}: the labels stay on the page: {m}"
        );
        assert_eq!(m["topbar"], "none", "{layout}: only the labels print");
    }
}

#[test]
fn the_vendored_decoder_reads_a_printed_label_and_lands_on_the_item() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let it = c.created(
        "/api/item",
        json!({"name": "Hex key set", "total_quantity": 1}),
    );
    let browser = Chromium::launch();
    let page = browser.page(&s.url(""), "scan_label");
    page.log_in("alice", PASSWORD);
    // The label as it prints, rasterised the way a camera frame reaches the
    // decoder; this browser has no BarcodeDetector, so the fallback reads it.
    let read = js_json(
        &page,
        &format!(
            "(async () => {{ const m = await import('/assets/js/scanner.js'); \
           const img = new Image(); img.src = '/api/label.svg?type=item&id={it}'; await img.decode(); \
           const c = document.createElement('canvas'); c.width = 700; c.height = 370; \
           const g = c.getContext('2d'); g.fillStyle = '#fff'; g.fillRect(0, 0, 700, 370); g.drawImage(img, 0, 0, 700, 370); \
           const codes = await m.decodeImageData(g.getImageData(0, 0, 700, 370)); \
           window.__scanned = codes[0]?.text; return codes; }})()"
        ),
    );
    let text = read[0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no code read: {read}"))
        .to_string();
    assert!(text.ends_with(&format!("/l/i/{it}")), "{text}");
    assert_eq!(read[0]["format"], "QRCode");
    page.js("import('/assets/js/scanner.js').then((m) => m.handleCode(window.__scanned))");
    page.wait_path("/inventory");
    assert_eq!(page.path(), format!("/inventory?item={it}"));
}

#[test]
fn a_keyboard_wedge_burst_opens_the_item_and_offers_unknown_codes() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let it = c.created(
        "/api/item",
        json!({"name": "Spray paint", "total_quantity": 3, "barcodes": ["4006381333931"]}),
    );
    let browser = Chromium::launch();
    let page = browser.page(&s.url(""), "wedge");
    page.log_in("alice", PASSWORD);
    // A person typing slowly is not a scanner.
    wedge(&page, "4006381333931", 120);
    // A negative check, so a bounded wait: a burst would navigate at once.
    std::thread::sleep(std::time::Duration::from_millis(400));
    assert_eq!(page.path(), "/dashboard");
    // A scanner's burst opens the item.
    wedge(&page, "4006381333931", 0);
    page.wait_path("/inventory");
    assert_eq!(page.path(), format!("/inventory?item={it}"));
    // A label's URL (with its slashes) opens the location.
    let loc = c.created("/api/location", json!({"name": "Cellar"}));
    wedge(&page, &format!("http://printed.example/l/l/{loc}"), 0);
    page.wait_path("/locations");
    assert_eq!(page.path(), format!("/locations?id={loc}"));
    // An unknown code: create an item with it.
    wedge(&page, "96385074", 0);
    page.wait_visible("#scanner[open]");
    page.wait_text("#scanner .scanner-found", "No item has the code 96385074.");
    page.fill("[aria-label='Name of the new item']", "Glue stick")
        .press("Enter");
    page.wait_path("/inventory");
    let found = c.get("/api/item?barcode=96385074").json();
    assert_eq!(found[0]["name"], "Glue stick");
    assert_eq!(page.path(), format!("/inventory?item={}", found[0]["id"]));
}

#[test]
fn phone_screenshots_of_the_item_page_and_the_scanner() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let it = c.created("/api/item",
        json!({"name": "NEMA 17 stepper motor", "category": "Motion", "total_quantity": 12, "sku": "MOT-17", "barcodes": ["4006381333931"]}),
    );
    let shelf = c.created("/api/location", json!({"name": "Shelf A"}));
    c.created(
        "/api/stock",
        json!({"item_id": it, "location_id": shelf, "quantity": 8}),
    );
    let browser = Chromium::launch();
    let page = browser.page(&s.url(""), "phone_screenshots");
    page.log_in("alice", PASSWORD);
    page.viewport(390, 844, true);
    page.goto(&format!("/inventory?item={it}"));
    wait_figure(&page, "Stocked", "8");
    save_screenshot(&page, "phone-item.png");
    page.click("[data-shelf=take]")
        .wait_visible("#shelf-dialog[open]");
    save_screenshot(&page, "phone-item-take.png");
    page.click("#shelf-dialog [data-close]");
    page.click(".bottom-scan").wait_visible("#scanner[open]");
    page.wait_for(
        "the scanner says why there is no camera",
        "document.querySelector('#scanner .muted').textContent !== ''",
    );
    page.fill("#scanner [aria-label=Code]", "4006381333931")
        .press("Enter");
    page.wait_text("#scanner .scanner-found", "NEMA 17 stepper motor");
    save_screenshot(&page, "phone-scanner.png");
}

#[test]
fn the_service_worker_keeps_the_shell_and_the_offline_page_but_no_data() {
    let s = TestServer::start();
    Client::signed_up(&s, "alice");
    let browser = Chromium::launch();
    let page = browser.page(&s.url(""), "service_worker");
    page.log_in("alice", PASSWORD);
    page.wait_for(
        "the service worker is active",
        "navigator.serviceWorker.ready.then(() => true)",
    );
    page.goto("/dashboard");
    page.wait_for("controlled", "!!navigator.serviceWorker.controller");
    page.goto("/inventory");
    // What a failed page request is answered with.
    page.wait_for(
        "the offline page is kept",
        "caches.match('/assets/offline.html').then((r) => r && r.text()).then((t) => !!t && t.includes('<h1>Offline</h1>'))",
    );
    // Only assets are kept: no API answer, no page.
    let kept = js_json(
        &page,
        "caches.keys().then((names) => Promise.all(names.map((n) => caches.open(n).then((c) => c.keys()))))            .then((lists) => lists.flat().map((r) => new URL(r.url).pathname))",
    );
    let kept: Vec<String> = serde_json::from_value(kept).expect("a list of paths");
    assert!(
        kept.iter().any(|p| p.starts_with("/assets/js/")),
        "{kept:?}"
    );
    assert!(kept.iter().all(|p| p.starts_with("/assets/")), "{kept:?}");
}

#[test]
fn rows_chosen_in_the_lists_open_their_label_sheet() {
    let server = TestServer::start();
    let api = Client::signed_up(&server, "lena");
    let resistor = api.created("/api/item", json!({"name": "Resistor"}));
    api.created("/api/item", json!({"name": "Capacitor"}));
    let diode = api.created("/api/item", json!({"name": "Diode"}));
    let shelf = api.created("/api/location", json!({"name": "Shelf"}));

    let chrome = Chromium::launch();
    let page = chrome.page(&server.base, "labels_from_lists");
    page.log_in("lena", PASSWORD);
    page.goto("/items");
    page.wait_for(
        "three rows",
        "document.querySelectorAll('[data-rows] .pick-label').length === 3",
    );
    assert_eq!(
        page.js("document.querySelector('#labels-selected').hidden"),
        true
    );
    // The check boxes are check-box sized, and every row's buttons stay in
    // view on a desktop and on a phone (no sideways scrolling of the list).
    for (width, height, mobile) in [(1280, 800, false), (390, 844, true)] {
        page.viewport(width, height, mobile);
        let layout = js_json(
            &page,
            "(() => { const wrap = document.querySelector('[data-rows]').closest('.table-wrap'); \
              const box = wrap.getBoundingClientRect(); \
              return { boxes: [...document.querySelectorAll('[data-rows] .pick-label')] \
                         .map(b => Math.round(b.getBoundingClientRect().width)), \
                       clipped: [...document.querySelectorAll('[data-rows] tr .danger')] \
                         .filter(b => b.getBoundingClientRect().right > box.right + 0.5).length, \
                       sideways: wrap.scrollWidth > wrap.clientWidth }; })()",
        );
        let boxes = layout["boxes"].as_array().expect("widths");
        assert!(
            boxes.iter().all(|w| w.as_i64().is_some_and(|w| w <= 24)),
            "{width} px: check boxes {boxes:?} px wide"
        );
        assert_eq!(layout["clipped"], 0, "{width} px: {layout}");
        assert_eq!(layout["sideways"], false, "{width} px: {layout}");
    }
    page.viewport(1280, 800, false);
    for id in [resistor, diode] {
        page.click(&format!("[data-rows] tr[data-id=\"{id}\"] .pick-label"));
    }
    page.wait_text("#labels-selected", "Print 2 labels");
    let href = page.js("document.querySelector('#labels-selected').getAttribute('href')");
    assert_eq!(href, format!("/labels?items={resistor},{diode}"));
    page.click("#labels-selected");
    page.wait_for(
        "the sheet",
        "document.querySelectorAll('#sheets .label').length === 2",
    );
    assert!(page.text("#sheets").contains("Resistor"));
    assert!(!page.text("#sheets").contains("Capacitor"));

    page.goto("/locations");
    page.wait_for(
        "the location row",
        "document.querySelector('[data-rows] .pick-label')",
    );
    page.click(&format!("[data-rows] tr[data-id=\"{shelf}\"] .pick-label"));
    page.wait_text("#labels-selected", "Print 1 label");
    assert_eq!(
        page.js("document.querySelector('#labels-selected').getAttribute('href')"),
        format!("/labels?locations={shelf}")
    );
}
