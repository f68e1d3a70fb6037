//! Personal API tokens (`/api/tokens`): made, listed and revoked by their owner
//! through a login, never through another token (the routes are `Account`).
//! A token is answered once, at creation; only its hash is kept.

use crate::api::accounts::links;
use crate::api::accounts::security_events::{Witness, who};
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
