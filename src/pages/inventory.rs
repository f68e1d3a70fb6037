//! The inventory pages: dashboard, inventory (where everything is), items,
//! locations and projects. Lists are filled and changed by each page's script
//! through the JSON API, so search, sort and paging behave the same everywhere.

use super::page;
use crate::ctx::Ctx;
use crate::db;
use crate::error::AppResult;
use crate::http::Reply;
use minijinja::{Value, context};

/// The dashboard arrives with its numbers already in place; its script keeps
/// them current afterwards.
pub fn dashboard(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let stats = db::read(ctx.conn, |tx| db::stats::load(tx))?;
    page(
        ctx,
        "dashboard.html",
        context! { stats => Value::from(minijinja::value::Serde(&stats)) },
    )
}

pub fn inventory(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    page(ctx, "inventory.html", context! {})
}

pub fn items(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    page(ctx, "items.html", context! {})
}

pub fn locations(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    page(ctx, "locations.html", context! {})
}

pub fn projects(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    page(ctx, "projects.html", context! {})
}
