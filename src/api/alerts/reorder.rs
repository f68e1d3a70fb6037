//! `GET /api/reorder` and `/api/reorder.csv`: the items with fewer units
//! available than their minimum, with what to order (`db/alerts.rs`). The CSV
//! is for a shopping trip or a distributor's cart.

use crate::ctx::Ctx;
use crate::db::{self, alerts};
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use crate::transfer::export_csv;

pub fn get(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let rows = db::read(ctx.conn, |tx| alerts::reorder_list(tx, None))?;
    Ok(Reply::ok(&rows))
}

pub fn csv(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let rows = db::read(ctx.conn, |tx| alerts::reorder_list(tx, None))?;
    Ok(Reply::new(200, "text/csv; charset=utf-8", table(&rows)?).download("reorder.csv"))
}

/// The reorder list as CSV, through the one neutralising function every
/// CSV the server writes uses ([`export_csv::safe`]).
fn table(rows: &[crate::db::alerts::ReorderRow]) -> AppResult<Vec<u8>> {
    let broken = |e: csv::Error| AppError::internal(format_args!("reorder csv: {e}"));
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record(["name", "sku", "available", "min", "order"])
        .map_err(broken)?;
    for r in rows {
        w.write_record([
            export_csv::safe(&r.name).as_ref(),
            export_csv::safe(r.sku.as_deref().unwrap_or("")).as_ref(),
            &r.available_quantity.to_string(),
            &r.min_quantity.to_string(),
            &r.suggested_quantity.to_string(),
        ])
        .map_err(broken)?;
    }
    w.into_inner()
        .map_err(|e| AppError::internal(format_args!("reorder csv: {e}")))
}
