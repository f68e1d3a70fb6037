//! The pages anyone may open: landing, login and registration.

use super::page;
use crate::ctx::Ctx;
use crate::error::AppResult;
use crate::http::Reply;
use minijinja::context;

/// `/`: a logged-in person goes straight to the dashboard; everyone else sees
/// what MiauInv is and where to sign in.
pub fn landing(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    if ctx.user().is_ok() {
        return Ok(Reply::redirect("/dashboard"));
    }
    page(ctx, "landing.html", context! {})
}

pub fn login(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    page(ctx, "login.html", context! {})
}

pub fn register(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    if ctx.app.config.allow_registration {
        page(ctx, "register.html", context! {})
    } else {
        page(ctx, "register_closed.html", context! {})
    }
}

/// `GET /assets/*`: the embedded static files.
pub fn asset(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    crate::assets::serve(ctx.req)
}
