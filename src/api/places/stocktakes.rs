//! `/api/stocktakes`: counting a location (and what is inside it) and
//! applying every difference at once. `POST` takes the counts the person
//! entered, `{location_id, recursive?, note?, counts: [{item_id, location_id,
//! counted}]}`, and applies them in one transaction: one `count` movement per
//! difference, each tagged with the new stocktake's id, with the same checks
//! and 409s as `POST /api/stock/count` (the first refusal undoes them all).
//! Counts that match what was recorded change nothing but are counted in the
//! record. `GET` lists the record: who, when, where, how many differences.

use crate::api::list;
use crate::api::places::quick::{self, Counted};
use crate::ctx::Ctx;
use crate::db::named::{self, LOCATIONS};
use crate::db::{self, stocktakes};
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use crate::rules::fields::{self, Whole};
use serde::{Deserialize, Serialize};

/// The most rows one stocktake applies.
const MAX_COUNTS: usize = 10_000;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewStocktake {
    #[schemars(with = "crate::rules::fields::IdNumber")]
    location_id: Whole,
    #[serde(default)]
    recursive: bool,
    #[schemars(length(max = crate::rules::fields::MAX_TEXT))]
    note: Option<String>,
    #[schemars(length(max = MAX_COUNTS))]
    counts: Vec<CountBody>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CountBody {
    #[schemars(with = "crate::rules::fields::IdNumber")]
    item_id: Whole,
    #[schemars(with = "crate::rules::fields::IdNumber")]
    location_id: Whole,
    #[schemars(with = "crate::rules::fields::Quantity")]
    counted: Whole,
}

/// One applied difference.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Difference {
    item_id: i64,
    item_name: String,
    location_id: i64,
    before: i64,
    counted: i64,
    difference: i64,
    movement_id: Option<i64>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Applied {
    stocktake: stocktakes::Stocktake,
    differences: Vec<Difference>,
}

/// `POST /api/stocktakes`: 400 for a count outside the counted location (or
/// twice the same item at the same place), 409s as a single count's.
pub fn create(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let body: NewStocktake = ctx.req.json()?;
    let location_id = fields::id("location_id", body.location_id)?;
    let note = fields::note(body.note.as_deref())?;
    if body.counts.len() > MAX_COUNTS {
        return Err(AppError::invalid_field(
            "counts",
            format!("A stocktake applies at most {MAX_COUNTS} counts at once."),
        ));
    }
    let mut counts = Vec::with_capacity(body.counts.len());
    let mut seen = std::collections::HashSet::new();
    for c in &body.counts {
        let counted = Counted {
            item_id: fields::id("item_id", c.item_id)?,
            location_id: fields::id("location_id", c.location_id)?,
            counted: fields::quantity("counted", c.counted)?,
        };
        if !seen.insert((counted.item_id, counted.location_id)) {
            return Err(AppError::invalid_field(
                "counts",
                format!(
                    "Item {} at location {} is counted twice.",
                    counted.item_id, counted.location_id
                ),
            ));
        }
        counts.push(counted);
    }
    let recursive = body.recursive;
    let user = ctx.user()?.clone();
    let applied = db::write(ctx.conn, |tx| {
        let place = named::name_of_active(tx, &LOCATIONS, location_id)?;
        for c in &counts {
            if !stocktakes::covers(tx, location_id, recursive, c.location_id)? {
                return Err(AppError::invalid_field(
                    "counts",
                    format!(
                        "Location {} is not {}'{place}'.",
                        c.location_id,
                        if recursive { "in " } else { "" }
                    ),
                ));
            }
        }
        let id = stocktakes::insert(tx, user.actor(), location_id, recursive, note.as_deref())?;
        let mut differences = Vec::new();
        for c in &counts {
            let done = quick::count_at(tx, user.actor(), c, note.as_deref(), Some(id))?;
            if done.difference != 0 {
                differences.push(Difference {
                    item_id: c.item_id,
                    item_name: done.item.name,
                    location_id: c.location_id,
                    before: c.counted - done.difference,
                    counted: c.counted,
                    difference: done.difference,
                    movement_id: done.movement_id,
                });
            }
        }
        stocktakes::finish(tx, id, counts.len() as i64, differences.len() as i64)?;
        Ok(Applied {
            stocktake: stocktakes::get(tx, id)?,
            differences,
        })
    })?;
    Ok(Reply::created(&applied))
}

/// `GET /api/stocktakes` (`?location_id=`, `limit`, `offset`): newest first.
pub fn get(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let location_id = ctx.req.opt_id_param("location_id")?;
    let limit = list::limit_param(ctx.req)?.unwrap_or(50);
    let offset = list::offset_param(ctx.req)?;
    let (rows, total) = db::read(ctx.conn, |tx| {
        stocktakes::list(tx, location_id, limit, offset)
    })?;
    Ok(list::list_reply(&rows, total))
}
