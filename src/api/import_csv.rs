//! Reading item CSV files for `POST /api/import`: MiauInv's own columns
//! (`format=csv&what=items`) and Homebox's `HB.*` export (`format=homebox`,
//! comma or tab separated). Parsing checks every cell first and names the row
//! and column of each problem ("row 7, column total_quantity: must be a whole
//! number"); writing then runs row by row inside the import's transaction.
//! Row numbers count the header as row 1, as a spreadsheet shows them.

use crate::api::import::{Report, Where};
use crate::ctx::Ctx;
use crate::db::export::Item;
use crate::db::import::{self as write, Outcome};
use crate::db::import_rows::{self as rows, IMPORT_REF_FIELD};
use crate::db::movements::Actor;
use crate::error::{AppError, AppResult};
use rusqlite::Transaction;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Homebox's standard item columns, kept as custom fields of the same name.
const HOMEBOX_FIELDS: &[&str] = &[
    "serial_number",
    "model_number",
    "manufacturer",
    "notes",
    "purchase_from",
    "purchase_price",
    "purchase_time",
    "warranty_expires",
    "warranty_details",
    "lifetime_warranty",
    "asset_id",
    "insured",
    "sold_to",
    "sold_price",
    "sold_time",
    "sold_notes",
    "archived",
];

/// One row's values, by what they mean (absent = the file has no such column).
#[derive(Default)]
struct ItemRow {
    line: usize,
    id: Option<i64>,
    import_ref: Option<String>,
    name: Option<String>,
    category: Option<String>,
    description: Option<String>,
    total_quantity: Option<i64>,
    sku: Option<String>,
    barcodes: Option<Vec<String>>,
    tags: Option<Vec<String>>,
    /// (path, quantity) pairs.
    places: Vec<(String, i64)>,
    fields: BTreeMap<String, String>,
}

/// A file to import: read and written one row at a time inside the
/// import's transaction, so memory holds the body and one row, not a parsed
/// copy of every row (100 000 rows: README "Import").
pub struct Rows<'a> {
    text: Cow<'a, str>,
    homebox: bool,
    user_id: String,
    username: String,
}

pub fn parse<'a>(ctx: &Ctx<'a>, format: &str) -> AppResult<Rows<'a>> {
    let req: &'a crate::http::Request = ctx.req;
    if format == "csv" && req.typed_param("what").unwrap_or("items") != "items" {
        return Err(AppError::invalid_field(
            "what",
            "Only items can be imported from CSV (what=items).",
        ));
    }
    let user = ctx.user()?;
    let text = match crate::api::import::body_bytes(req)? {
        Cow::Borrowed(b) => std::str::from_utf8(b).ok().map(Cow::Borrowed),
        Cow::Owned(b) => String::from_utf8(b).ok().map(Cow::Owned),
    }
    .ok_or_else(|| AppError::bad_request("invalid_csv", "The file must be UTF-8 text."))?;
    Ok(Rows {
        text: without_bom(text),
        homebox: format == "homebox",
        user_id: user.id.clone(),
        username: user.username.clone(),
    })
}

/// The text after a UTF-8 byte order mark (spreadsheets write one).
fn without_bom(text: Cow<'_, str>) -> Cow<'_, str> {
    match text {
        Cow::Borrowed(t) => Cow::Borrowed(t.strip_prefix('\u{feff}').unwrap_or(t)),
        Cow::Owned(t) => match t.strip_prefix('\u{feff}') {
            Some(rest) => Cow::Owned(rest.to_string()),
            None => Cow::Owned(t),
        },
    }
}

impl<'a> Rows<'a> {
    /// A whole file (the benchmark calls this directly); `user_*` is who the
    /// stock changes are recorded for.
    pub fn from_text(text: &'a str, homebox: bool, user_id: &str, username: &str) -> Rows<'a> {
        Rows {
            text: without_bom(Cow::Borrowed(text)),
            homebox,
            user_id: user_id.to_string(),
            username: username.to_string(),
        }
    }

    /// Reads and writes every row. A row with a bad cell is reported and not
    /// written; the others still are, so a dry run reports every problem
    /// (the caller rolls back whenever there is one).
    pub fn write(self, tx: &Transaction<'_>, report: &mut Report) -> AppResult<()> {
        let by = Actor {
            user_id: &self.user_id,
            username: &self.username,
        };
        read(&self.text, self.homebox, report, &mut |row, report| {
            write_row(tx, by, row, report)
        })
    }
}

/// What [`read`] hands each good row to.
type Sink<'s> = dyn FnMut(ItemRow, &mut Report) -> AppResult<()> + 's;

fn read(text: &str, homebox: bool, report: &mut Report, sink: &mut Sink<'_>) -> AppResult<()> {
    let first = text.lines().next().unwrap_or("");
    let delimiter = match homebox && first.contains('\t') {
        true => b'\t',
        false => b',',
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| {
            AppError::bad_request("invalid_csv", format!("The header row cannot be read: {e}"))
        })?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let columns = headers
        .iter()
        .map(|h| column(h, homebox))
        .collect::<Vec<_>>();
    // A column that means nothing is a file of another kind (or a typo in
    // its header): refused at once, in a dry run too, naming the columns.
    let unknown: Vec<&str> = headers
        .iter()
        .zip(&columns)
        .filter(|(_, c)| !homebox && matches!(c, Column::Unknown))
        .map(|(h, _)| h.as_str())
        .collect();
    if !unknown.is_empty() {
        let names: Vec<String> = unknown.iter().map(|h| format!("'{h}'")).collect();
        return Err(AppError::bad_request(
            "unknown_columns",
            format!(
                "row 1: unknown column{} {}. The columns are name, category, description, total_quantity, sku, barcodes, tags, location, quantity and field:<Name>.",
                if unknown.len() == 1 { "" } else { "s" },
                names.join(", ")
            ),
        )
        .with("columns", unknown));
    }
    // A Homebox export always has its items' names; a file without that
    // column is something else, whatever its other columns are.
    if homebox && !columns.iter().any(|c| matches!(c, Column::Name)) {
        return Err(AppError::bad_request(
            "not_homebox",
            "This is not a Homebox export: it has no HB.name column. Export the CSV from Homebox's Tools page.",
        ));
    }
    for (h, c) in headers.iter().zip(&columns) {
        match c {
            Column::Unknown if homebox => report.skipped.push(crate::api::import::Problem {
                path: None,
                row: None,
                column: Some(h.clone()),
                message: format!("column '{h}' has no place in MiauInv; it was not imported"),
            }),
            _ => {}
        }
    }
    for (n, record) in reader.records().enumerate() {
        let line = n + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                report.at_cell(line, None, format!("cannot be read: {e}"));
                continue;
            }
        };
        let errors_before = report.errors.len();
        let mut row = ItemRow {
            line,
            ..ItemRow::default()
        };
        let mut place_path = None;
        let mut place_quantity = None;
        for ((cell, col), header) in record.iter().zip(&columns).zip(&headers) {
            let cell = cell.trim();
            let mut bad = |message: &str| report.at_cell(line, Some(header), message);
            match col {
                Column::Unknown => {}
                Column::Id => match whole(cell) {
                    Ok(v) => row.id = v,
                    Err(m) => bad(m),
                },
                Column::ImportRef if cell.chars().count() > 100 => {
                    bad("must be at most 100 characters")
                }
                Column::ImportRef => row.import_ref = text_or_none(cell),
                Column::Name => row.name = text_or_none(cell),
                Column::Category => row.category = text_or_none(cell),
                Column::Description => row.description = text_or_none(cell),
                Column::Total => match whole(cell) {
                    Ok(v) => row.total_quantity = v,
                    Err(m) => bad(m),
                },
                Column::Sku => row.sku = text_or_none(cell),
                Column::Barcodes => row.barcodes = Some(list(cell)),
                Column::Tags => {
                    let mut all = row.tags.take().unwrap_or_default();
                    all.extend(list(cell));
                    row.tags = Some(all);
                }
                Column::Location => place_path = text_or_none(cell),
                Column::Quantity => match whole(cell) {
                    Ok(v) => place_quantity = v,
                    Err(m) => bad(m),
                },
                Column::Locations => match places(cell) {
                    Ok(p) => row.places = p,
                    Err(m) => bad(m),
                },
                Column::Field(name) => {
                    if !cell.is_empty() {
                        row.fields.insert(name.clone(), cell.to_string());
                    }
                }
            }
        }
        if let Some(path) = place_path {
            row.places.push((path, place_quantity.unwrap_or(0)));
        }
        if homebox && row.total_quantity.is_none() {
            row.total_quantity = place_quantity;
        }
        if report.errors.len() == errors_before {
            sink(row, report)?;
        }
    }
    Ok(())
}

enum Column {
    Id,
    ImportRef,
    Name,
    Category,
    Description,
    Total,
    Sku,
    Barcodes,
    Tags,
    Location,
    Quantity,
    Locations,
    Field(String),
    Unknown,
}

fn column(h: &str, homebox: bool) -> Column {
    if homebox {
        let Some(rest) = h.strip_prefix("HB.") else {
            return Column::Unknown;
        };
        return match rest {
            "import_ref" => Column::ImportRef,
            "name" => Column::Name,
            "description" => Column::Description,
            "quantity" => Column::Quantity,
            "location" => Column::Location,
            "label" | "labels" | "tags" => Column::Tags,
            f if HOMEBOX_FIELDS.contains(&f) => Column::Field(f.to_string()),
            f => match f.strip_prefix("field.") {
                Some(name) if !name.is_empty() => Column::Field(name.to_string()),
                _ => Column::Unknown,
            },
        };
    }
    match h {
        "id" => Column::Id,
        "name" => Column::Name,
        "category" => Column::Category,
        "description" => Column::Description,
        "total_quantity" => Column::Total,
        "sku" => Column::Sku,
        "barcodes" => Column::Barcodes,
        "tags" => Column::Tags,
        "location" => Column::Location,
        "quantity" => Column::Quantity,
        "locations" => Column::Locations,
        f => match f.strip_prefix("field:") {
            Some(name) if !name.trim().is_empty() => Column::Field(name.trim().to_string()),
            _ => Column::Unknown,
        },
    }
}

fn text_or_none(cell: &str) -> Option<String> {
    (!cell.is_empty()).then(|| cell.to_string())
}

fn whole(cell: &str) -> Result<Option<i64>, &'static str> {
    if cell.is_empty() {
        return Ok(None);
    }
    match cell.parse::<i64>() {
        Ok(n) if n >= 0 => Ok(Some(n)),
        _ => Err("must be a whole number"),
    }
}

/// `a; b, c` → `[a, b, c]`.
fn list(cell: &str) -> Vec<String> {
    let mut out: Vec<String> = cell
        .split([';', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// `Garage / Shelf A:6; Van:4` → `[("Garage / Shelf A", 6), ("Van", 4)]`.
fn places(cell: &str) -> Result<Vec<(String, i64)>, &'static str> {
    cell.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|p| {
            let (path, q) = p
                .rsplit_once(':')
                .ok_or("each place must read 'path:quantity'")?;
            match whole(q.trim()) {
                Ok(Some(q)) => Ok((path.trim().to_string(), q)),
                _ => Err("each place must read 'path:quantity' with a whole number"),
            }
        })
        .collect()
}

fn write_row(
    tx: &Transaction<'_>,
    by: Actor<'_>,
    row: ItemRow,
    report: &mut Report,
) -> AppResult<()> {
    let line = row.line;
    let existing = match (&row.import_ref, &row.sku, row.id) {
        (Some(r), _, _) => rows::item_by_import_ref(tx, r)?,
        (None, Some(sku), _) => rows::item_by_sku(tx, sku)?,
        (None, None, Some(id)) => match rows::item(tx, id)? {
            Some(_) => Some(id),
            None => {
                report.at_cell(line, Some("id"), format!("there is no item with id {id}"));
                return Ok(());
            }
        },
        (None, None, None) => None,
    };
    let mut item = match existing {
        Some(id) => rows::item(tx, id)?.expect("found above"),
        None => {
            let Some(name) = row.name.clone() else {
                report.at_cell(line, Some("name"), "a new item needs a name");
                return Ok(());
            };
            Item {
                id: rows::next_item_id(tx)?,
                name,
                category: None,
                description: None,
                total_quantity: 0,
                sku: None,
                tags: Vec::new(),
                fields: BTreeMap::new(),
                barcodes: Vec::new(),
                archived_at: None,
            }
        }
    };
    let placed: i64 = row.places.iter().map(|(_, q)| q).sum();
    item.name = row.name.unwrap_or(item.name);
    item.category = row.category.or(item.category);
    item.description = row.description.or(item.description);
    item.sku = row.sku.or(item.sku);
    item.total_quantity = row
        .total_quantity
        .unwrap_or(item.total_quantity.max(placed));
    if let Some(codes) = row.barcodes {
        item.barcodes = codes;
    }
    if let Some(tags) = row.tags {
        item.tags = tags;
    }
    item.fields.extend(row.fields);
    if let Some(r) = row.import_ref {
        item.fields.insert(IMPORT_REF_FIELD.to_string(), r);
    }
    let written = write::item(tx, &item)?;
    let ok = written.is_ok();
    report.written("items", written, || Where::Cell(line, None));
    if !ok {
        return Ok(());
    }
    for (path, quantity) in row.places {
        let (location, created) = rows::location_by_path(tx, &path)?;
        for _ in 0..created {
            report.count("locations", Outcome::Created);
        }
        if let Err(refusal) = rows::set_stock(tx, by, item.id, location, quantity)? {
            report.at_cell(
                line,
                Some("quantity"),
                crate::api::import::refusal_words(&refusal),
            );
        }
    }
    Ok(())
}
