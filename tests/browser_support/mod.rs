//! Driving Debian's headless Chromium over the DevTools protocol for the browser
//! tests: launching it, and a `Page` with the few steps the tests need (go to,
//! fill, choose, click, wait for text). A step that fails saves a screenshot
//! under `tests/screenshots/failures/` before the test panics.
#![allow(dead_code)]

use headless_chrome::protocol::cdp::{Emulation, Network, Page as Cdp, WebAuthn};
use headless_chrome::{Browser, LaunchOptions, Tab};
use serde_json::{Value, json};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a step may wait for the page before the test fails.
const WAIT: Duration = Duration::from_secs(20);

pub struct Chromium {
    pub browser: Browser,
    _profile: tempfile::TempDir,
}

/// The Chromium binary: `$CHROME`, else Debian's `/usr/bin/chromium`. A missing
/// browser fails the test with the way to install it; it is never skipped.
fn chromium_path() -> PathBuf {
    let path = std::env::var_os("CHROME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        path.exists(),
        "Chromium was not found at {}. The browser tests need it: install it with \
         `apt-get update && apt-get install -y chromium` (or point $CHROME at a Chromium binary).",
        path.display()
    );
    path
}

impl Chromium {
    pub fn launch() -> Chromium {
        let profile = tempfile::tempdir().expect("temp profile dir");
        let args: Vec<&OsStr> = [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--font-render-hinting=none",
        ]
        .iter()
        .map(OsStr::new)
        .collect();
        let options = LaunchOptions::default_builder()
            .path(Some(chromium_path()))
            .headless(true)
            .sandbox(false)
            .window_size(Some((1280, 800)))
            .user_data_dir(Some(profile.path().to_path_buf()))
            .idle_browser_timeout(Duration::from_secs(300))
            .args(args)
            .build()
            .expect("launch options");
        let browser = Browser::new(options).expect("Chromium starts");
        Chromium {
            browser,
            _profile: profile,
        }
    }

    /// A fresh tab in its own browser context (own cookies), on `base`.
    pub fn page(&self, base: &str, test: &str) -> Page {
        let context = self.browser.new_context().expect("browser context");
        let tab = context.new_tab().expect("new tab");
        tab.set_default_timeout(WAIT);
        let page = Page {
            tab,
            base: base.to_string(),
            test: test.to_string(),
        };
        page.viewport(1280, 800, false);
        // Script errors are collected so a failed step can report them.
        let collect: Cdp::AddScriptToEvaluateOnNewDocument = serde_json::from_value(json!({
            "source": "window.__errors = []; \
                addEventListener('error', e => __errors.push(e.message)); \
                addEventListener('unhandledrejection', e => __errors.push(String(e.reason)));"
        }))
        .expect("AddScriptToEvaluateOnNewDocument");
        if let Err(e) = page.tab.call_method(collect) {
            page.fail("install the error collector", e);
        }
        page
    }
}

pub struct Page {
    pub tab: Arc<Tab>,
    pub base: String,
    test: String,
}

impl Page {
    /// Fails the test after saving a screenshot of the page as it is now.
    pub fn fail(&self, step: &str, why: impl std::fmt::Display) -> ! {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/screenshots/failures");
        let _ = std::fs::create_dir_all(&dir);
        let file = dir.join(format!("{}.png", self.test));
        let saved = self
            .tab
            .capture_screenshot(Cdp::CaptureScreenshotFormatOption::Png, None, None, true)
            .ok()
            .and_then(|png| std::fs::write(&file, png).ok())
            .is_some();
        let url = self.tab.get_url();
        let errors = self
            .tab
            .evaluate("JSON.stringify(window.__errors || [])", false)
            .ok()
            .and_then(|o| o.value)
            .unwrap_or_default();
        panic!(
            "browser step failed: {step}: {why}\n  at {url}\n  script errors: {errors}\n  screenshot: {}",
            if saved {
                file.display().to_string()
            } else {
                "could not be saved".into()
            }
        );
    }

    /// Opens `path` and waits until the new document has loaded. (The marker on
    /// the old window tells the old document from the new one.)
    pub fn goto(&self, path: &str) -> &Self {
        let url = format!("{}{}", self.base, path);
        let _ = self.tab.evaluate("window.__leaving = true", false);
        let cmd: Cdp::Navigate = serde_json::from_value(json!({ "url": url })).expect("Navigate");
        match self.tab.call_method(cmd) {
            Ok(answer) if answer.error_text.is_none() => {}
            Ok(answer) => self.fail(
                &format!("open {path}"),
                answer.error_text.unwrap_or_default(),
            ),
            Err(e) => self.fail(&format!("open {path}"), e),
        }
        self.loaded(&format!("load {path}"))
    }

    /// Waits for the page that replaces the current one to finish loading.
    pub fn loaded(&self, what: &str) -> &Self {
        self.wait_for(
            what,
            "!window.__leaving && document.readyState === 'complete'",
        )
    }

    /// The path (and query) of the current page.
    pub fn path(&self) -> String {
        self.tab
            .get_url()
            .strip_prefix(&self.base)
            .unwrap_or("")
            .to_string()
    }

    /// Evaluates JavaScript (promises awaited) and returns its JSON value.
    pub fn js(&self, expr: &str) -> Value {
        match self.tab.evaluate(expr, true) {
            Ok(obj) => obj.value.unwrap_or(Value::Null),
            Err(e) => self.fail(&format!("run {expr}"), e),
        }
    }

    /// Waits until `expr` is truthy.
    pub fn wait_for(&self, what: &str, expr: &str) -> &Self {
        let start = Instant::now();
        loop {
            let ok = self
                .tab
                .evaluate(&format!("!!({expr})"), true)
                .ok()
                .and_then(|o| o.value)
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            if ok {
                return self;
            }
            if start.elapsed() > WAIT {
                self.fail(what, format!("`{expr}` did not become true"));
            }
            // The polling step of this wait (it fails with a screenshot, so
            // it is not `common::wait_until`).
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for a visible element matching `selector`.
    pub fn wait_visible(&self, selector: &str) -> &Self {
        self.act(&format!("{selector} is visible"), selector, "true")
    }

    /// Runs `action` (JavaScript using `el`, the element) as soon as `selector`
    /// names a visible element. One DevTools round trip per attempt: the driver's
    /// round trips are slow, so a step is one script, not a dozen calls.
    fn act(&self, what: &str, selector: &str, action: &str) -> &Self {
        let sel = json!(selector);
        self.wait_for(
            what,
            &format!(
                "(() => {{ const el = document.querySelector({sel}); \
                 if (!el || el.getClientRects().length === 0 || el.closest('[hidden]')) return false; \
                 {action}; return true; }})()"
            ),
        )
    }

    /// Waits until the element's text contains `text`.
    pub fn wait_text(&self, selector: &str, text: &str) -> &Self {
        let (sel, t) = (json!(selector), json!(text));
        self.wait_for(
            &format!("{selector} shows {text:?}"),
            &format!("(document.querySelector({sel})?.textContent || '').includes({t})"),
        )
    }

    pub fn text(&self, selector: &str) -> String {
        let sel = json!(selector);
        self.js(&format!(
            "document.querySelector({sel})?.textContent.trim() ?? null"
        ))
        .as_str()
        .unwrap_or_else(|| self.fail(&format!("read {selector}"), "no such element"))
        .to_string()
    }

    /// Types into a field the way the browser's editing does for a person:
    /// focus, select what is there, insert the text (firing `input` events).
    pub fn fill(&self, selector: &str, text: &str) -> &Self {
        let t = json!(text);
        self.act(
            &format!("type into {selector}"),
            selector,
            &format!(
                "el.focus(); el.select(); \
                 if (!document.execCommand('insertText', false, {t})) {{ \
                   el.value = {t}; el.dispatchEvent(new Event('input', {{ bubbles: true }})); }}"
            ),
        )
    }

    /// Chooses the option with this label in a `<select>`.
    pub fn choose(&self, selector: &str, label: &str) -> &Self {
        let l = json!(label);
        self.act(
            &format!("choose {label:?} in {selector}"),
            selector,
            &format!(
                "const o = [...el.options].find(o => o.text === {l}); if (!o) return false; \
                 el.focus(); el.value = o.value; \
                 el.dispatchEvent(new Event('change', {{ bubbles: true }}))"
            ),
        )
    }

    /// Chooses `name` in a type-to-search picker: types it into the combobox,
    /// waits for the suggestion with exactly that name and clicks it.
    pub fn pick(&self, selector: &str, name: &str) -> &Self {
        self.fill(selector, name);
        let (sel, n) = (json!(selector), json!(name));
        self.wait_for(
            &format!("pick {name:?} in {selector}"),
            &format!(
                "(() => {{ const input = document.querySelector({sel}); \
                 const list = document.getElementById(input.getAttribute('aria-controls')); \
                 if (list.hidden) return false; \
                 const o = [...list.querySelectorAll('[role=option]')] \
                   .find(o => o.querySelector('.picker-name')?.textContent === {n}); \
                 if (!o) return false; o.click(); \
                 return input.closest('[data-picker]').querySelector('input[type=hidden]').value !== ''; }})()"
            ),
        )
    }

    /// Types text with key events into whatever has the focus, as a keyboard would.
    pub fn type_keys(&self, text: &str) -> &Self {
        if let Err(e) = self.tab.type_str(text) {
            self.fail(&format!("type {text:?}"), e);
        }
        self
    }

    /// The id of the focused element ("" when none has one).
    pub fn focused(&self) -> String {
        self.js("document.activeElement?.id || ''")
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Activates a button or link (as a click or Enter on it would).
    pub fn click(&self, selector: &str) -> &Self {
        self.act(
            &format!("click {selector}"),
            selector,
            "if (el.disabled) return false; el.focus(); el.click()",
        )
    }

    /// Clicks the button (or link) inside `scope` whose text is `label`.
    pub fn click_text(&self, scope: &str, label: &str) -> &Self {
        let (sel, l) = (json!(scope), json!(label));
        let find = format!(
            "[...document.querySelectorAll({sel} + ' button, ' + {sel} + ' a')]\
             .find(b => b.textContent.trim() === {l} && b.getClientRects().length > 0)"
        );
        self.wait_for(
            &format!("click {label:?} in {scope}"),
            &format!(
                "(() => {{ const b = {find}; if (!b) return false; b.click(); return true; }})()"
            ),
        );
        self
    }

    pub fn press(&self, key: &str) -> &Self {
        if let Err(e) = self.tab.press_key(key) {
            self.fail(&format!("press {key}"), e);
        }
        self
    }

    /// Creates an account on /register (which logs it in) and waits for the dashboard.
    pub fn register(&self, username: &str, password: &str) -> &Self {
        self.goto("/register");
        self.fill("#reg-username", username)
            .fill("#reg-password", password)
            .fill("#reg-confirm", password)
            .click("#register-form button[type=submit]")
            .wait_path("/dashboard")
    }

    /// Fills the login form on this page and submits it.
    pub fn submit_login(&self, username: &str, password: &str) -> &Self {
        self.fill("#login-username", username)
            .fill("#login-password", password)
            .press("Enter")
    }

    /// Logs `username` in as a person would: the dashboard sends a stranger
    /// to /login, and the login leads back to the dashboard.
    pub fn log_in(&self, username: &str, password: &str) -> &Self {
        self.goto("/dashboard").wait_path("/login");
        self.submit_login(username, password)
            .wait_path("/dashboard")
    }

    /// Waits for a navigation to land on `path` (query ignored).
    pub fn wait_path(&self, path: &str) -> &Self {
        let p = json!(path);
        self.wait_for(
            &format!("arrive at {path}"),
            &format!("location.pathname === {p} && document.readyState === 'complete'"),
        )
    }

    pub fn delete_cookie(&self, name: &str, path: &str) {
        let cmd: Network::DeleteCookies =
            serde_json::from_value(json!({ "name": name, "url": self.base, "path": path }))
                .expect("DeleteCookies");
        if let Err(e) = self.tab.call_method(cmd) {
            self.fail(&format!("delete cookie {name}"), e);
        }
    }

    pub fn cookie_names(&self) -> Vec<String> {
        self.tab
            .get_cookies()
            .unwrap_or_default()
            .into_iter()
            .map(|c| c.name)
            .collect()
    }

    /// Gives the tab a platform authenticator, as a laptop's fingerprint reader
    /// would be: CTAP2, internal transport, resident (discoverable) keys, and user
    /// verification that always succeeds without a prompt.
    pub fn virtual_authenticator(&self) {
        let enable: WebAuthn::Enable =
            serde_json::from_value(json!({ "enableUI": false })).expect("WebAuthn.enable");
        if let Err(e) = self.tab.call_method(enable) {
            self.fail("WebAuthn.enable", e);
        }
        let add: WebAuthn::AddVirtualAuthenticator = serde_json::from_value(json!({
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": true,
                "hasUserVerification": true,
                "isUserVerified": true,
                "automaticPresenceSimulation": true
            }
        }))
        .expect("WebAuthn.addVirtualAuthenticator");
        if let Err(e) = self.tab.call_method(add) {
            self.fail("WebAuthn.addVirtualAuthenticator", e);
        }
    }

    /// Sets the viewport; `mobile` emulates a phone (touch, mobile viewport).
    pub fn viewport(&self, width: u32, height: u32, mobile: bool) {
        let cmd: Emulation::SetDeviceMetricsOverride = serde_json::from_value(json!({
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile
        }))
        .expect("SetDeviceMetricsOverride");
        if let Err(e) = self.tab.call_method(cmd) {
            self.fail("set viewport", e);
        }
    }

    /// Emulates `prefers-color-scheme: dark|light`.
    pub fn color_scheme(&self, scheme: &str) {
        let cmd: Emulation::SetEmulatedMedia = serde_json::from_value(json!({
            "media": "screen",
            "features": [{ "name": "prefers-color-scheme", "value": scheme }]
        }))
        .expect("SetEmulatedMedia");
        if let Err(e) = self.tab.call_method(cmd) {
            self.fail("emulate color scheme", e);
        }
    }

    /// A PNG of the whole page: the viewport is stretched to the document's
    /// height for the shot (at least `min_height`), then left as it was.
    pub fn screenshot_full(&self, min_height: u32) -> Vec<u8> {
        let (width, mobile) = (
            self.js("window.innerWidth").as_u64().unwrap_or(1280) as u32,
            self.js("matchMedia('(pointer: coarse)').matches")
                .as_bool()
                .unwrap_or(false),
        );
        let height = self
            .js("document.documentElement.scrollHeight")
            .as_u64()
            .unwrap_or(800) as u32;
        self.viewport(width, height.max(min_height), mobile);
        let shot =
            self.tab
                .capture_screenshot(Cdp::CaptureScreenshotFormatOption::Png, None, None, true);
        self.viewport(width, min_height, mobile);
        shot.unwrap_or_else(|e| self.fail("screenshot", e))
    }
}
