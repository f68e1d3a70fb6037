//! The installable app: the manifest, its icons, the service worker at the
//! root (so it covers the whole site) and the offline page it falls back to.

use crate::common;
use common::TestServer;

#[test]
fn the_manifest_icons_and_service_worker_are_served() {
    let s = TestServer::start();
    let c = s.client();
    let r = c.get("/assets/manifest.webmanifest");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/manifest+json"));
    let manifest = r.json();
    assert_eq!(manifest["display"], "standalone");
    assert_eq!(manifest["start_url"], "/dashboard");
    for icon in manifest["icons"].as_array().expect("icons") {
        let src = icon["src"].as_str().expect("src");
        let r = c.get(src);
        assert_eq!(r.status, 200, "{src}");
        assert_eq!(r.header("content-type"), icon["type"].as_str(), "{src}");
    }
    let r = c.get("/sw.js");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    assert!(r.text.contains("miauinv-shell"));
    // The worker keeps assets only: never the API or pages.
    assert!(r.text.contains("startsWith('/assets/')"));
    let r = c.get("/assets/offline.html");
    assert_eq!(r.status, 200);
    assert!(r.text.contains("<h1>Offline</h1>"));
    // The pages point at the manifest.
    let page = c.get("/login");
    assert!(
        page.text
            .contains("rel=\"manifest\" href=\"/assets/manifest.webmanifest\"")
    );
}

#[test]
fn only_the_scanner_worker_may_compile_webassembly() {
    let s = TestServer::start();
    let c = s.client();
    let worker = c.get("/assets/js/scan_worker.js");
    assert_eq!(worker.status, 200);
    let csp = worker.headers_named("content-security-policy");
    assert_eq!(csp.len(), 1, "{csp:?}");
    assert!(csp[0].contains("'wasm-unsafe-eval'"), "{csp:?}");
    for path in ["/login", "/assets/js/scanner.js", "/assets/js/shell.js"] {
        let r = c.get(path);
        let csp = r.headers_named("content-security-policy");
        assert_eq!(csp.len(), 1, "{path}: {csp:?}");
        assert!(!csp[0].contains("wasm"), "{path}: {csp:?}");
    }
    let wasm = c.get("/assets/vendor/zxing-wasm-3.1.3/reader/zxing_reader.wasm");
    assert_eq!(wasm.status, 200);
    assert_eq!(wasm.header("content-type"), Some("application/wasm"));
    let license = c.get("/assets/vendor/zxing-wasm-3.1.3/LICENSE");
    assert_eq!(license.status, 200);
    assert!(license.text.contains("MIT License"));
}
