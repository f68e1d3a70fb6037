//! The address an account's own security notices go to (a login from a new
//! device, two-factor authentication turned off; see `db::security_notices`),
//! and its confirmation. Nobody can aim the notices at a stranger:
//!
//! - `POST /api/account/notification-email {email, password}` sets it (or,
//!   with `null` or `""`, clears it). The current password is asked for, like
//!   a username change: whoever holds a stolen session must not be able to
//!   silence or redirect the notices meant to warn the owner. A new address
//!   is unconfirmed and gets one mail: a link that confirms it. An address is
//!   kept only when that mail could be queued, so the change is refused when
//!   no email channel carries security notices, or when the config names no
//!   public address (`public_url`/`rp_origin`) for the link: the link's origin
//!   never comes from a request's `Host`, which anyone sending it chooses.
//! - `POST /api/account/notification-email/resend`: the link again.
//! - `GET /confirm-email?token=` (a page) shows a Confirm button that calls
//!   `POST /api/account/notification-email/confirm {token}`. The link itself
//!   confirms nothing: mail scanners open links, and a stranger's scanner
//!   must not confirm an address for the stranger.
//!
//! Links live a day, work once, and only the newest works; only the hash of
//! a link's secret is stored (the outbox holds the link sealed under the
//! server's key until the sender writes the mail). At most
//! [`MAILS_PER_ACCOUNT`] confirmation mails a day go out for an account and
//! [`MAILS_PER_ADDRESS`] to an address, whichever accounts ask. The changes
//! and the confirmation are in the security log, without the address.

use crate::api::accounts::account::confirm_password;
use crate::api::accounts::links;
use crate::api::accounts::security_events::{Witness, who_row};
use crate::auth::ratelimit::Action;
use crate::ctx::Ctx;
use crate::db::security_log::Kind;
use crate::db::security_notices::{self, Address};
use crate::db::{self, email_confirmations, profile, users};
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The longest address accepted (RFC 5321's limit on a path).
const MAX_EMAIL: usize = 254;

/// Confirmation mails a day for one account, and to one address.
pub const MAILS_PER_ACCOUNT: i64 = 5;
pub const MAILS_PER_ADDRESS: i64 = 3;

/// Where a confirmation link leads, below the public address.
const CONFIRM_PAGE: &str = "/confirm-email";

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationEmailChange {
    /// The address; `null` or `""` (or only whitespace) clears it.
    #[schemars(length(max = MAX_EMAIL), extend("anyOf" = [{"format": "email"}, {"pattern": crate::rules::fields::BLANK_PATTERN}]))]
    pub email: Option<String>,
    pub password: String,
}

pub fn set(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let body: NotificationEmailChange = ctx.req.json()?;
    let email = checked(body.email.as_deref())?;
    let link = match &email {
        Some(e) => Some(Link::new(ctx, e)?),
        None => None,
    };
    let user = confirm_password(ctx, &body.password, "password")?;
    let witness = Witness::of(ctx);
    let updated = db::write(ctx.conn, |tx| {
        let before = security_notices::address(tx, &user.id)?;
        let changed = before.as_ref().map(|a| &a.email) != email.as_ref();
        if changed {
            security_notices::set_notification_email(tx, &user.id, email.as_deref())?;
            let details = json!({ "set": email.is_some() });
            witness.own(tx, Kind::NotificationEmailChanged, who_row(&user), details)?;
        }
        // A new address, or the same one still unconfirmed: a (new) link.
        let confirmed = before.is_some_and(|a| a.confirmed) && !changed;
        if let (Some(email), Some(link)) = (&email, &link)
            && !confirmed
        {
            link.queue(tx, &user.id, email)?;
        }
        profile::load(tx, &user.id)
    })?
    .ok_or_else(|| AppError::not_found("This account no longer exists."))?;
    Ok(Reply::ok(&updated))
}

/// A confirmation mail on its way.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct LinkSent {
    /// The address it goes to.
    sent_to: String,
    /// When its link stops working (seconds since the epoch).
    expires_at: i64,
}

/// `POST /api/account/notification-email/resend`: a new link for the
/// account's unconfirmed address (the older ones stop working).
pub fn resend(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let user_id = ctx.user()?.id.clone();
    let address = db::read(ctx.conn, |tx| security_notices::address(tx, &user_id))?;
    let email = match address {
        None => {
            return Err(AppError::conflict(
                "no_notification_email",
                "This account has no notification email to confirm: set one first.",
            ));
        }
        Some(Address {
            confirmed: true, ..
        }) => {
            return Err(AppError::conflict(
                "already_confirmed",
                "The notification email is confirmed already.",
            ));
        }
        Some(a) => a.email,
    };
    let link = Link::new(ctx, &email)?;
    let expires_at = db::write(ctx.conn, |tx| {
        // The address read above is still the account's (the link is sealed for it).
        let now = security_notices::address(tx, &user_id)?;
        if now.is_none_or(|a| a.email != email || a.confirmed) {
            return Err(AppError::conflict(
                "notification_email_changed",
                "The notification email changed meanwhile: reload the page.",
            ));
        }
        link.queue(tx, &user_id, &email)
    })?;
    Ok(Reply::json(
        202,
        &LinkSent {
            sent_to: email,
            expires_at,
        },
    ))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailConfirmation {
    /// The `token` of the confirmation link.
    token: String,
}

/// `POST /api/account/notification-email/confirm {token}`: confirms the
/// address the link was mailed to, if it is still the account's. Anyone
/// holding the link may (it went to that address); nobody needs to sign in.
pub fn confirm(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    ctx.app
        .limiter
        .hit(Action::Register, &ctx.req.client.to_string())?;
    let body: EmailConfirmation = ctx.req.json()?;
    let witness = Witness::of(ctx);
    db::write(ctx.conn, |tx| {
        let user = match email_confirmations::redeem(tx, &body.token)? {
            Some(id) => users::by_id(tx, &id)?,
            None => None,
        }
        .ok_or_else(dead_link)?;
        witness.own(
            tx,
            Kind::NotificationEmailConfirmed,
            who_row(&user),
            json!({}),
        )
    })?;
    Ok(Reply::no_content())
}

fn dead_link() -> AppError {
    AppError::bad_request(
        "link_invalid",
        "This link is not valid: it was already used, a newer one was sent, or it expired. Send a new one from your account settings.",
    )
}

/// A confirmation link about to be mailed: its secret (only its hash is
/// stored) and the whole link sealed for the one address it goes to.
struct Link {
    secret: String,
    sealed: String,
    server: String,
}

impl Link {
    /// A fresh link under the configured public address; refused when the
    /// config names none (a request's `Host` is never used: its sender
    /// chooses it, and the mail would lead where they like).
    fn new(ctx: &Ctx<'_>, email: &str) -> AppResult<Link> {
        let server = ctx.app.config.public_url().ok_or_else(|| {
            AppError::conflict(
                "public_url_unset",
                "This server's config names no public address ('public_url' or 'rp_origin'), so a confirmation link cannot be mailed. Ask the admin to set public_url.",
            )
        })?;
        let secret = links::secret();
        let link = format!("{server}{CONFIRM_PAGE}?token={secret}");
        let sealed = ctx
            .app
            .secret_key
            .seal(&link, &security_notices::link_binding(email));
        Ok(Link {
            secret,
            sealed,
            server,
        })
    }

    /// Records the link and queues its mail to `email` in the caller's
    /// transaction, within the daily limits and only through a channel that
    /// carries security notices; answers the link's expiry.
    fn queue(&self, tx: &Connection, user_id: &str, email: &str) -> AppResult<i64> {
        let channel = security_notices::carrier(tx)?.ok_or_else(|| {
            AppError::conflict(
                "notices_not_mailed",
                format!(
                    "No email channel carries security notices on this server, so nothing can be mailed to this address. Ask an admin to choose '{}' for an email channel.",
                    crate::db::alerts::EVENT_SECURITY
                ),
            )
        })?;
        let sent = email_confirmations::sent_since(tx, user_id, email)?;
        let frees_at = [
            (sent.by_account >= MAILS_PER_ACCOUNT).then_some(sent.account_frees_at),
            (sent.to_address >= MAILS_PER_ADDRESS).then_some(sent.address_frees_at),
        ]
        .into_iter()
        .flatten()
        .flatten()
        .max();
        if let Some(at) = frees_at {
            return Err(too_many_mails((at - db::now()).max(1)));
        }
        let expires_at = email_confirmations::insert(tx, user_id, email, &self.secret)?;
        security_notices::queue_confirmation(
            tx,
            channel,
            email,
            &self.sealed,
            &self.server,
            expires_at,
        )?;
        Ok(expires_at)
    }
}

fn too_many_mails(seconds: i64) -> AppError {
    let wait = match seconds {
        s if s >= 5400 => format!("{} hours", (s + 1800) / 3600),
        s => format!("{} minutes", (s + 59) / 60),
    };
    let mut e = AppError::new(
        crate::error::Kind::TooManyRequests,
        "too_many_confirmation_mails",
        format!(
            "At most {MAILS_PER_ACCOUNT} confirmation mails a day go out for an account, and {MAILS_PER_ADDRESS} to one address. Try again in {wait}."
        ),
    );
    e.retry_after = Some(u32::try_from(seconds).unwrap_or(u32::MAX));
    e
}

/// The address trimmed and checked, or none to clear it.
fn checked(email: Option<&str>) -> AppResult<Option<String>> {
    // The limit is on the address as sent, as the API document states it.
    let too_long = email.is_some_and(|e| crate::rules::fields::over(e, MAX_EMAIL));
    let Some(email) = email.map(str::trim).filter(|e| !e.is_empty() || too_long) else {
        return Ok(None);
    };
    if too_long || email.len() > MAX_EMAIL || email.parse::<lettre::Address>().is_err() {
        return Err(AppError::invalid_field(
            "email",
            format!("'{}' is not an email address.", clip(email)),
        ));
    }
    Ok(Some(email.to_string()))
}

/// A bounded piece of what was sent, for the refusal.
fn clip(text: &str) -> String {
    text.chars().take(64).collect()
}
