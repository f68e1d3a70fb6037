//! `/stocktake`: counting a location on a phone (`?location=N` starts with
//! that location chosen). The page's script fetches what is recorded, takes
//! the counts (typed, picked or scanned), shows the differences and applies
//! them through `POST /api/stocktakes`; the list of past stocktakes comes
//! from `GET /api/stocktakes`.

use super::page;
use crate::ctx::Ctx;
use crate::db::{self, locations::Location, places};
use crate::error::AppResult;
use crate::http::Reply;
use minijinja::{Value, context};

pub fn stocktake(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let place = match ctx.req.opt_id_param("location")? {
        None => None,
        Some(id) => Some(db::read(ctx.conn, |tx| places::get::<Location>(tx, id))?),
    };
    let place = place.map(|p| Value::from(minijinja::value::Serde(&p)));
    page(ctx, "stocktake.html", context! { place })
}
