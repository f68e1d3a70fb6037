//! The browser tests, one binary: real pages of a real server in headless
//! Chromium (Debian's `chromium`; `CHROME=/path` to choose one). Each test
//! starts its own server and browser, so they run side by side.

#[path = "../browser_support/mod.rs"]
mod browser_support;
#[path = "../common/mod.rs"]
mod common;
#[path = "../media_support/mod.rs"]
mod media_support;
#[path = "../notify_support/mod.rs"]
mod notify_support;
#[path = "../sso_support/mod.rs"]
mod sso_support;
#[path = "../totp_support/mod.rs"]
mod totp_support;

mod api_docs;
mod import;
mod inventory;
mod loads;
mod locations;
mod look_alikes;
mod media;
mod no_script;
mod notice_confirmation;
mod pages;
mod phone;
mod redirect;
mod revoke_tokens;
mod roles;
mod screenshots;
mod security;
mod sessions;
mod sso;
mod stock_alerts;
mod tags;
