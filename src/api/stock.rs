//! `/api/stock`: how many units of an item lie at a location, and
//! `/api/stock/transfer` to move units between locations. Every change appends a
//! movement in the same transaction; stock over all locations never exceeds the
//! item's total.

use crate::api::input::{self, Body};
use crate::db::movements::{self, Change, KIND_STOCK, KIND_TRANSFER};
use crate::db::stock::{self, StockFilter, StockRow};
use crate::db::{self, items, locations};
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use crate::router::Ctx;
use serde::Serialize;

/// `GET /api/stock`: every stock row (filters `item_id`, `location_id`;
/// searchable, sortable, paged) or `?id=` one.
pub fn get(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    if let Some(id) = ctx.req.opt_id_param("id")? {
        return Ok(Reply::ok(&stock::get(ctx.conn, id)?));
    }
    let by = StockFilter {
        item_id: ctx.req.opt_id_param("item_id")?,
        location_id: ctx.req.opt_id_param("location_id")?,
    };
    let q = input::list_query(ctx.req, stock::SORTS)?;
    let (rows, total) = db::read(ctx.conn, |tx| stock::list(tx, &q, by))?;
    Ok(input::list_reply(&rows, total))
}

/// The 409 for stock beyond the item's total. `stocked` counts the item's other
/// stock rows; `requested` is the quantity wanted for this one.
fn over_stock(total: i64, stocked: i64, requested: i64) -> AppError {
    let unstocked = total - stocked;
    AppError::conflict(
        "over_stock",
        format!("Only {unstocked} of {total} not yet stocked."),
    )
    .with("field", "quantity")
    .with("total_quantity", total)
    .with("stocked_quantity", stocked)
    .with("unstocked", unstocked)
    .with("requested", requested)
}

/// `POST /api/stock` `{item_id, location_id, quantity, note?}`.
pub fn create(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let body = Body::parse(ctx.req, &["item_id", "location_id", "quantity", "note"])?;
    let item_id = body.required_id("item_id")?;
    let location_id = body.required_id("location_id")?;
    let quantity = body.required_quantity("quantity")?;
    let note = body.note()?;
    let user = ctx.user()?.clone();
    let row = db::write(ctx.conn, |tx| {
        let item = items::get(tx, item_id)?;
        let location = locations::get(tx, location_id)?;
        if let Some((existing, _)) = stock::find(tx, item_id, location_id)? {
            return Err(AppError::conflict(
                "duplicate",
                format!(
                    "'{}' is already stocked at '{}' (stock row {existing}); change that row instead.",
                    item.name, location.name
                ),
            )
            .with("existing_id", existing));
        }
        if item.stocked_quantity + quantity > item.total_quantity {
            return Err(over_stock(
                item.total_quantity,
                item.stocked_quantity,
                quantity,
            ));
        }
        let id = stock::insert(tx, item_id, location_id, quantity)?;
        let change = Change {
            location_id: Some(location_id),
            note: note.as_deref(),
            ..Change::new(KIND_STOCK, item_id, quantity, quantity)
        };
        movements::record(tx, &user, &change)?;
        stock::get(tx, id)
    })?;
    Ok(Reply::created(&row))
}

/// `PUT /api/stock?id=` `{quantity, note?}`.
pub fn update(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = ctx.req.id_param("id")?;
    let body = Body::parse(ctx.req, &["quantity", "note"])?;
    let quantity = body.required_quantity("quantity")?;
    let note = body.note()?;
    let user = ctx.user()?.clone();
    let row = db::write(ctx.conn, |tx| {
        let old = stock::get(tx, id)?;
        let item = items::get(tx, old.item_id)?;
        let others = stock::stocked_except(tx, old.item_id, id)?;
        if others + quantity > item.total_quantity {
            return Err(over_stock(item.total_quantity, others, quantity));
        }
        stock::set_quantity(tx, id, quantity)?;
        let delta = quantity - old.quantity;
        if delta != 0 {
            let change = Change {
                location_id: Some(old.location_id),
                note: note.as_deref(),
                ..Change::new(KIND_STOCK, old.item_id, delta, quantity)
            };
            movements::record(tx, &user, &change)?;
        }
        stock::get(tx, id)
    })?;
    Ok(Reply::ok(&row))
}

/// `DELETE /api/stock?id=`: the units leave stock (recorded as a movement).
pub fn delete(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = ctx.req.id_param("id")?;
    let user = ctx.user()?.clone();
    db::write(ctx.conn, |tx| {
        let old = stock::get(tx, id)?;
        stock::delete(tx, id)?;
        let change = Change {
            location_id: Some(old.location_id),
            ..Change::new(KIND_STOCK, old.item_id, -old.quantity, 0)
        };
        movements::record(tx, &user, &change)?;
        Ok(())
    })?;
    Ok(input::deleted(id))
}

#[derive(Serialize)]
struct Transferred {
    /// The source row, or null when it was emptied and removed.
    from: Option<StockRow>,
    to: StockRow,
    movement_id: i64,
}

/// `POST /api/stock/transfer` `{item_id, from_location_id, to_location_id,
/// quantity, note?}`: moves units in one transaction, creating the target row if
/// needed and removing an emptied source row. The item's stocked total does not
/// change, so the stock invariant cannot break.
pub fn transfer(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let body = Body::parse(
        ctx.req,
        &[
            "item_id",
            "from_location_id",
            "to_location_id",
            "quantity",
            "note",
        ],
    )?;
    let item_id = body.required_id("item_id")?;
    let from = body.required_id("from_location_id")?;
    let to = body.required_id("to_location_id")?;
    let quantity = body.required_quantity("quantity")?;
    let note = body.note()?;
    if quantity == 0 {
        return Err(AppError::invalid_field(
            "quantity",
            "The quantity to move must be at least 1.",
        ));
    }
    if from == to {
        return Err(AppError::invalid_field(
            "to_location_id",
            "The target location must differ from the source location.",
        ));
    }
    let user = ctx.user()?.clone();
    let moved = db::write(ctx.conn, |tx| {
        let item = items::get(tx, item_id)?;
        let source = locations::get(tx, from)?;
        locations::get(tx, to)?;
        let (source_id, held) = stock::find(tx, item_id, from)?.unwrap_or((0, 0));
        if held < quantity {
            return Err(AppError::conflict(
                "insufficient_stock",
                format!(
                    "'{}' holds only {held} of '{}'; cannot move {quantity}.",
                    source.name, item.name
                ),
            )
            .with("field", "quantity")
            .with("available", held)
            .with("requested", quantity)
            .with("location_id", from));
        }
        // Take from the source first so the item's stock sum never exceeds its
        // total, not even between the two statements (the triggers check each).
        let left = held - quantity;
        if left == 0 {
            stock::delete(tx, source_id)?;
        } else {
            stock::set_quantity(tx, source_id, left)?;
        }
        let (target_id, after) = match stock::find(tx, item_id, to)? {
            Some((id, q)) => {
                stock::set_quantity(tx, id, q + quantity)?;
                (id, q + quantity)
            }
            None => (stock::insert(tx, item_id, to, quantity)?, quantity),
        };
        let change = Change {
            location_id: Some(from),
            to_location_id: Some(to),
            note: note.as_deref(),
            ..Change::new(KIND_TRANSFER, item_id, quantity, after)
        };
        let movement_id = movements::record(tx, &user, &change)?;
        Ok(Transferred {
            from: if left == 0 {
                None
            } else {
                Some(stock::get(tx, source_id)?)
            },
            to: stock::get(tx, target_id)?,
            movement_id,
        })
    })?;
    Ok(Reply::ok(&moved))
}
