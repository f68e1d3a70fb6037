//! The security log as the API records and shows it (issue 21). Handlers note
//! an event through a [`Witness`] made from the request before their
//! transaction (address, device, retention) and record it inside the same
//! transaction as the change, so a change and its event commit together.
//! `GET /api/security-events` shows a person their own events; an admin may
//! name an account (`user_id`) or ask for everyone's (`all=true`).
//!
//! Never a secret in an event: details hold reasons, roles and names only.

use crate::auth::devices;
use crate::auth::session::CurrentUser;
use crate::ctx::Ctx;
use crate::db::security_log::{self, Event, Kind, Who};
use crate::db::security_notices;
use crate::db::{self, users};
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use rusqlite::Connection;
use serde::Serialize;
use serde_json::Value;

/// A login event's details: the `method` that proved the account and, after
/// a sign-in through an identity provider, which one.
pub fn login_details(method: &str, via: Option<&str>) -> Value {
    let mut details = serde_json::json!({ "method": method });
    if let Some(provider) = via {
        details["provider"] = Value::from(provider);
    }
    details
}

/// Where an event happens, taken from the request.
pub struct Witness {
    ip: String,
    device: String,
    /// The device as a notice may name it (`devices::known`).
    known_device: Option<String>,
    keep_days: u32,
}

impl Witness {
    pub fn of(ctx: &Ctx<'_>) -> Witness {
        Witness {
            ip: ctx.req.client.to_string(),
            device: devices::describe(&ctx.req.user_agent()),
            known_device: devices::known(&ctx.req.user_agent()),
            keep_days: ctx.app.config.security_log_days,
        }
    }

    /// Records an event about `user` done by `actor`.
    pub fn record(
        &self,
        conn: &Connection,
        kind: Kind,
        user: Who<'_>,
        actor: Who<'_>,
        details: Value,
    ) -> AppResult<()> {
        let event = Event {
            kind,
            user,
            actor,
            ip: &self.ip,
            device: &self.device,
            known_device: self.known_device.as_deref(),
            details,
        };
        let new_device = security_notices::is_new_device_login(conn, &event)?;
        security_log::record(conn, &event, self.keep_days, new_device)?;
        security_notices::queue_for(conn, &event, new_device)
    }

    /// Records an event a person did to their own account.
    pub fn own(
        &self,
        conn: &Connection,
        kind: Kind,
        who: Who<'_>,
        details: Value,
    ) -> AppResult<()> {
        self.record(conn, kind, who, who, details)
    }

    /// Records an event in a transaction of its own (a refused login, which
    /// changes nothing else).
    pub fn record_alone(
        &self,
        conn: &mut Connection,
        kind: Kind,
        who: Who<'_>,
        details: Value,
    ) -> AppResult<()> {
        db::write(conn, |tx| self.own(tx, kind, who, details))
    }
}

/// An account as named in an event.
pub fn who(user: &CurrentUser) -> Who<'_> {
    Who {
        id: Some(&user.id),
        name: &user.username,
    }
}

/// A stored account as named in an event.
pub fn who_row(user: &users::User) -> Who<'_> {
    Who {
        id: Some(&user.id),
        name: &user.username,
    }
}

/// Events per page by default, and at most.
const PAGE: i64 = 50;
const MAX_PAGE: i64 = 200;

#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "SecurityEventPage")]
pub(crate) struct Page {
    events: Vec<security_log::EventRow>,
    /// Pass as `before` for the next (older) page; null on the last.
    next_before: Option<i64>,
}

/// `GET /api/security-events?user_id=&all=&before=&limit=`.
pub fn list(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let me = ctx.user()?.clone();
    let all = ctx.req.flag("all")?;
    let asked = ctx.req.param("user_id").map(str::to_string);
    if all && asked.is_some() {
        return Err(AppError::invalid_field(
            "all",
            "Send either 'all' or 'user_id'.",
        ));
    }
    let others = all || asked.as_deref().is_some_and(|id| id != me.id);
    if others && !me.is_admin() {
        return Err(AppError::forbidden(
            "admin_only",
            "Only an admin may see the security events of other accounts.",
        ));
    }
    let target = match all {
        true => None,
        false => Some(asked.unwrap_or_else(|| me.id.clone())),
    };
    let before = ctx.req.opt_id_param("before")?;
    let limit = ctx.req.opt_id_param("limit")?.unwrap_or(PAGE).min(MAX_PAGE);
    let events = db::read(ctx.conn, |tx| {
        security_log::list(tx, target.as_deref(), before, limit)
    })?;
    let next_before = (events.len() as i64 == limit)
        .then(|| events.last().map(|e| e.id))
        .flatten();
    Ok(Reply::ok(&Page {
        events,
        next_before,
    }))
}
