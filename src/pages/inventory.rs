//! The inventory pages: dashboard, inventory (one page of items at a time, and
//! one item's own page at `/inventory?item=N`), items, locations and projects
//! (each list, and one location's or project's own page at `?id=N`). Lists and
//! contents are filled and paged by each page's script through the JSON API, so
//! search, sort and paging behave the same everywhere; the handlers here render
//! only the frame and the name of the one thing a page is about (404 when it
//! does not exist).

use super::page;
use crate::ctx::Ctx;
use crate::db::{self, locations::Location, places, projects::Project};
use crate::error::AppResult;
use crate::http::Reply;
use crate::http::body::{MAX_ATTACHMENT, MAX_IMPORT, MAX_PHOTO};
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

/// `/inventory`: the paged item list; `/inventory?item=N`: that item's page.
pub fn inventory(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    match ctx.req.opt_id_param("item")? {
        None => page(ctx, "inventory.html", context! {}),
        Some(id) => {
            let item = db::read(ctx.conn, |tx| db::items::get(tx, id))?;
            let item = Value::from(minijinja::value::Serde(&item));
            // The upload limits, so the page checks a file before sending it.
            let (max_photo, max_attachment) = (MAX_PHOTO, MAX_ATTACHMENT);
            page(
                ctx,
                "item.html",
                context! { item, max_photo, max_attachment },
            )
        }
    }
}

pub fn items(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    page(ctx, "items.html", context! {})
}

/// `/import`: upload or paste a file, see the dry run, confirm. The page is
/// told the size limit, to check a file before sending it.
pub fn import(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    page(ctx, "import.html", context! { max_import => MAX_IMPORT })
}

/// `/locations`: the tree; `/locations?id=N`: one location, the way to it
/// (breadcrumbs), what is inside it and its contents.
pub fn locations(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    match ctx.req.opt_id_param("id")? {
        None => page(ctx, "locations.html", context! {}),
        Some(id) => {
            let (place, ancestors) = db::read(ctx.conn, |tx| {
                Ok((
                    places::get::<Location>(tx, id)?,
                    db::tree::ancestors(tx, id)?,
                ))
            })?;
            let place = Value::from(minijinja::value::Serde(&place));
            let ancestors = Value::from(minijinja::value::Serde(&ancestors));
            page(
                ctx,
                "place.html",
                context! { place, ancestors, kind => "location" },
            )
        }
    }
}

/// `/projects`: the list; `/projects?id=N`: one project and its allocations.
pub fn projects(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    match ctx.req.opt_id_param("id")? {
        None => page(ctx, "projects.html", context! {}),
        Some(id) => {
            let place = db::read(ctx.conn, |tx| places::get::<Project>(tx, id))?;
            let place = Value::from(minijinja::value::Serde(&place));
            page(ctx, "place.html", context! { place, kind => "project" })
        }
    }
}
