//! Email notices over SMTP with `lettre` (blocking transport, rustls with the
//! aws-lc-rs provider): STARTTLS, implicit TLS, or plain for a relay on the
//! same host. The channel's settings name host, port, security, user, from
//! and to; its secret, opened by the caller, is the password. A message with
//! its own recipient (a security notice) goes to that address instead of the
//! channel's `to`.

use super::message::Message;
use crate::db::notifications::Channel;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{SmtpTransport, Transport};
use serde_json::Value;
use std::time::Duration;

pub fn send(c: &Channel, password: Option<&str>, m: &Message) -> Result<(), String> {
    let s = |k: &str| c.settings.get(k).and_then(Value::as_str).unwrap_or("");
    let host = s("host");
    let port = c
        .settings
        .get("port")
        .and_then(Value::as_u64)
        .unwrap_or(587) as u16;
    let mut mail = lettre::Message::builder()
        .from(s("from").parse().map_err(|e| format!("from: {e}"))?)
        .subject(&m.subject)
        .header(ContentType::TEXT_PLAIN);
    // A notice for one person goes to them alone, never to the channel's list.
    let to = m.recipient.as_deref().unwrap_or(s("to"));
    for to in to.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        mail = mail.to(to.parse().map_err(|e| format!("to: {e}"))?);
    }
    let mail = mail
        .body(format!("{}\n\n-- \nMiauInv event {}\n", m.body, m.event_id))
        .map_err(|e| e.to_string())?;
    let tls = || TlsParameters::new(host.to_string()).map_err(|e| e.to_string());
    let tls = match s("security") {
        "tls" => Tls::Wrapper(tls()?),
        "none" => Tls::None,
        _ => Tls::Required(tls()?),
    };
    let mut transport = SmtpTransport::builder_dangerous(host)
        .port(port)
        .tls(tls)
        .timeout(Some(Duration::from_secs(10)));
    if !s("user").is_empty() {
        let password = password.unwrap_or_default().to_string();
        transport = transport.credentials(Credentials::new(s("user").to_string(), password));
    }
    transport
        .build()
        .send(&mail)
        .map(|_| ())
        .map_err(|e| e.to_string())
}
