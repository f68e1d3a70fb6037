//! Layer: router/ctx. What a handler receives for one request ([`Ctx`]), who may
//! call a route ([`Access`]), and the checks dispatch makes before a handler
//! runs: resolving the current user from the Bearer header or the access cookie,
//! and the same-origin check for cookie-authenticated writes.

use crate::app::App;
use crate::auth::session::CurrentUser;
use crate::db::api_tokens::{self, Scope};
use crate::db::sessions::{self, Device};
use crate::db::users;
use crate::error::{AppError, AppResult, Kind};
use crate::http::Request;
use rusqlite::Connection;

/// Who may call a route: the access column of the routing table. Dispatch
/// applies it in one place ([`Access::admits`]); no handler checks a role.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Access {
    /// Anyone.
    Public,
    /// Any signed-in person, of any role, but only through a login (cookie or
    /// login access token), never a personal API token: account, security and
    /// session routes.
    Account,
    /// Any role: inventory reads. Personal API tokens of either scope.
    Viewer,
    /// Editors and admins: inventory writes. Write-scoped API tokens.
    Editor,
    /// Admins, through a login only: users, invitations, server settings.
    Admin,
}

/// Why a caller was turned away: [`Access::admits`] refusing a signed-in
/// caller, or a handler asking for the user of a request that has none.
/// `api::words` says each.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Refusal {
    /// No session or token came with the request.
    NotSignedIn,
    /// The role reads only and the route writes.
    ReadOnly,
    /// The route is for admins.
    AdminOnly,
    /// A personal API token on an account, security or admin route.
    TokenNotAllowed,
    /// A read-scoped API token on anything but GET/HEAD.
    ReadOnlyToken,
}

impl crate::error::Refusal for Refusal {}

impl From<Refusal> for AppError {
    fn from(r: Refusal) -> AppError {
        let (kind, code) = match r {
            Refusal::NotSignedIn => (Kind::Unauthorized, "unauthenticated"),
            Refusal::ReadOnly => (Kind::Forbidden, "read_only"),
            Refusal::AdminOnly => (Kind::Forbidden, "admin_only"),
            Refusal::TokenNotAllowed => (Kind::Forbidden, "token_not_allowed"),
            Refusal::ReadOnlyToken => (Kind::Forbidden, "read_only_token"),
        };
        AppError::refused(kind, code, r)
    }
}

impl Access {
    /// Whether `user`, who came with a personal API token of `token` scope (or
    /// with a login when `None`), may call a route with this access by a
    /// request that `writes` (anything but GET/HEAD).
    pub fn admits(
        self,
        user: &CurrentUser,
        token: Option<Scope>,
        writes: bool,
    ) -> Result<(), Refusal> {
        if let Some(scope) = token {
            if matches!(self, Access::Account | Access::Admin) {
                return Err(Refusal::TokenNotAllowed);
            }
            if scope == Scope::Read && writes {
                return Err(Refusal::ReadOnlyToken);
            }
        }
        match self {
            Access::Editor if user.role < users::Role::Editor => Err(Refusal::ReadOnly),
            Access::Admin if !user.is_admin() => Err(Refusal::AdminOnly),
            _ => Ok(()),
        }
    }
}

/// Everything a handler needs for one request.
pub struct Ctx<'a> {
    pub app: &'a App,
    pub conn: &'a mut Connection,
    pub req: &'a Request,
    pub(crate) user: Option<CurrentUser>,
}

impl Ctx<'_> {
    /// The authenticated user. Only routes with access other than `Public`
    /// call this; dispatch guarantees one is present there.
    pub fn user(&self) -> AppResult<&CurrentUser> {
        self.user
            .as_ref()
            .ok_or_else(|| Refusal::NotSignedIn.into())
    }

    /// Where the request comes from, as a session and the security log note it.
    pub fn device(&self) -> Device {
        Device {
            user_agent: self.req.user_agent(),
            ip: self.req.client.to_string(),
        }
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
    /// header (scripts) rather than the cookie (browsers), `token` the scope
    /// when it was a personal API token rather than a login's.
    User {
        user: CurrentUser,
        bearer: bool,
        token: Option<Scope>,
    },
}

/// What a personal API token starts with, so it is told from a login's
/// access token at a glance (and by secret scanners).
pub const API_TOKEN_PREFIX: &str = "miau_";

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

/// Resolves the current user: a valid signature, a live session, a live token
/// version and a user that still exists and is enabled (one lookup by primary
/// key); or a live personal API token of one.
pub fn authenticate(app: &App, conn: &Connection, req: &Request) -> AppResult<Auth> {
    let Some((token, bearer)) = bearer_or_cookie(req) else {
        return Ok(Auth::None);
    };
    if bearer && token.starts_with(API_TOKEN_PREFIX) {
        let Some(owner) = api_tokens::owner(conn, &token)? else {
            return Ok(Auth::Invalid);
        };
        api_tokens::touch(conn, &owner)?;
        return Ok(Auth::User {
            user: CurrentUser {
                id: owner.user_id,
                username: owner.username,
                role: owner.role,
                session_id: None,
            },
            bearer,
            token: Some(owner.scope),
        });
    }
    let Some(claims) = app.keys.verify_access(&token) else {
        return Ok(Auth::Invalid);
    };
    // Access tokens from before sessions existed carry none: refused, and the
    // client renews them with its refresh token.
    let Some(session_id) = claims.sid else {
        return Ok(Auth::Invalid);
    };
    match sessions::identity(conn, &claims.sub, &session_id)? {
        Some(who) if who.token_version == claims.ver => Ok(Auth::User {
            user: CurrentUser {
                id: claims.sub,
                username: who.username,
                role: who.role,
                session_id: Some(session_id),
            },
            bearer,
            token: None,
        }),
        _ => Ok(Auth::Invalid),
    }
}

/// CSRF defence on top of SameSite=Strict: a browser always sends `Origin` (or at
/// least `Referer`) with a cross-site state-changing request, so when one is
/// present its origin (scheme, host and port) must be ours: the origin the
/// request was sent to (its scheme and `Host`), or the configured `rp_origin`.
/// Clients that send neither (curl, scripts) are not browsers and cannot be
/// driven by another site.
pub fn same_origin(req: &Request, rp_origin: &str) -> bool {
    let source = req
        .header("origin")
        .filter(|o| *o != "null")
        .or_else(|| req.header("referer"));
    let Some(source) = source else {
        return req.header("origin").is_none();
    };
    let Ok(source) = url::Url::parse(source) else {
        return false;
    };
    let source = source.origin();
    if !source.is_tuple() {
        return false;
    }
    let scheme = if req.secure { "https" } else { "http" };
    let addressed = req
        .header("host")
        .and_then(|host| url::Url::parse(&format!("{scheme}://{host}")).ok())
        .is_some_and(|own| own.origin() == source);
    let configured = url::Url::parse(rp_origin).is_ok_and(|own| own.origin() == source);
    addressed || configured
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Method;

    fn request(secure: bool, host: &str, origin: Option<&str>, referer: Option<&str>) -> Request {
        let mut headers = vec![("host".to_string(), host.to_string())];
        if let Some(o) = origin {
            headers.push(("origin".into(), o.into()));
        }
        if let Some(r) = referer {
            headers.push(("referer".into(), r.into()));
        }
        Request {
            method: Method::Post,
            path: "/api/logout".into(),
            query: Default::default(),
            headers,
            body: Vec::new(),
            spool: None,
            client: std::net::Ipv4Addr::LOCALHOST.into(),
            secure,
        }
    }

    #[test]
    fn the_origin_must_match_scheme_host_and_port() {
        let plain = |o: &str| same_origin(&request(false, "127.0.0.1:8080", Some(o), None), "");
        assert!(plain("http://127.0.0.1:8080"));
        assert!(!plain("https://127.0.0.1:8080"), "scheme");
        assert!(!plain("http://127.0.0.1"), "port");
        assert!(!plain("http://127.0.0.1:9090"), "port");
        assert!(!plain("http://evil.example:8080"), "host");
        assert!(!plain("null"));
        let tls = |o: &str| same_origin(&request(true, "box.lan:8443", Some(o), None), "");
        assert!(tls("https://box.lan:8443"));
        assert!(
            tls("https://BOX.lan:8443"),
            "hosts compare case-insensitively"
        );
        assert!(!tls("http://box.lan:8443"), "http on the TLS server");
        // The default port is the same origin with or without it.
        let default_port = same_origin(
            &request(true, "box.lan", Some("https://box.lan:443"), None),
            "",
        );
        assert!(default_port);
    }

    #[test]
    fn the_referer_counts_when_there_is_no_origin_and_rp_origin_is_ours_too() {
        let referer = |r: &str| same_origin(&request(false, "h:80", None, Some(r)), "");
        assert!(referer("http://h/items?x=1"));
        assert!(!referer("https://h/items"));
        // Behind a proxy that rewrites Host, the configured public origin is ours.
        let proxied = request(true, "127.0.0.1:8080", Some("https://inv.example"), None);
        assert!(same_origin(&proxied, "https://inv.example"));
        assert!(!same_origin(&proxied, ""));
        // Neither header: not a browser.
        assert!(same_origin(&request(false, "h", None, None), ""));
    }
}
