//! Issue 19: minimum quantities, the reorder list, transitions written to the
//! outbox exactly once (also under 16 parallel writers), and their delivery
//! to real receivers: a signed webhook, ntfy, email over SMTP, retries with
//! backoff, a restart with undelivered events, the daily digest.

use crate::common;
use crate::notify_support;

use common::create::{allocate, project};
use common::{Client, TestServer, outbox, wait_until};
use notify_support::{Receiver, SmtpSink, hmac_sha256_hex, wait_all_delivered};
use serde_json::{Value, json};
use std::time::Duration;

/// Fast retries for the tests (the default waits 30 s before the first).
const FAST: &str = "notify_retry_base_ms: 50\n";
const SECRET: &str = "a-secret-of-at-least-16-characters";

fn item(c: &Client, name: &str, total: i64, min: i64) -> i64 {
    c.created(
        "/api/item",
        json!({"name": name, "total_quantity": total, "min_quantity": min}),
    )
}

fn webhook(c: &Client, url: &str, events: &[&str]) -> i64 {
    c.created(
        "/api/admin/notifications",
        json!({"name": "hook", "kind": "webhook", "events": events,
               "settings": {"url": url}, "secret": SECRET}),
    )
}

mod delivery;
mod events;
