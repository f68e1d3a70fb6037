//! `/api/association`: allocations of item units to projects. Every change
//! appends a movement in the same transaction; allocations over all projects
//! never exceed the item's total, even with many clients allocating at once
//! (the check and the write share one `BEGIN IMMEDIATE` transaction).

use crate::api::input::{self, Body};
use crate::db::allocations::{self, AllocationFilter};
use crate::db::movements::{self, Change, KIND_ALLOCATION};
use crate::db::{self, items, projects};
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use crate::router::Ctx;

/// `GET /api/association`: every allocation (filters `project_id`, `item_id`;
/// searchable, sortable, paged) or `?id=` one.
pub fn get(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    if let Some(id) = ctx.req.opt_id_param("id")? {
        return Ok(Reply::ok(&allocations::get(ctx.conn, id)?));
    }
    let by = AllocationFilter {
        item_id: ctx.req.opt_id_param("item_id")?,
        project_id: ctx.req.opt_id_param("project_id")?,
    };
    let q = input::list_query(ctx.req, allocations::SORTS)?;
    let (rows, total) = db::read(ctx.conn, |tx| allocations::list(tx, &q, by))?;
    Ok(input::list_reply(&rows, total))
}

/// The 409 for allocations beyond the item's total. `allocated` counts the
/// item's other allocations; `requested` is the quantity wanted for this one.
fn over_allocation(total: i64, allocated: i64, requested: i64) -> AppError {
    let available = total - allocated;
    AppError::conflict(
        "over_allocation",
        format!("Only {available} of {total} left to allocate."),
    )
    .with("field", "quantity")
    .with("total_quantity", total)
    .with("allocated_quantity", allocated)
    .with("available", available)
    .with("requested", requested)
}

/// `POST /api/association` `{item_id, project_id, quantity, note?}`.
pub fn create(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let body = Body::parse(ctx.req, &["item_id", "project_id", "quantity", "note"])?;
    let item_id = body.required_id("item_id")?;
    let project_id = body.required_id("project_id")?;
    let quantity = body.required_quantity("quantity")?;
    let note = body.note()?;
    let user = ctx.user()?.clone();
    let row = db::write(ctx.conn, |tx| {
        let item = items::get(tx, item_id)?;
        let project = projects::get(tx, project_id)?;
        if let Some((existing, _)) = allocations::find(tx, item_id, project_id)? {
            return Err(AppError::conflict(
                "duplicate",
                format!(
                    "'{}' is already allocated to '{}' (allocation {existing}); change that allocation instead.",
                    item.name, project.name
                ),
            )
            .with("existing_id", existing));
        }
        if item.allocated_quantity + quantity > item.total_quantity {
            return Err(over_allocation(
                item.total_quantity,
                item.allocated_quantity,
                quantity,
            ));
        }
        let id = allocations::insert(tx, item_id, project_id, quantity)?;
        let change = Change {
            project_id: Some(project_id),
            note: note.as_deref(),
            ..Change::new(KIND_ALLOCATION, item_id, quantity, quantity)
        };
        movements::record(tx, &user, &change)?;
        allocations::get(tx, id)
    })?;
    Ok(Reply::created(&row))
}

/// `PUT /api/association?id=` `{quantity, note?}`.
pub fn update(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = ctx.req.id_param("id")?;
    let body = Body::parse(ctx.req, &["quantity", "note"])?;
    let quantity = body.required_quantity("quantity")?;
    let note = body.note()?;
    let user = ctx.user()?.clone();
    let row = db::write(ctx.conn, |tx| {
        let old = allocations::get(tx, id)?;
        let item = items::get(tx, old.item_id)?;
        let others = allocations::allocated_except(tx, old.item_id, id)?;
        if others + quantity > item.total_quantity {
            return Err(over_allocation(item.total_quantity, others, quantity));
        }
        allocations::set_quantity(tx, id, quantity)?;
        let delta = quantity - old.quantity;
        if delta != 0 {
            let change = Change {
                project_id: Some(old.project_id),
                note: note.as_deref(),
                ..Change::new(KIND_ALLOCATION, old.item_id, delta, quantity)
            };
            movements::record(tx, &user, &change)?;
        }
        allocations::get(tx, id)
    })?;
    Ok(Reply::ok(&row))
}

/// `DELETE /api/association?id=`: releases the allocated units.
pub fn delete(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = ctx.req.id_param("id")?;
    let user = ctx.user()?.clone();
    db::write(ctx.conn, |tx| {
        let old = allocations::get(tx, id)?;
        allocations::delete(tx, id)?;
        let change = Change {
            project_id: Some(old.project_id),
            ..Change::new(KIND_ALLOCATION, old.item_id, -old.quantity, 0)
        };
        movements::record(tx, &user, &change)?;
        Ok(())
    })?;
    Ok(input::deleted(id))
}
