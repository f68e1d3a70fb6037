//! The import engines (layer: transfer, below `api/` and `commands.rs`, above
//! `rules/` and `db/`): a MiauInv export (JSON or ZIP), an item CSV and a
//! Homebox export, each parsed and checked through `rules/` before the write
//! lock is taken, then written in ONE transaction: each row is written and its
//! outcome counted; any refusal, or a dry run, rolls everything back. So a dry
//! run answers exactly what a real run would do and changes nothing, and a
//! real run is all or nothing. The answer is
//! `{dry_run, created: {items: N, …}, updated: {…}, errors: [{path|row, column?, message}]}`;
//! a real run with errors is a 400 `import_failed` carrying the same report.

pub mod csv;
pub mod document;
pub mod export_csv;
pub mod export_zip;
pub mod zip;

use crate::db::export::{Document, VERSION};
use crate::db::import::{Outcome, Refusal};
use crate::error::{AppError, AppResult};
use rusqlite::Transaction;
use serde::Serialize;
use std::collections::BTreeMap;

/// An export's file name without its extension:
/// `miauinv-export-YYYYMMDD-HHMMSS` (UTC).
pub fn export_stem(now: i64) -> String {
    format!("miauinv-export-{}", crate::db::backup::stamp(now))
}

/// Who imports: whose name the stock changes of a CSV file carry, and whether
/// the file's history is taken as it is (an admin's import is a restore) or
/// marked as imported by this account, the file's authors and times kept as
/// claims.
#[derive(Debug, Clone)]
pub struct Importer {
    pub user_id: String,
    pub username: String,
    pub restores_history: bool,
}

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
    /// A failure that is no fault of the file (a busy server, a failure
    /// inside): it ends the import as that error, not as a problem row.
    #[serde(skip)]
    #[schemars(skip)]
    pub trouble: Option<AppError>,
}

impl Report {
    pub fn new(dry_run: bool) -> Report {
        Report {
            dry_run,
            ..Report::default()
        }
    }

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

    /// A refused value, worded by the rule that refused it, at `path`.
    pub fn refused_at(&mut self, path: String, e: AppError) {
        if let Some(words) = self.rule_words(e) {
            self.at_path(path, words);
        }
    }

    /// A refused file of an archive (`file`, at `path`), worded by the rule
    /// that refused it.
    pub fn refused_file(&mut self, path: String, file: &str, e: AppError) {
        if let Some(words) = self.rule_words(e) {
            self.at_path(path, format!("{file}: {words}"));
        }
    }

    /// A refused cell, worded by the rule that refused it.
    pub fn refused_cell(&mut self, row: usize, column: Option<&str>, e: AppError) {
        if let Some(words) = self.rule_words(e) {
            self.at_cell(row, column, words);
        }
    }

    /// The words of a rule's refusal; an error made below the rules (a busy
    /// server, a failure inside) is kept as the import's trouble instead.
    fn rule_words(&mut self, e: AppError) -> Option<String> {
        if e.refusal.is_none() {
            return Some(e.message.into());
        }
        self.trouble.get_or_insert(e);
        None
    }
}

/// Where a refused row came from.
pub enum Where {
    Path(String),
    Cell(usize, Option<&'static str>),
}

pub fn refusal_words(r: &Refusal) -> String {
    match r {
        Refusal::OutOfRange => "a quantity or text is outside the range every door keeps".into(),
        Refusal::Taken { what } => format!("another row already has this {what}"),
        Refusal::Missing { what, id } => format!("there is no {what} with id {id}"),
        Refusal::OverTotal => "stock or allocations would exceed the item's total_quantity".into(),
        Refusal::Negative => "quantities must be whole numbers of 0 or more".into(),
    }
}

/// The whole request body as UTF-8 text (a CSV file; `csv::Rows` skips the
/// byte order mark spreadsheets write, without copying the text again).
pub fn body_text(req: &crate::http::Request) -> AppResult<String> {
    use std::io::Read;
    let mut bytes = Vec::with_capacity(req.body_len() as usize);
    req.body_reader()
        .and_then(|mut r| r.read_to_end(&mut bytes))
        .map_err(|e| AppError::internal(format_args!("cannot read the import body: {e}")))?;
    String::from_utf8(bytes)
        .map_err(|_| AppError::bad_request("invalid_csv", "The file must be UTF-8 text."))
}

/// A MiauInv export read from `source` as it streams in: typed parsing into
/// the document's rows, never a generic JSON tree nor a copy of the text, so
/// a 46 MiB document costs its rows and no more. The failing field is named
/// like the JSON extractor names it.
pub fn document_from(source: impl std::io::Read) -> AppResult<Document> {
    let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::new(source));
    let doc = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        AppError::invalid_field(&path, format!("{path}: {}", e.inner()))
    })?;
    de.end()
        .map_err(|e| AppError::bad_request("invalid_json", format!("After the document: {e}")))?;
    Ok(doc)
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
pub fn media_left_out(doc: &Document, report: &mut Report) {
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

/// Writes a checked file in one transaction and commits only a real run
/// without errors. A file whose checks already failed never takes the write
/// lock: its report is the answer (a dry run) or the 400 (a real run).
pub fn run(
    conn: &mut rusqlite::Connection,
    mut report: Report,
    write: impl FnOnce(&Transaction<'_>, &mut Report) -> AppResult<()>,
) -> AppResult<Report> {
    let dry_run = report.dry_run;
    if let Some(trouble) = report.trouble.take() {
        return Err(trouble);
    }
    if report.errors.is_empty() {
        crate::db::write_or_roll_back(conn, |tx| {
            write(tx, &mut report)?;
            match report.trouble.take() {
                Some(trouble) => Err(trouble),
                None => Ok(!dry_run && report.errors.is_empty()),
            }
        })?;
    }
    match dry_run || report.errors.is_empty() {
        true => Ok(report),
        false => Err(failed(report)),
    }
}

fn failed(report: Report) -> AppError {
    let n = report.errors.len();
    let body = serde_json::to_value(&report).expect("the report serialises");
    let e = AppError::bad_request(
        "import_failed",
        format!("Nothing was imported: {n} problem(s) in the file."),
    )
    .with("created", body["created"].clone())
    .with("updated", body["updated"].clone())
    .with("errors", body["errors"].clone());
    match body.get("skipped") {
        Some(skipped) => e.with("skipped", skipped.clone()),
        None => e,
    }
}
