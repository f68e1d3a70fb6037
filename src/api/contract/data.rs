//! Operations of the API document: the health check, export and import, and
//! the document itself.

use super::op::*;
use crate::api::admin::health::Health;
use crate::db::export::Document;
use crate::http::Method::{Get, Post};
use crate::transfer::Report;

pub const OPS: &[Op] = &[
    op(Get, "/healthz", "Whether the server and its database answer")
        .about("No sign-in; used by `miauinv healthcheck` (Docker's HEALTHCHECK).")
        .answers(&[answer(200, "Healthy.", Content::Json(schema::<Health>))]),
    op(Get, "/api/export", "Export the inventory")
        .about("`format=json` (default): everything as one versioned document, which `POST /api/import?format=json` takes back. `format=csv`: one table (`what`), UTF-8 with a header row; cells that a spreadsheet would run as a formula are prefixed with `'`.")
        .params(&[
            query("format", Takes::OneOf(&["json", "csv", "zip"]), "The file format (default json); zip is the JSON document with the photo and attachment files."),
            query("what", Takes::OneOf(crate::transfer::export_csv::TABLES), "The table of a CSV export (default items)."),
        ])
        .answers(&[answer(200, "The export, as a download.", Content::JsonOr(schema::<Document>, &["text/csv", "application/zip"]))]),
    op(Post, "/api/import", "Import a MiauInv export, an items CSV or a Homebox CSV")
        .about("One transaction: all or nothing. `dry_run=true` answers what would happen and changes nothing. A real run with errors is a 400 `import_failed` with the same report. Every value is checked by the rules the API applies (names, tags, skus, barcodes, fields, quantities up to 10^12, ids 1..2^40, 16 levels of locations) before the write lock is taken; a ZIP's photos and attachments may inflate to at most 64 MiB plus ten times the archive (400 `archive_too_large`). One import runs at a time: another meanwhile is a 503 `server_busy` with `Retry-After`. CSV columns: `name, category, description, total_quantity, sku, barcodes, tags, location, quantity, field:<Name>…` in any order; rows are matched by `sku`, else `id`.")
        .params(&[
            query("format", Takes::OneOf(&["json", "csv", "homebox", "zip"]), "What the body is (default json)."),
            query("what", Takes::OneOf(&["items"]), "The table a CSV holds (only items)."),
            query("dry_run", Takes::Flag, "Only say what would happen."),
        ])
        .body_of(Content::JsonOr(schema::<Document>, &["text/csv", "application/zip"]))
        .answers(&[answer(200, "What was (or would be) created and updated.", Content::Json(schema::<Report>))])
        .errors(&[503]),
    op(Get, "/api/docs", "This document as a browsable reference (an HTML page)")
        .answers(&[answer(200, "The reference page.", Content::Bytes(&["text/html"]))]),
    op(Get, "/api/openapi.json", "This document")
        .answers(&[answer(200, "The OpenAPI 3.1 document of this server's API.", Content::Json(schema::<serde_json::Value>))]),
];
