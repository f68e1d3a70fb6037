//! `GET /healthz`: 200 when the database answers. No auth; used by Docker's
//! HEALTHCHECK through `miauinv healthcheck`.

use crate::ctx::Ctx;
use crate::error::AppResult;
use crate::http::Reply;
use schemars::JsonSchema;
use serde::Serialize;

/// `{"status": "ok", "database": true}`.
#[derive(Serialize, JsonSchema)]
pub struct Health {
    status: &'static str,
    /// Whether the database answered.
    database: bool,
}

pub fn get(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let answers = crate::db::ping(ctx.conn)?;
    Ok(Reply::ok(&Health {
        status: "ok",
        database: answers,
    }))
}
