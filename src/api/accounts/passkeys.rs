//! Passkey routes: registration (password-confirmed), the list, removal, disable
//! all, and discoverable login. Each ceremony reads top to bottom: options store
//! the webauthn-rs state behind a one-time token; finish takes that row, verifies
//! outside any write transaction, then acts in one transaction.

use crate::api::accounts::account::confirm_password;
use crate::api::accounts::security_events::{Witness, who, who_row};
use crate::api::accounts::session_reply;
use crate::auth::passkeys::{self as pk, CeremonyKind, Starter};
use crate::auth::ratelimit::Action;
use crate::auth::session;
use crate::ctx::Ctx;
use crate::db::security_log::Kind;
use crate::db::{self, ceremonies, passkeys, users};
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use webauthn_rs::prelude::{
    CreationChallengeResponse, DiscoverableAuthentication, DiscoverableKey, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential,
};
use webauthn_rs_proto::ResidentKeyRequirement;

/// What an options endpoint answers: the token to send back with the result, and
/// the options for `navigator.credentials.create/get` (`{"publicKey": …}`).
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "CeremonyStarted")]
pub(crate) struct CeremonyStarted<T: Serialize> {
    challenge_token: String,
    /// webauthn-rs's options: the document does not describe them further.
    #[schemars(with = "serde_json::Map<String, Value>")]
    options: T,
    expires_in: i64,
}

/// What a finish endpoint receives: the token and the browser's credential JSON.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CeremonyFinish {
    challenge_token: String,
    credential: Value,
}

/// Parses the browser's credential; a shape webauthn-rs cannot read is a 400.
fn parse_credential<T: DeserializeOwned>(value: Value) -> AppResult<T> {
    serde_json::from_value(value).map_err(|e| {
        AppError::bad_request(
            "invalid_credential",
            format!("The credential is not a valid WebAuthn response ({e})."),
        )
        .with("field", "credential")
    })
}

/// The longest passkey name, as given.
const MAX_PASSKEY_NAME: usize = 100;

/// Trims a passkey name and checks it: 1–100 characters (at most 100 as
/// given, before trimming), no control characters.
fn passkey_name(raw: &str) -> AppResult<String> {
    let name = raw.trim();
    let len = name.chars().count();
    if !(1..=MAX_PASSKEY_NAME).contains(&len) || crate::rules::fields::over(raw, MAX_PASSKEY_NAME) {
        return Err(AppError::invalid_field(
            "name",
            "Give the passkey a name of 1 to 100 characters (e.g. \"Laptop\" or \"Phone\").",
        ));
    }
    crate::rules::fields::nothing_hidden("name", "The passkey name", name)?;
    Ok(name.to_string())
}

// ── registration ─────────────────────────────────────────────────────────────────────────

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "PasskeyRegistration")]
pub(crate) struct RegisterOptions {
    password: String,
    /// What the passkey is on ("Laptop", "Phone").
    #[schemars(length(min = 1, max = MAX_PASSKEY_NAME), regex(pattern = crate::rules::fields::NAME_PATTERN))]
    name: String,
}

pub fn register_options(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let body: RegisterOptions = ctx.req.json()?;
    let name = passkey_name(&body.name)?;
    let user = confirm_password(ctx, &body.password, "password")?;
    // Every started registration counts, so ceremony rows cannot be piled up.
    ctx.app.limiter.hit(Action::Sensitive, &user.id)?;
    let existing = db::read(ctx.conn, |tx| passkeys::credentials_of(tx, &user.id))?;
    let exclude = existing.iter().map(|p| p.cred_id().clone()).collect();
    let (mut options, state) = ctx
        .app
        .webauthn
        .start_passkey_registration(
            pk::user_handle(&user.id),
            &user.username,
            &user.username,
            Some(exclude),
        )
        .map_err(|e| AppError::internal(format_args!("starting passkey registration: {e}")))?;
    require_discoverable(&mut options);
    let token = db::write(ctx.conn, |tx| {
        pk::begin_ceremony(tx, Starter::Account(&user.id), Some(&name), &state)
    })?;
    Ok(Reply::ok(&CeremonyStarted {
        challenge_token: token,
        options,
        expires_in: pk::CEREMONY_TTL,
    }))
}

/// Login is discoverable (no username first), so the credential must be stored
/// on the authenticator. webauthn-rs asks for "discouraged" by default (to spare
/// the storage of small security keys); we ask for a resident key instead. The
/// registration state does not depend on it, so only the options change.
fn require_discoverable(options: &mut CreationChallengeResponse) {
    if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
        selection.resident_key = Some(ResidentKeyRequirement::Required);
        selection.require_resident_key = true;
    }
}

/// The new passkey beside the new session in the register/finish answer.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct NewPasskey {
    passkey: passkeys::PasskeyEntry,
}

pub fn register_finish(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let me = ctx.user()?.clone();
    let user_id = me.id.clone();
    let body: CeremonyFinish = ctx.req.json()?;
    let credential: RegisterPublicKeyCredential = parse_credential(body.credential)?;
    let ceremony = pk::take_ceremony(
        ctx.conn,
        CeremonyKind::Register,
        &body.challenge_token,
        Some(&user_id),
    )?;
    let state: PasskeyRegistration = ceremony.state()?;
    let passkey = ctx
        .app
        .webauthn
        .finish_passkey_registration(&credential, &state)
        .map_err(|e| pk::rejected(&e, CeremonyKind::Register, &ctx.app.webauthn))?;
    let name = ceremony
        .name
        .ok_or_else(|| AppError::internal("registration ceremony without a name"))?;
    let (keys, agent) = (&ctx.app.keys, ctx.device());
    let witness = Witness::of(ctx);
    // Store, end every other session and start this one: all or nothing.
    let (session, entry) = db::write(ctx.conn, |tx| {
        let entry = passkeys::insert(tx, &user_id, &name, &passkey)?;
        let details = serde_json::json!({ "name": name });
        witness.own(tx, Kind::PasskeyAdded, who(&me), details)?;
        Ok((session::reissue(keys, tx, &user_id, &agent)?, entry))
    })?;
    let extra = NewPasskey { passkey: entry };
    Ok(session_reply::with_session(201, &session, extra, ctx.req))
}

// ── management ───────────────────────────────────────────────────────────────────────────

pub fn list(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let user_id = ctx.user()?.id.clone();
    let list = db::read(ctx.conn, |tx| passkeys::list(tx, &user_id))?;
    Ok(Reply::ok(&list))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "PasskeyRemoval")]
pub(crate) struct RemoveOne {
    id: String,
    password: String,
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Removed {
    removed: usize,
}

pub fn remove(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let body: RemoveOne = ctx.req.json()?;
    let user = confirm_password(ctx, &body.password, "password")?;
    let (keys, agent) = (&ctx.app.keys, ctx.device());
    let witness = Witness::of(ctx);
    let session = db::write(ctx.conn, |tx| {
        if !passkeys::delete(tx, &user.id, body.id.trim())? {
            return Err(
                AppError::not_found("You have no passkey with this id.").with("field", "id")
            );
        }
        let details = serde_json::json!({ "id": body.id.trim() });
        witness.own(tx, Kind::PasskeyRemoved, who_row(&user), details)?;
        session::reissue(keys, tx, &user.id, &agent)
    })?;
    let extra = Removed { removed: 1 };
    Ok(session_reply::with_session(200, &session, extra, ctx.req))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "PasskeysOff")]
pub(crate) struct Disable {
    password: String,
}

pub fn disable(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let body: Disable = ctx.req.json()?;
    let user = confirm_password(ctx, &body.password, "password")?;
    let (keys, agent) = (&ctx.app.keys, ctx.device());
    let witness = Witness::of(ctx);
    let (session, removed) = db::write(ctx.conn, |tx| {
        let removed = passkeys::delete_all(tx, &user.id)?;
        let details = serde_json::json!({ "all": true, "removed": removed });
        witness.own(tx, Kind::PasskeyRemoved, who_row(&user), details)?;
        // A registration started before disabling must not finish after it.
        ceremonies::delete_for_user(tx, &user.id)?;
        Ok((session::reissue(keys, tx, &user.id, &agent)?, removed))
    })?;
    let extra = Removed { removed };
    Ok(session_reply::with_session(200, &session, extra, ctx.req))
}

// ── discoverable login ───────────────────────────────────────────────────────────────────

pub fn login_options(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    ctx.app
        .limiter
        .hit(Action::PasskeyLoginIp, &ctx.req.client.to_string())?;
    let (mut options, state) = ctx
        .app
        .webauthn
        .start_discoverable_authentication()
        .map_err(|e| AppError::internal(format_args!("starting passkey login: {e}")))?;
    // webauthn-rs marks these options for conditional UI (autofill). Our login is
    // a button, a modal request; a page that wants autofill adds the mediation.
    options.mediation = None;
    let token = db::write(ctx.conn, |tx| {
        pk::begin_ceremony(tx, Starter::Client(ctx.req.client), None, &state)
    })?;
    Ok(Reply::ok(&CeremonyStarted {
        challenge_token: token,
        options,
        expires_in: pk::CEREMONY_TTL,
    }))
}

pub fn login_finish(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let client = ctx.req.client.to_string();
    ctx.app.limiter.hit(Action::PasskeyLoginIp, &client)?;
    let body: CeremonyFinish = ctx.req.json()?;
    let credential: PublicKeyCredential = parse_credential(body.credential)?;
    let ceremony = pk::take_ceremony(ctx.conn, CeremonyKind::Login, &body.challenge_token, None)?;
    let state: DiscoverableAuthentication = ceremony.state()?;

    // The credential names its owner: look it up by credential id, and when the
    // authenticator sent a user handle (discoverable credentials do) it must be
    // that owner's handle.
    let raw_id = credential.get_credential_id().to_vec();
    let stored = db::read(ctx.conn, |tx| passkeys::by_credential_id(tx, &raw_id))?
        .ok_or_else(pk::unknown_credential)?;
    if let Some(handle) = credential.get_user_unique_id()
        && handle != pk::user_handle(&stored.user_id).as_bytes()
    {
        return Err(pk::unknown_credential());
    }
    let mut passkey = stored.passkey()?;
    let result = ctx
        .app
        .webauthn
        .finish_discoverable_authentication(&credential, state, &[DiscoverableKey::from(&passkey)])
        .map_err(|e| {
            if matches!(
                e,
                webauthn_rs::prelude::WebauthnError::CredentialPossibleCompromise
            ) {
                report_clone(&stored, presented_counter(&credential), &client);
            }
            pk::rejected(&e, CeremonyKind::Login, &ctx.app.webauthn)
        })?;
    if !result.user_verified() {
        return Err(pk::rejected(
            &webauthn_rs::prelude::WebauthnError::UserNotVerified,
            CeremonyKind::Login,
            &ctx.app.webauthn,
        ));
    }
    passkey.update_credential(&result);
    let counter = i64::from(result.counter());

    let (keys, agent) = (&ctx.app.keys, ctx.device());
    let witness = Witness::of(ctx);
    let session = db::write(ctx.conn, |tx| {
        // Re-read under the write lock: a concurrent login with a copy of this key
        // may have moved the counter since we verified.
        let current =
            passkeys::by_credential_id(tx, &raw_id)?.ok_or_else(pk::unknown_credential)?;
        if (counter != 0 || current.sign_count != 0) && counter <= current.sign_count {
            return Ok(None);
        }
        passkeys::record_use(tx, &current.id, &passkey)?;
        let user = users::by_id(tx, &current.user_id)?.ok_or_else(pk::unknown_credential)?;
        let details = serde_json::json!({ "method": "passkey" });
        witness.own(tx, Kind::LoginSucceeded, who_row(&user), details)?;
        // A complete login by itself, also with 2FA: the passkey is possession and
        // the required user verification is the second factor.
        session::start(keys, tx, &user, &agent).map(Some)
    })?;
    let Some(session) = session else {
        report_clone(&stored, counter, &client);
        return Err(pk::cloned());
    };
    Ok(session_reply::issued(&session, ctx.req))
}

/// The signature counter in the assertion's authenticator data (bytes 33..37 after
/// the rp id hash and flags), for the log line.
fn presented_counter(credential: &PublicKeyCredential) -> i64 {
    let data = credential.response.authenticator_data.as_slice();
    data.get(33..37)
        .map(|b| i64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])))
        .unwrap_or(0)
}

/// A counter that went backwards is refused and reported in the server log.
fn report_clone(stored: &passkeys::StoredPasskey, counter: i64, client: &str) {
    eprintln!(
        "security: passkey {} of user {} presented signature counter {counter} (stored {}) from {client}; it may be cloned, login refused",
        stored.id, stored.user_id, stored.sign_count
    );
}
