//! Sessions as devices (`/api/sessions`): each login on each device is one
//! session, kept alive by its rotating refresh token. A person lists theirs and
//! ends one or all but this one; an ended session's access token is refused at
//! once (`ctx::authenticate` looks the session up on every request). The
//! routes are `Account`: a personal API token has no session to show.

use crate::api::accounts::revocation::{self, EndOthers};
use crate::api::accounts::security_events::{Witness, who};
use crate::api::accounts::session_reply;
use crate::auth::devices;
use crate::ctx::Ctx;
use crate::db::security_log::Kind;
use crate::db::{self, sessions};
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use serde::Serialize;
use serde_json::json;

/// One session as the settings page shows it.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct SessionView {
    id: String,
    /// "Firefox on Linux", from the User-Agent of its last login or refresh.
    device: String,
    ip: String,
    created_at: i64,
    last_used_at: i64,
    /// Whether this is the session making the request ("this device").
    current: bool,
    /// The name of the identity provider it signed in through, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    signed_in_with: Option<String>,
}

pub fn list(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let user = ctx.user()?.clone();
    let rows = db::read(ctx.conn, |tx| sessions::list(tx, &user.id))?;
    let views: Vec<SessionView> = rows
        .into_iter()
        .map(|row| SessionView {
            current: user.session_id.as_deref() == Some(row.id.as_str()),
            // A provider since removed from the config is named by its id.
            signed_in_with: row
                .sso_provider
                .map(|id| ctx.app.sso.get(&id).map_or(id, |p| p.name.clone())),
            device: devices::describe(&row.user_agent),
            id: row.id,
            ip: row.ip,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
        })
        .collect();
    Ok(Reply::ok(&views))
}

/// `DELETE /api/sessions?id=`: ends one session of the caller. Ending the
/// current one is a logout of this device: its cookies are cleared too.
pub fn end(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = ctx
        .req
        .param("id")
        .ok_or_else(|| AppError::invalid_field("id", "The query parameter 'id' is required."))?
        .to_string();
    let user = ctx.user()?.clone();
    let witness = Witness::of(ctx);
    let ended = db::write(ctx.conn, |tx| {
        let ended = sessions::end(tx, &user.id, &id)?;
        if ended {
            let details = json!({ "session": id });
            witness.own(tx, Kind::SessionRevoked, who(&user), details)?;
        }
        Ok(ended)
    })?;
    if !ended {
        return Err(AppError::not_found(
            "There is no such session of this account.",
        ));
    }
    let reply = Reply::ok(&SessionEnded {
        ended: true,
        id: id.clone(),
    });
    Ok(if user.session_id.as_deref() == Some(id.as_str()) {
        session_reply::clear_session(reply, ctx.req)
    } else {
        reply
    })
}

/// `POST /api/sessions/revoke-others {revoke_tokens?}`: ends every session of
/// the caller but the one making the request and, unless `revoke_tokens` is
/// false, every personal API token ("sign out everywhere"). No body at all is
/// the same as `{}`.
pub fn revoke_others(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let body: EndOthers = match ctx.req.body.is_empty() {
        true => EndOthers::default(),
        false => ctx.req.json()?,
    };
    let user = ctx.user()?.clone();
    let keep = user.session_id.clone().unwrap_or_default();
    let witness = Witness::of(ctx);
    let (ended, revoked) = db::write(ctx.conn, |tx| {
        let ended = sessions::end_others(tx, &user.id, &keep)?;
        let details = json!({ "sessions": "others", "ended": ended });
        witness.own(tx, Kind::SessionRevoked, who(&user), details)?;
        let by = revocation::By::SignOutEverywhere;
        let revoked = revocation::own(&witness, tx, who(&user), body.revoke_tokens, by)?;
        Ok((ended, revoked))
    })?;
    Ok(Reply::ok(&OthersEnded {
        ended,
        tokens_revoked: revoked.tokens_revoked,
    }))
}

/// One session ended.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct SessionEnded {
    ended: bool,
    id: String,
}

/// How many other sessions were ended, and how many API tokens revoked.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct OthersEnded {
    ended: usize,
    /// 0 when `revoke_tokens` was false or there were none.
    tokens_revoked: usize,
}
