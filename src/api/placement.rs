//! The create/update/delete steps stock rows and allocations share (see
//! `db::placement`): check the item and the place exist, refuse a second row
//! for the same pair, keep the item's placed units within its total, write,
//! and append a movement, all in one `BEGIN IMMEDIATE` transaction so that
//! clients placing units at once cannot together exceed the total. The public
//! handlers stay in `stock.rs` and `allocations.rs`.

use crate::api::input::{self, Whole};
use crate::db::items::{self, Item};
use crate::db::movements::{self, Change};
use crate::db::placement::{self, PlacedFilter, Placement};
use crate::db::{self, named};
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use crate::router::Ctx;
use serde::Deserialize;

/// `PUT` `{quantity, note?}`: the only thing a row lets change.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuantityChange {
    quantity: Whole,
    note: Option<String>,
}

/// `GET`: every row (filtered by `item_id` and the place's key; searchable,
/// sortable, paged) or `?id=` one.
pub fn get(ctx: &mut Ctx<'_>, kind: &'static Placement) -> AppResult<Reply> {
    if let Some(id) = ctx.req.opt_id_param("id")? {
        return Ok(Reply::ok(&placement::get(ctx.conn, kind, id)?));
    }
    let by = PlacedFilter {
        item_id: ctx.req.opt_id_param("item_id")?,
        place_id: ctx.req.opt_id_param(kind.place.key)?,
    };
    let q = input::list_query(ctx.req, kind.sorts)?;
    let page = db::read(ctx.conn, |tx| placement::list(tx, kind, &q, by))?;
    Ok(input::page_reply(&page))
}

/// A new row as the client asked for it, already validated.
pub struct NewPlacement {
    pub item_id: i64,
    pub place_id: i64,
    pub quantity: i64,
    pub note: Option<String>,
}

/// `POST`: creates the row and records the units as placed.
pub fn create(ctx: &mut Ctx<'_>, kind: &'static Placement, new: NewPlacement) -> AppResult<Reply> {
    let user = ctx.user()?.clone();
    let row = db::write(ctx.conn, |tx| {
        let item = items::get(tx, new.item_id)?;
        let place = named::name_of(tx, kind.place, new.place_id)?;
        if let Some((existing, _)) = placement::find(tx, kind, new.item_id, new.place_id)? {
            return Err(AppError::conflict(
                "duplicate",
                (kind.duplicate)(&item.name, &place, existing),
            )
            .with("existing_id", existing));
        }
        let placed = placement::placed_except(tx, kind, new.item_id, None)?;
        check_total(kind, &item, placed, new.quantity)?;
        let id = placement::insert(tx, kind, new.item_id, new.place_id, new.quantity)?;
        let change = Change {
            note: new.note.as_deref(),
            ..kind.change(new.item_id, new.place_id, new.quantity, new.quantity)
        };
        movements::record(tx, &user, &change)?;
        placement::get(tx, kind, id)
    })?;
    Ok(Reply::created(&row))
}

/// `PUT ?id=` `{quantity, note?}`: sets the row's quantity; a movement is
/// recorded only when it changes.
pub fn update(ctx: &mut Ctx<'_>, kind: &'static Placement) -> AppResult<Reply> {
    let id = ctx.req.id_param("id")?;
    let body: QuantityChange = ctx.req.json()?;
    let quantity = input::quantity("quantity", body.quantity)?;
    let note = input::note(body.note.as_deref())?;
    let user = ctx.user()?.clone();
    let row = db::write(ctx.conn, |tx| {
        let old = placement::get(tx, kind, id)?;
        let item = items::get(tx, old.item_id)?;
        let others = placement::placed_except(tx, kind, old.item_id, Some(id))?;
        check_total(kind, &item, others, quantity)?;
        placement::set_quantity(tx, kind, id, quantity)?;
        let delta = quantity - old.quantity;
        if delta != 0 {
            let change = Change {
                note: note.as_deref(),
                ..kind.change(old.item_id, old.place_id, delta, quantity)
            };
            movements::record(tx, &user, &change)?;
        }
        placement::get(tx, kind, id)
    })?;
    Ok(Reply::ok(&row))
}

/// `DELETE ?id=`: the row's units are no longer placed (recorded as a movement
/// down to 0).
pub fn delete(ctx: &mut Ctx<'_>, kind: &'static Placement) -> AppResult<Reply> {
    let id = ctx.req.id_param("id")?;
    let user = ctx.user()?.clone();
    db::write(ctx.conn, |tx| {
        let old = placement::get(tx, kind, id)?;
        placement::delete(tx, kind, id)?;
        let change = kind.change(old.item_id, old.place_id, -old.quantity, 0);
        movements::record(tx, &user, &change)?;
        Ok(())
    })?;
    Ok(input::deleted(id))
}

/// `DELETE ?id=` of a place (a location or a project): refused with 409
/// `in_use` while rows are placed there; `refusal` words it from the place's
/// name and the number of rows, which the error body carries as `rows_key`.
pub fn delete_place(
    ctx: &mut Ctx<'_>,
    kind: &'static Placement,
    rows_key: &str,
    refusal: fn(place: &str, rows: i64) -> String,
) -> AppResult<Reply> {
    let id = ctx.req.id_param("id")?;
    db::write(ctx.conn, |tx| {
        let name = named::name_of(tx, kind.place, id)?;
        let rows = placement::rows_at(tx, kind, id)?;
        if rows > 0 {
            return Err(AppError::conflict("in_use", refusal(&name, rows)).with(rows_key, rows));
        }
        named::delete(tx, kind.place, id)
    })?;
    Ok(input::deleted(id))
}

/// Refuses `requested` units when `placed` (the item's other rows) plus them
/// would exceed the item's total: "Only 3 of 10 left to allocate."
fn check_total(kind: &Placement, item: &Item, placed: i64, requested: i64) -> AppResult<()> {
    let total = item.total_quantity;
    if placed + requested <= total {
        return Ok(());
    }
    let left = total - placed;
    Err(AppError::conflict(kind.over_code, (kind.over)(left, total))
        .with("field", "quantity")
        .with("total_quantity", total)
        .with(kind.placed_key, placed)
        .with(kind.left_key, left)
        .with("requested", requested))
}
