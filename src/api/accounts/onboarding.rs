//! What a person does with a one-time link an admin handed them: register
//! through an invitation (open even while `allow_registration` is false, which
//! is how a household or a team grows without opening registration), and set a
//! new password through a reset link (every session and API token of the account
//! ends).

use crate::api::accounts::revocation;
use crate::api::accounts::security_events::{Witness, who_row};
use crate::auth::password;
use crate::auth::ratelimit::Action;
use crate::ctx::Ctx;
use crate::db::facts::Fact;
use crate::db::security_log::{Kind, Who};
use crate::db::{self, accounts, invites, resets, users};
use crate::error::AppResult;
use crate::http::Reply;
use crate::rules::account::{MAX_USERNAME_CHARS, MIN_USERNAME_CHARS, normalize_username};
use serde::Deserialize;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteAcceptance {
    /// The `token` of the invitation link.
    token: String,
    #[schemars(length(min = MIN_USERNAME_CHARS, max = MAX_USERNAME_CHARS), regex(pattern = crate::rules::account::USERNAME_PATTERN))]
    username: String,
    #[schemars(length(min = password::MIN_PASSWORD_CHARS, max = password::MAX_PASSWORD_BYTES))]
    password: String,
}

/// `POST /api/invites/accept {token, username, password}`: creates the account
/// with the invitation's role; the invitation is used in the same transaction,
/// so a link works exactly once.
pub fn accept_invite(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    ctx.app
        .limiter
        .hit(Action::Register, &ctx.req.client.to_string())?;
    let body: InviteAcceptance = ctx.req.json()?;
    let username = normalize_username(&body.username)?;
    crate::rules::account::new_password(&body.password, "password")?;
    // Checked before bcrypt so a dead link costs no hashing.
    db::read(ctx.conn, |tx| invites::peek(tx, &body.token))?.ok_or(Fact::LinkInvalid)?;
    if users::by_username(ctx.conn, &username)?.is_some() {
        return Err(users::username_taken());
    }
    let hash = ctx.app.hasher.hash(&body.password)?;
    let witness = Witness::of(ctx);
    let user = db::write(ctx.conn, |tx| {
        // The role is read and the link used in this one transaction.
        let role = invites::peek(tx, &body.token)?.ok_or(Fact::LinkInvalid)?;
        let user = users::insert(tx, &username, &hash, role)?;
        invites::redeem(tx, &body.token, &user.id)?;
        let me = Who {
            id: Some(&user.id),
            name: &username,
        };
        witness.own(
            tx,
            Kind::InviteUsed,
            me,
            serde_json::json!({ "role": role }),
        )?;
        Ok(user)
    })?;
    Ok(Reply::created(&user))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    /// The `token` of the reset link.
    token: String,
    #[schemars(length(min = password::MIN_PASSWORD_CHARS, max = password::MAX_PASSWORD_BYTES))]
    password: String,
}

/// `POST /api/password-reset {token, password}`: sets the new password and
/// ends every session and every personal API token of the account (account
/// recovery: whoever took it over may have made tokens); the person then logs
/// in.
pub fn reset_password(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    ctx.app
        .limiter
        .hit(Action::Register, &ctx.req.client.to_string())?;
    let body: PasswordReset = ctx.req.json()?;
    crate::rules::account::new_password(&body.password, "password")?;
    db::read(ctx.conn, |tx| resets::peek(tx, &body.token))?.ok_or(Fact::LinkInvalid)?;
    let hash = ctx.app.hasher.hash(&body.password)?;
    let witness = Witness::of(ctx);
    db::write(ctx.conn, |tx| {
        let user_id = resets::redeem(tx, &body.token)?;
        let user = accounts::get(tx, &user_id)?;
        users::set_password(tx, &user_id, &hash)?;
        let me = who_row(&user);
        witness.own(tx, Kind::ResetLinkUsed, me, serde_json::json!({}))?;
        let details = serde_json::json!({ "by": "reset_link" });
        witness.own(tx, Kind::PasswordChanged, me, details)?;
        let revoked = accounts::end_credentials(tx, &user_id)?;
        revocation::noted(&witness, tx, me, me, &revoked, revocation::By::ResetLink)
    })?;
    Ok(Reply::no_content())
}
