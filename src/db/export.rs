//! The export document (`GET /api/export?format=json`, `miauinv export`):
//! everything the inventory holds, read in one snapshot, in a versioned shape
//! that `db/import.rs` reads back. Accounts and secrets are not part of it
//! (a backup is for those). Rows come out in id order, so two exports of the
//! same data are equal apart from `exported_at`.

use crate::error::AppResult;
use rusqlite::{Connection, Row};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// The version of the document's shape; an importer refuses others.
pub const VERSION: i64 = 1;

#[derive(Debug, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub miauinv_export: i64,
    pub exported_at: i64,
    pub locations: Vec<Location>,
    pub items: Vec<Item>,
    pub projects: Vec<Project>,
    pub stock: Vec<Stock>,
    pub allocations: Vec<Allocation>,
    pub movements: Vec<Movement>,
    /// Every tag in use (items carry theirs by name).
    pub tags: Vec<String>,
    /// Photos and attachments by their facts; their bytes are files of the
    /// ZIP export (`file`). Left out when there are none, so an inventory
    /// without media exports the same document as before they existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub photos: Vec<Photo>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// A photo's facts; its bytes are `file` (and its thumbnail `thumb_file`)
/// in the ZIP export.
#[derive(Debug, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Photo {
    pub id: i64,
    pub item_id: i64,
    pub primary: bool,
    pub width: i64,
    pub height: i64,
    pub content_type: String,
    pub size: i64,
    pub created_at: i64,
    pub file: String,
    pub thumb_file: String,
}

/// An attachment's facts; its bytes are `file` in the ZIP export.
#[derive(Debug, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    pub id: i64,
    pub item_id: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub created_at: i64,
    pub file: String,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ExportLocation")]
pub struct Location {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub parent_id: Option<i64>,
    /// `Garage / Shelf A`: informational; the parent is what an import uses.
    #[serde(default)]
    pub path: String,
    #[serde(default)]
    pub archived_at: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ExportItem")]
pub struct Item {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub total_quantity: i64,
    #[serde(default)]
    pub sku: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    #[serde(default)]
    pub barcodes: Vec<String>,
    #[serde(default)]
    pub archived_at: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ExportProject")]
pub struct Project {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub archived_at: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ExportStock")]
pub struct Stock {
    pub id: i64,
    pub item_id: i64,
    pub location_id: i64,
    pub quantity: i64,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ExportAllocation")]
pub struct Allocation {
    pub id: i64,
    pub item_id: i64,
    pub project_id: i64,
    pub quantity: i64,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ExportMovement")]
pub struct Movement {
    pub id: i64,
    pub created_at: i64,
    #[serde(default)]
    pub username: Option<String>,
    pub item_id: i64,
    #[serde(default)]
    pub item_name: Option<String>,
    pub kind: String,
    #[serde(default)]
    pub location_id: Option<i64>,
    #[serde(default)]
    pub location_name: Option<String>,
    #[serde(default)]
    pub to_location_id: Option<i64>,
    #[serde(default)]
    pub to_location_name: Option<String>,
    #[serde(default)]
    pub project_id: Option<i64>,
    #[serde(default)]
    pub project_name: Option<String>,
    pub delta: i64,
    pub quantity_after: i64,
    #[serde(default)]
    pub note: Option<String>,
    /// Set on history a non-admin imported from a file: the author and time
    /// the file claimed (`username` and `created_at` are then the importing
    /// account and the time of the import).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_at: Option<i64>,
}

/// Reads the whole document; call inside one read transaction.
pub fn document(conn: &Connection, now: i64) -> AppResult<Document> {
    Ok(Document {
        miauinv_export: VERSION,
        exported_at: now,
        locations: locations(conn)?,
        items: items(conn)?,
        projects: rows(
            conn,
            "SELECT id, name, description, archived_at FROM projects ORDER BY id",
            |r| {
                Ok(Project {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    description: r.get(2)?,
                    archived_at: r.get(3)?,
                })
            },
        )?,
        stock: rows(
            conn,
            "SELECT id, item_id, location_id, quantity FROM stock ORDER BY id",
            |r| {
                Ok(Stock {
                    id: r.get(0)?,
                    item_id: r.get(1)?,
                    location_id: r.get(2)?,
                    quantity: r.get(3)?,
                })
            },
        )?,
        allocations: rows(
            conn,
            "SELECT id, item_id, project_id, quantity FROM project_items ORDER BY id",
            |r| {
                Ok(Allocation {
                    id: r.get(0)?,
                    item_id: r.get(1)?,
                    project_id: r.get(2)?,
                    quantity: r.get(3)?,
                })
            },
        )?,
        movements: rows(conn, MOVEMENTS, movement)?,
        tags: rows(conn, "SELECT name FROM tags ORDER BY name", |r| r.get(0))?,
        photos: rows(conn, PHOTOS, photo)?,
        attachments: rows(conn, ATTACHMENTS, attachment)?,
    })
}

const PHOTOS: &str = "SELECT id, item_id, is_primary, width, height, content_type, size, created_at
    FROM photos ORDER BY id";

fn photo(r: &Row<'_>) -> rusqlite::Result<Photo> {
    let id: i64 = r.get(0)?;
    let content_type: String = r.get(5)?;
    let ext = photo_extension(&content_type);
    Ok(Photo {
        id,
        item_id: r.get(1)?,
        primary: r.get(2)?,
        width: r.get(3)?,
        height: r.get(4)?,
        size: r.get(6)?,
        created_at: r.get(7)?,
        file: format!("photos/{id}.{ext}"),
        thumb_file: format!("photos/{id}-thumb.{ext}"),
        content_type,
    })
}

/// Stored photos are JPEG or PNG (re-encoded on upload); the extension only
/// names the file, the content type says what it is.
fn photo_extension(content_type: &str) -> &'static str {
    match content_type {
        "image/png" => "png",
        "image/webp" => "webp",
        "image/jpeg" => "jpg",
        _ => "bin",
    }
}

const ATTACHMENTS: &str = "SELECT id, item_id, filename, content_type, size, created_at
    FROM attachments ORDER BY id";

/// `attachments/<id>/<filename>`: the id keeps two files of the same name
/// apart; the stored name is already one path component (sanitised on upload).
fn attachment(r: &Row<'_>) -> rusqlite::Result<Attachment> {
    let id: i64 = r.get(0)?;
    let filename: String = r.get(2)?;
    Ok(Attachment {
        id,
        item_id: r.get(1)?,
        file: format!("attachments/{id}/{}", filename.replace(['/', '\\'], "_")),
        filename,
        content_type: r.get(3)?,
        size: r.get(4)?,
        created_at: r.get(5)?,
    })
}

const MOVEMENTS: &str = "SELECT id, created_at, username, item_id, item_name, kind,
        location_id, location_name, to_location_id, to_location_name, project_id,
        project_name, delta, quantity_after, note, claimed_username, claimed_at
    FROM movements ORDER BY id";

fn movement(r: &Row<'_>) -> rusqlite::Result<Movement> {
    Ok(Movement {
        id: r.get(0)?,
        created_at: r.get(1)?,
        username: r.get(2)?,
        item_id: r.get(3)?,
        item_name: r.get(4)?,
        kind: r.get(5)?,
        location_id: r.get(6)?,
        location_name: r.get(7)?,
        to_location_id: r.get(8)?,
        to_location_name: r.get(9)?,
        project_id: r.get(10)?,
        project_name: r.get(11)?,
        delta: r.get(12)?,
        quantity_after: r.get(13)?,
        note: r.get(14)?,
        claimed_by: r.get(15)?,
        claimed_at: r.get(16)?,
    })
}

/// Every row of `sql`, mapped.
pub fn rows<T>(
    conn: &Connection,
    sql: &str,
    f: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> AppResult<Vec<T>> {
    let mut stmt = conn.prepare(sql)?;
    let found = stmt.query_map([], f)?.collect::<rusqlite::Result<_>>()?;
    Ok(found)
}

/// Locations with their paths (`Garage / Shelf A`), parents before children
/// is not promised: ids order them, and an import orders by parent itself.
pub fn locations(conn: &Connection) -> AppResult<Vec<Location>> {
    let mut found = rows(
        conn,
        "SELECT id, name, parent_id, archived_at FROM locations ORDER BY id",
        |r| {
            Ok(Location {
                id: r.get(0)?,
                name: r.get(1)?,
                parent_id: r.get(2)?,
                path: String::new(),
                archived_at: r.get(3)?,
            })
        },
    )?;
    let by_id: HashMap<i64, (String, Option<i64>)> = found
        .iter()
        .map(|l| (l.id, (l.name.clone(), l.parent_id)))
        .collect();
    for l in &mut found {
        l.path = path_of(&by_id, l.id);
    }
    Ok(found)
}

/// `Garage / Shelf A / Box 3` from the parent links (a cycle cannot exist:
/// the schema's tree rules refuse one; the depth cap is only a guard).
pub fn path_of(by_id: &HashMap<i64, (String, Option<i64>)>, id: i64) -> String {
    let mut names = Vec::new();
    let mut at = Some(id);
    while let Some((name, parent)) = at.and_then(|i| by_id.get(&i)) {
        names.push(name.as_str());
        at = *parent;
        if names.len() > 64 {
            break;
        }
    }
    names.reverse();
    names.join(" / ")
}

fn items(conn: &Connection) -> AppResult<Vec<Item>> {
    let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
    for (id, name) in rows(
        conn,
        "SELECT it.item_id, t.name FROM item_tags it JOIN tags t ON t.id = it.tag_id ORDER BY it.item_id, t.name",
        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
    )? {
        tags.entry(id).or_default().push(name);
    }
    let mut fields: HashMap<i64, BTreeMap<String, String>> = HashMap::new();
    for (id, name, value) in rows(conn, "SELECT item_id, name, value FROM item_fields", |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get(2)?))
    })? {
        fields.entry(id).or_default().insert(name, value);
    }
    let mut codes: HashMap<i64, Vec<String>> = HashMap::new();
    for (id, code) in rows(
        conn,
        "SELECT item_id, code FROM item_barcodes ORDER BY item_id, code",
        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
    )? {
        codes.entry(id).or_default().push(code);
    }
    rows(
        conn,
        "SELECT id, name, category, description, total_quantity, sku, archived_at FROM items ORDER BY id",
        |r| {
            let id: i64 = r.get(0)?;
            Ok(Item {
                id,
                name: r.get(1)?,
                category: r.get(2)?,
                description: r.get(3)?,
                total_quantity: r.get(4)?,
                sku: r.get(5)?,
                tags: tags.remove(&id).unwrap_or_default(),
                fields: fields.remove(&id).unwrap_or_default(),
                barcodes: codes.remove(&id).unwrap_or_default(),
                archived_at: r.get(6)?,
            })
        },
    )
}
