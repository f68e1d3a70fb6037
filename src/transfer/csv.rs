//! Reading item CSV files for `POST /api/import`: MiauInv's own columns
//! (`format=csv&what=items`) and Homebox's `HB.*` export (`format=homebox`,
//! comma or tab separated). Parsing checks every cell first and names the row
//! and column of each problem ("row 7, column total_quantity: must be a whole
//! number"); writing then runs row by row inside the import's transaction.
//! Row numbers count the header as row 1, as a spreadsheet shows them.

use super::{Importer, Report, Where};
use crate::db::export::Item;
use crate::db::import::{self as write, Outcome};
use crate::db::import_rows::{self as rows, IMPORT_REF_FIELD};
use crate::db::movements::Actor;
use crate::error::{AppError, AppResult};
use crate::rules::fields::{self as rule_fields, MAX_CATEGORY, MAX_TEXT};
use crate::rules::{item, limits};
use rusqlite::Transaction;
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
/// copy of every row (100 000 rows: docs/data.md, "Import"). It is read twice: once
/// to check every cell before the write lock is taken, once to write.
pub struct Rows<'a> {
    text: &'a str,
    homebox: bool,
    by: &'a Importer,
}

impl<'a> Rows<'a> {
    /// A whole file (the benchmark calls this directly); `by` is who the
    /// stock changes are recorded for.
    pub fn from_text(text: &'a str, homebox: bool, by: &'a Importer) -> Rows<'a> {
        Rows {
            text: text.strip_prefix('\u{feff}').unwrap_or(text),
            homebox,
            by,
        }
    }

    /// Reads every row and checks every cell, writing nothing: the problems
    /// go to `report`. A file it refuses whole (unknown columns, not a
    /// Homebox export) is an error.
    pub fn check(&self, report: &mut Report) -> AppResult<()> {
        read(self.text, self.homebox, report, &mut |_, _| Ok(()))
    }

    /// Reads and writes every row (after [`Rows::check`] found no problem).
    pub fn write(&self, tx: &Transaction<'_>, report: &mut Report) -> AppResult<()> {
        let by = Actor {
            user_id: &self.by.user_id,
            username: &self.by.username,
        };
        // The columns left out were said by the check pass: said once.
        let said = report.skipped.len();
        let written = read(self.text, self.homebox, report, &mut |row, report| {
            write_row(tx, by, row, report)
        });
        report.skipped.truncate(said);
        written
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
            Column::Unknown if homebox => report.skipped.push(super::Problem {
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
        let mut tags: Option<Vec<&str>> = None;
        let mut fields: Vec<(&str, &str)> = Vec::new();
        for ((cell, col), header) in record.iter().zip(&columns).zip(&headers) {
            let cell = cell.trim();
            let mut bad = |e: AppError| report.refused_cell(line, Some(header), e);
            match col {
                Column::Unknown => {}
                Column::Id => match whole(cell) {
                    Ok(v) => row.id = v,
                    Err(e) => bad(e),
                },
                Column::ImportRef => match import_ref(cell) {
                    Ok(v) => row.import_ref = v,
                    Err(e) => bad(e),
                },
                Column::Name if cell.is_empty() => {}
                Column::Name => match rule_fields::name("name", cell) {
                    Ok(v) => row.name = Some(v),
                    Err(e) => bad(e),
                },
                Column::Category => match rule_fields::text("category", Some(cell), MAX_CATEGORY) {
                    Ok(v) => row.category = v,
                    Err(e) => bad(e),
                },
                Column::Description => match rule_fields::text("description", Some(cell), MAX_TEXT)
                {
                    Ok(v) => row.description = v,
                    Err(e) => bad(e),
                },
                Column::Total => match whole(cell) {
                    Ok(v) => row.total_quantity = v,
                    Err(e) => bad(e),
                },
                Column::Sku => match item::sku(Some(cell)) {
                    Ok(v) => row.sku = v,
                    Err(e) => bad(e),
                },
                Column::Barcodes => match item::barcode_list(list(cell)) {
                    Ok(v) => row.barcodes = Some(v),
                    Err(e) => bad(e),
                },
                Column::Tags => tags.get_or_insert_with(Vec::new).extend(list(cell)),
                Column::Location => match path(cell) {
                    Ok(v) => place_path = v,
                    Err(e) => bad(e),
                },
                Column::Quantity => match whole(cell) {
                    Ok(v) => place_quantity = v,
                    Err(e) => bad(e),
                },
                Column::Locations => match places(cell) {
                    Ok(p) => row.places = p,
                    Err(e) => bad(e),
                },
                Column::Field(name) => {
                    if !cell.is_empty() {
                        fields.push((name, cell));
                    }
                }
            }
        }
        if let Some(tags) = tags {
            // Lowercased and trimmed like every tag (Homebox's `L1` is `l1`).
            match item::tag_list(tags) {
                Ok(v) => row.tags = Some(v),
                Err(e) => report.refused_cell(line, Some("tags"), e),
            }
        }
        match item::field_pairs(fields) {
            Ok(v) => row.fields = v,
            Err(e) => report.refused_cell(line, None, e),
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

/// A whole number of 0 to 10^12, or `None` for an empty cell.
fn whole(cell: &str) -> AppResult<Option<i64>> {
    if cell.is_empty() {
        return Ok(None);
    }
    match cell.parse::<i128>() {
        Ok(n) => rule_fields::quantity_in("quantity", n).map(Some),
        Err(_) => Err(AppError::invalid_field(
            "quantity",
            "must be a whole number",
        )),
    }
}

/// A Homebox import ref: at most 100 characters, no control characters.
fn import_ref(cell: &str) -> AppResult<Option<String>> {
    if cell.chars().count() > 100 || cell.chars().any(char::is_control) {
        return Err(AppError::invalid_field(
            "import_ref",
            "must be at most 100 characters, none of them control characters",
        ));
    }
    Ok((!cell.is_empty()).then(|| cell.to_string()))
}

/// `a; b, c` → `[a, b, c]`.
fn list(cell: &str) -> Vec<&str> {
    cell.split([';', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// A location path `Garage / Shelf A`: each name as the API takes it, at most
/// as deep as the API nests locations. `None` for an empty cell.
fn path(cell: &str) -> AppResult<Option<String>> {
    let names: Vec<&str> = cell
        .split('/')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect();
    if names.is_empty() {
        return Ok(None);
    }
    limits::depth("location", names.len() as i64 - 1)?;
    let names = names
        .into_iter()
        .map(|n| rule_fields::name("location", n))
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Some(names.join(" / ")))
}

/// `Garage / Shelf A:6; Van:4` → `[("Garage / Shelf A", 6), ("Van", 4)]`.
fn places(cell: &str) -> AppResult<Vec<(String, i64)>> {
    let form = || {
        AppError::invalid_field(
            "locations",
            "each place must read 'path:quantity' with a whole number",
        )
    };
    cell.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|p| {
            let (at, q) = p.rsplit_once(':').ok_or_else(form)?;
            let q = whole(q.trim())?.ok_or_else(form)?;
            Ok((path(at)?.ok_or_else(form)?, q))
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
    if placed > rule_fields::MAX_QUANTITY {
        report.refused_cell(
            line,
            Some("quantity"),
            rule_fields::quantity_in("quantity", placed).expect_err("over the limit"),
        );
        return Ok(());
    }
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
    if item.fields.len() > item::MAX_FIELDS {
        report.at_cell(
            line,
            None,
            format!("an item has at most {} fields", item::MAX_FIELDS),
        );
        return Ok(());
    }
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
            report.at_cell(line, Some("quantity"), super::refusal_words(&refusal));
        }
    }
    Ok(())
}
