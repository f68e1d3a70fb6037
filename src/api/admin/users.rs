//! `/api/admin/users` (admin only, like every `/api/admin/…` route in the
//! table): accounts (role, disable/enable, reset link, end sessions, delete).
//! A reset link is answered once; only its hash is stored.

use crate::api::accounts::links;
use crate::api::accounts::revocation;
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
            // Disabling revokes the API tokens too: enabling brings none back.
            let (_, revoked) = accounts::set_disabled(tx, &id, disabled)?;
            if disabled != before.disabled {
                let kind = match disabled {
                    true => Kind::AccountDisabled,
                    false => Kind::AccountEnabled,
                };
                let (user, by) = (who_row(&before), who(&admin));
                witness.record(tx, kind, user, by, serde_json::json!({}))?;
                let why = revocation::By::AccountDisabled;
                revocation::noted(&witness, tx, user, by, &revoked, why)?;
            }
        }
        accounts::get(tx, &id)
    })?;
    Ok(Reply::ok(&user))
}

/// `DELETE /api/admin/users?id=`: the account goes with its sessions,
/// passkeys and API tokens (cascades); the security log keeps its events
/// and notes the deletion.
pub fn delete_user(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = account_id(ctx)?;
    let admin = ctx.user()?.clone();
    let witness = Witness::of(ctx);
    db::write(ctx.conn, |tx| {
        let user = accounts::get(tx, &id)?;
        accounts::delete(tx, &id)?;
        let details = serde_json::json!({ "role": user.role });
        let kind = Kind::AccountDeleted;
        witness.record(tx, kind, who_row(&user), who(&admin), details)
    })?;
    Ok(Reply::no_content())
}

/// Ends everything that speaks for the account at once: every session (access
/// tokens included) and every personal API token. An admin ends sessions when
/// an account may be in the wrong hands, and a token made with a stolen
/// session is the way back in.
pub fn end_sessions(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = account_id(ctx)?;
    let admin = ctx.user()?.clone();
    let witness = Witness::of(ctx);
    db::write(ctx.conn, |tx| {
        let user = accounts::get(tx, &id)?;
        let revoked = accounts::end_credentials(tx, &id)?;
        let details = serde_json::json!({ "sessions": "all", "by": "admin" });
        let (user, by) = (who_row(&user), who(&admin));
        witness.record(tx, Kind::SessionRevoked, user, by, details)?;
        revocation::noted(&witness, tx, user, by, &revoked, revocation::By::Admin)
    })?;
    Ok(Reply::no_content())
}

/// A new reset link: where to send the person, and until when.
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "ResetLink")]
pub(crate) struct Link {
    #[serde(flatten)]
    link: links::HandedOut,
    expires_at: i64,
}

/// A one-time password-reset link for the account, valid 24 h, answered to
/// the admin to hand over. Making one does not end sessions; using it ends
/// every session and API token of the account.
pub fn reset_link(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = account_id(ctx)?;
    let secret = links::secret();
    let admin = ctx.user()?.clone();
    let witness = Witness::of(ctx);
    let expires_at = db::write(ctx.conn, |tx| {
        let user = accounts::get(tx, &id)?;
        let expires_at = resets::insert(tx, &id, &secret)?;
        let details = serde_json::json!({ "expires_at": expires_at });
        let kind = Kind::ResetLinkCreated;
        witness.record(tx, kind, who_row(&user), who(&admin), details)?;
        Ok(expires_at)
    })?;
    Ok(Reply::created(&Link {
        link: links::handed_out(ctx, "/reset-password", &secret),
        expires_at,
    }))
}
