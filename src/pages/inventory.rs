//! The inventory pages: dashboard, inventory (where everything is), items,
//! locations and projects. Lists are filled and changed by each page's script
//! through the JSON API, so search, sort and paging behave the same everywhere.

use super::page;
use crate::error::AppResult;
use crate::http::Reply;
use crate::router::Ctx;
use minijinja::context;

pub fn dashboard(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    page(ctx, "dashboard.html", context! { stats => () })
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
