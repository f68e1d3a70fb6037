//! The account pages: `/profile/` (overview) and `/profile/settings`.

use super::page;
use crate::ctx::Ctx;
use crate::db::{self, profile};
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use minijinja::{Value, context};

fn profile_value(ctx: &mut Ctx<'_>) -> AppResult<Value> {
    let user_id = ctx.user()?.id.clone();
    let profile = db::read(ctx.conn, |tx| profile::load(tx, &user_id))?
        .ok_or_else(|| AppError::not_found("This account no longer exists."))?;
    Ok(Value::from(minijinja::value::Serde(&profile)))
}

pub fn profile(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let profile = profile_value(ctx)?;
    page(ctx, "profile.html", context! { profile })
}

pub fn settings(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let profile = profile_value(ctx)?;
    let sso_providers = !ctx.app.sso.is_empty();
    page(ctx, "settings.html", context! { profile, sso_providers })
}
