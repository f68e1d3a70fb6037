//! The pages anyone may open: landing, login, registration, and the pages of
//! one-time links (an invitation, a password reset, a notification email's
//! confirmation).

use super::page;
use crate::ctx::Ctx;
use crate::db::{self, email_confirmations, invites, resets, users};
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use minijinja::{Value, context};

/// `/`: a logged-in person goes straight to the dashboard; everyone else sees
/// what MiauInv is and where to sign in.
pub fn landing(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    if ctx.user().is_ok() {
        return Ok(Reply::redirect("/dashboard"));
    }
    page(ctx, "landing.html", context! {})
}

/// `/login`: the password form (unless `password_login` is off: then only
/// with `?password`, for the break-glass accounts), a button per identity
/// provider, and passkeys.
pub fn login(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let providers: Vec<Value> = ctx
        .app
        .sso
        .providers()
        .map(|p| context! { id => p.id.clone(), name => p.name.clone() })
        .collect();
    let password_form = ctx.app.config.password_login || ctx.req.query.first("password").is_some();
    page(
        ctx,
        "login.html",
        context! { providers, password_form, password_login => ctx.app.config.password_login },
    )
}

/// `/auth/oidc/callback`: where an identity provider sends the browser back,
/// cross-site. The page finishes the sign-in with its own same-origin POST
/// (`js/sso.js`), so the session cookies it gets are set and sent same-site.
/// Nothing is done here: the code and state are only handed to the page,
/// which takes them out of the address at once; the referrer is never sent.
pub fn sso_callback(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let q = |name: &str| -> String {
        ctx.req
            .query
            .first(name)
            .unwrap_or("")
            .chars()
            .take(4096)
            .collect()
    };
    let values = context! {
        state => q("state"),
        code => q("code"),
        error => q("error"),
        error_description => q("error_description"),
    };
    no_referrer(page(ctx, "sso.html", values))
}

pub fn register(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    if ctx.app.config.allow_registration {
        page(ctx, "register.html", context! {})
    } else {
        page(ctx, "register_closed.html", context! {})
    }
}

/// The `?token=` of a one-time link page ("" when absent: no link matches it).
fn token(ctx: &Ctx<'_>) -> String {
    ctx.req.param("token").unwrap_or("").to_string()
}

/// `/invite?token=`: the registration form for an invitation, open whether or
/// not registration is. A dead link says so (410), with no form.
pub fn invite(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let token = token(ctx);
    no_referrer(match db::read(ctx.conn, |tx| invites::peek(tx, &token))? {
        Some(role) => page(
            ctx,
            "register.html",
            context! { invite => context! { token, role => role.as_str() } },
        ),
        None => link_invalid(ctx),
    })
}

/// `/reset-password?token=`: the new-password form of a reset link.
pub fn reset_password(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let token = token(ctx);
    let user = db::read(ctx.conn, |tx| match resets::peek(tx, &token)? {
        Some(id) => users::by_id(tx, &id),
        None => Ok(None),
    })?;
    no_referrer(match user {
        Some(user) => page(
            ctx,
            "reset_password.html",
            context! { token, reset_username => user.username },
        ),
        _ => link_invalid(ctx),
    })
}

/// `POST /no-script`: where every form of the pages is sent when the browser
/// submits it by itself (before the page's module has attached its handler,
/// or with JavaScript off). A form without `method` would be a GET to the
/// page it is on, with the password in the address, the history, a proxy's
/// access log and later `Referer`s. This answers a plain page, changes
/// nothing and keeps nothing of the body (the access log has the path only).
pub fn no_script(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    page(ctx, "no_script.html", context! {})
}

/// A one-time link's page (invitation, reset) names no address to where it
/// leads: the token in its own address must not travel in a `Referer`.
fn no_referrer(reply: AppResult<Reply>) -> AppResult<Reply> {
    Ok(reply?.header("Referrer-Policy", "no-referrer"))
}

/// `/confirm-email?token=`: the address a confirmation link is for and a
/// Confirm button (which posts the token). Opening the link confirms
/// nothing: mail scanners open links too.
pub fn confirm_email(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let token = token(ctx);
    no_referrer(
        match db::read(ctx.conn, |tx| email_confirmations::peek(tx, &token))? {
            Some(email) => page(ctx, "confirm_email.html", context! { token, email }),
            None => link_invalid(ctx),
        },
    )
}

fn link_invalid(ctx: &Ctx<'_>) -> AppResult<Reply> {
    let mut reply = page(ctx, "link_invalid.html", context! {})?;
    reply.status = 410;
    Ok(reply)
}

/// `GET /assets/*`: the embedded static files.
pub fn asset(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    crate::assets::serve(ctx.req).ok_or_else(no_such_asset)
}

fn no_such_asset() -> AppError {
    AppError::not_found("No such asset.")
}

/// `/sw.js`: the service worker (web/assets/js/sw.js) at the root, so its
/// scope is the whole site. Revalidated on every check, so a new release's
/// worker replaces the old one.
pub fn service_worker(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let mut req = ctx.req.clone();
    req.path = "/assets/js/sw.js".into();
    req.query = Default::default();
    crate::assets::serve(&req).ok_or_else(no_such_asset)
}
