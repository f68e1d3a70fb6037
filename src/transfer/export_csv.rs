//! The CSV export engine (layer: transfer) behind
//! `GET /api/export?format=csv&what=items|locations|stock|allocations|movements`
//! and `miauinv export --format csv`, and the one neutralising function every
//! CSV the server writes uses ([`safe`]):
//! one table as CSV (UTF-8, header row, RFC 4180 quoting by the `csv` crate).
//! Cells that a spreadsheet would run as a formula (starting with `=`, `+`,
//! `-`, `@`, tab or carriage return) get a leading `'`, per OWASP's CSV
//! injection guidance; numbers MiauInv writes itself are left as they are.
//! The items table has one row per item, its places as
//! `Garage / Shelf A:6; Van:4`, the columns `POST /api/import?format=csv` reads.

use crate::db::export;
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};

/// A user's text as a safe cell.
pub fn safe(cell: &str) -> Cow<'_, str> {
    match cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        true => Cow::Owned(format!("'{cell}")),
        false => Cow::Borrowed(cell),
    }
}

fn opt(v: &Option<String>) -> Cow<'_, str> {
    safe(v.as_deref().unwrap_or(""))
}

fn num(v: Option<i64>) -> String {
    v.map(|n| n.to_string()).unwrap_or_default()
}

/// The tables a CSV export can be of.
pub const TABLES: &[&str] = &["items", "locations", "stock", "allocations", "movements"];

pub fn table(doc: &export::Document, what: &str) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let paths: HashMap<i64, &str> = doc
        .locations
        .iter()
        .map(|l| (l.id, l.path.as_str()))
        .collect();
    let path = |id: Option<i64>| id.and_then(|i| paths.get(&i).copied()).unwrap_or("");
    match what {
        "items" => {
            let names: BTreeSet<&str> = doc
                .items
                .iter()
                .flat_map(|i| i.fields.keys().map(String::as_str))
                .collect();
            let mut head = vec![
                "id".to_string(),
                "name".into(),
                "category".into(),
                "description".into(),
                "total_quantity".into(),
                "sku".into(),
                "barcodes".into(),
                "tags".into(),
                "locations".into(),
            ];
            head.extend(names.iter().map(|n| format!("field:{n}")));
            w.write_record(head.iter().map(|h| safe(h).into_owned()))?;
            let mut places: HashMap<i64, Vec<String>> = HashMap::new();
            for s in &doc.stock {
                places.entry(s.item_id).or_default().push(format!(
                    "{}:{}",
                    path(Some(s.location_id)),
                    s.quantity
                ));
            }
            for i in doc.items.iter().filter(|i| i.archived_at.is_none()) {
                let mut rec: Vec<String> = vec![
                    i.id.to_string(),
                    safe(&i.name).into(),
                    opt(&i.category).into(),
                    opt(&i.description).into(),
                    i.total_quantity.to_string(),
                    opt(&i.sku).into(),
                    safe(&i.barcodes.join("; ")).into(),
                    safe(&i.tags.join("; ")).into(),
                    safe(&places.remove(&i.id).unwrap_or_default().join("; ")).into(),
                ];
                rec.extend(names.iter().map(|n| {
                    safe(i.fields.get(*n).map(String::as_str).unwrap_or("")).into_owned()
                }));
                w.write_record(&rec)?;
            }
        }
        "locations" => {
            w.write_record(["id", "name", "parent_id", "path"])?;
            for l in doc.locations.iter().filter(|l| l.archived_at.is_none()) {
                w.write_record([
                    l.id.to_string(),
                    safe(&l.name).into(),
                    num(l.parent_id),
                    safe(&l.path).into(),
                ])?;
            }
        }
        "stock" => {
            let names: HashMap<i64, &str> =
                doc.items.iter().map(|i| (i.id, i.name.as_str())).collect();
            w.write_record([
                "id",
                "item_id",
                "item",
                "location_id",
                "location",
                "quantity",
            ])?;
            for s in &doc.stock {
                w.write_record([
                    s.id.to_string(),
                    s.item_id.to_string(),
                    safe(names.get(&s.item_id).copied().unwrap_or("")).into(),
                    s.location_id.to_string(),
                    safe(path(Some(s.location_id))).into(),
                    s.quantity.to_string(),
                ])?;
            }
        }
        "allocations" => {
            let items: HashMap<i64, &str> =
                doc.items.iter().map(|i| (i.id, i.name.as_str())).collect();
            let projects: HashMap<i64, &str> = doc
                .projects
                .iter()
                .map(|p| (p.id, p.name.as_str()))
                .collect();
            w.write_record(["id", "item_id", "item", "project_id", "project", "quantity"])?;
            for a in &doc.allocations {
                w.write_record([
                    a.id.to_string(),
                    a.item_id.to_string(),
                    safe(items.get(&a.item_id).copied().unwrap_or("")).into(),
                    a.project_id.to_string(),
                    safe(projects.get(&a.project_id).copied().unwrap_or("")).into(),
                    a.quantity.to_string(),
                ])?;
            }
        }
        _ => {
            w.write_record([
                "id",
                "created_at",
                "username",
                "item_id",
                "item",
                "kind",
                "location_id",
                "location",
                "to_location_id",
                "to_location",
                "project_id",
                "project",
                "delta",
                "quantity_after",
                "note",
            ])?;
            for m in &doc.movements {
                w.write_record([
                    m.id.to_string(),
                    m.created_at.to_string(),
                    opt(&m.username).into(),
                    m.item_id.to_string(),
                    opt(&m.item_name).into(),
                    safe(&m.kind).into(),
                    num(m.location_id),
                    opt(&m.location_name).into(),
                    num(m.to_location_id),
                    opt(&m.to_location_name).into(),
                    num(m.project_id),
                    opt(&m.project_name).into(),
                    m.delta.to_string(),
                    m.quantity_after.to_string(),
                    opt(&m.note).into(),
                ])?;
            }
        }
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_defused_and_plain_text_is_not() {
        assert_eq!(safe("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(safe("+1"), "'+1");
        assert_eq!(safe("-2"), "'-2");
        assert_eq!(safe("@cmd"), "'@cmd");
        assert_eq!(safe("\tx"), "'\tx");
        assert_eq!(safe("Bolt M3"), "Bolt M3");
    }
}
