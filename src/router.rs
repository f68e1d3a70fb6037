//! THE routing table: (method, path) → access rule → handler. Read it top to
//! bottom to know every endpoint MiauInv has. Dispatch below applies the access
//! rule (the auth "middleware"), the same-origin check and 404/405. Layer:
//! router; only the request adapter (`http/adapter.rs`) calls it.

use crate::api;
use crate::api::accounts::session_reply;
use crate::api::contract::RouteInfo;
use crate::app::App;
use crate::ctx::{self, Access, Auth, Ctx};
use crate::error::{AppError, AppResult};
use crate::http::{MAX_BODY, Method, Reply, Request};
use crate::pages;
use rusqlite::Connection;
use std::sync::OnceLock;

use Access::*;
use Method::{Delete, Get, Post, Put};

pub type Handler = fn(&mut Ctx<'_>) -> AppResult<Reply>;

pub struct Route {
    pub method: Method,
    /// Exact path, or a prefix ending in `*`.
    pub path: &'static str,
    pub access: Access,
    pub handler: Handler,
    /// The route exists only when this returns true (e.g. registration open).
    pub only_if: fn(&App) -> bool,
    /// The largest request body this route takes (413 above it): 1 MiB, except
    /// the upload routes. The front reads it from the request head, before the
    /// body arrives (`body_limit`).
    pub max_body: usize,
    /// A POST that changes nothing and keeps nothing may come from any page,
    /// even one that sends no origin (`/no-script`, reached from a one-time
    /// link's page, whose `no-referrer` policy makes the origin `null`).
    /// Every other write must come from our own origin.
    pub changes_nothing: bool,
}

const fn r(method: Method, path: &'static str, access: Access, handler: Handler) -> Route {
    Route {
        method,
        path,
        access,
        handler,
        only_if: always,
        max_body: MAX_BODY,
        changes_nothing: false,
    }
}

// The upload limits live with the request bodies (http::body), where the
// pages that name them to the person can read them too.
pub use crate::http::body::{MAX_ATTACHMENT, MAX_IMPORT, MAX_PHOTO};
fn always(_: &App) -> bool {
    true
}
fn registration_open(app: &App) -> bool {
    app.config.allow_registration
}

#[rustfmt::skip]
pub static ROUTES: &[Route] = &[
    // ── health ──────────────────────────────────────────────────────────────────────────
    r(Get,    "/healthz",                            Public,  api::admin::health::get),
    // ── accounts ────────────────────────────────────────────────────────────────────────
    Route { only_if: registration_open, ..r(Post, "/api/register", Public, api::accounts::account::register) },
    r(Post,   "/api/login",                          Public,  api::accounts::account::login),
    r(Post,   "/api/refresh",                        Public,  api::accounts::account::refresh),
    r(Post,   "/api/logout",                         Account, api::accounts::account::logout),
    r(Get,    "/api/profile",                        Account, api::accounts::account::profile),
    r(Get,    "/api/userinfo",                       Account, api::accounts::account::profile),
    r(Post,   "/api/account/username",               Account, api::accounts::account::change_username),
    r(Post,   "/api/account/password",               Account, api::accounts::account::change_password),
    r(Post,   "/api/account/notification-email",     Account, api::accounts::notification_email::set),
    r(Post,   "/api/account/notification-email/resend", Account, api::accounts::notification_email::resend),
    r(Post,   "/api/account/notification-email/confirm", Public, api::accounts::notification_email::confirm),
    // ── two-factor authentication ───────────────────────────────────────────────────────
    r(Post,   "/api/login/2fa",                      Public,  api::accounts::two_factor::login),
    r(Post,   "/api/2fa/setup",                      Account, api::accounts::two_factor::setup),
    r(Post,   "/api/2fa/enable",                     Account, api::accounts::two_factor::enable),
    r(Post,   "/api/2fa/disable",                    Account, api::accounts::two_factor::disable),
    r(Post,   "/api/2fa/recovery-codes/regenerate",  Account, api::accounts::two_factor::regenerate_recovery_codes),
    // ── passkeys ────────────────────────────────────────────────────────────────────────
    r(Get,    "/api/passkeys",                       Account, api::accounts::passkeys::list),
    r(Delete, "/api/passkeys",                       Account, api::accounts::passkeys::remove),
    r(Post,   "/api/passkeys/register/options",      Account, api::accounts::passkeys::register_options),
    r(Post,   "/api/passkeys/register/finish",       Account, api::accounts::passkeys::register_finish),
    r(Post,   "/api/passkeys/disable",               Account, api::accounts::passkeys::disable),
    r(Post,   "/api/passkeys/login/options",         Public,  api::accounts::passkeys::login_options),
    r(Post,   "/api/passkeys/login/finish",          Public,  api::accounts::passkeys::login_finish),
    // ── sign-in with an identity provider (OpenID Connect) ──────────────────────────────
    r(Post,   "/api/sso/start",                      Public,  api::accounts::sso::start),
    r(Post,   "/api/sso/finish",                     Public,  api::accounts::sso::finish),
    r(Post,   "/api/sso/link",                       Account, api::accounts::sso::link),
    r(Get,    "/api/sso/identities",                 Account, api::accounts::sso::identities),
    r(Delete, "/api/sso/identities",                 Account, api::accounts::sso::unlink),
    // ── sessions (devices) and the security log ─────────────────────────────────────────
    r(Get,    "/api/sessions",                       Account, api::accounts::sessions::list),
    r(Delete, "/api/sessions",                       Account, api::accounts::sessions::end),
    r(Post,   "/api/sessions/revoke-others",         Account, api::accounts::sessions::revoke_others),
    r(Get,    "/api/security-events",                Account, api::accounts::security_events::list),
    // ── personal API tokens, invitations and reset links ────────────────────────────────
    r(Get,    "/api/tokens",                         Account, api::accounts::tokens::list),
    r(Post,   "/api/tokens",                         Account, api::accounts::tokens::create),
    r(Delete, "/api/tokens",                         Account, api::accounts::tokens::revoke),
    r(Post,   "/api/invites/accept",                 Public,  api::accounts::onboarding::accept_invite),
    r(Post,   "/api/password-reset",                 Public,  api::accounts::onboarding::reset_password),
    // ── administration ──────────────────────────────────────────────────────────────────
    r(Get,    "/api/admin/users",                    Admin,   api::admin::users::list_users),
    r(Put,    "/api/admin/users",                    Admin,   api::admin::users::update_user),
    r(Delete, "/api/admin/users",                    Admin,   api::admin::users::delete_user),
    r(Post,   "/api/admin/users/end-sessions",       Admin,   api::admin::users::end_sessions),
    r(Post,   "/api/admin/users/reset-link",         Admin,   api::admin::users::reset_link),
    r(Get,    "/api/admin/invites",                  Admin,   api::admin::invites::list_invites),
    r(Post,   "/api/admin/invites",                  Admin,   api::admin::invites::create_invite),
    r(Delete, "/api/admin/invites",                  Admin,   api::admin::invites::revoke_invite),
    r(Get,    "/api/admin/status",                   Admin,   api::admin::status::get),
    r(Get,    "/api/admin/notifications",            Admin,   api::alerts::notifications::list),
    r(Post,   "/api/admin/notifications",            Admin,   api::alerts::notifications::create),
    r(Put,    "/api/admin/notifications",            Admin,   api::alerts::notifications::update),
    r(Delete, "/api/admin/notifications",            Admin,   api::alerts::notifications::delete),
    r(Post,   "/api/admin/notifications/test",       Admin,   api::alerts::notifications::test),
    r(Get,    "/api/admin/backup",                   Admin,   api::data::backup::download),
    // ── inventory ───────────────────────────────────────────────────────────────────────
    r(Get,    "/api/item",                           Viewer,  api::inventory::items::get),
    r(Post,   "/api/item",                           Editor,  api::inventory::items::create),
    r(Put,    "/api/item",                           Editor,  api::inventory::items::update),
    r(Delete, "/api/item",                           Editor,  api::inventory::items::delete),
    r(Post,   "/api/item/restore",                   Editor,  api::inventory::items::restore),
    r(Get,    "/api/item/history",                   Viewer,  api::inventory::items::history),
    r(Get,    "/api/item/photo",                     Viewer,  api::media::photos::get),
    Route { max_body: MAX_PHOTO, ..r(Post, "/api/item/photo", Editor, api::media::photos::upload) },
    r(Put,    "/api/item/photo",                     Editor,  api::media::photos::update),
    r(Delete, "/api/item/photo",                     Editor,  api::media::photos::delete),
    r(Get,    "/api/item/attachment",                Viewer,  api::media::attachments::get),
    Route { max_body: MAX_ATTACHMENT, ..r(Post, "/api/item/attachment", Editor, api::media::attachments::upload) },
    r(Delete, "/api/item/attachment",                Editor,  api::media::attachments::delete),
    r(Get,    "/api/tags",                           Viewer,  api::inventory::tags::get),
    r(Put,    "/api/tags",                           Editor,  api::inventory::tags::rename),
    r(Get,    "/api/movements",                      Viewer,  api::inventory::items::recent_movements),
    r(Post,   "/api/movements/undo",                 Editor,  api::inventory::undo::undo),
    r(Get,    "/api/location",                       Viewer,  api::places::locations::get),
    r(Post,   "/api/location",                       Editor,  api::places::locations::create),
    r(Put,    "/api/location",                       Editor,  api::places::locations::update),
    r(Delete, "/api/location",                       Editor,  api::places::locations::delete),
    r(Post,   "/api/location/restore",               Editor,  api::places::locations::restore),
    r(Get,    "/api/project",                        Viewer,  api::places::projects::get),
    r(Post,   "/api/project",                        Editor,  api::places::projects::create),
    r(Put,    "/api/project",                        Editor,  api::places::projects::update),
    r(Delete, "/api/project",                        Editor,  api::places::projects::delete),
    r(Post,   "/api/project/restore",                Editor,  api::places::projects::restore),
    r(Get,    "/api/stock",                          Viewer,  api::places::stock::get),
    r(Post,   "/api/stock",                          Editor,  api::places::stock::create),
    r(Put,    "/api/stock",                          Editor,  api::places::stock::update),
    r(Delete, "/api/stock",                          Editor,  api::places::stock::delete),
    r(Post,   "/api/stock/transfer",                 Editor,  api::places::stock::transfer),
    r(Post,   "/api/stock/consume",                  Editor,  api::places::quick::consume),
    r(Post,   "/api/stock/count",                    Editor,  api::places::quick::count),
    r(Get,    "/api/stocktakes",                     Viewer,  api::places::stocktakes::get),
    r(Post,   "/api/stocktakes",                     Editor,  api::places::stocktakes::create),
    r(Get,    "/api/association",                    Viewer,  api::places::allocations::get),
    r(Post,   "/api/association",                    Editor,  api::places::allocations::create),
    r(Put,    "/api/association",                    Editor,  api::places::allocations::update),
    r(Delete, "/api/association",                    Editor,  api::places::allocations::delete),
    r(Get,    "/api/stats",                          Viewer,  api::inventory::stats::get),
    r(Get,    "/api/reorder",                        Viewer,  api::alerts::reorder::get),
    r(Get,    "/api/reorder.csv",                    Viewer,  api::alerts::reorder::csv),
    r(Get,    "/api/label.svg",                      Viewer,  api::inventory::labels::svg),
    r(Get,    "/api/search",                         Viewer,  api::inventory::search::get),
    // ── the API document ────────────────────────────────────────────────────────────────
    r(Get,    "/api/openapi.json",                   Public,  openapi),
    r(Get,    "/api/export",                         Viewer,  api::data::export::get),
    Route { max_body: MAX_IMPORT, ..r(Post, "/api/import", Editor, api::data::import::post) },
    // ── pages ───────────────────────────────────────────────────────────────────────────
    r(Get,    "/",                                   Public,  pages::landing),
    r(Get,    "/login",                              Public,  pages::login),
    r(Get,    "/register",                           Public,  pages::register),
    r(Get,    "/invite",                             Public,  pages::invite),
    r(Get,    "/reset-password",                     Public,  pages::reset_password),
    Route { changes_nothing: true, ..r(Post, "/no-script", Public, pages::no_script) },
    r(Get,    "/confirm-email",                      Public,  pages::confirm_email),
    r(Get,    "/auth/oidc/callback",                 Public,  pages::sso_callback),
    r(Get,    "/api/docs",                           Public,  pages::api_docs),
    r(Get,    "/dashboard",                          Viewer,  pages::dashboard),
    r(Get,    "/inventory",                          Viewer,  pages::inventory),
    r(Get,    "/items",                              Viewer,  pages::items),
    r(Get,    "/locations",                          Viewer,  pages::locations),
    r(Get,    "/projects",                           Viewer,  pages::projects),
    r(Get,    "/labels",                             Viewer,  pages::labels),
    r(Get,    "/stocktake",                          Viewer,  pages::stocktake),
    r(Get,    "/l/*",                                Viewer,  pages::short_link),
    r(Get,    "/import",                             Editor,  pages::import),
    r(Get,    "/profile/",                           Account, pages::profile),
    r(Get,    "/profile/settings",                   Account, pages::settings),
    r(Get,    "/admin",                              Admin,   pages::admin),
    r(Get,    "/admin/notifications",                Admin,   pages::admin_notifications),
    r(Get,    "/assets/*",                           Public,  pages::asset),
    r(Get,    "/sw.js",                              Public,  pages::service_worker),
];

/// `GET /api/openapi.json`: the OpenAPI document of the routes this server
/// has. Built once: neither the table nor the types change while it runs.
fn openapi(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    static DOCUMENT: OnceLock<Result<Vec<u8>, String>> = OnceLock::new();
    let body = DOCUMENT.get_or_init(|| {
        let routes: Vec<RouteInfo> = ROUTES
            .iter()
            .filter(|r| api::contract::is_documented_path(r.path) && (r.only_if)(ctx.app))
            .map(|r| RouteInfo {
                method: r.method,
                path: r.path,
                access: r.access,
            })
            .collect();
        api::contract::document(&routes, env!("CARGO_PKG_VERSION"))
            .map(|doc| serde_json::to_vec(&doc).expect("a JSON value serialises"))
    });
    match body {
        Ok(body) => Ok(Reply::new(200, "application/json", body.clone())),
        Err(why) => Err(AppError::internal(why)),
    }
}

fn path_matches(pattern: &str, path: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => path.starts_with(prefix),
        None => pattern == path,
    }
}

/// The largest body a request for `method` and `path` (no query) may carry:
/// the route's own limit, or the default for any other address, where the
/// request is refused anyway. Asked by the front and the request adapter
/// before they read a body.
pub fn body_limit(method: &str, path: &str) -> usize {
    let method = Method::parse(method);
    ROUTES
        .iter()
        .find(|r| r.method == method && path_matches(r.path, path))
        .map_or(MAX_BODY, |r| r.max_body)
}

/// Routes a request to its handler and returns the handler's reply or error.
pub fn dispatch(app: &App, conn: &mut Connection, req: &Request) -> AppResult<Reply> {
    let candidates: Vec<&Route> = ROUTES
        .iter()
        .filter(|r| path_matches(r.path, &req.path) && (r.only_if)(app))
        .collect();
    if candidates.is_empty() {
        return Err(api::words::nothing_here());
    }
    // HEAD is answered by the GET handler; the server drops the body.
    let wanted = if req.method == Method::Head {
        Get
    } else {
        req.method
    };
    let Some(route) = candidates.iter().find(|r| r.method == wanted) else {
        let mut allow: Vec<&str> = candidates.iter().map(|r| r.method.as_str()).collect();
        if allow.contains(&"GET") {
            allow.push("HEAD");
        }
        allow.dedup();
        return Err(api::words::method_not_allowed(allow.join(", ")));
    };

    if let Some(name) = api::contract::unknown_param(route.method, route.path, req.query.names()) {
        return Err(api::words::unknown_param(name));
    }
    let auth = ctx::authenticate(app, conn, req)?;
    let bad_token = matches!(auth, Auth::Invalid);
    let (user, bearer, token) = match auth {
        Auth::User {
            user,
            bearer,
            token,
        } => (Some(user), bearer, token),
        Auth::None | Auth::Invalid => (None, false, None),
    };
    let writes = !matches!(req.method, Method::Get | Method::Head);
    let guarded = writes && !route.changes_nothing;
    if guarded && !bearer && !ctx::same_origin(req, &app.config.rp_origin) {
        return Err(api::words::cross_origin());
    }
    if route.access != Public {
        match &user {
            None if req.is_api() => return Err(api::words::not_signed_in()),
            None => {
                // `next` brings the person back here after logging in (or after the
                // login page renewed an expired access token with the refresh cookie).
                let reply = Reply::redirect(&crate::http::login_location(&req.path));
                return Ok(if bad_token {
                    session_reply::clear_session(reply, req)
                } else {
                    reply
                });
            }
            // The one role check: the route's access column against the
            // caller's role and, for a personal API token, its scope.
            Some(u) => route.access.admits(u, token, writes)?,
        }
    }
    let mut ctx = Ctx {
        app,
        conn,
        req,
        user,
    };
    (route.handler)(&mut ctx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::contract;

    /// The front refuses an upload that carries no credentials from its head
    /// (`front::framing`), which is right only while every route taking more
    /// than the default body needs an account.
    #[test]
    fn every_route_with_a_large_body_needs_an_account() {
        for r in ROUTES.iter().filter(|r| r.max_body > MAX_BODY) {
            assert!(
                r.access != Public && r.path.starts_with("/api/"),
                "{} {} takes large bodies",
                r.method.as_str(),
                r.path
            );
        }
    }

    /// Every API route has its operation in the document, and every
    /// operation of the document is a route: the document cannot drift from
    /// the table.
    #[test]
    fn the_api_document_covers_every_route_and_nothing_else() {
        let api_routes: Vec<&Route> = ROUTES
            .iter()
            .filter(|r| contract::is_documented_path(r.path))
            .collect();
        let missing: Vec<String> = api_routes
            .iter()
            .filter(|r| contract::operation(r.method, r.path).is_none())
            .map(|r| format!("{} {}", r.method.as_str(), r.path))
            .collect();
        assert!(
            missing.is_empty(),
            "routes with no operation in the API document: {missing:#?}"
        );
        let extra: Vec<String> = contract::operations()
            .filter(|o| {
                !api_routes
                    .iter()
                    .any(|r| r.method == o.method && r.path == o.path)
            })
            .map(|o| format!("{} {}", o.method.as_str(), o.path))
            .collect();
        assert!(
            extra.is_empty(),
            "operations that no route serves: {extra:#?}"
        );
        let mut seen = std::collections::HashSet::new();
        for o in contract::operations() {
            assert!(
                seen.insert((o.method.as_str(), o.path)),
                "{} {} is documented twice",
                o.method.as_str(),
                o.path
            );
        }
        // The whole document, as served: every route in it, under its method.
        let routes: Vec<RouteInfo> = api_routes
            .iter()
            .map(|r| RouteInfo {
                method: r.method,
                path: r.path,
                access: r.access,
            })
            .collect();
        let doc = contract::document(&routes, "test").expect("one schema per type name");
        for r in &routes {
            let method = r.method.as_str().to_ascii_lowercase();
            assert!(
                doc["paths"][r.path][&method].is_object(),
                "{method} {} is not in the document",
                r.path
            );
        }
    }
}
