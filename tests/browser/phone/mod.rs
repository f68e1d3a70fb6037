//! The phone at the shelf, in real headless Chromium against the real server:
//! the item page's Take/Put/Move/Count updating the figures and the history,
//! −/+ on a location's page, scanning a label (the vendored decoder reading a
//! generated label image), a keyboard-wedge burst, a stocktake with one
//! difference applied, and the label sheet's printed sizes.

use crate::browser_support;
use crate::common;

use browser_support::{Chromium, Page};
use common::{Client, TestServer};
use serde_json::{Value, json};

/// Evaluates `expr` (promises awaited) for a JSON value of any shape: objects
/// cross as JSON text.
fn js_json(page: &Page, expr: &str) -> Value {
    let text = page.js(&format!(
        "Promise.resolve({expr}).then((v) => JSON.stringify(v))"
    ));
    serde_json::from_str(text.as_str().unwrap_or("null")).unwrap_or(Value::Null)
}

/// The item page's figure with this label ("Total", "Stocked", …).
fn figure(page: &Page, label: &str) -> String {
    let l = json!(label);
    page.js(&format!(
        "[...document.querySelectorAll('[data-detail=numbers] .chip')]\
         .find(c => c.querySelector('.chip-label').textContent === {l})?.lastChild.textContent ?? ''"
    ))
    .as_str()
    .unwrap_or_default()
    .to_string()
}

fn wait_figure(page: &Page, label: &str, value: &str) {
    let (l, v) = (json!(label), json!(value));
    page.wait_for(
        &format!("{label} shows {value}"),
        &format!(
            "[...document.querySelectorAll('[data-detail=numbers] .chip')]\
             .find(c => c.querySelector('.chip-label').textContent === {l})?.lastChild.textContent === {v}"
        ),
    );
}

fn newest_history(page: &Page, text: &str) {
    let t = json!(text);
    page.wait_for(
        &format!("history starts with {text:?}"),
        &format!(
            "document.querySelector('[data-detail=history] .move-text')?.textContent.includes({t})"
        ),
    );
}

/// Types `code` and Enter as keydown events, `gap_ms` apart.
fn wedge(page: &Page, code: &str, gap_ms: u64) {
    let c = json!(code);
    page.js(&format!(
        "(async () => {{ const key = (k) => document.body.dispatchEvent(new KeyboardEvent('keydown', {{ key: k, bubbles: true, cancelable: true }})); \
           for (const ch of {c}) {{ key(ch); if ({gap_ms}) await new Promise((r) => setTimeout(r, {gap_ms})); }} key('Enter'); }})()"
    ));
}

/// Saves a screenshot under docs/screenshots/ (they are looked at, not compared).
fn save_screenshot(page: &Page, name: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
    let _ = std::fs::create_dir_all(&dir);
    let png = page.screenshot_full(844);
    std::fs::write(dir.join(name), png).expect("screenshot saved");
}

mod labels_and_scanning;
mod moves;
