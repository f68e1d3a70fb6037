//! `/api/location`: storage places; `?content=true` adds what each one holds.

use crate::api::input;
use crate::api::items::plural;
use crate::api::placement;
use crate::db::named::{self, LOCATIONS};
use crate::db::placement::{self as rows, STOCK};
use crate::db::{self, locations};
use crate::error::AppResult;
use crate::http::Reply;
use crate::router::Ctx;
use serde::Deserialize;

/// `POST` and `PUT /api/location`: a location has nothing but its name.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LocationBody {
    name: String,
}

/// `GET /api/location`: every location (searchable, sortable, paged) or `?id=`
/// one; `?content=true` adds `items`.
pub fn get(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let content = ctx.req.flag("content");
    if let Some(id) = ctx.req.opt_id_param("id")? {
        let location = db::read(ctx.conn, |tx| {
            let mut l = locations::get(tx, id)?;
            if content {
                l.items = Some(rows::held_at(tx, &STOCK, id)?);
            }
            Ok(l)
        })?;
        return Ok(Reply::ok(&location));
    }
    let q = input::list_query(ctx.req, locations::SORTS)?;
    let page = db::read(ctx.conn, |tx| {
        let mut page = locations::list(tx, &q)?;
        if content {
            for l in &mut page.rows {
                l.items = Some(rows::held_at(tx, &STOCK, l.id)?);
            }
        }
        Ok(page)
    })?;
    Ok(input::page_reply(&page))
}

/// `POST /api/location` `{name}`.
pub fn create(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let body: LocationBody = ctx.req.json()?;
    let name = input::name("name", &body.name)?;
    let location = db::write(ctx.conn, |tx| {
        named::ensure_name_free(tx, &LOCATIONS, &name, None)?;
        let id = locations::insert(tx, &name)?;
        locations::get(tx, id)
    })?;
    Ok(Reply::created(&location))
}

/// `PUT /api/location?id=` `{name}`.
pub fn update(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = ctx.req.id_param("id")?;
    let body: LocationBody = ctx.req.json()?;
    let name = input::name("name", &body.name)?;
    let location = db::write(ctx.conn, |tx| {
        locations::get(tx, id)?;
        named::ensure_name_free(tx, &LOCATIONS, &name, Some(id))?;
        locations::rename(tx, id, &name)?;
        locations::get(tx, id)
    })?;
    Ok(Reply::ok(&location))
}

/// `DELETE /api/location?id=`: only a location without stock rows.
pub fn delete(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    placement::delete_place(ctx, &STOCK, "stock_rows", |location, rows| {
        format!(
            "Location '{location}' cannot be deleted: it holds {}. Move or remove them first.",
            plural(rows, "stock row", "stock rows")
        )
    })
}
