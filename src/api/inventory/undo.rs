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
//!
//! A consume or a count is undone at its location: the row goes back to what
//! it held, the total moves back by the same units, and a consume taken for a
//! project gives back the allocation it released (`allocation_released`,
//! kept since migration 0019; an older consume for a project lacks it and is
//! refused with 409 `undo_data_missing`). A movement already undone is
//! refused with 409 `already_undone` naming the reversal; the reversal itself
//! can be undone (a redo), newest first like everything else.

use crate::api::places::placement::check_total;
use crate::ctx::Ctx;
use crate::db::movements::{
    self, Actor, Change, KIND_ALLOCATION, KIND_CONSUME, KIND_COUNT, KIND_STOCK, KIND_TOTAL,
    KIND_TRANSFER, Later, Movement, Scope,
};
use crate::db::named::{self, LOCATIONS, PROJECTS};
use crate::db::placement::{self as rows, ALLOCATIONS, Placement, STOCK};
use crate::db::{self, items};
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use crate::rules::fields::{self, Whole};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UndoBody {
    #[schemars(with = "crate::rules::fields::IdNumber")]
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
        let mut in_the_way = Vec::<Later>::new();
        for scope in scopes(&m)? {
            in_the_way.extend(movements::later_in_scope(tx, m.item_id, m.id, &scope)?);
        }
        in_the_way.sort_by_key(|l| l.id);
        in_the_way.dedup_by_key(|l| l.id);
        let in_the_way: Vec<i64> = match in_the_way.iter().find(|l| l.undoes == Some(id)) {
            Some(reversal) => return Err(already_undone(id, reversal.id)),
            None => in_the_way.iter().map(|l| l.id).collect(),
        };
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

/// What the movement changed: a consume taken for a project changed its
/// allocation as well as the location's row. (A consume's or count's change
/// of the total is undone relatively, so later totals are not in its way.)
fn scopes(m: &Movement) -> AppResult<Vec<Scope>> {
    let place = |id: Option<i64>| id.ok_or_else(|| cannot(m));
    Ok(match m.kind.as_str() {
        KIND_ALLOCATION => vec![Scope::Project(place(m.project_id)?)],
        KIND_TOTAL => vec![Scope::Total],
        KIND_CONSUME => {
            let mut s = vec![Scope::Places(place(m.location_id)?, None)];
            s.extend(m.project_id.map(Scope::Project));
            s
        }
        _ => vec![Scope::Places(place(m.location_id)?, m.to_location_id)],
    })
}

fn already_undone(id: i64, reversal: i64) -> AppError {
    AppError::conflict(
        "already_undone",
        format!(
            "Movement {id} is already undone (by movement {reversal}). Undo {reversal} to redo it."
        ),
    )
    .with("movement_id", id)
    .with("undone_by", reversal)
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
        KIND_COUNT => put_back(tx, m, 0)?,
        KIND_CONSUME => put_back(tx, m, released(m)?)?,
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
    // Source first, as in `api::places::stock::transfer`: the sum never passes the total.
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

/// Units of the project's allocation the consume `m` released. Without a
/// project that is none; with one it was recorded since migration 0019.
fn released(m: &Movement) -> AppResult<i64> {
    match (m.allocation_released, m.project_id) {
        (Some(r), _) => Ok(r),
        (None, None) => Ok(0),
        (None, Some(_)) => Err(AppError::conflict(
            "undo_data_missing",
            format!(
                "Movement {} was recorded before MiauInv kept how much of the project's allocation a consumption released, so it cannot be undone exactly. Put the units back into stock and allocate them again instead.",
                m.id
            ),
        )
        .with("movement_id", m.id)),
    }
}

/// Undoes a consume or a count at its location: the row holds what it held
/// before, the total moves back by the movement's units, and `released` units
/// go back to the project's allocation (negative: taken again, for the undo
/// of a consume's reversal).
fn put_back(tx: &Connection, m: &Movement, released: i64) -> AppResult<Change<'static>> {
    let location = m.location_id.ok_or_else(|| cannot(m))?;
    named::name_of_active(tx, &LOCATIONS, location)?;
    let item = items::get(tx, m.item_id)?;
    let before = m.quantity_after - m.delta;
    let total = item.total_quantity - m.delta;
    let allocation = match (m.project_id, released) {
        (_, 0) => None,
        (None, _) => return Err(cannot(m)),
        (Some(p), r) => {
            named::name_of_active(tx, &PROJECTS, p)?;
            let row = rows::find(tx, &ALLOCATIONS, m.item_id, p)?;
            Some((p, row, row.map_or(0, |(_, q)| q) + r))
        }
    };
    let allocated = item.allocated_quantity + released;
    if allocated > total || allocation.is_some_and(|(_, _, q)| q < 0) {
        return Err(AppError::conflict(
            "allocations_exceed_total",
            format!(
                "Undoing movement {} would leave {total} of '{}' in all, but {allocated} would be allocated to projects. Release allocations first.",
                m.id, item.name
            ),
        )
        .with("movement_id", m.id)
        .with("total_quantity", item.total_quantity)
        .with("allocated_quantity", item.allocated_quantity));
    }
    // A higher total first, a lower one last: the total covers the stock and
    // the allocations after every statement (the triggers check each one).
    if total > item.total_quantity {
        items::set_total(tx, m.item_id, total)?;
    }
    let row = rows::find(tx, &STOCK, m.item_id, location)?;
    let now = row.map_or(0, |(_, q)| q);
    match (row, before) {
        (Some((id, _)), 0) => rows::delete(tx, &STOCK, id)?,
        (Some((id, _)), q) => rows::set_quantity(tx, &STOCK, id, q)?,
        (None, 0) => {}
        (None, q) => {
            rows::insert(tx, &STOCK, m.item_id, location, q)?;
        }
    }
    if let Some((project, row, quantity)) = allocation {
        match (row, quantity) {
            (Some((id, _)), 0) => rows::delete(tx, &ALLOCATIONS, id)?,
            (Some((id, _)), q) => rows::set_quantity(tx, &ALLOCATIONS, id, q)?,
            (None, 0) => {}
            (None, q) => {
                rows::insert(tx, &ALLOCATIONS, m.item_id, project, q)?;
            }
        }
    }
    if total < item.total_quantity {
        items::set_total(tx, m.item_id, total)?;
    }
    let kind = if m.kind == KIND_CONSUME {
        KIND_CONSUME
    } else {
        KIND_COUNT
    };
    Ok(Change {
        location_id: Some(location),
        project_id: m.project_id,
        allocation_released: (kind == KIND_CONSUME).then_some(-released),
        ..Change::new(kind, m.item_id, before - now, before)
    })
}
