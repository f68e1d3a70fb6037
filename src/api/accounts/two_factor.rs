//! Two-factor authentication over the API, each ceremony readable top to bottom:
//! TOTP setup (nothing stored), enable (secret stored, fresh recovery codes, every
//! other session ended), the second login step (TOTP code, else a recovery code),
//! disable and recovery-code regeneration (password + current TOTP code).
//!
//! Every code attempt counts against the account's second-factor limit before it
//! is checked; only failures stay counted, so guessing is bounded even in parallel.
//! A TOTP code is accepted at most once: the accepted time step is stored by
//! compare-and-set in the same transaction that acts on it.

use crate::api::accounts::account::confirm_password;
use crate::api::accounts::revocation;
use crate::api::accounts::security_events::{Witness, login_details, who_row};
use crate::api::accounts::session_reply;
use crate::auth::ratelimit::{Action, RateLimiter};
use crate::auth::tokens::{PURPOSE_2FA_LOGIN, PURPOSE_2FA_SETUP};
use crate::auth::totp::{self, CodeCheck};
use crate::auth::{recovery_codes, session};
use crate::crypto::SecretKey;
use crate::ctx::Ctx;
use crate::db::security_log::Kind;
use crate::db::{self, two_factor, users};
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Lifetime of a setup token: time to scan the QR code and type the first code.
pub const SETUP_TTL: i64 = 10 * 60;
/// Longer values are not codes; refuse them before any work.
pub const MAX_CODE_CHARS: usize = 64;

fn already_enabled() -> AppError {
    AppError::conflict(
        "two_factor_already_enabled",
        "Two-factor authentication is already on. Disable it first to set up a new authenticator.",
    )
}

fn not_enabled() -> AppError {
    AppError::conflict(
        "two_factor_not_enabled",
        "Two-factor authentication is not on for this account.",
    )
}

fn invalid_code() -> AppError {
    AppError::unauthorized("invalid_code", "The code is not correct.").with("field", "code")
}

fn code_already_used() -> AppError {
    AppError::unauthorized(
        "code_already_used",
        "This code was already used. Wait for the next code from your authenticator app.",
    )
    .with("field", "code")
}

fn invalid_token(what: &str) -> AppError {
    AppError::unauthorized(
        "invalid_token",
        format!("The {what} is invalid, expired or meant for something else. Start again."),
    )
}

fn account_gone() -> AppError {
    AppError::unauthorized("unauthenticated", "This account no longer exists.")
}

/// A code field must hold something that can be a code.
fn require_code(code: &str) -> AppResult<()> {
    if code.trim().is_empty() {
        return Err(AppError::invalid_field(
            "code",
            "Enter the 6-digit code from your authenticator app.",
        ));
    }
    if code.chars().count() > MAX_CODE_CHARS {
        return Err(AppError::invalid_field("code", "That is not a code."));
    }
    Ok(())
}

/// A code that did not pass: the failures that stay counted against the
/// account's second-factor limit.
enum BadCode {
    Wrong,
    AlreadyUsed,
}

impl BadCode {
    fn error(self) -> AppError {
        match self {
            BadCode::Wrong => invalid_code(),
            BadCode::AlreadyUsed => code_already_used(),
        }
    }
}

/// Runs one second-factor attempt of an account: counted up front (429 with
/// Retry-After once the limit is reached, even for a right code), and given back
/// unless the code was wrong or already used. No write was made for a bad code,
/// so the attempt's transaction may commit with it.
fn counted_attempt<T>(
    limiter: &RateLimiter,
    user_id: &str,
    attempt: impl FnOnce() -> AppResult<Result<T, BadCode>>,
) -> AppResult<T> {
    limiter.hit(Action::SecondFactor, user_id)?;
    match attempt() {
        Ok(Err(bad)) => Err(bad.error()),
        other => {
            limiter.refund(Action::SecondFactor, user_id);
            other?.map_err(BadCode::error)
        }
    }
}

/// Checks a TOTP code against the stored secret and, if it is good, records its
/// time step (compare-and-set) so it can never be accepted again. Call inside the
/// write transaction that acts on the result. `Accepted` means this call won.
fn accept_totp(
    key: &SecretKey,
    conn: &Connection,
    user: &users::User,
    code: &str,
    now: i64,
) -> AppResult<CodeCheck> {
    // Sealed under the secret key (bound to the user's id); a secret that does
    // not open means the key file is not the one it was sealed with.
    let secret = key.open(&user.two_factor_secret, &user.id).ok_or_else(|| {
        AppError::internal(format_args!(
            "the TOTP secret of user {} does not open with appdata/secret.key",
            user.id
        ))
    })?;
    match totp::check(&secret, code, now, user.two_factor_last_step)? {
        CodeCheck::Accepted(step) if two_factor::accept_step(conn, &user.id, step)? => {
            Ok(CodeCheck::Accepted(step))
        }
        // Another request accepted this step between our read and our write.
        CodeCheck::Accepted(_) | CodeCheck::AlreadyUsed => Ok(CodeCheck::AlreadyUsed),
        CodeCheck::Wrong => Ok(CodeCheck::Wrong),
    }
}

/// The current user's row, re-read so 2FA state is current.
fn current_row(ctx: &Ctx<'_>) -> AppResult<users::User> {
    let id = &ctx.user()?.id;
    users::by_id(ctx.conn, id)?.ok_or_else(account_gone)
}

// ── setup ──────────────────────────────────────────────────────────────────────

#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "TwoFactorSetup")]
pub(crate) struct Setup {
    secret: String,
    setup_token: String,
    otpauth_url: String,
    qr_code: String,
    expires_in: i64,
}

/// `POST /api/2fa/setup`: a new secret, its QR code and a 10-minute setup token
/// that carries it. Nothing is stored: an abandoned setup leaves no trace.
pub fn setup(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let user = current_row(ctx)?;
    if user.two_factor_enabled {
        return Err(already_enabled());
    }
    let secret = totp::generate_secret();
    let otpauth_url = totp::otpauth_url(&secret, &user.username)?;
    let qr_code = totp::qr_png_data_url(&otpauth_url)?;
    let setup_token = ctx.app.keys.purpose_token(
        &user.id,
        user.role.as_str(),
        user.token_version,
        PURPOSE_2FA_SETUP,
        SETUP_TTL,
        Some(secret.clone()),
    )?;
    Ok(Reply::ok(&Setup {
        secret,
        setup_token,
        otpauth_url,
        qr_code,
        expires_in: SETUP_TTL,
    }))
}

// ── enable ─────────────────────────────────────────────────────────────────────

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "TwoFactorEnable")]
pub(crate) struct Enable {
    setup_token: String,
    #[schemars(length(min = 1, max = MAX_CODE_CHARS))]
    code: String,
    /// Also revoke every personal API token of the account (default true).
    #[serde(default = "revocation::by_default")]
    revoke_tokens: bool,
}

/// The recovery codes beside the new session, shown this once.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct RecoveryCodes {
    recovery_codes: Vec<String>,
    #[serde(flatten)]
    revoked: revocation::TokensRevoked,
}

/// `POST /api/2fa/enable`: the setup token and a code from the new secret turn 2FA
/// on, replace the recovery codes, end every other session and (unless
/// `revoke_tokens` is false) every API token, as a password change does:
/// whoever turns 2FA on is locking the account down, and a token made before
/// it never needs the second factor. Answers a new session with the recovery
/// codes (shown this once).
pub fn enable(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let body: Enable = ctx.req.json()?;
    require_code(&body.code)?;
    let user = current_row(ctx)?;
    if user.two_factor_enabled {
        return Err(already_enabled());
    }
    let claims = ctx
        .app
        .keys
        .verify_purpose(&body.setup_token, PURPOSE_2FA_SETUP)
        .map_err(|_| invalid_token("setup token"))?;
    // Bound to this user and to this generation of their credentials: another
    // user's token, or one from before a password change or an earlier enable,
    // is refused.
    let secret = match claims.secret {
        Some(s) if claims.sub == user.id && claims.ver == user.token_version => s,
        _ => return Err(invalid_token("setup token")),
    };
    let step = counted_attempt(&ctx.app.limiter, &user.id, || {
        match totp::check(&secret, &body.code, db::now(), 0)? {
            CodeCheck::Accepted(step) => Ok(Ok(step)),
            _ => Ok(Err(BadCode::Wrong)),
        }
    })?;
    let codes = recovery_codes::generate();
    let (keys, agent) = (&ctx.app.keys, ctx.device());
    let witness = Witness::of(ctx);
    let (session, revoked) = db::write(ctx.conn, |tx| {
        let sealed = ctx.app.secret_key.seal(&secret, &user.id);
        if !two_factor::enable(tx, &user.id, &sealed, step)? {
            return Err(already_enabled());
        }
        witness.own(tx, Kind::TwoFactorEnabled, who_row(&user), json!({}))?;
        let hashes = recovery_codes::hashes(&ctx.app.secret_key, &codes);
        two_factor::replace_recovery_codes(tx, &user.id, &hashes)?;
        let by = revocation::By::TwoFactorEnabled;
        let revoked = revocation::own(&witness, tx, who_row(&user), body.revoke_tokens, by)?;
        Ok((session::reissue(keys, tx, &user.id, &agent)?, revoked))
    })?;
    let extra = RecoveryCodes {
        recovery_codes: codes,
        revoked,
    };
    Ok(session_reply::with_session(200, &session, extra, ctx.req))
}

// ── second login step ──────────────────────────────────────────────────────────

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SecondStep {
    two_factor_token: String,
    /// A TOTP code, or else a recovery code.
    #[schemars(length(min = 1, max = MAX_CODE_CHARS))]
    code: String,
}

/// Beside the session when a recovery code was used up.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct RecoveryCodeUsed {
    used_recovery_code: bool,
    recovery_codes_remaining: i64,
}

/// How the second step succeeded: recovery codes answer how many are left.
enum SecondStepOutcome {
    Totp(session::Session),
    RecoveryCode(session::Session, i64),
}

/// `POST /api/login/2fa`: completes a password login with a TOTP code or, failing
/// that, a recovery code (used up by the same statement that checks it).
pub fn login(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let (app, req) = (ctx.app, ctx.req);
    app.limiter.hit(Action::LoginIp, &ctx.client_key())?;
    let body: SecondStep = req.json()?;
    require_code(&body.code)?;
    let claims = app
        .keys
        .verify_purpose(&body.two_factor_token, PURPOSE_2FA_LOGIN)
        .map_err(|_| invalid_token("login challenge"))?;
    // The challenge dies with a password change, a logout everywhere or 2FA
    // being turned off (each bumps the token version).
    let live = |u: &users::User| u.two_factor_enabled && u.token_version == claims.ver;
    let user = users::by_id(ctx.conn, &claims.sub)?
        .filter(live)
        .ok_or_else(|| invalid_token("login challenge"))?;
    let agent = ctx.device();
    let witness = Witness::of(ctx);
    // The first step was a sign-in through this provider (else a password).
    let via = claims.via.as_deref();
    let conn = &mut *ctx.conn;
    let outcome = counted_attempt(&app.limiter, &user.id, || {
        let now = db::now();
        db::write(conn, |tx| {
            // Re-read under the write lock: the last accepted step is current.
            let user = users::by_id(tx, &user.id)?
                .filter(live)
                .ok_or_else(|| invalid_token("login challenge"))?;
            let failed = |reason: &str| {
                let details = json!({ "method": "two_factor", "reason": reason });
                witness.own(tx, Kind::LoginFailed, who_row(&user), details)
            };
            match accept_totp(&app.secret_key, tx, &user, &body.code, now)? {
                CodeCheck::Accepted(_) => {
                    let details = login_details("two_factor", via);
                    witness.own(tx, Kind::LoginSucceeded, who_row(&user), details)?;
                    let s = session::start_via(&app.keys, tx, &user, &agent, via)?;
                    return Ok(Ok(SecondStepOutcome::Totp(s)));
                }
                CodeCheck::AlreadyUsed => {
                    failed("code_already_used")?;
                    return Ok(Err(BadCode::AlreadyUsed));
                }
                CodeCheck::Wrong => {}
            }
            let normalised = recovery_codes::normalise(&body.code);
            if !recovery_codes::looks_like_code(&normalised)
                || !two_factor::consume_recovery_code(
                    tx,
                    &user.id,
                    &recovery_codes::hash(&app.secret_key, &normalised),
                )?
            {
                failed("wrong_code")?;
                return Ok(Err(BadCode::Wrong));
            }
            let details = login_details("recovery_code", via);
            witness.own(tx, Kind::LoginSucceeded, who_row(&user), details)?;
            witness.own(tx, Kind::RecoveryCodeUsed, who_row(&user), json!({}))?;
            let s = session::start_via(&app.keys, tx, &user, &agent, via)?;
            let remaining = two_factor::unused_recovery_codes(tx, &user.id)?;
            Ok(Ok(SecondStepOutcome::RecoveryCode(s, remaining)))
        })
    })?;
    Ok(match outcome {
        SecondStepOutcome::Totp(s) => session_reply::issued(&s, req),
        SecondStepOutcome::RecoveryCode(s, remaining) => {
            let extra = RecoveryCodeUsed {
                used_recovery_code: true,
                recovery_codes_remaining: remaining,
            };
            session_reply::with_session(200, &s, extra, req)
        }
    })
}

// ── disable and regenerate ─────────────────────────────────────────────────────

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordAndCode {
    password: String,
    #[schemars(length(min = 1, max = MAX_CODE_CHARS))]
    code: String,
}

/// The checks disable and regenerate share, in order: a code given (the body
/// before any state), 2FA on, the password right (bcrypt, outside any
/// transaction). Returns the user's row.
fn confirm_password_for_2fa(ctx: &mut Ctx<'_>, body: &PasswordAndCode) -> AppResult<users::User> {
    require_code(&body.code)?;
    if !current_row(ctx)?.two_factor_enabled {
        return Err(not_enabled());
    }
    confirm_password(ctx, &body.password, "password")
}

/// Inside a write transaction: 2FA still on and `code` a fresh TOTP code, whose
/// step is now used up.
fn require_totp(
    key: &SecretKey,
    conn: &Connection,
    user_id: &str,
    code: &str,
) -> AppResult<Result<(), BadCode>> {
    let user = users::by_id(conn, user_id)?.ok_or_else(account_gone)?;
    if !user.two_factor_enabled {
        return Err(not_enabled());
    }
    Ok(match accept_totp(key, conn, &user, code, db::now())? {
        CodeCheck::Accepted(_) => Ok(()),
        CodeCheck::AlreadyUsed => Err(BadCode::AlreadyUsed),
        CodeCheck::Wrong => Err(BadCode::Wrong),
    })
}

/// `POST /api/2fa/disable`: password and a current TOTP code turn 2FA off, delete
/// the secret and the recovery codes, end every session and clear the cookies.
pub fn disable(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let body: PasswordAndCode = ctx.req.json()?;
    let user = confirm_password_for_2fa(ctx, &body)?;
    let key = &ctx.app.secret_key;
    let witness = Witness::of(ctx);
    let conn = &mut *ctx.conn;
    counted_attempt(&ctx.app.limiter, &user.id, || {
        db::write(conn, |tx| {
            if let Err(bad) = require_totp(key, tx, &user.id, &body.code)? {
                return Ok(Err(bad));
            }
            two_factor::disable(tx, &user.id)?;
            witness.own(tx, Kind::TwoFactorDisabled, who_row(&user), json!({}))?;
            session::revoke_all(tx, &user.id)?;
            Ok(Ok(()))
        })
    })?;
    let reply = Reply::ok(&TwoFactorOff {
        message: "Two-factor authentication is off. Every session was ended; log in again.",
        two_factor_enabled: false,
    });
    Ok(session_reply::clear_session(reply, ctx.req))
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct TwoFactorOff {
    message: &'static str,
    two_factor_enabled: bool,
}

/// A fresh set of recovery codes, shown this once.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct NewRecoveryCodes {
    recovery_codes: Vec<String>,
    recovery_codes_remaining: usize,
}

/// `POST /api/2fa/recovery-codes/regenerate`: password and a current TOTP code
/// replace every recovery code with a fresh set, shown this once.
pub fn regenerate_recovery_codes(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let body: PasswordAndCode = ctx.req.json()?;
    let user = confirm_password_for_2fa(ctx, &body)?;
    let key = &ctx.app.secret_key;
    let codes = recovery_codes::generate();
    let witness = Witness::of(ctx);
    let conn = &mut *ctx.conn;
    counted_attempt(&ctx.app.limiter, &user.id, || {
        db::write(conn, |tx| {
            if let Err(bad) = require_totp(key, tx, &user.id, &body.code)? {
                return Ok(Err(bad));
            }
            let who = who_row(&user);
            witness.own(tx, Kind::RecoveryCodesRegenerated, who, json!({}))?;
            two_factor::replace_recovery_codes(tx, &user.id, &recovery_codes::hashes(key, &codes))
                .map(Ok)
        })
    })?;
    Ok(Reply::ok(&NewRecoveryCodes {
        recovery_codes_remaining: codes.len(),
        recovery_codes: codes,
    }))
}
