//! The pages section: headless Chromium (Debian's, driven the way the browser
//! tests drive it) opens each dashboard page logged in, and records what a person
//! waits for: the HTML's size, the DOM it grows to, the time to `load` and to the
//! last data the page asked for, and for every type-to-search field on the page
//! the time from a keystroke to its suggestions.
//!
//! A keystroke is timed the way it is felt: the field already holds the first
//! letters (their suggestions settled), then one more letter is typed and the
//! clock runs until the suggestions for the whole word are in the DOM and a
//! frame has been painted.

#[path = "../tests/browser_support/mod.rs"]
mod browser_support;

use crate::load::Proc;
use crate::report::{PageRow, PickerRow, Results};
use browser_support::{Chromium, Page};
use serde_json::Value;

/// What is typed into each kind of field: three letters a person would type to
/// find a seeded row (item names hold "Capacitor", locations "Shelf", projects
/// "Project").
fn query_for(kind: &str) -> &'static str {
    match kind {
        "location" => "she",
        "project" => "pro",
        _ => "cap",
    }
}

/// The pages opened at every size. The issue asks for the list pages at a
/// million items; the others are cheap to add and show nothing else grows.
fn pages(items: i64) -> Vec<(String, String)> {
    let mid = (items / 2).max(1);
    vec![
        ("Dashboard".to_string(), "/dashboard".to_string()),
        ("Inventory".into(), "/inventory".into()),
        ("Items".into(), "/items".into()),
        ("Item page".into(), format!("/inventory?item={mid}")),
        ("Locations".into(), "/locations".into()),
        ("Location page".into(), "/locations?id=1".into()),
        ("Projects".into(), "/projects".into()),
        ("Project page".into(), "/projects?id=1".into()),
    ]
}

/// Opens every page at `items` items and adds its rows to `results`.
pub fn measure(
    server: &Proc,
    username: &str,
    password: &str,
    items: i64,
    results: &mut Results,
) -> Result<(), String> {
    let chromium = Chromium::launch();
    let page = chromium.page(&server.base(), "bench-pages");
    log_in(&page, username, password)?;
    let mut timed = std::collections::HashSet::new();
    for (name, path) in pages(items) {
        // Once to warm the caches (assets, SQLite pages), once measured: a
        // person opens a page they have opened before.
        page.goto(&path);
        page.goto(&path);
        let m = json(&page, MEASURE_PAGE)?;
        results.pages.push(PageRow {
            items,
            page: name.clone(),
            path: path.clone(),
            html_bytes: num(&m, "html") as u64,
            dom_nodes: num(&m, "nodes") as u64,
            load_ms: num(&m, "load"),
            data_ms: num(&m, "data"),
        });
        let fields = json(&page, COMBOBOXES)?;
        for field in fields.as_array().into_iter().flatten() {
            let id = field["id"].as_str().unwrap_or_default();
            // A field shared by several pages (the top bar's quick-find, the
            // stock forms) is timed on the first page that has it.
            if !timed.insert(id.to_string()) {
                continue;
            }
            let kind = field["kind"].as_str().unwrap_or("item");
            let q = query_for(kind);
            let t = json(
                &page,
                &format!(
                    "({TIME_KEYSTROKE})({}, {})",
                    Value::from(id),
                    Value::from(q)
                ),
            )?;
            let Some(ms) = t.as_f64() else {
                return Err(format!(
                    "{name} at {items} items: the field #{id} showed no suggestions for {q:?}: {t}"
                ));
            };
            results.pickers.push(PickerRow {
                items,
                page: name.clone(),
                field: field["label"].as_str().unwrap_or(id).to_string(),
                query: q.to_string(),
                ms,
            });
        }
    }
    Ok(())
}

/// Evaluates `expr` (a promise is awaited) and answers its value as JSON: the
/// DevTools protocol hands objects back by reference, so they travel as text.
fn json(page: &Page, expr: &str) -> Result<Value, String> {
    let text = page.js(&format!(
        "Promise.resolve({expr}).then((v) => JSON.stringify(v))"
    ));
    let text = text.as_str().unwrap_or("null");
    serde_json::from_str(text).map_err(|e| format!("the page answered {text}: {e}"))
}

fn num(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or(f64::NAN)
}

/// Logs in from the login page with the API, as the page's own script does, so
/// the browser holds the session cookies.
fn log_in(page: &Page, username: &str, password: &str) -> Result<(), String> {
    page.goto("/login");
    let status = page.js(&format!(
        "fetch('/api/login', {{method: 'POST', headers: {{'Content-Type': 'application/json'}}, \
         body: JSON.stringify({{username: {}, password: {}}})}}).then(r => r.status)",
        Value::from(username),
        Value::from(password)
    ));
    if status.as_i64() != Some(200) {
        return Err(format!("the browser could not log in: {status}"));
    }
    Ok(())
}

/// HTML bytes (decoded), DOM nodes once the page's own requests have settled,
/// `load` and the end of the last data request, in ms from navigation start.
const MEASURE_PAGE: &str = r#"(async () => {
  const settled = () => new Promise((done) => {
    let last = -1, still = 0;
    const tick = () => {
      const n = document.getElementsByTagName('*').length;
      still = n === last ? still + 1 : 0;
      last = n;
      if (still >= 4 && !document.querySelector('[aria-busy=true]')) done(n); else setTimeout(tick, 50);
    };
    tick();
  });
  const nodes = await settled();
  const nav = performance.getEntriesByType('navigation')[0];
  const data = performance.getEntriesByType('resource')
    .filter((r) => r.initiatorType === 'fetch' || r.initiatorType === 'xmlhttprequest')
    .reduce((end, r) => Math.max(end, r.responseEnd), nav.loadEventEnd);
  return { html: nav.decodedBodySize, nodes, load: nav.loadEventEnd, data };
})()"#;

/// Every type-to-search field of the page: its id, what it finds, its label.
const COMBOBOXES: &str = r#"[...document.querySelectorAll('input[role=combobox]')].map((input) => ({
  id: input.id,
  kind: input.closest('[data-picker]')?.dataset.picker || 'search',
  label: (document.querySelector(`label[for="${input.id}"]`)?.textContent || input.id).trim(),
}))"#;

/// Types `q` minus its last letter, waits for those suggestions, then types the
/// last letter and answers the ms until the new suggestions are shown and
/// painted (null if none came within 5 s).
const TIME_KEYSTROKE: &str = r#"async (id, q) => {
  const input = document.getElementById(id);
  const list = document.getElementById(input.getAttribute('aria-controls'));
  const type = (text) => { input.value = text; input.dispatchEvent(new Event('input', { bubbles: true })); };
  const shown = (since) => new Promise((done) => {
    const timeout = setTimeout(() => { watch.disconnect(); done(null); }, 5000);
    const watch = new MutationObserver(() => {
      if (list.hasAttribute('aria-busy') || !list.querySelector('[role=option]:not([aria-disabled=true])')) return;
      watch.disconnect();
      clearTimeout(timeout);
      requestAnimationFrame(() => done(performance.now() - since));
    });
    watch.observe(list, { childList: true });
  });
  input.focus();
  const first = shown(performance.now());
  type(q.slice(0, -1));
  await first;
  await new Promise((r) => setTimeout(r, 200));
  const t0 = performance.now();
  const second = shown(t0);
  type(q);
  return second;
}"#;
