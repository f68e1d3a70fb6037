//! Delivering one outbox entry to one channel: a signed webhook, an ntfy
//! message or an email. Each returns the error a person can act on (never a
//! secret); the sender decides about retries. The channel's secret and a
//! confirmation mail's link are stored sealed; they are opened here, for the
//! one delivery, and kept nowhere.

use super::Settings;
use super::message::Message;
use crate::db::alerts::{EVENT_BACK, EVENT_DIGEST, EVENT_LOW, EVENT_SECURITY, EVENT_SHORT};
use crate::db::notifications::{Channel, Due};
use crate::db::security_notices::{NOTICE_CONFIRM_EMAIL, link_binding};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

/// The HTTP client for webhooks and ntfy (`outbound.rs`), trusting the
/// public web roots.
pub fn agent() -> ureq::Agent {
    crate::outbound::agent(&[]).expect("the public roots need no PEM")
}

pub fn deliver(agent: &ureq::Agent, settings: &Settings, d: &Due) -> Result<(), String> {
    let mut payload: Value = serde_json::from_str(&d.payload).unwrap_or(Value::Null);
    // A notice for one person (a security notice) goes to their address by
    // email, or nowhere: never to a webhook's or a topic's readers.
    if (d.recipient.is_some() || d.event == EVENT_SECURITY) && d.channel.kind != "email" {
        return Err(format!(
            "a security notice goes to its account's own address by email only, not by {}",
            d.channel.kind
        ));
    }
    let secret = match &d.channel.secret {
        None => None,
        Some(sealed) => Some(sealed.open(&settings.key, d.channel.id).ok_or(
            "the channel's secret does not open with this server's secret.key (was the database restored without its key?): set the secret again",
        )?),
    };
    if d.event == EVENT_SECURITY && payload["notice"] == NOTICE_CONFIRM_EMAIL {
        let recipient = d.recipient.as_deref().unwrap_or("");
        let link = payload["link"]
            .as_str()
            .and_then(|sealed| settings.key.open(sealed, &link_binding(recipient)))
            .ok_or(
                "the confirmation link does not open with this server's secret.key: send a new one",
            )?;
        payload["link"] = link.into();
    }
    match d.channel.kind.as_str() {
        "webhook" => webhook(agent, settings, d, payload, secret.as_deref()),
        "ntfy" => ntfy(agent, d, &payload, secret.as_deref()),
        "email" => super::email::send(&d.channel, secret.as_deref(), &message(d, &payload)),
        other => Err(format!("unknown channel kind {other}")),
    }
}

fn setting<'a>(c: &'a Channel, key: &str) -> &'a str {
    c.settings.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The webhook body: `{event, event_id, at, server, item}` (or the digest's
/// `low` and `short` lists).
pub fn webhook_body(settings: &Settings, d: &Due, payload: Value) -> Vec<u8> {
    let mut body = json!({
        "event": d.event,
        "event_id": d.event_id,
        "at": d.created_at,
        "server": settings.server,
    });
    match d.event.as_str() {
        EVENT_LOW | EVENT_SHORT | EVENT_BACK => body["item"] = payload,
        _ => {
            if let Value::Object(fields) = payload {
                for (k, v) in fields {
                    body[k] = v;
                }
            }
        }
    }
    serde_json::to_vec(&body).expect("JSON values serialise")
}

/// `sha256=<hex HMAC-SHA-256 of the body under the channel's secret>`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn webhook(
    agent: &ureq::Agent,
    settings: &Settings,
    d: &Due,
    payload: Value,
    secret: Option<&str>,
) -> Result<(), String> {
    let body = webhook_body(settings, d, payload);
    let secret = secret.unwrap_or("");
    let request = agent
        .post(setting(&d.channel, "url"))
        .header("Content-Type", "application/json")
        .header("X-MiauInv-Event", &d.event)
        .header("X-MiauInv-Event-Id", &d.event_id)
        .header("X-MiauInv-Signature", signature(secret, &body));
    answer(request.send(&body[..]))
}

fn ntfy(agent: &ureq::Agent, d: &Due, payload: &Value, token: Option<&str>) -> Result<(), String> {
    let m = message(d, payload);
    let server = setting(&d.channel, "server").trim_end_matches('/');
    let url = format!("{server}/{}", setting(&d.channel, "topic"));
    let (priority, tags) = match d.event.as_str() {
        EVENT_SHORT => ("high", "rotating_light"),
        EVENT_LOW => ("default", "warning"),
        EVENT_BACK => ("low", "white_check_mark"),
        EVENT_DIGEST => ("default", "clipboard"),
        _ => ("low", "bell"),
    };
    let mut request = agent
        .post(url.as_str())
        .header("Title", &m.subject)
        .header("Priority", priority)
        .header("Tags", tags)
        .header("X-MiauInv-Event-Id", &d.event_id);
    if let Some(token) = token.filter(|t| !t.is_empty()) {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    answer(request.send(m.body.as_str()))
}

fn answer(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Result<(), String> {
    match result {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) if r.status().is_redirection() => Err(format!(
            "the receiver answered {} (a redirect; notifications follow none: use the final address)",
            r.status()
        )),
        Ok(r) => Err(format!("the receiver answered {}", r.status())),
        Err(e) => Err(e.to_string()),
    }
}

pub fn message(d: &Due, p: &Value) -> Message {
    let name = p["name"].as_str().unwrap_or("An item");
    let n = |k: &str| p[k].as_i64().unwrap_or(0);
    let (subject, body) = match d.event.as_str() {
        EVENT_LOW => (
            format!("Low: {name}"),
            format!(
                "{name} is below its minimum: {} available, minimum {}. Suggested order: {}.",
                n("available_quantity"),
                n("min_quantity"),
                p["reorder_quantity"]
                    .as_i64()
                    .unwrap_or(0)
                    .max(n("min_quantity") - n("available_quantity"))
            ),
        ),
        EVENT_SHORT => (
            format!("Short: {name}"),
            format!(
                "{name} is short: {} allocated but only {} stocked ({} missing).",
                n("allocated_quantity"),
                n("stocked_quantity"),
                n("allocated_quantity") - n("stocked_quantity")
            ),
        ),
        EVENT_BACK => (
            format!("Back above minimum: {name}"),
            format!(
                "{name} is back above its minimum: {} available, minimum {}.",
                n("available_quantity"),
                n("min_quantity")
            ),
        ),
        EVENT_DIGEST => super::digest::words(p),
        EVENT_SECURITY => super::security::words(p),
        _ => (
            "MiauInv test message".to_string(),
            "This channel works: MiauInv can reach it.".to_string(),
        ),
    };
    Message {
        subject,
        body,
        event_id: d.event_id.clone(),
        recipient: d.recipient.clone(),
    }
}
