//! The quick actions at the shelf: `POST /api/stock/consume` (units used up:
//! they leave a location and the item's total together, and a project's
//! allocation when they were taken for it) and `POST /api/stock/count` (a
//! location counted: its stock row becomes the count, and the total follows
//! the difference, since units found or lost exist or do not). Each is one
//! transaction with one movement (`consume` or `count`). The invariants hold
//! before and after: stock over all locations and allocations over all
//! projects never exceed the total; refusals are 409s with the numbers.
//! [`count_at`] is shared with stocktakes, which apply many counts at once.

use crate::ctx::Ctx;
use crate::db::items::{self, Item};
use crate::db::movements::{self, Actor, Change, KIND_CONSUME, KIND_COUNT};
use crate::db::named::{self, LOCATIONS, PROJECTS};
use crate::db::placement::{self as rows, ALLOCATIONS, STOCK};
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use crate::rules::fields::{self, Whole};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

/// `POST /api/stock/consume`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Consume {
    #[schemars(with = "crate::rules::fields::IdNumber")]
    item_id: Whole,
    #[schemars(with = "crate::rules::fields::IdNumber")]
    location_id: Whole,
    #[schemars(with = "crate::rules::fields::Taken")]
    quantity: Whole,
    #[schemars(with = "Option<crate::rules::fields::IdNumber>")]
    project_id: Option<Whole>,
    #[schemars(length(max = crate::rules::fields::MAX_TEXT))]
    note: Option<String>,
}

/// `POST /api/stock/count`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Count {
    #[schemars(with = "crate::rules::fields::IdNumber")]
    item_id: Whole,
    #[schemars(with = "crate::rules::fields::IdNumber")]
    location_id: Whole,
    #[schemars(with = "crate::rules::fields::Quantity")]
    counted: Whole,
    #[schemars(length(max = crate::rules::fields::MAX_TEXT))]
    note: Option<String>,
}

/// The answer of a quick action: the item's new figures, what the location
/// now holds, and the movement that records it.
#[derive(Serialize, schemars::JsonSchema)]
pub struct Done {
    pub item: Item,
    pub location_id: i64,
    /// Units of the item at the location afterwards.
    pub quantity: i64,
    /// Units added (positive) or removed (negative) at the location.
    pub difference: i64,
    /// The movement written; null for a count that found no difference
    /// inside a stocktake (a stocktake records only differences).
    pub movement_id: Option<i64>,
}

/// `POST /api/stock/consume` `{item_id, location_id, quantity, project_id?,
/// note?}`: 409 `insufficient_stock` when the location holds fewer, 409
/// `not_allocated` when the project has none of the item, 409
/// `allocations_exceed_total` when the allocations left would exceed the
/// lower total.
pub fn consume(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let body: Consume = ctx.req.json()?;
    let item_id = fields::id("item_id", body.item_id)?;
    let location_id = fields::id("location_id", body.location_id)?;
    let quantity = fields::quantity("quantity", body.quantity)?;
    let project_id = body
        .project_id
        .map(|p| fields::id("project_id", p))
        .transpose()?;
    let note = fields::note(body.note.as_deref())?;
    if quantity == 0 {
        return Err(AppError::invalid_field(
            "quantity",
            "The quantity to take must be at least 1.",
        ));
    }
    let user = ctx.user()?.clone();
    let done = crate::db::write(ctx.conn, |tx| {
        let item = items::get_active(tx, item_id)?;
        let location = named::name_of_active(tx, &LOCATIONS, location_id)?;
        let (row, held) = rows::find(tx, &STOCK, item_id, location_id)?.unwrap_or((0, 0));
        if held < quantity {
            return Err(AppError::conflict(
                "insufficient_stock",
                format!(
                    "'{location}' holds only {held} of '{}'; cannot take {quantity}.",
                    item.name
                ),
            )
            .with("field", "quantity")
            .with("available", held)
            .with("requested", quantity)
            .with("location_id", location_id));
        }
        // Taken for a project: its allocation shrinks by what it had of them.
        let released = match project_id {
            None => None,
            Some(p) => {
                let project = named::name_of_active(tx, &PROJECTS, p)?;
                let Some((alloc, allocated)) = rows::find(tx, &ALLOCATIONS, item_id, p)? else {
                    return Err(AppError::conflict(
                        "not_allocated",
                        format!("'{}' is not allocated to '{project}'.", item.name),
                    )
                    .with("field", "project_id")
                    .with("project_id", p));
                };
                Some((alloc, allocated, allocated.min(quantity)))
            }
        };
        let total = item.total_quantity - quantity;
        let allocated = item.allocated_quantity - released.map_or(0, |(_, _, r)| r);
        if allocated > total {
            return Err(AppError::conflict(
                "allocations_exceed_total",
                format!(
                    "Taking {quantity} would leave {total} of '{}', but {allocated} are allocated to projects. Take them for a project or release allocations first.",
                    item.name
                ),
            )
            .with("field", "quantity")
            .with("total_quantity", item.total_quantity)
            .with("allocated_quantity", item.allocated_quantity)
            .with("requested", quantity));
        }
        // Lower stock and allocation before the total, so the total covers
        // them after every statement (the triggers check each one).
        let left = held - quantity;
        rows::set_or_remove(tx, &STOCK, row, left)?;
        if let Some((alloc, had, released)) = released {
            rows::set_or_remove(tx, &ALLOCATIONS, alloc, had - released)?;
        }
        items::set_total(tx, item_id, total)?;
        let change = Change {
            location_id: Some(location_id),
            project_id,
            note: note.as_deref(),
            // What undo needs to give the allocation back exactly.
            allocation_released: Some(released.map_or(0, |(_, _, r)| r)),
            ..Change::new(KIND_CONSUME, item_id, -quantity, left)
        };
        let movement_id = movements::record(tx, user.actor(), &change)?;
        Ok(Done {
            item: items::get(tx, item_id)?,
            location_id,
            quantity: left,
            difference: -quantity,
            movement_id: Some(movement_id),
        })
    })?;
    Ok(Reply::ok(&done))
}

/// `POST /api/stock/count` `{item_id, location_id, counted, note?}`: the
/// location holds `counted` afterwards and the total moved by the same
/// difference; 409 `allocations_exceed_total` when fewer units in all would
/// be left than are allocated. A count that matches is recorded too (delta 0):
/// that the shelf was checked is history.
pub fn count(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let body: Count = ctx.req.json()?;
    let counted = Counted {
        item_id: fields::id("item_id", body.item_id)?,
        location_id: fields::id("location_id", body.location_id)?,
        counted: fields::quantity("counted", body.counted)?,
    };
    let note = fields::note(body.note.as_deref())?;
    let user = ctx.user()?.clone();
    let done = crate::db::write(ctx.conn, |tx| {
        count_at(tx, user.actor(), &counted, note.as_deref(), None)
    })?;
    Ok(Reply::ok(&done))
}

/// One count: how many units of an item are at a location.
#[derive(Debug, Clone, Copy)]
pub struct Counted {
    pub item_id: i64,
    pub location_id: i64,
    pub counted: i64,
}

/// Applies one count inside the caller's write transaction. Inside a
/// stocktake (`stocktake_id`) a count without difference writes nothing.
pub fn count_at(
    tx: &Connection,
    actor: Actor<'_>,
    c: &Counted,
    note: Option<&str>,
    stocktake_id: Option<i64>,
) -> AppResult<Done> {
    let item = items::get_active(tx, c.item_id)?;
    let location = named::name_of_active(tx, &LOCATIONS, c.location_id)?;
    let (row, held) = rows::find(tx, &STOCK, c.item_id, c.location_id)?.unwrap_or((0, 0));
    let difference = c.counted - held;
    let total = item.total_quantity + difference;
    if total > fields::MAX_QUANTITY {
        return Err(AppError::conflict(
            "total_too_large",
            format!(
                "Counting {} of '{}' at '{location}' would make {total} in all; an item holds at most {}.",
                c.counted,
                item.name,
                fields::MAX_QUANTITY
            ),
        )
        .with("field", "counted")
        .with("total_quantity", item.total_quantity));
    }
    if total < item.allocated_quantity {
        return Err(AppError::conflict(
            "allocations_exceed_total",
            format!(
                "Counting {} of '{}' at '{location}' would leave {total} in all, but {} are allocated to projects. Release allocations first.",
                c.counted, item.name, item.allocated_quantity
            ),
        )
        .with("field", "counted")
        .with("item_id", c.item_id)
        .with("location_id", c.location_id)
        .with("held", held)
        .with("counted", c.counted)
        .with("total_quantity", item.total_quantity)
        .with("allocated_quantity", item.allocated_quantity));
    }
    if difference == 0 && stocktake_id.is_some() {
        return Ok(Done {
            item,
            location_id: c.location_id,
            quantity: held,
            difference,
            movement_id: None,
        });
    }
    // Found units raise the total before the row; lost ones lower the row
    // first: the total covers the stock after every statement.
    if difference > 0 {
        items::set_total(tx, c.item_id, total)?;
    }
    match (row, c.counted) {
        (0, 0) => {}
        (0, n) => {
            rows::insert(tx, &STOCK, c.item_id, c.location_id, n)?;
        }
        (id, n) => rows::set_or_remove(tx, &STOCK, id, n)?,
    }
    if difference < 0 {
        items::set_total(tx, c.item_id, total)?;
    }
    let change = Change {
        location_id: Some(c.location_id),
        note,
        stocktake_id,
        ..Change::new(KIND_COUNT, c.item_id, difference, c.counted)
    };
    let movement_id = movements::record(tx, actor, &change)?;
    Ok(Done {
        item: items::get(tx, c.item_id)?,
        location_id: c.location_id,
        quantity: c.counted,
        difference,
        movement_id: Some(movement_id),
    })
}
