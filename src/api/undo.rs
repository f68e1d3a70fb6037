//! `POST /api/movements/undo {movement_id}`: reverses a movement by recording
//! its opposite, which names the original (`undoes`). History stays
//! append-only; an undo can itself be undone.
//!
//! Only the newest change of what the movement touched can be undone (the
//! item's rows at its locations, its allocation to its project, or its
//! total): otherwise 409 `later_changes` with the ids in the way, since
//! reversing an older step would silently overwrite the later ones. The
//! invariants (stock and allocations within the total) are checked like any
//! other change. A new movement kind is one arm in [`reverse`].

use crate::api::fields::{self, Whole};
use crate::api::placement::check_total;
use crate::ctx::Ctx;
use crate::db::movements::{
    self, Actor, Change, KIND_ALLOCATION, KIND_STOCK, KIND_TOTAL, KIND_TRANSFER, Movement, Scope,
};
use crate::db::named::{self, LOCATIONS};
use crate::db::placement::{self as rows, ALLOCATIONS, Placement, STOCK};
use crate::db::{self, items};
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UndoBody {
    #[schemars(with = "crate::api::fields::IdNumber")]
    movement_id: Whole,
}

/// The answer: which movement was undone, and the reversal recorded for it.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Undone {
    undone: i64,
    movement: movements::Movement,
}

pub fn undo(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let body: UndoBody = ctx.req.json()?;
    let id = fields::id("movement_id", body.movement_id)?;
    let user = ctx.user()?.clone();
    let reversal = db::write(ctx.conn, |tx| {
        let m = movements::get(tx, id)?.ok_or_else(|| {
            AppError::not_found(format!("There is no movement {id}.")).with("movement_id", id)
        })?;
        items::get_active(tx, m.item_id)?;
        let in_the_way = movements::later_in_scope(tx, m.item_id, m.id, &scope(&m)?)?;
        if !in_the_way.is_empty() {
            return Err(AppError::conflict(
                "later_changes",
                format!(
                    "Movement {id} cannot be undone: {} later change{} to the same stock come{} after it. Undo those first, newest first.",
                    in_the_way.len(),
                    if in_the_way.len() == 1 { "" } else { "s" },
                    if in_the_way.len() == 1 { "s" } else { "" },
                ),
            )
            .with("movement_id", id)
            .with("movement_ids", json!(in_the_way)));
        }
        let new_id = reverse(tx, user.actor(), &m)?;
        movements::get(tx, new_id)?.ok_or_else(|| AppError::internal("the reversal is gone"))
    })?;
    Ok(Reply::ok(&Undone {
        undone: id,
        movement: reversal,
    }))
}

/// What the movement changed.
fn scope(m: &Movement) -> AppResult<Scope> {
    let place = |id: Option<i64>| id.ok_or_else(|| cannot(m));
    Ok(match m.kind.as_str() {
        KIND_ALLOCATION => Scope::Project(place(m.project_id)?),
        KIND_TOTAL => Scope::Total,
        _ => Scope::Places(place(m.location_id)?, m.to_location_id),
    })
}

fn cannot(m: &Movement) -> AppError {
    AppError::conflict(
        "cannot_undo",
        format!("A {} movement cannot be undone.", m.kind),
    )
    .with("movement_id", m.id)
}

/// Records and applies the opposite of `m`; returns the new movement's id.
fn reverse(tx: &Connection, by: Actor<'_>, m: &Movement) -> AppResult<i64> {
    let before = m.quantity_after - m.delta;
    let mut change = match m.kind.as_str() {
        KIND_STOCK => set_placed(tx, &STOCK, m, m.location_id, before)?,
        KIND_ALLOCATION => set_placed(tx, &ALLOCATIONS, m, m.project_id, before)?,
        KIND_TOTAL => set_total(tx, m.item_id, before)?,
        KIND_TRANSFER => transfer_back(tx, m)?,
        _ => return Err(cannot(m)),
    };
    change.undoes = Some(m.id);
    movements::record(tx, by, &change)
}

/// Puts the item's row at `place` back to `quantity` (0: no row).
fn set_placed(
    tx: &Connection,
    kind: &'static Placement,
    m: &Movement,
    place: Option<i64>,
    quantity: i64,
) -> AppResult<Change<'static>> {
    let place = place.ok_or_else(|| cannot(m))?;
    named::name_of_active(tx, kind.place, place)?;
    let row = rows::find(tx, kind, m.item_id, place)?;
    let now = row.map_or(0, |(_, q)| q);
    let item = items::get(tx, m.item_id)?;
    let others = rows::placed_except(tx, kind, m.item_id, row.map(|(id, _)| id))?;
    check_total(kind, &item, others, quantity)?;
    match (row, quantity) {
        (Some((id, _)), 0) => rows::delete(tx, kind, id)?,
        (Some((id, _)), q) => rows::set_quantity(tx, kind, id, q)?,
        (None, 0) => {}
        (None, q) => {
            rows::insert(tx, kind, m.item_id, place, q)?;
        }
    }
    Ok(kind.change(m.item_id, place, quantity - now, quantity))
}

fn set_total(tx: &Connection, item_id: i64, total: i64) -> AppResult<Change<'static>> {
    let item = items::get(tx, item_id)?;
    let needed = item.stocked_quantity.max(item.allocated_quantity);
    if total < needed {
        return Err(AppError::conflict(
            "total_below_usage",
            format!(
                "The total cannot go back to {total}: {} units are stocked and {} are allocated.",
                item.stocked_quantity, item.allocated_quantity
            ),
        )
        .with("total_quantity", item.total_quantity)
        .with("minimum", needed)
        .with("requested", total));
    }
    items::set_total(tx, item_id, total)?;
    Ok(Change::new(
        KIND_TOTAL,
        item_id,
        total - item.total_quantity,
        total,
    ))
}

/// Moves the transferred units from the target back to the source.
fn transfer_back(tx: &Connection, m: &Movement) -> AppResult<Change<'static>> {
    let (from, to) = match (m.to_location_id, m.location_id) {
        (Some(f), Some(t)) => (f, t),
        _ => return Err(cannot(m)),
    };
    named::name_of_active(tx, &LOCATIONS, to)?;
    let (held_id, held) = rows::find(tx, &STOCK, m.item_id, from)?.ok_or_else(|| cannot(m))?;
    if held < m.delta {
        return Err(cannot(m));
    }
    // Source first, as in `api::stock::transfer`: the sum never passes the total.
    if held == m.delta {
        rows::delete(tx, &STOCK, held_id)?;
    } else {
        rows::set_quantity(tx, &STOCK, held_id, held - m.delta)?;
    }
    let after = match rows::find(tx, &STOCK, m.item_id, to)? {
        Some((id, q)) => {
            rows::set_quantity(tx, &STOCK, id, q + m.delta)?;
            q + m.delta
        }
        None => {
            rows::insert(tx, &STOCK, m.item_id, to, m.delta)?;
            m.delta
        }
    };
    Ok(Change {
        location_id: Some(from),
        to_location_id: Some(to),
        ..Change::new(KIND_TRANSFER, m.item_id, m.delta, after)
    })
}
