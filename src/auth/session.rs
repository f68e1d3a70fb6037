//! Sessions: the one function that issues an access + refresh token pair (used by
//! password, 2FA and passkey login alike), refresh-token rotation, revocation, the
//! auth cookies, and the middleware that turns a request into the current user.

use crate::app::App;
use crate::db::{self, sessions, users};
use crate::error::{AppError, AppResult};
use crate::http::{Reply, Request, cookie};
use rusqlite::Connection;
use serde::Serialize;

/// The authenticated user of a request, as the middleware found it.
#[derive(Debug, Clone, Serialize)]
pub struct CurrentUser {
    pub id: String,
    pub username: String,
    pub role: String,
}

impl CurrentUser {
    pub fn is_admin(&self) -> bool {
        self.role == "admin"
    }
}

/// A freshly issued session, as answered by login, refresh and credential changes.
#[derive(Debug, Serialize)]
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub user: SessionUser,
}

#[derive(Debug, Serialize)]
pub struct SessionUser {
    pub id: String,
    pub username: String,
    pub role: String,
    pub two_factor_enabled: bool,
}

/// Issues a new session for `user` inside the caller's transaction: a signed
/// access token and a random refresh token whose hash is stored.
pub fn issue(
    app: &App,
    conn: &Connection,
    user: &users::User,
    token_version: i64,
    req: &Request,
) -> AppResult<Session> {
    let refresh = crate::crypto::random_token(32);
    sessions::insert(conn, &user.id, &refresh, &req.user_agent())?;
    Ok(Session {
        access_token: app.keys.access_token(&user.id, &user.role, token_version)?,
        refresh_token: refresh,
        token_type: "Bearer",
        expires_in: crate::auth::tokens::ACCESS_TTL,
        user: SessionUser {
            id: user.id.clone(),
            username: user.username.clone(),
            role: user.role.clone(),
            two_factor_enabled: user.two_factor_enabled,
        },
    })
}

/// Revokes every session of a user: refresh tokens and (via the token version)
/// access tokens. Returns the new token version for a session issued right after.
pub fn revoke_all(conn: &Connection, user_id: &str) -> AppResult<i64> {
    sessions::revoke_all(conn, user_id)?;
    users::bump_token_version(conn, user_id)
}

/// Answers with the session as JSON and sets both auth cookies.
pub fn reply_with_session(status: u16, session: &Session, req: &Request) -> Reply {
    let reply = Reply::json(status, session);
    set_cookies(reply, &session.access_token, &session.refresh_token, req)
}

/// Like `reply_with_session`, with `extra` top-level fields next to the session's
/// (e.g. the recovery codes shown once when 2FA is enabled).
pub fn reply_with_session_and(
    status: u16,
    session: &Session,
    extra: serde_json::Map<String, serde_json::Value>,
    req: &Request,
) -> AppResult<Reply> {
    let mut body = match serde_json::to_value(session) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => {
            return Err(AppError::internal(
                "a session did not serialise to an object",
            ));
        }
    };
    body.extend(extra);
    let reply = Reply::json(status, &body);
    Ok(set_cookies(
        reply,
        &session.access_token,
        &session.refresh_token,
        req,
    ))
}

pub fn set_cookies(reply: Reply, access: &str, refresh: &str, req: &Request) -> Reply {
    reply
        .header(
            "Set-Cookie",
            cookie(
                "access_token",
                access,
                "/",
                crate::auth::tokens::ACCESS_TTL,
                req.secure,
            ),
        )
        .header(
            "Set-Cookie",
            // The refresh cookie is only ever sent to the refresh and logout endpoints.
            cookie(
                "refresh_token",
                refresh,
                "/api",
                sessions::REFRESH_TTL,
                req.secure,
            ),
        )
}

pub fn clear_cookies(reply: Reply, req: &Request) -> Reply {
    reply
        .header("Set-Cookie", cookie("access_token", "", "/", 0, req.secure))
        .header(
            "Set-Cookie",
            cookie("refresh_token", "", "/api", 0, req.secure),
        )
}

/// Rotates a refresh token: the old row is revoked and a new session issued in
/// one transaction. A token presented again after use revokes every session of
/// its owner (it has probably been stolen).
pub fn rotate(app: &App, conn: &mut Connection, token: &str, req: &Request) -> AppResult<Session> {
    let invalid = || {
        AppError::unauthorized(
            "invalid_refresh_token",
            "The session has expired or was revoked. Log in again.",
        )
    };
    let outcome = db::write(conn, |tx| match sessions::consume(tx, token)? {
        sessions::Consumed::Ok(user_id) => {
            let user = users::by_id(tx, &user_id)?.ok_or_else(invalid)?;
            Ok(Ok(issue(app, tx, &user, user.token_version, req)?))
        }
        sessions::Consumed::Reused(user_id) => {
            revoke_all(tx, &user_id)?;
            Ok(Err(user_id))
        }
        sessions::Consumed::Invalid => Err(invalid()),
    })?;
    outcome.map_err(|user_id| {
        eprintln!("security: reused refresh token for user {user_id}; all sessions revoked");
        invalid()
    })
}

/// The token a request carries: `Authorization: Bearer` first, then the cookie.
pub fn bearer_or_cookie(req: &Request) -> Option<(String, bool)> {
    if let Some(h) = req.header("authorization") {
        let mut parts = h.splitn(2, ' ');
        if parts
            .next()
            .is_some_and(|s| s.eq_ignore_ascii_case("bearer"))
            && let Some(t) = parts.next().map(str::trim).filter(|t| !t.is_empty())
        {
            return Some((t.to_string(), true));
        }
    }
    req.cookie("access_token").map(|t| (t, false))
}

/// What the middleware found.
pub enum Auth {
    None,
    Invalid,
    User(CurrentUser, bool),
}

/// Resolves the current user: a valid signature, a live token version and a user
/// that still exists. The bool says whether it came from a Bearer header.
pub fn authenticate(app: &App, conn: &Connection, req: &Request) -> AppResult<Auth> {
    let Some((token, bearer)) = bearer_or_cookie(req) else {
        return Ok(Auth::None);
    };
    let Some(claims) = app.keys.verify_access(&token) else {
        return Ok(Auth::Invalid);
    };
    let row = conn
        .prepare_cached("SELECT username, role, token_version FROM users WHERE id = ?1")?
        .query_row([&claims.sub], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        });
    match row {
        Ok((username, role, version)) if version == claims.ver => Ok(Auth::User(
            CurrentUser {
                id: claims.sub,
                username,
                role,
            },
            bearer,
        )),
        Ok(_) | Err(rusqlite::Error::QueryReturnedNoRows) => Ok(Auth::Invalid),
        Err(e) => Err(e.into()),
    }
}
