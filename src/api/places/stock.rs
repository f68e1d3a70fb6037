//! `/api/stock`: how many units of an item lie at a location, and
//! `/api/stock/transfer` to move units between locations. Every change appends a
//! movement in the same transaction; stock over all locations never exceeds the
//! item's total.

use crate::api::places::placement::{self, NewPlacement};
use crate::ctx::Ctx;
use crate::db::movements::{self, Change, KIND_TRANSFER};
use crate::db::named::{self, LOCATIONS};
use crate::db::placement::{self as rows, Placed, STOCK};
use crate::db::{self, items};
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use crate::rules::fields::{self, Whole};
use serde::{Deserialize, Serialize};

/// `POST /api/stock`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewStock {
    #[schemars(with = "crate::rules::fields::IdNumber")]
    item_id: Whole,
    #[schemars(with = "crate::rules::fields::IdNumber")]
    location_id: Whole,
    #[schemars(with = "crate::rules::fields::Quantity")]
    quantity: Whole,
    #[schemars(length(max = crate::rules::fields::MAX_TEXT))]
    note: Option<String>,
}

/// `POST /api/stock/transfer`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Transfer {
    #[schemars(with = "crate::rules::fields::IdNumber")]
    item_id: Whole,
    #[schemars(with = "crate::rules::fields::IdNumber")]
    from_location_id: Whole,
    #[schemars(with = "crate::rules::fields::IdNumber")]
    to_location_id: Whole,
    #[schemars(with = "crate::rules::fields::Taken")]
    quantity: Whole,
    #[schemars(length(max = crate::rules::fields::MAX_TEXT))]
    note: Option<String>,
}

/// `GET /api/stock`: every stock row (filters `item_id`, `location_id`;
/// searchable, sortable, paged) or `?id=` one.
pub fn get(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    placement::get(ctx, &STOCK)
}

/// `POST /api/stock` `{item_id, location_id, quantity, note?}`: 409 `duplicate`
/// when the item already has a row at the location, 409 `over_stock` ("Only 3
/// of 10 not yet stocked.") beyond the item's total.
pub fn create(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let body: NewStock = ctx.req.json()?;
    let new = NewPlacement::parse(
        &STOCK,
        body.item_id,
        body.location_id,
        body.quantity,
        body.note.as_deref(),
    )?;
    placement::create(ctx, &STOCK, new)
}

/// `PUT /api/stock?id=` `{quantity, note?}`.
pub fn update(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    placement::update(ctx, &STOCK)
}

/// `DELETE /api/stock?id=`: the units leave stock (recorded as a movement).
pub fn delete(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    placement::delete(ctx, &STOCK)
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Transferred {
    /// The source row, or null when it was emptied and removed.
    from: Option<Placed>,
    to: Placed,
    movement_id: i64,
}

/// `POST /api/stock/transfer` `{item_id, from_location_id, to_location_id,
/// quantity, note?}`: moves units in one transaction, creating the target row if
/// needed and removing an emptied source row. The item's stocked total does not
/// change, so the stock invariant cannot break.
pub fn transfer(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let body: Transfer = ctx.req.json()?;
    let item_id = fields::id("item_id", body.item_id)?;
    let from = fields::id("from_location_id", body.from_location_id)?;
    let to = fields::id("to_location_id", body.to_location_id)?;
    let quantity = fields::quantity("quantity", body.quantity)?;
    let note = fields::note(body.note.as_deref())?;
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
        let item = items::get_active(tx, item_id)?;
        let source = named::name_of_active(tx, &LOCATIONS, from)?;
        named::name_of_active(tx, &LOCATIONS, to)?;
        let (source_id, held) = rows::find(tx, &STOCK, item_id, from)?.unwrap_or((0, 0));
        if held < quantity {
            return Err(AppError::conflict(
                "insufficient_stock",
                format!(
                    "'{}' holds only {held} of '{}'; cannot move {quantity}.",
                    source, item.name
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
        rows::set_or_remove(tx, &STOCK, source_id, left)?;
        let (target_id, after) = match rows::find(tx, &STOCK, item_id, to)? {
            Some((id, q)) => {
                rows::set_quantity(tx, &STOCK, id, q + quantity)?;
                (id, q + quantity)
            }
            None => (rows::insert(tx, &STOCK, item_id, to, quantity)?, quantity),
        };
        let change = Change {
            location_id: Some(from),
            to_location_id: Some(to),
            note: note.as_deref(),
            ..Change::new(KIND_TRANSFER, item_id, quantity, after)
        };
        let movement_id = movements::record(tx, user.actor(), &change)?;
        Ok(Transferred {
            from: if left == 0 {
                None
            } else {
                Some(rows::get(tx, &STOCK, source_id)?)
            },
            to: rows::get(tx, &STOCK, target_id)?,
            movement_id,
        })
    })?;
    Ok(Reply::ok(&moved))
}
