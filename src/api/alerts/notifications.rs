//! `/api/admin/notifications` (admin only): notification channels (webhook,
//! ntfy, email), each with the events it wants, a test message, and the
//! recent deliveries with their errors. Secrets (the webhook's signing
//! secret, the ntfy token, the SMTP password) are written, never answered:
//! a channel says only whether it has one. They are stored sealed under the
//! server's key (`db::notifications::SealedSecret`), and an address may not
//! carry credentials of its own (it is shown and stored in clear). Making,
//! changing and removing a channel is in the security log.

use crate::api::accounts::security_events::{Witness, who};
use crate::ctx::Ctx;
use crate::db::notifications::{self, Channel, SecretChange};
use crate::db::security_log::Kind;
use crate::db::{self, alerts};
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use crate::rules::fields;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Deliveries the admin page lists.
const RECENT: i64 = 50;

/// `POST` (all of it) and `PUT` (any of it) bodies. `settings` depends on the
/// kind: `{url}` (webhook), `{server, topic}` (ntfy), `{host, port, security,
/// user, from, to}` (email). `secret`: a string sets it, `null` clears it,
/// absent keeps it.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChannelBody {
    #[schemars(length(min = 1, max = fields::MAX_NAME), regex(pattern = fields::NAME_PATTERN))]
    name: Option<String>,
    /// Required to make a channel; a channel keeps its kind.
    #[schemars(with = "Option<ChannelKind>")]
    kind: Option<String>,
    enabled: Option<bool>,
    #[schemars(with = "Option<Vec<EventName>>")]
    events: Option<Vec<String>>,
    settings: Option<Value>,
    #[serde(default, deserialize_with = "fields::nullable")]
    secret: Option<Option<String>>,
}

/// The kinds of channel, as the API document lists them for `kind`.
#[derive(schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)] // never built: it only describes the field
enum ChannelKind {
    Webhook,
    Ntfy,
    Email,
}

/// An event a channel may want, as the API document lists them: one of
/// [`alerts::EVENTS`].
struct EventName;

impl schemars::JsonSchema for EventName {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "EventName".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "enum": alerts::EVENTS})
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct WebhookSettings {
    url: String,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct NtfySettings {
    server: String,
    topic: String,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct EmailSettings {
    host: String,
    port: u16,
    security: String,
    #[serde(default)]
    user: String,
    from: String,
    to: String,
}

/// A channel as answered: its secret replaced by whether it has one.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct ChannelView<'a> {
    #[serde(flatten)]
    channel: &'a Channel,
    secret_set: bool,
}

fn view(c: &Channel) -> ChannelView<'_> {
    ChannelView {
        channel: c,
        secret_set: c.secret.is_some(),
    }
}

/// `GET`: the channels, the events they may choose and the recent deliveries.
pub fn list(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let (channels, deliveries) = db::read(ctx.conn, |tx| {
        Ok((
            notifications::channels(tx)?,
            notifications::recent(tx, RECENT)?,
        ))
    })?;
    let channels: Vec<_> = channels.iter().map(view).collect();
    Ok(Reply::ok(&Channels {
        channels,
        events: alerts::EVENTS,
        deliveries,
    }))
}

/// The channels, the events they may choose and the recent deliveries.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Channels<'a> {
    channels: Vec<ChannelView<'a>>,
    #[schemars(with = "Vec<EventName>")]
    events: &'static [&'static str],
    deliveries: Vec<notifications::Delivery>,
}

/// A test message waiting in the outbox.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Queued {
    queued: bool,
    event_id: String,
}

pub fn create(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let mut body: ChannelBody = ctx.req.json()?;
    let kind = body.kind.clone().ok_or_else(|| {
        AppError::invalid_field("kind", "The kind is required: webhook, ntfy or email.")
    })?;
    let blank = Channel {
        id: 0,
        name: String::new(),
        kind,
        enabled: true,
        events: Vec::new(),
        settings: Value::Null,
        secret: None,
        created_at: 0,
    };
    if body.name.is_none() {
        return Err(AppError::invalid_field("name", "The name is required."));
    }
    let secret = body.secret.take();
    let change = secret_change(secret.as_ref());
    let channel = apply(blank, body, change)?;
    let (app, admin, witness) = (ctx.app, ctx.user()?.clone(), Witness::of(ctx));
    let saved = db::write(ctx.conn, |tx| {
        let id = notifications::save(tx, &app.secret_key, &channel, change)?;
        let details = logged(id, &channel, None, change);
        witness.own(tx, Kind::NotificationChannelCreated, who(&admin), details)?;
        notifications::channel(tx, id)
    })?
    .ok_or_else(|| AppError::internal("the new channel is gone"))?;
    Ok(Reply::created(&view(&saved)))
}

pub fn update(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = ctx.req.id_param("id")?;
    let mut body: ChannelBody = ctx.req.json()?;
    let secret = body.secret.take();
    let change = secret_change(secret.as_ref());
    let (app, admin, witness) = (ctx.app, ctx.user()?.clone(), Witness::of(ctx));
    let saved = db::write(ctx.conn, |tx| {
        let old = notifications::channel(tx, id)?.ok_or_else(|| not_found(id))?;
        let channel = apply(old.clone(), body, change)?;
        notifications::save(tx, &app.secret_key, &channel, change)?;
        let details = logged(id, &channel, Some(&old), change);
        witness.own(tx, Kind::NotificationChannelChanged, who(&admin), details)?;
        notifications::channel(tx, id)
    })?
    .ok_or_else(|| not_found(id))?;
    Ok(Reply::ok(&view(&saved)))
}

pub fn delete(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = ctx.req.id_param("id")?;
    let (admin, witness) = (ctx.user()?.clone(), Witness::of(ctx));
    db::write(ctx.conn, |tx| {
        let old = notifications::channel(tx, id)?.ok_or_else(|| not_found(id))?;
        notifications::delete(tx, id)?;
        let details = json!({ "channel_id": id, "name": old.name, "kind": old.kind });
        witness.own(tx, Kind::NotificationChannelDeleted, who(&admin), details)
    })?;
    Ok(crate::api::deleted(id))
}

/// The body's `secret`: a string sets it, `null` or `""` clears it, absent
/// keeps it.
fn secret_change(secret: Option<&Option<String>>) -> SecretChange<'_> {
    match secret {
        None => SecretChange::Keep,
        Some(Some(s)) if !s.is_empty() => SecretChange::Set(s),
        Some(_) => SecretChange::Clear,
    }
}

/// The security log's details of a channel made or changed: which one, and
/// which of its parts changed (never a setting's or the secret's value).
fn logged(id: i64, c: &Channel, old: Option<&Channel>, secret: SecretChange<'_>) -> Value {
    let mut details = json!({ "channel_id": id, "name": c.name, "kind": c.kind });
    if let Some(old) = old {
        let mut changed: Vec<&str> = [
            ("name", old.name != c.name),
            ("enabled", old.enabled != c.enabled),
            ("events", old.events != c.events),
            ("settings", old.settings != c.settings),
        ]
        .into_iter()
        .filter_map(|(part, differs)| differs.then_some(part))
        .collect();
        if !matches!(secret, SecretChange::Keep) {
            changed.push("secret");
        }
        details["changed"] = json!(changed);
    }
    details
}

/// `POST /api/admin/notifications/test?id=`: a test message for that channel
/// alone, through the outbox like any event (202: the sender delivers it).
pub fn test(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = ctx.req.id_param("id")?;
    let event_id = db::write(ctx.conn, |tx| {
        notifications::channel(tx, id)?.ok_or_else(|| not_found(id))?;
        notifications::enqueue(tx, alerts::EVENT_TEST, Some(id), &json!({}))
    })?;
    Ok(Reply::json(
        202,
        &Queued {
            queued: true,
            event_id,
        },
    ))
}

fn not_found(id: i64) -> AppError {
    AppError::not_found(format!("There is no notification channel {id}.")).with("id", id)
}

/// The channel with the body's changes, every value checked; `secret` is
/// what the body does to the secret (its `secret` is taken out first).
fn apply(mut c: Channel, body: ChannelBody, secret: SecretChange<'_>) -> AppResult<Channel> {
    if let Some(kind) = &body.kind
        && *kind != c.kind
    {
        if c.id != 0 {
            return Err(AppError::invalid_field(
                "kind",
                "A channel keeps its kind: make a new channel instead.",
            ));
        }
        c.kind = kind.clone();
    }
    if let Some(name) = body.name {
        c.name = fields::name("name", &name)?;
    }
    if let Some(enabled) = body.enabled {
        c.enabled = enabled;
    }
    if let Some(events) = body.events {
        for e in &events {
            if !alerts::EVENTS.contains(&e.as_str()) {
                return Err(AppError::invalid_field(
                    "events",
                    format!(
                        "Unknown event '{e}': choose from {}.",
                        alerts::EVENTS.join(", ")
                    ),
                ));
            }
        }
        c.events = events;
        c.events.sort();
        c.events.dedup();
    }
    if let Some(s) = body.settings {
        c.settings = settings(&c.kind, s)?;
    } else if c.id == 0 {
        return Err(AppError::invalid_field(
            "settings",
            "The settings are required.",
        ));
    }
    if c.kind != "email" && c.events.iter().any(|e| e == alerts::EVENT_SECURITY) {
        return Err(AppError::invalid_field(
            "events",
            format!(
                "Only an email channel can carry '{}': a security notice goes to its account's own address, never to a shared {} channel.",
                alerts::EVENT_SECURITY,
                c.kind
            ),
        ));
    }
    let signs = match secret {
        SecretChange::Set(s) => s.len() >= 16,
        SecretChange::Keep => c.secret.is_some(),
        SecretChange::Clear => false,
    };
    if c.kind == "webhook" && !signs {
        return Err(AppError::invalid_field(
            "secret",
            "A webhook needs a signing secret of at least 16 characters (receivers check the signature with it).",
        ));
    }
    Ok(c)
}

/// The kind's settings, checked, as stored.
fn settings(kind: &str, v: Value) -> AppResult<Value> {
    let bad = |e: serde_json::Error| AppError::invalid_field("settings", format!("settings: {e}"));
    Ok(match kind {
        "webhook" => {
            let s: WebhookSettings = serde_json::from_value(v).map_err(bad)?;
            json!({ "url": http_url("url", &s.url)? })
        }
        "ntfy" => {
            let s: NtfySettings = serde_json::from_value(v).map_err(bad)?;
            let topic = s.topic.trim();
            if topic.is_empty()
                || topic.len() > 64
                || !topic
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(AppError::invalid_field(
                    "topic",
                    "The topic must be 1 to 64 letters, digits, '-' or '_'.",
                ));
            }
            let server = http_url("server", &s.server)?;
            json!({ "server": server.trim_end_matches('/'), "topic": topic })
        }
        "email" => {
            let s: EmailSettings = serde_json::from_value(v).map_err(bad)?;
            if !matches!(s.security.as_str(), "starttls" | "tls" | "none") {
                return Err(AppError::invalid_field(
                    "security",
                    "The security must be starttls, tls (implicit TLS) or none.",
                ));
            }
            if s.host.trim().is_empty() || s.port == 0 {
                return Err(AppError::invalid_field(
                    "host",
                    "The SMTP host and port are required.",
                ));
            }
            for (field, addr) in
                std::iter::once(("from", s.from.as_str())).chain(s.to.split(',').map(|t| ("to", t)))
            {
                if addr.trim().parse::<lettre::Address>().is_err() {
                    return Err(AppError::invalid_field(
                        field,
                        format!("'{}' is not an email address.", addr.trim()),
                    ));
                }
            }
            json!({ "host": s.host.trim(), "port": s.port, "security": s.security,
                    "user": s.user.trim(), "from": s.from.trim(), "to": s.to.trim() })
        }
        _ => {
            return Err(AppError::invalid_field(
                "kind",
                "The kind must be webhook, ntfy or email.",
            ));
        }
    })
}

/// An http(s) URL with a host, as given. Credentials in it are refused:
/// settings are answered to every admin and stored in clear, the secret is
/// where a credential goes (sealed).
fn http_url(field: &str, text: &str) -> AppResult<String> {
    match url::Url::parse(text.trim()) {
        Ok(u) if !u.username().is_empty() || u.password().is_some() => {
            Err(AppError::invalid_field(
                field,
                format!(
                    "The {field} must not carry a user name or password: put the credential in 'secret', which is stored sealed."
                ),
            ))
        }
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
            Ok(text.trim().to_string())
        }
        _ => Err(AppError::invalid_field(
            field,
            format!("The {field} must be an http:// or https:// address."),
        )),
    }
}
