//! `/api/admin/invites` (admin only): invitations, each a one-time link that
//! opens registration for one person with the role the admin chose. The link
//! is answered once, at creation; only its hash is stored.

use crate::api::accounts::links;
use crate::api::accounts::security_events::{Witness, who};
use crate::ctx::Ctx;
use crate::db::security_log::Kind;
use crate::db::users::Role;
use crate::db::{self, invites};
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use serde::{Deserialize, Serialize};
use serde_json::json;

pub fn list_invites(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let list = db::read(ctx.conn, |tx| invites::list(tx))?;
    Ok(Reply::ok(&list))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvite {
    role: Role,
    /// Days the link stays open (default 7).
    #[serde(default, deserialize_with = "crate::rules::fields::present")]
    #[schemars(with = "crate::rules::fields::WholeIn<1, MAX_INVITE_DAYS>")]
    expires_in_days: Option<crate::rules::fields::Whole>,
}

/// A new invitation: its link, answered this once.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct InviteCreated {
    id: i64,
    role: Role,
    #[serde(flatten)]
    link: links::HandedOut,
    expires_at: i64,
}

/// Longest an invitation may stay open.
const MAX_INVITE_DAYS: i64 = 90;
const DEFAULT_INVITE_DAYS: i64 = 7;

pub fn create_invite(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let body: NewInvite = ctx.req.json()?;
    let days = match body.expires_in_days {
        None => DEFAULT_INVITE_DAYS,
        Some(d) => links::days("expires_in_days", d, MAX_INVITE_DAYS)?,
    };
    let secret = links::secret();
    let admin = ctx.user()?.clone();
    let expires_at = db::now() + days * 86_400;
    let witness = Witness::of(ctx);
    let id = db::write(ctx.conn, |tx| {
        let id = invites::insert(tx, &secret, body.role, &admin.id, expires_at)?;
        let details = json!({ "id": id, "role": body.role, "expires_at": expires_at });
        witness.own(tx, Kind::InviteCreated, who(&admin), details)?;
        Ok(id)
    })?;
    Ok(Reply::created(&InviteCreated {
        id,
        role: body.role,
        link: links::handed_out(ctx, "/invite", &secret),
        expires_at,
    }))
}

/// `DELETE /api/admin/invites?id=`: a pending invitation stops working;
/// noted in the log of the admin who revoked it.
pub fn revoke_invite(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = ctx.req.id_param("id")?;
    let admin = ctx.user()?.clone();
    let witness = Witness::of(ctx);
    let revoked = db::write(ctx.conn, |tx| {
        let revoked = invites::revoke(tx, id)?;
        if revoked {
            witness.own(tx, Kind::InviteRevoked, who(&admin), json!({ "id": id }))?;
        }
        Ok(revoked)
    })?;
    if !revoked {
        return Err(AppError::not_found(format!(
            "There is no pending invitation {id}."
        )));
    }
    Ok(Reply::no_content())
}
