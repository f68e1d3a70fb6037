//! `GET /api/export?format=json` (viewer): the whole inventory as one
//! versioned JSON document (`db/export.rs`), as a download; `format=csv`
//! one table of it (`export_csv.rs`), `format=zip` the document with the
//! photo and attachment files (`export_zip.rs`).

use crate::ctx::Ctx;
use crate::db::{self, export};
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use crate::transfer;

pub fn get(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    // `what` names a CSV table; checked whatever the format, so that a
    // misspelt one is never silently ignored.
    crate::api::data::export_csv::table_param(ctx.req)?;
    match ctx.req.typed_param("format").unwrap_or("json") {
        "json" => json(ctx),
        "csv" => crate::api::data::export_csv::get(ctx),
        "zip" => crate::api::data::export_zip::get(ctx),
        _ => Err(AppError::invalid_field(
            "format",
            "The query parameter 'format' must be json, csv or zip.",
        )),
    }
}

fn json(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let now = db::now();
    let doc = db::read(ctx.conn, |tx| export::document(tx, now))?;
    Ok(Reply::ok(&doc).download(&format!("{}.json", transfer::export_stem(now))))
}
