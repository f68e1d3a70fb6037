//! `POST /api/import?format=json|zip|csv|homebox&dry_run=true|false` (editor):
//! the HTTP door to the import engines of `transfer/`, which check every value
//! through `rules/` before the write lock and write in one transaction.
//!
//! One import runs at a time in the server (`App::imports`): parsing a large
//! document is the memory-heavy step, and eight at once took a Pi's memory. A
//! second import meanwhile is answered 503 `server_busy` with `Retry-After`.
//! An admin's import is a restore (history keeps its authors and times);
//! anyone else's records the history as imported by them.

use crate::ctx::Ctx;
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use crate::transfer::{self, Importer, Report, csv, document, zip};

pub fn post(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let dry_run = ctx.req.flag("dry_run")?;
    let format = ctx.req.typed_param("format").unwrap_or("json");
    if !matches!(format, "json" | "zip" | "csv" | "homebox") {
        return Err(AppError::invalid_field(
            "format",
            "The query parameter 'format' must be json, zip, csv or homebox.",
        ));
    }
    if ctx.req.body_len() == 0 {
        return Err(AppError::bad_request(
            "empty_body",
            "The request body is empty; send the file to import as the body.",
        ));
    }
    let user = ctx.user()?;
    let by = Importer {
        user_id: user.id.clone(),
        username: user.username.clone(),
        restores_history: user.is_admin(),
    };
    let _turn = ctx.app.imports.enter().ok_or_else(AppError::busy)?;
    let report = match format {
        "json" => {
            let doc = transfer::document_from(ctx.req.body_reader()?)?;
            transfer::check_version(&doc)?;
            let mut report = Report::new(dry_run);
            let checked = document::check(doc, &mut report);
            transfer::run(ctx.conn, report, |tx, report| {
                document::rows(tx, &checked, &by, report)?;
                transfer::media_left_out(&checked.doc, report);
                Ok(())
            })?
        }
        "zip" => zip::import(
            ctx.req.body_reader()?,
            ctx.req.body_len(),
            ctx.conn,
            dry_run,
            &by,
            &ctx.app.photo_decodes,
        )?,
        _ => {
            // A JSON body sent as a CSV import is a mistake of the caller's,
            // not a CSV file whose first line is an unknown column.
            let ctype = ctx.req.header("content-type").unwrap_or("");
            if ctype
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/json")
            {
                return Err(AppError::new(
                    crate::error::Kind::UnsupportedMediaType,
                    "unsupported_media_type",
                    "A CSV import is sent as the CSV file itself, with 'Content-Type: text/csv'.",
                ));
            }
            if format == "csv" && ctx.req.typed_param("what").unwrap_or("items") != "items" {
                return Err(AppError::invalid_field(
                    "what",
                    "Only items can be imported from CSV (what=items).",
                ));
            }
            let text = transfer::body_text(ctx.req)?;
            let rows = csv::Rows::from_text(&text, format == "homebox", &by);
            let mut report = Report::new(dry_run);
            rows.check(&mut report)?;
            transfer::run(ctx.conn, report, |tx, report| rows.write(tx, report))?
        }
    };
    Ok(Reply::ok(&report))
}
