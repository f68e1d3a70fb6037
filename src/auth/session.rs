//! Sessions (auth layer: no HTTP types): the one function that issues an access +
//! refresh token pair ([`issue`]) and the one that ends every other session and
//! issues a new one after a credential change ([`reissue`]), used by password,
//! 2FA and passkey flows alike; refresh-token rotation and revocation. How a
//! session travels to the client (JSON and cookies) is `api/session_reply.rs`.

use crate::auth::tokens::{ACCESS_TTL, Keys};
use crate::db::facts::Fact;
use crate::db::movements::Actor;
use crate::db::sessions::Device;
use crate::db::users::Role;
use crate::db::{self, accounts, sessions, users};
use crate::error::{AppError, AppResult};
use rusqlite::Connection;
use serde::Serialize;

/// The authenticated user of a request, as the middleware found it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CurrentUser {
    pub id: String,
    pub username: String,
    pub role: Role,
    /// The session (device) of a login's access token; none for a personal
    /// API token.
    pub session_id: Option<String>,
}

impl CurrentUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// The user as the author of a recorded change.
    pub fn actor(&self) -> Actor<'_> {
        Actor {
            user_id: &self.id,
            username: &self.username,
        }
    }
}

/// A freshly issued session, as answered by login, refresh and credential changes.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Session {
    pub access_token: String,
    /// The session (device) these tokens belong to.
    #[serde(skip)]
    pub session_id: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub user: SessionUser,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SessionUser {
    pub id: String,
    pub username: String,
    pub role: Role,
    pub two_factor_enabled: bool,
}

/// A login that proved who it is (password, second factor or passkey): the
/// session it gets, and the time noted for the admin's list of accounts.
pub fn start(
    keys: &Keys,
    conn: &Connection,
    user: &users::User,
    device: &Device,
) -> AppResult<Session> {
    let session = issue(keys, conn, user, user.token_version, None, device)?;
    accounts::touch_login(conn, &user.id)?;
    Ok(session)
}

/// [`start`], for a login whose proof came through identity provider `via`
/// (when some): the session is marked with it, for the sessions list and
/// the provider's logout.
pub fn start_via(
    keys: &Keys,
    conn: &Connection,
    user: &users::User,
    device: &Device,
    via: Option<&str>,
) -> AppResult<Session> {
    let session = start(keys, conn, user, device)?;
    if let Some(provider) = via {
        db::sso::mark_session(conn, &session.session_id, provider)?;
    }
    Ok(session)
}

/// Issues tokens for `user` inside the caller's transaction: a signed access
/// token and a random refresh token whose hash is stored, in the session
/// `continuing` (a refresh) or a new one (a login). A disabled account gets
/// none, whichever way it asks (login, refresh, credential change).
pub fn issue(
    keys: &Keys,
    conn: &Connection,
    user: &users::User,
    token_version: i64,
    continuing: Option<String>,
    device: &Device,
) -> AppResult<Session> {
    if user.disabled {
        return Err(Fact::AccountDisabled.into());
    }
    let session_id = match continuing {
        Some(id) => id,
        None => sessions::create(conn, &user.id, device)?,
    };
    let refresh = crate::crypto::random_token(32);
    sessions::insert(conn, &user.id, &session_id, &refresh, device)?;
    Ok(Session {
        access_token: keys.access_token(
            &user.id,
            user.role.as_str(),
            token_version,
            &session_id,
        )?,
        session_id,
        refresh_token: refresh,
        token_type: "Bearer",
        expires_in: ACCESS_TTL,
        user: SessionUser {
            id: user.id.clone(),
            username: user.username.clone(),
            role: user.role,
            two_factor_enabled: user.two_factor_enabled,
        },
    })
}

/// After a credential change, inside its transaction: every session of the
/// user ends (refresh tokens revoked, access tokens dead through the token
/// version) and the one making the change gets a new session. The user row is
/// re-read so the session reflects the change (e.g. 2FA now on).
pub fn reissue(
    keys: &Keys,
    conn: &Connection,
    user_id: &str,
    device: &Device,
) -> AppResult<Session> {
    let version = revoke_all(conn, user_id)?;
    let user = users::by_id(conn, user_id)?.ok_or_else(account_gone)?;
    issue(keys, conn, &user, version, None, device)
}

fn account_gone() -> AppError {
    super::Refused::AccountGone.into()
}

/// Revokes every session of a user: refresh tokens and (via the token version)
/// access tokens. Returns the new token version for a session issued right after.
pub fn revoke_all(conn: &Connection, user_id: &str) -> AppResult<i64> {
    sessions::revoke_all(conn, user_id)?;
    users::bump_token_version(conn, user_id)
}

/// How long after a session proved who is behind it (see
/// [`recently_authenticated`]) it may make a new lasting credential, a
/// personal API token, without the password. A session stolen later than
/// this (a cookie copied from an unlocked computer) cannot turn itself into
/// access that outlives it.
pub const RECENT_AUTHENTICATION: i64 = 5 * 60;

/// Whether `user`'s session proved who is behind it within
/// [`RECENT_AUTHENTICATION`]: its login (password, second factor, passkey) or
/// the credential change that issued it. Refresh-token rotation does not
/// count: it proves only that the cookie was kept. A request without a
/// session (a personal API token) never counts.
pub fn recently_authenticated(conn: &Connection, user: &CurrentUser) -> AppResult<bool> {
    let Some(session_id) = user.session_id.as_deref() else {
        return Ok(false);
    };
    let at = sessions::authenticated_at(conn, &user.id, session_id)?;
    Ok(at.is_some_and(|at| db::now() - at <= RECENT_AUTHENTICATION))
}

/// Rotates a refresh token: the old row is revoked and a new session issued in
/// one transaction. A token presented again moments after its rotation (two
/// tabs refreshing at once) is refused and nothing else happens; presented again
/// later, it revokes every session of its owner (it has probably been stolen).
pub fn rotate(
    keys: &Keys,
    conn: &mut Connection,
    token: &str,
    device: &Device,
) -> AppResult<Session> {
    let invalid = || AppError::from(super::Refused::RefreshInvalid);
    let outcome = db::write(conn, |tx| match sessions::consume(tx, token)? {
        // A token of an ended session cannot be live (ending deletes its
        // live tokens); refused all the same if it ever were.
        sessions::Consumed::Ok(_, None) => Err(invalid()),
        sessions::Consumed::Ok(user_id, Some(session_id)) => {
            let user = users::by_id(tx, &user_id)?.ok_or_else(invalid)?;
            let (version, continuing) = (user.token_version, Some(session_id));
            Ok(Ok(issue(keys, tx, &user, version, continuing, device)?))
        }
        sessions::Consumed::Reused(user_id) => {
            revoke_all(tx, &user_id)?;
            Ok(Err(user_id))
        }
        sessions::Consumed::JustRotated => Err(super::Refused::RefreshSuperseded.into()),
        sessions::Consumed::Invalid => Err(invalid()),
    })?;
    outcome.map_err(|user_id| {
        eprintln!("security: reused refresh token for user {user_id}; all sessions revoked");
        invalid()
    })
}
