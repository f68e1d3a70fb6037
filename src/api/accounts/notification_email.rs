//! `POST /api/account/notification-email {email, password}`: the address an
//! account's own security notices go to (a login from a new device,
//! two-factor authentication turned off; see `db::security_notices`). `null`
//! or an empty string clears it. The current password is asked for, like a
//! username change: whoever holds a stolen session must not be able to
//! silence or redirect the notices meant to warn the owner. The change is in
//! the security log, without the address.

use crate::api::accounts::account::confirm_password;
use crate::api::accounts::security_events::{Witness, who_row};
use crate::ctx::Ctx;
use crate::db::security_log::Kind;
use crate::db::{self, profile, security_notices};
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use serde::Deserialize;
use serde_json::json;

/// The longest address accepted (RFC 5321's limit on a path).
const MAX_EMAIL: usize = 254;

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
    let user = confirm_password(ctx, &body.password, "password")?;
    let witness = Witness::of(ctx);
    let updated = db::write(ctx.conn, |tx| {
        let before = security_notices::notification_email(tx, &user.id)?;
        if before != email {
            security_notices::set_notification_email(tx, &user.id, email.as_deref())?;
            let details = json!({ "set": email.is_some() });
            witness.own(tx, Kind::NotificationEmailChanged, who_row(&user), details)?;
        }
        profile::load(tx, &user.id)
    })?
    .ok_or_else(|| AppError::not_found("This account no longer exists."))?;
    Ok(Reply::ok(&updated))
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
