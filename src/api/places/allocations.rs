//! `/api/association`: allocations of item units to projects. Every change
//! appends a movement in the same transaction; allocations over all projects
//! never exceed the item's total, even with many clients allocating at once
//! (the check and the write share one `BEGIN IMMEDIATE` transaction). The
//! steps are those of stock rows, in `placement.rs`, with the wording and
//! tables of [`ALLOCATIONS`].

use crate::api::places::placement::{self, NewPlacement};
use crate::ctx::Ctx;
use crate::db::placement::ALLOCATIONS;
use crate::error::AppResult;
use crate::http::Reply;
use crate::rules::fields::Whole;
use serde::Deserialize;

/// `POST /api/association`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewAllocation {
    #[schemars(with = "crate::rules::fields::IdNumber")]
    item_id: Whole,
    #[schemars(with = "crate::rules::fields::IdNumber")]
    project_id: Whole,
    #[schemars(with = "crate::rules::fields::Quantity")]
    quantity: Whole,
    #[schemars(length(max = crate::rules::fields::MAX_TEXT))]
    note: Option<String>,
}

/// `GET /api/association`: every allocation (filters `project_id`, `item_id`;
/// searchable, sortable, paged) or `?id=` one.
pub fn get(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    placement::get(ctx, &ALLOCATIONS)
}

/// `POST /api/association` `{item_id, project_id, quantity, note?}`: 409
/// `duplicate` when the item is already allocated to the project, 409
/// `over_allocation` ("Only 3 of 10 left to allocate.") beyond the item's total.
pub fn create(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let body: NewAllocation = ctx.req.json()?;
    let new = NewPlacement::parse(
        &ALLOCATIONS,
        body.item_id,
        body.project_id,
        body.quantity,
        body.note.as_deref(),
    )?;
    placement::create(ctx, &ALLOCATIONS, new)
}

/// `PUT /api/association?id=` `{quantity, note?}`.
pub fn update(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    placement::update(ctx, &ALLOCATIONS)
}

/// `DELETE /api/association?id=`: releases the allocated units.
pub fn delete(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    placement::delete(ctx, &ALLOCATIONS)
}
