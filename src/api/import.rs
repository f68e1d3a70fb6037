//! `POST /api/import?format=json|zip|csv|homebox&dry_run=true|false` (editor).
//! Every import runs in ONE write transaction: each row is written and its
//! outcome counted; any refusal, or a dry run, rolls everything back. So a
//! dry run answers exactly what a real run would do and changes nothing, and
//! a real run is all or nothing. The answer is
//! `{dry_run, created: {items: N, …}, updated: {…}, errors: [{path|row, column?, message}]}`;
//! a real run with errors is a 400 `import_failed` carrying the same report.

use crate::ctx::Ctx;
use crate::db::export::{Document, VERSION};
use crate::db::import::{self, Outcome, Refusal};
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use rusqlite::Transaction;
use serde::Serialize;
use std::collections::BTreeMap;

/// One problem with the input, located by JSON path or by CSV row and column.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Problem {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    pub message: String,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Default, Serialize, schemars::JsonSchema)]
pub struct Report {
    pub dry_run: bool,
    pub created: BTreeMap<&'static str, u64>,
    pub updated: BTreeMap<&'static str, u64>,
    pub errors: Vec<Problem>,
    /// What was left out without stopping the import (Homebox columns that
    /// map to nothing here), per column.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Problem>,
}

impl Report {
    pub fn count(&mut self, what: &'static str, outcome: Outcome) {
        let map = match outcome {
            Outcome::Created => &mut self.created,
            Outcome::Updated => &mut self.updated,
            Outcome::Kept => return,
        };
        *map.entry(what).or_default() += 1;
    }

    pub fn at_path(&mut self, path: String, message: impl Into<String>) {
        self.errors.push(Problem {
            path: Some(path),
            row: None,
            column: None,
            message: message.into(),
        });
    }

    pub fn at_cell(&mut self, row: usize, column: Option<&str>, message: impl Into<String>) {
        let message = message.into();
        let message = match column {
            Some(c) => format!("row {row}, column {c}: {message}"),
            None => format!("row {row}: {message}"),
        };
        self.errors.push(Problem {
            path: None,
            row: Some(row),
            column: column.map(str::to_string),
            message,
        });
    }

    /// Records a written row, or the database's refusal of it.
    pub fn written(
        &mut self,
        what: &'static str,
        result: Result<Outcome, Refusal>,
        at: impl FnOnce() -> Where,
    ) {
        match result {
            Ok(outcome) => self.count(what, outcome),
            Err(refusal) => {
                let message = refusal_words(&refusal);
                match at() {
                    Where::Path(p) => self.at_path(p, message),
                    Where::Cell(row, column) => self.at_cell(row, column, message),
                }
            }
        }
    }
}

/// Where a refused row came from.
pub enum Where {
    Path(String),
    Cell(usize, Option<&'static str>),
}

pub fn refusal_words(r: &Refusal) -> String {
    match r {
        Refusal::Taken { what } => format!("another row already has this {what}"),
        Refusal::Missing { what, id } => format!("there is no {what} with id {id}"),
        Refusal::OverTotal => "stock or allocations would exceed the item's total_quantity".into(),
        Refusal::Negative => "quantities must be whole numbers of 0 or more".into(),
    }
}

pub fn post(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let dry_run = ctx.req.flag("dry_run")?;
    let format = ctx.req.typed_param("format").unwrap_or("json");
    let report = match format {
        "json" => {
            let doc = document(ctx.req)?;
            check_version(&doc)?;
            run(ctx.conn, dry_run, |tx, report| {
                json_rows(tx, &doc, report)?;
                media_left_out(&doc, report);
                Ok(())
            })?
        }
        "zip" => crate::api::import_zip::post(ctx, dry_run)?,
        "csv" | "homebox" => {
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
            let rows = crate::api::import_csv::parse(ctx, format)?;
            run(ctx.conn, dry_run, |tx, report| rows.write(tx, report))?
        }
        _ => {
            return Err(AppError::invalid_field(
                "format",
                "The query parameter 'format' must be json, zip, csv or homebox.",
            ));
        }
    };
    Ok(Reply::ok(&report))
}

/// The whole request body: in memory, or read from its spool file (bodies
/// above 64 KiB; the route allows up to `MAX_IMPORT`).
pub fn body_bytes(req: &crate::http::Request) -> AppResult<std::borrow::Cow<'_, [u8]>> {
    use std::io::Read;
    if req.spool.is_none() {
        return Ok(std::borrow::Cow::Borrowed(&req.body));
    }
    let mut bytes = Vec::with_capacity(req.body_len() as usize);
    req.body_reader()
        .and_then(|mut r| r.read_to_end(&mut bytes))
        .map_err(|e| AppError::internal(format_args!("cannot read the import body: {e}")))?;
    Ok(std::borrow::Cow::Owned(bytes))
}

/// A MiauInv export from the body; the failing field is named like the JSON
/// extractor names it.
fn document(req: &crate::http::Request) -> AppResult<Document> {
    if req.spool.is_none() {
        return req.json();
    }
    document_from(&body_bytes(req)?)
}

/// A MiauInv export from JSON text, the failing field named.
pub fn document_from(bytes: &[u8]) -> AppResult<Document> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        AppError::invalid_field(&path, format!("{path}: {}", e.inner()))
    })
}

/// Refuses a document of another shape version than this binary writes.
pub fn check_version(doc: &Document) -> AppResult<()> {
    match doc.miauinv_export == VERSION {
        true => Ok(()),
        false => Err(AppError::invalid_field(
            "miauinv_export",
            format!("This MiauInv reads export version {VERSION}."),
        )),
    }
}

/// A JSON document lists photos and attachments without their bytes: they
/// are left out, said so, and come along with the ZIP export.
fn media_left_out(doc: &Document, report: &mut Report) {
    for (what, n) in [
        ("photos", doc.photos.len()),
        ("attachments", doc.attachments.len()),
    ] {
        if n > 0 {
            report.skipped.push(Problem {
                path: Some(what.into()),
                row: None,
                column: None,
                message: format!(
                    "{n} {what} left out: their files are in the ZIP export (format=zip), not in the JSON document"
                ),
            });
        }
    }
}

/// Runs `write` in one transaction; commits only a real run without errors.
pub fn run(
    conn: &mut rusqlite::Connection,
    dry_run: bool,
    write: impl FnOnce(&Transaction<'_>, &mut Report) -> AppResult<()>,
) -> AppResult<Report> {
    let mut report = Report {
        dry_run,
        ..Report::default()
    };
    crate::db::write_or_roll_back(conn, |tx| {
        write(tx, &mut report)?;
        Ok(!dry_run && report.errors.is_empty())
    })?;
    match dry_run || report.errors.is_empty() {
        true => Ok(report),
        false => Err(failed(report)),
    }
}

fn failed(report: Report) -> AppError {
    let n = report.errors.len();
    let body = serde_json::to_value(&report).expect("the report serialises");
    AppError::bad_request(
        "import_failed",
        format!("Nothing was imported: {n} problem(s) in the file."),
    )
    .with("created", body["created"].clone())
    .with("updated", body["updated"].clone())
    .with("errors", body["errors"].clone())
    .with("skipped", body["skipped"].clone())
}

/// A MiauInv export's rows, parents before children, the archive marks last.
pub fn json_rows(tx: &Transaction<'_>, doc: &Document, report: &mut Report) -> AppResult<()> {
    for (n, l) in parents_first(&doc.locations) {
        let r = import::location(tx, l)?;
        report.written("locations", r, || Where::Path(format!("locations[{n}]")));
    }
    for (n, p) in doc.projects.iter().enumerate() {
        let r = import::project(tx, p)?;
        report.written("projects", r, || Where::Path(format!("projects[{n}]")));
    }
    for (n, i) in doc.items.iter().enumerate() {
        let r = import::item(tx, i)?;
        report.written("items", r, || Where::Path(format!("items[{n}]")));
    }
    for (n, s) in doc.stock.iter().enumerate() {
        let r = import::stock(tx, s)?;
        report.written("stock", r, || Where::Path(format!("stock[{n}]")));
    }
    for (n, a) in doc.allocations.iter().enumerate() {
        let r = import::allocation(tx, a)?;
        report.written("allocations", r, || {
            Where::Path(format!("allocations[{n}]"))
        });
    }
    for (n, m) in doc.movements.iter().enumerate() {
        let r = import::movement(tx, m)?;
        report.written("movements", r, || Where::Path(format!("movements[{n}]")));
    }
    if report.errors.is_empty() {
        for l in &doc.locations {
            import::archive(tx, "locations", l.id, l.archived_at)?;
        }
        for p in &doc.projects {
            import::archive(tx, "projects", p.id, p.archived_at)?;
        }
        for i in &doc.items {
            import::archive(tx, "items", i.id, i.archived_at)?;
        }
    }
    Ok(())
}

/// Locations ordered so every parent comes before its children (a parent
/// outside the document must already exist); with their index in the document.
fn parents_first(
    all: &[crate::db::export::Location],
) -> Vec<(usize, &crate::db::export::Location)> {
    let ids: std::collections::HashSet<i64> = all.iter().map(|l| l.id).collect();
    let mut placed = std::collections::HashSet::new();
    let mut order = Vec::with_capacity(all.len());
    let mut left: Vec<(usize, &crate::db::export::Location)> = all.iter().enumerate().collect();
    while !left.is_empty() {
        let before = left.len();
        left.retain(|(n, l)| {
            let ready = match l.parent_id {
                Some(p) => !ids.contains(&p) || placed.contains(&p),
                None => true,
            };
            if ready {
                placed.insert(l.id);
                order.push((*n, *l));
            }
            !ready
        });
        if left.len() == before {
            // A cycle: the database refuses those rows when they are written.
            order.append(&mut left);
        }
    }
    order
}
