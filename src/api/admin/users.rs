//! `/api/admin/users` (admin only, like every `/api/admin/…` route in the
//! table): accounts (role, disable/enable, reset link, end sessions, delete).
//! A reset link is answered once; only its hash is stored.

use crate::api::accounts::links;
use crate::api::accounts::security_events::{Witness, who, who_row};
use crate::ctx::Ctx;
use crate::db::security_log::Kind;
use crate::db::users::Role;
use crate::db::{self, accounts, resets};
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use serde::{Deserialize, Serialize};

/// `?id=` of an account (accounts have text ids).
fn account_id(ctx: &Ctx<'_>) -> AppResult<String> {
    ctx.req
        .param("id")
        .map(str::to_string)
        .ok_or_else(|| AppError::invalid_field("id", "The query parameter 'id' is required."))
}

pub fn list_users(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let users = db::read(ctx.conn, |tx| accounts::list(tx))?;
    Ok(Reply::ok(&users))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("minProperties" = 1))]
pub struct AccountChange {
    #[serde(default, deserialize_with = "crate::rules::fields::present")]
    #[schemars(with = "Role")]
    role: Option<Role>,
    #[serde(default, deserialize_with = "crate::rules::fields::present")]
    #[schemars(with = "bool")]
    disabled: Option<bool>,
}

/// `PUT /api/admin/users?id=` `{role?, disabled?}`: both in one transaction,
/// refused whole (409 `last_admin`) if it would leave no active admin.
pub fn update_user(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = account_id(ctx)?;
    let change: AccountChange = ctx.req.json()?;
    if change.role.is_none() && change.disabled.is_none() {
        return Err(AppError::bad_request(
            "nothing_to_change",
            "Send 'role' and/or 'disabled'.",
        ));
    }
    let admin = ctx.user()?.clone();
    let witness = Witness::of(ctx);
    let user = db::write(ctx.conn, |tx| {
        let before = accounts::get(tx, &id)?;
        if let Some(role) = change.role {
            accounts::set_role(tx, &id, role)?;
            if role != before.role {
                let details = serde_json::json!({ "from": before.role, "to": role });
                witness.record(
                    tx,
                    Kind::RoleChanged,
                    who_row(&before),
                    who(&admin),
                    details,
                )?;
            }
        }
        if let Some(disabled) = change.disabled {
            accounts::set_disabled(tx, &id, disabled)?;
            if disabled != before.disabled {
                let kind = match disabled {
                    true => Kind::AccountDisabled,
                    false => Kind::AccountEnabled,
                };
                witness.record(
                    tx,
                    kind,
                    who_row(&before),
                    who(&admin),
                    serde_json::json!({}),
                )?;
            }
        }
        accounts::get(tx, &id)
    })?;
    Ok(Reply::ok(&user))
}

pub fn delete_user(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = account_id(ctx)?;
    db::write(ctx.conn, |tx| accounts::delete(tx, &id))?;
    Ok(Reply::no_content())
}

/// Ends every session of the account at once (access tokens included).
pub fn end_sessions(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = account_id(ctx)?;
    let admin = ctx.user()?.clone();
    let witness = Witness::of(ctx);
    db::write(ctx.conn, |tx| {
        let user = accounts::get(tx, &id)?;
        accounts::end_sessions(tx, &id)?;
        let details = serde_json::json!({ "sessions": "all", "by": "admin" });
        witness.record(
            tx,
            Kind::SessionRevoked,
            who_row(&user),
            who(&admin),
            details,
        )
    })?;
    Ok(Reply::no_content())
}

#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "ResetLink")]
pub(crate) struct Link {
    url: String,
    expires_at: i64,
}

/// A one-time password-reset link for the account, valid 24 h, answered to
/// the admin to hand over. Making one does not end sessions; using it does.
pub fn reset_link(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = account_id(ctx)?;
    let secret = links::secret();
    let expires_at = db::write(ctx.conn, |tx| {
        accounts::get(tx, &id)?;
        resets::insert(tx, &id, &secret)
    })?;
    Ok(Reply::created(&Link {
        url: links::url(ctx, "/reset-password", &secret),
        expires_at,
    }))
}
