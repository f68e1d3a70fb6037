//! Layer: router/ctx. What a handler receives for one request ([`Ctx`]), who may
//! call a route ([`Access`]), and the checks dispatch makes before a handler
//! runs: resolving the current user from the Bearer header or the access cookie,
//! and the same-origin check for cookie-authenticated writes.

use crate::app::App;
use crate::auth::session::CurrentUser;
use crate::db::users;
use crate::error::{AppError, AppResult};
use crate::http::Request;
use rusqlite::Connection;

/// Who may call a route.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Access {
    Public,
    User,
    Admin,
}

/// Everything a handler needs for one request.
pub struct Ctx<'a> {
    pub app: &'a App,
    pub conn: &'a mut Connection,
    pub req: &'a Request,
    pub(crate) user: Option<CurrentUser>,
}

impl Ctx<'_> {
    /// The authenticated user. Only routes with `User`/`Admin` access call this;
    /// dispatch guarantees one is present there.
    pub fn user(&self) -> AppResult<&CurrentUser> {
        self.user
            .as_ref()
            .ok_or_else(|| AppError::unauthorized("unauthenticated", "Log in first."))
    }

    /// The request's client address as a rate-limit key.
    pub fn client_key(&self) -> String {
        self.req.client.to_string()
    }
}

/// What the credentials of a request amount to.
pub enum Auth {
    /// No token at all.
    None,
    /// A token that is forged, expired or from before a credential change.
    Invalid,
    /// A live user; `bearer` says whether the token came in an Authorization
    /// header (scripts) rather than the cookie (browsers).
    User { user: CurrentUser, bearer: bool },
}

/// The token a request carries: `Authorization: Bearer` first, then the cookie.
/// The bool says whether it came from the header.
fn bearer_or_cookie(req: &Request) -> Option<(String, bool)> {
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

/// Resolves the current user: a valid signature, a live token version and a user
/// that still exists.
pub fn authenticate(app: &App, conn: &Connection, req: &Request) -> AppResult<Auth> {
    let Some((token, bearer)) = bearer_or_cookie(req) else {
        return Ok(Auth::None);
    };
    let Some(claims) = app.keys.verify_access(&token) else {
        return Ok(Auth::Invalid);
    };
    match users::identity(conn, &claims.sub)? {
        Some(who) if who.token_version == claims.ver => Ok(Auth::User {
            user: CurrentUser {
                id: claims.sub,
                username: who.username,
                role: who.role,
            },
            bearer,
        }),
        _ => Ok(Auth::Invalid),
    }
}

/// CSRF defence on top of SameSite=Strict: a browser always sends `Origin` (or at
/// least `Referer`) with a cross-site state-changing request, so when one is
/// present it must name the host the request was sent to. Clients that send
/// neither (curl, scripts) are not browsers and cannot be driven by another site.
pub fn same_origin(req: &Request) -> bool {
    let source = req
        .header("origin")
        .filter(|o| *o != "null")
        .or_else(|| req.header("referer"));
    let Some(source) = source else {
        return req.header("origin").is_none();
    };
    let Some(host) = req.header("host") else {
        return false;
    };
    match url::Url::parse(source) {
        Ok(u) => {
            let authority = match (u.host_str(), u.port()) {
                (Some(h), Some(p)) => format!("{h}:{p}"),
                (Some(h), None) => h.to_string(),
                _ => return false,
            };
            authority.eq_ignore_ascii_case(host)
                || u.port().is_none() && host.split(':').next() == u.host_str()
        }
        Err(_) => false,
    }
}
