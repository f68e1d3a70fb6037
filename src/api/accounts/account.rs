//! Accounts: register, login, refresh, logout, profile, username and password
//! changes. 2FA and passkeys have their own files; all of them issue sessions
//! through `auth::session` and answer them through `session_reply`.

use crate::api::accounts::revocation;
use crate::api::accounts::security_events::{Witness, who, who_row};
use crate::api::accounts::session_reply;
use crate::auth::password;
use crate::auth::ratelimit::{self, Action};
use crate::auth::session::{self, CurrentUser};
use crate::auth::tokens::LOGIN_CHALLENGE_TTL;
use crate::ctx::Ctx;
use crate::db::security_log::{Kind, Who};
use crate::db::{self, profile, users};
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use crate::rules::account::{
    MAX_USERNAME_CHARS, MIN_USERNAME_CHARS, USERNAME_PATTERN, normalize_username,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A login's username and password.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Credentials {
    username: String,
    #[schemars(length(max = password::MAX_PASSWORD_BYTES))]
    password: String,
}

/// A new account's username and password (registration).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewAccount {
    /// 3–32 of `a-z 0-9 . _ -` (trimmed, lowercased).
    #[schemars(length(min = MIN_USERNAME_CHARS, max = MAX_USERNAME_CHARS), regex(pattern = USERNAME_PATTERN))]
    username: String,
    #[schemars(length(min = password::MIN_PASSWORD_CHARS, max = password::MAX_PASSWORD_BYTES))]
    password: String,
}

pub fn register(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    ctx.app
        .limiter
        .hit(Action::Register, &ctx.req.client.to_string())?;
    let body: NewAccount = ctx.req.json()?;
    let username = normalize_username(&body.username)?;
    crate::rules::account::new_password(&body.password, "password")?;
    if users::by_username(ctx.conn, &username)?.is_some() {
        return Err(users::username_taken());
    }
    // Hash before the write transaction: bcrypt must never hold the write lock.
    let hash = ctx.app.hasher.hash(&body.password)?;
    // The config admits only "viewer" and "editor".
    let role = users::Role::parse(&ctx.app.config.default_role).unwrap_or(users::Role::Viewer);
    let user = db::write(ctx.conn, |tx| users::insert(tx, &username, &hash, role))?;
    Ok(Reply::created(&user))
}

/// The answer to a correct password when the account has 2FA.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct SecondFactorRequired {
    requires_2fa: bool,
    two_factor_token: String,
    expires_in: i64,
}

/// The username a login names, trimmed and lowercased, refused (400) before any
/// work when no account can have it: longer than registration allows (32) and
/// than the longest name already stored. Stored names only grow past 32 through
/// the upgrade of an original database, which runs before the server serves, so
/// the longest is read once, at the first login.
fn login_username(ctx: &Ctx<'_>, raw: &str) -> AppResult<String> {
    let longest = match ctx.app.longest_username.get() {
        Some(n) => *n,
        None => {
            let n = users::longest_username(ctx.conn)?;
            *ctx.app.longest_username.get_or_init(|| n)
        }
    };
    let name = raw.trim();
    if name.chars().count() > longest.max(MAX_USERNAME_CHARS) {
        return Err(AppError::invalid_field(
            "username",
            "No account has a username this long.",
        ));
    }
    Ok(name.to_lowercase())
}

/// Password login. Failures are counted per (account, address) — the only
/// lock-out, so a stranger cannot lock the owner out — per address, and per
/// account from all addresses, which only slows logins down (`login_delay`),
/// except from an address this account has logged in from before.
pub fn login(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let limiter = &ctx.app.limiter;
    let client = ctx.req.client.to_string();
    limiter.hit(Action::LoginIp, &client)?;
    let body: Credentials = ctx.req.json()?;
    let username = login_username(ctx, &body.username)?;
    if body.password.len() > password::MAX_PASSWORD_BYTES {
        // No password this long can have been set (bcrypt would truncate it).
        return Err(crate::rules::account::password_too_long("password"));
    }
    let pair = ratelimit::pair(&username, &client);
    limiter.ensure(Action::LoginFailuresIp, &client)?;
    limiter.ensure(Action::LoginPair, &pair)?;
    if !limiter.remembers(Action::KnownPair, &pair) {
        limiter.login_delay(&username)?;
    }

    let user = users::by_username(ctx.conn, &username)?;
    // An account made through an identity provider has no password: it
    // takes as long to refuse as a wrong one.
    let ok = ctx.app.hasher.verify(
        &body.password,
        user.as_ref()
            .map(|u| u.password_hash.as_str())
            .filter(|h| !h.is_empty()),
    )?;
    let witness = Witness::of(ctx);
    let user = match user {
        Some(u) if ok => u,
        _ => {
            // Checked above: a refusal here is only a parallel attempt that
            // filled the limit first, and this answer is a 401 all the same.
            limiter.record(Action::LoginAccount, &username);
            let _ = limiter.hit(Action::LoginPair, &pair);
            let _ = limiter.hit(Action::LoginFailuresIp, &client);
            let (who, reason) = match &user {
                Some(u) => (who_row(u), "wrong_password"),
                None => (
                    Who {
                        id: None,
                        name: &username,
                    },
                    "unknown_username",
                ),
            };
            let details = json!({ "method": "password", "reason": reason });
            witness.record_alone(ctx.conn, Kind::LoginFailed, who, details)?;
            return Err(AppError::unauthorized(
                "invalid_credentials",
                "Wrong username or password.",
            ));
        }
    };
    limiter.reset(Action::LoginPair, &pair);
    limiter.remember(Action::KnownPair, &pair);
    // Said only after the right password, so it tells a stranger nothing.
    if user.disabled {
        let details = json!({ "method": "password", "reason": "account_disabled" });
        witness.record_alone(ctx.conn, Kind::LoginFailed, who_row(&user), details)?;
        return Err(db::facts::Fact::AccountDisabled.into());
    }
    let config = &ctx.app.config;
    if !config.password_login && !config.break_glass_accounts.contains(&user.username) {
        let details = json!({ "method": "password", "reason": "password_login_off" });
        witness.record_alone(ctx.conn, Kind::LoginFailed, who_row(&user), details)?;
        return Err(AppError::forbidden(
            "password_login_off",
            "Signing in with a password is turned off on this server: use your identity provider or a passkey.",
        ));
    }

    if user.two_factor_enabled {
        let token = ctx.app.keys.login_challenge(&user, None)?;
        return Ok(Reply::ok(&SecondFactorRequired {
            requires_2fa: true,
            two_factor_token: token,
            expires_in: LOGIN_CHALLENGE_TTL,
        }));
    }
    let (keys, agent) = (&ctx.app.keys, ctx.device());
    let session = db::write(ctx.conn, |tx| {
        let details = json!({ "method": "password" });
        witness.own(tx, Kind::LoginSucceeded, who_row(&user), details)?;
        session::start(keys, tx, &user, &agent)
    })?;
    Ok(session_reply::issued(&session, ctx.req))
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RefreshBody {
    refresh_token: Option<String>,
}

pub fn refresh(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    ctx.app
        .limiter
        .hit(Action::Refresh, &ctx.req.client.to_string())?;
    let from_body = if ctx.req.body.is_empty() {
        None
    } else {
        ctx.req.json::<RefreshBody>()?.refresh_token
    };
    let token = from_body
        .filter(|t| !t.is_empty())
        .or_else(|| ctx.req.cookie("refresh_token"))
        .ok_or_else(|| {
            AppError::unauthorized(
                "missing_refresh_token",
                "No refresh token was sent (JSON field 'refresh_token' or the refresh_token cookie).",
            )
        })?;
    let device = ctx.device();
    let session = session::rotate(&ctx.app.keys, ctx.conn, &token, &device)?;
    Ok(session_reply::issued(&session, ctx.req))
}

pub fn logout(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let user = ctx.user()?.clone();
    // Read before the sessions end: the provider this one signed in through.
    let via = match &user.session_id {
        Some(sid) => db::read(ctx.conn, |tx| db::sso::session_provider(tx, sid))?,
        None => None,
    };
    let witness = Witness::of(ctx);
    db::write(ctx.conn, |tx| {
        let details = json!({ "sessions": "all", "by": "logout" });
        witness.own(tx, Kind::SessionRevoked, who(&user), details)?;
        session::revoke_all(tx, &user.id)
    })?;
    let reply = Reply::ok(&LoggedOut {
        message: "Logged out. Every session of this account was ended.",
        provider_logout: provider_logout(ctx, via),
    });
    Ok(session_reply::clear_session(reply, ctx.req))
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct LoggedOut {
    message: &'static str,
    /// The identity provider this session signed in through, and its own
    /// logout page, when it has one: being logged out of MiauInv does not
    /// log you out there.
    #[serde(skip_serializing_if = "Option::is_none")]
    provider_logout: Option<ProviderLogout>,
}

/// Beside a logout's answer: the provider's own logout, when the session
/// was signed in through one that has it (RP-initiated logout).
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct ProviderLogout {
    name: String,
    url: String,
}

/// The logout of the provider `provider` (a session's), when it has one.
fn provider_logout(ctx: &Ctx<'_>, provider: Option<String>) -> Option<ProviderLogout> {
    let p = ctx.app.sso.get(provider.as_deref()?)?;
    let back = ctx
        .app
        .sso
        .redirect_uri()
        .replace(crate::sso::CALLBACK_PATH, "/login");
    Some(ProviderLogout {
        name: p.name.clone(),
        url: ctx.app.sso.logout_url(&p.id, &back)?,
    })
}

pub fn profile(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let user_id = ctx.user()?.id.clone();
    let profile = db::read(ctx.conn, |tx| profile::load(tx, &user_id))?
        .ok_or_else(|| AppError::not_found("This account no longer exists."))?;
    Ok(Reply::ok(&profile))
}

/// Checks the current password for a sensitive change (rate limited per account)
/// and returns the full user row. A wrong password is a 401 naming `field`.
pub fn confirm_password(
    ctx: &mut Ctx<'_>,
    password: &str,
    field: &'static str,
) -> AppResult<users::User> {
    let current: CurrentUser = ctx.user()?.clone();
    ctx.app.limiter.ensure(Action::Sensitive, &current.id)?;
    let user = users::by_id(ctx.conn, &current.id)?.ok_or_else(|| {
        AppError::unauthorized("unauthenticated", "This account no longer exists.")
    })?;
    if !ctx.app.hasher.verify(password, Some(&user.password_hash))? {
        ctx.app.limiter.hit(Action::Sensitive, &current.id)?;
        return Err(AppError::unauthorized(
            "wrong_password",
            "The current password is not correct.",
        )
        .with("field", field));
    }
    Ok(user)
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UsernameChange {
    #[schemars(length(min = MIN_USERNAME_CHARS, max = MAX_USERNAME_CHARS), regex(pattern = USERNAME_PATTERN))]
    username: String,
    password: String,
}

pub fn change_username(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let body: UsernameChange = ctx.req.json()?;
    let username = normalize_username(&body.username)?;
    let user = confirm_password(ctx, &body.password, "password")?;
    let witness = Witness::of(ctx);
    db::write(ctx.conn, |tx| {
        users::set_username(tx, &user.id, &username)?;
        let details = json!({ "from": user.username, "to": username });
        let me = Who {
            id: Some(&user.id),
            name: &username,
        };
        witness.own(tx, Kind::UsernameChanged, me, details)
    })?;
    let updated = users::by_id(ctx.conn, &user.id)?
        .ok_or_else(|| AppError::not_found("This account no longer exists."))?;
    Ok(Reply::ok(&updated))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordChange {
    old_password: String,
    #[schemars(length(min = password::MIN_PASSWORD_CHARS, max = password::MAX_PASSWORD_BYTES))]
    new_password: String,
    /// Also revoke every personal API token of the account (default true).
    #[serde(default = "revocation::by_default")]
    revoke_tokens: bool,
}

/// `POST /api/account/password {old_password, new_password, revoke_tokens?}`:
/// the new password, every other session ended, and (unless `revoke_tokens`
/// is false) every API token revoked; answers this device's new session and
/// `tokens_revoked`.
pub fn change_password(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let body: PasswordChange = ctx.req.json()?;
    crate::rules::account::new_password(&body.new_password, "new_password")?;
    let user = confirm_password(ctx, &body.old_password, "old_password")?;
    let hash = ctx.app.hasher.hash(&body.new_password)?;
    let (keys, agent) = (&ctx.app.keys, ctx.device());
    let witness = Witness::of(ctx);
    // New hash, every old session (and token) revoked and a new session
    // issued: all or nothing.
    let (session, revoked) = db::write(ctx.conn, |tx| {
        users::set_password(tx, &user.id, &hash)?;
        let details = json!({ "by": "password_change" });
        witness.own(tx, Kind::PasswordChanged, who_row(&user), details)?;
        let revoked = revocation::own(
            &witness,
            tx,
            who_row(&user),
            body.revoke_tokens,
            revocation::By::PasswordChange,
        )?;
        Ok((session::reissue(keys, tx, &user.id, &agent)?, revoked))
    })?;
    Ok(session_reply::with_session(200, &session, revoked, ctx.req))
}
