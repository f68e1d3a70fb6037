//! `/api/location`: storage places; `?content=true` adds what each one holds.

use crate::api::fields;
use crate::api::placement;
use crate::ctx::Ctx;
use crate::db::locations::{self, Location};
use crate::db::named::{self, LOCATIONS};
use crate::db::placement::STOCK;
use crate::error::AppResult;
use crate::http::Reply;
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
    placement::get_place::<Location>(ctx, "content")
}

/// `POST /api/location` `{name}`.
pub fn create(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let body: LocationBody = ctx.req.json()?;
    let name = fields::name("name", &body.name)?;
    let location: Location = crate::db::write(ctx.conn, |tx| {
        named::ensure_name_free(tx, &LOCATIONS, &name, None)?;
        let id = locations::insert(tx, &name)?;
        named::get(tx, id)
    })?;
    Ok(Reply::created(&location))
}

/// `PUT /api/location?id=` `{name}`.
pub fn update(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = ctx.req.id_param("id")?;
    let body: LocationBody = ctx.req.json()?;
    let name = fields::name("name", &body.name)?;
    let location: Location = crate::db::write(ctx.conn, |tx| {
        named::name_of_active(tx, &LOCATIONS, id)?;
        named::ensure_name_free(tx, &LOCATIONS, &name, Some(id))?;
        locations::rename(tx, id, &name)?;
        named::get(tx, id)
    })?;
    Ok(Reply::ok(&location))
}

/// `DELETE /api/location?id=`: only a location without stock rows; one with
/// history is archived.
pub fn delete(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    placement::delete_place(ctx, &STOCK)
}

/// `POST /api/location/restore?id=`.
pub fn restore(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    placement::restore_place::<Location>(ctx)
}
