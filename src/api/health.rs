//! `GET /healthz`: 200 when the database answers. No auth; used by Docker's
//! HEALTHCHECK through `miauinv healthcheck`.

use crate::ctx::Ctx;
use crate::error::AppResult;
use crate::http::Reply;
use serde_json::json;

pub fn get(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let answers = crate::db::ping(ctx.conn)?;
    Ok(Reply::ok(&json!({ "status": "ok", "database": answers })))
}
