//! Personal API tokens (`/api/tokens`): made, listed and revoked by their owner
//! through a login, never through another token (the routes are `Account`).
//! A token is answered once, at creation; only its hash is kept.
//!
//! A token outlives the session that made it, so making one needs a recent
//! proof of who is asking: a session that logged in (or was reissued by a
//! confirmed credential change) within the last five minutes, or the password
//! in the request. A session stolen for a minute cannot buy access for good.
//! Tokens end when their owner says so: one by one here, all at once with a
//! password change, "sign out everywhere" or turning 2FA on (the owner's
//! choice, on by default), and always with account recovery, an admin's "end
//! all sessions" and disabling (`db::accounts::end_credentials`).

use crate::api::accounts::account::confirm_password;
use crate::api::accounts::links;
use crate::api::accounts::security_events::{Witness, who};
use crate::auth::session;
use crate::ctx::{API_TOKEN_PREFIX, Ctx};
use crate::db::api_tokens::{self, Scope};
use crate::db::security_log::Kind;
use crate::db::{self};
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use crate::rules::fields::{self, MAX_NAME, Whole, WholeIn};
use serde::{Deserialize, Serialize};

/// Longest a token may live when it is given an expiry (none = until revoked).
const MAX_TOKEN_DAYS: i64 = 3650;
/// Tokens one account may hold: enough for every script, bounded for the table.
const MAX_TOKENS: usize = 100;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    #[schemars(length(min = 1, max = MAX_NAME), regex(pattern = crate::rules::fields::NAME_PATTERN))]
    name: String,
    scope: Scope,
    /// Days until it stops working (default: until revoked).
    #[serde(default, deserialize_with = "crate::rules::fields::present")]
    #[schemars(with = "WholeIn<1, MAX_TOKEN_DAYS>")]
    expires_in_days: Option<Whole>,
    /// The account's current password. Required unless this session logged
    /// in (or changed a credential) within the last 5 minutes: without it,
    /// 401 `password_required`; a wrong one is 401 `wrong_password`.
    #[serde(default, deserialize_with = "crate::rules::fields::present")]
    #[schemars(with = "String")]
    password: Option<String>,
}

/// A new token: its row, and the token itself (answered this once).
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct TokenCreated {
    #[serde(flatten)]
    row: api_tokens::ApiToken,
    /// `miau_…`, for `Authorization: Bearer`.
    token: String,
}

pub fn create(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let body: NewToken = ctx.req.json()?;
    let name = fields::name("name", &body.name)?;
    let expires_at = match body.expires_in_days {
        None => None,
        Some(d) => Some(db::now() + links::days("expires_in_days", d, MAX_TOKEN_DAYS)? * 86_400),
    };
    confirm_recent_authentication(ctx, body.password.as_deref(), "Making an API token")?;
    let secret = format!("{API_TOKEN_PREFIX}{}", links::secret());
    let me = ctx.user()?.clone();
    let owner = me.id.clone();
    let witness = Witness::of(ctx);
    let token = db::write(ctx.conn, |tx| {
        if api_tokens::list(tx, &owner)?.len() >= MAX_TOKENS {
            return Err(AppError::conflict(
                "too_many_tokens",
                format!("An account may hold at most {MAX_TOKENS} API tokens. Revoke one first."),
            ));
        }
        let token = api_tokens::insert(tx, &owner, &name, body.scope, &secret, expires_at)?;
        let details = serde_json::json!({ "id": token.id, "name": name, "scope": body.scope });
        witness.own(tx, Kind::TokenCreated, who(&me), details)?;
        Ok(token)
    })?;
    Ok(Reply::created(&TokenCreated {
        row: token,
        token: secret,
    }))
}

/// The check before a new token: the password when one is sent (bcrypt,
/// outside any transaction, counted like every password confirmation), else
/// a session that proved who is behind it within
/// [`session::RECENT_AUTHENTICATION`].
/// `what` names the action in the refusal ("Making an API token").
pub(crate) fn confirm_recent_authentication(
    ctx: &mut Ctx<'_>,
    password: Option<&str>,
    what: &str,
) -> AppResult<()> {
    if let Some(password) = password {
        return confirm_password(ctx, password, "password").map(|_| ());
    }
    if session::recently_authenticated(ctx.conn, ctx.user()?)? {
        return Ok(());
    }
    Err(AppError::unauthorized(
        "password_required",
        format!(
            "{what} needs your password: this session last logged in more than {} minutes ago.",
            session::RECENT_AUTHENTICATION / 60
        ),
    )
    .with("field", "password"))
}

pub fn list(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let owner = ctx.user()?.id.clone();
    let tokens = db::read(ctx.conn, |tx| api_tokens::list(tx, &owner))?;
    Ok(Reply::ok(&tokens))
}

pub fn revoke(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = ctx.req.id_param("id")?;
    let me = ctx.user()?.clone();
    let witness = Witness::of(ctx);
    db::write(ctx.conn, |tx| {
        api_tokens::delete(tx, &me.id, id)?;
        witness.own(
            tx,
            Kind::TokenRevoked,
            who(&me),
            serde_json::json!({ "id": id }),
        )
    })?;
    Ok(Reply::no_content())
}
