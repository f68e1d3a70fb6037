//! `GET /api/export?format=csv&what=items|locations|stock|allocations|movements`
//! (the table `transfer/export_csv.rs` writes):
//! one table as CSV (UTF-8, header row, RFC 4180 quoting by the `csv` crate).
//! Cells that a spreadsheet would run as a formula (starting with `=`, `+`,
//! `-`, `@`, tab or carriage return) get a leading `'`, per OWASP's CSV
//! injection guidance; numbers MiauInv writes itself are left as they are.
//! The items table has one row per item, its places as
//! `Garage / Shelf A:6; Van:4`, the columns `POST /api/import?format=csv` reads.

use crate::ctx::Ctx;
use crate::db::{self, export};
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use crate::transfer::export_csv::{TABLES, table};

/// `what`: the table (default items).
pub fn table_param(req: &crate::http::Request) -> AppResult<&str> {
    let what = req.typed_param("what").unwrap_or("items");
    if !TABLES.contains(&what) {
        return Err(AppError::invalid_field(
            "what",
            "The query parameter 'what' must be items, locations, stock, allocations or movements.",
        ));
    }
    Ok(what)
}

pub fn get(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let what = table_param(ctx.req)?.to_string();
    let now = db::now();
    let doc = db::read(ctx.conn, |tx| export::document(tx, now))?;
    let body = table(&doc, &what).map_err(AppError::internal)?;
    Ok(Reply::new(200, "text/csv; charset=utf-8", body)
        .download(&format!("{}-{what}.csv", crate::transfer::export_stem(now))))
}
