//! The account pages: `/profile/` (overview) and `/profile/settings`.

use super::page;
use crate::api::account::load_profile;
use crate::db;
use crate::error::AppResult;
use crate::http::Reply;
use crate::router::Ctx;
use minijinja::{Value, context};

fn profile_value(ctx: &mut Ctx<'_>) -> AppResult<Value> {
    let user_id = ctx.user()?.id.clone();
    let profile = db::read(ctx.conn, |tx| load_profile(tx, &user_id))?;
    Ok(Value::from(minijinja::value::Serde(&profile)))
}

pub fn profile(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let profile = profile_value(ctx)?;
    page(ctx, "profile.html", context! { profile })
}

pub fn settings(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let profile = profile_value(ctx)?;
    page(ctx, "settings.html", context! { profile })
}
