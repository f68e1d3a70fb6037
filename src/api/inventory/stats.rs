//! `GET /api/stats`: the counts and unit totals the dashboard shows, and the
//! items whose allocations exceed what is on the shelves (`db/stats.rs`).

use crate::ctx::Ctx;
use crate::db::{self, stats};
use crate::error::AppResult;
use crate::http::Reply;

pub fn get(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let stats = db::read(ctx.conn, |tx| stats::load(tx))?;
    Ok(Reply::ok(&stats))
}
