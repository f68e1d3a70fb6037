//! `GET /api/admin/status` (admin only): the server at a glance.

use crate::ctx::Ctx;
use crate::error::AppResult;
use crate::http::Reply;

/// The server at a glance: version, uptime, database size and counts.
pub fn get(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let status = ctx.app.status(ctx.conn)?;
    Ok(Reply::ok(&status))
}
