//! `/api/item`: items with their stock and allocation aggregates, the item
//! history (`/api/item/history`) and the recent movements over all items
//! (`/api/movements`). An item carries tags, custom fields, a sku and
//! barcodes besides its stock (checked in `item_details.rs`).

use crate::api::list;
use crate::api::words::plural;
use crate::ctx::Ctx;
use crate::db;
use crate::db::facts::{Fact, Noun};
use crate::db::item_details::{self as details_db, Fields};
use crate::db::items::{self, Lookup, NewItem};
use crate::db::media;
use crate::db::movements::{self, Change, KIND_TOTAL};
use crate::db::placement::{self, ALLOCATIONS, STOCK};
use crate::db::skeleton::{Among, look_alike};
use crate::db::tags;
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use crate::rules::fields::{self, MAX_CATEGORY, MAX_NAME, MAX_TEXT, Quantity, Whole};
use crate::rules::item;
use crate::rules::item::{BarcodeList, FieldMap, MAX_SKU, TagList};
use rusqlite::Connection;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

/// `POST /api/item`: a new item. Texts are trimmed; a blank optional text is none.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewItemBody {
    #[schemars(length(max = MAX_NAME), regex(pattern = fields::NAME_PATTERN))]
    name: String,
    #[schemars(length(max = MAX_CATEGORY))]
    category: Option<String>,
    #[schemars(length(max = MAX_TEXT))]
    description: Option<String>,
    /// Units owned in all (default 0).
    #[serde(default, deserialize_with = "fields::present")]
    #[schemars(with = "Quantity")]
    total_quantity: Option<Whole>,
    /// The note of the first history entry.
    #[schemars(length(max = MAX_TEXT))]
    note: Option<String>,
    /// Its own part number, unique ignoring case.
    #[schemars(length(max = MAX_SKU), regex(pattern = fields::BLANK_OR_NAME_PATTERN))]
    sku: Option<String>,
    #[serde(default, deserialize_with = "fields::present")]
    #[schemars(with = "TagList")]
    tags: Option<Value>,
    #[serde(default, deserialize_with = "fields::present")]
    #[schemars(with = "FieldMap")]
    fields: Option<Value>,
    #[serde(default, deserialize_with = "fields::present")]
    #[schemars(with = "BarcodeList")]
    barcodes: Option<Value>,
    /// Below this many available units the item is low (0: no minimum).
    #[serde(default, deserialize_with = "fields::present")]
    #[schemars(with = "Quantity")]
    min_quantity: Option<Whole>,
    /// How many to order at once (at least 1), or null.
    #[schemars(with = "Option<fields::WholeIn<1, { fields::MAX_QUANTITY }>>")]
    reorder_quantity: Option<Whole>,
}

/// `PUT /api/item`: every field may be left out; `null` clears the texts and
/// the sku. `tags`, `fields` and `barcodes` replace what the item had (`[]`
/// and `{}` clear them).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ItemChanges {
    #[serde(default, deserialize_with = "fields::present")]
    #[schemars(with = "String", length(max = MAX_NAME), regex(pattern = fields::NAME_PATTERN))]
    name: Option<String>,
    #[serde(default, deserialize_with = "fields::nullable")]
    #[schemars(length(max = MAX_CATEGORY))]
    category: Option<Option<String>>,
    #[serde(default, deserialize_with = "fields::nullable")]
    #[schemars(length(max = MAX_TEXT))]
    description: Option<Option<String>>,
    /// The new total; it must still cover what is stocked and allocated.
    #[serde(default, deserialize_with = "fields::present")]
    #[schemars(with = "Quantity")]
    total_quantity: Option<Whole>,
    /// The note of the history entry a new total makes.
    #[schemars(length(max = MAX_TEXT))]
    note: Option<String>,
    #[serde(default, deserialize_with = "fields::nullable")]
    #[schemars(length(max = MAX_SKU), regex(pattern = fields::BLANK_OR_NAME_PATTERN))]
    sku: Option<Option<String>>,
    #[serde(default, deserialize_with = "fields::present")]
    #[schemars(with = "TagList")]
    tags: Option<Value>,
    #[serde(default, deserialize_with = "fields::present")]
    #[schemars(with = "FieldMap")]
    fields: Option<Value>,
    #[serde(default, deserialize_with = "fields::present")]
    #[schemars(with = "BarcodeList")]
    barcodes: Option<Value>,
    #[serde(default, deserialize_with = "fields::present")]
    #[schemars(with = "Quantity")]
    min_quantity: Option<Whole>,
    #[serde(default, deserialize_with = "fields::nullable")]
    #[schemars(with = "Option<fields::WholeIn<1, { fields::MAX_QUANTITY }>>")]
    reorder_quantity: Option<Option<Whole>>,
}

/// The tags, fields and barcodes a body sets; `None` leaves them as they are.
struct Details {
    tags: Option<Vec<String>>,
    fields: Option<Fields>,
    barcodes: Option<Vec<String>>,
}

impl Details {
    fn check(
        tags: Option<Value>,
        fields: Option<Value>,
        barcodes: Option<Value>,
    ) -> AppResult<Self> {
        Ok(Details {
            tags: tags.as_ref().map(item::tags).transpose()?,
            fields: fields.as_ref().map(item::fields).transpose()?,
            barcodes: barcodes.as_ref().map(item::barcodes).transpose()?,
        })
    }

    /// Writes them for item `id`, then its search text (the sku may have
    /// changed too, so always).
    fn write(&self, tx: &Connection, id: i64) -> AppResult<()> {
        if let Some(t) = &self.tags {
            tags::set_for_item(tx, id, t)?;
        }
        if let Some(f) = &self.fields {
            details_db::set_fields(tx, id, f)?;
        }
        if let Some(b) = &self.barcodes {
            details_db::set_barcodes(tx, id, b)?;
        }
        details_db::refresh_search(tx, id)
    }
}

/// The item as `/api/item` answers it: with tags, fields and barcodes.
fn full_item(tx: &Connection, id: i64) -> AppResult<items::Item> {
    let mut item = vec![items::get(tx, id)?];
    items::attach_details(tx, &mut item)?;
    add_primary_photos(tx, &mut item)?;
    Ok(item.remove(0))
}

/// `?tag=` (repeatable: all of them), `?barcode=`, `?sku=`.
fn lookup(req: &crate::http::Request) -> AppResult<Lookup> {
    Ok(Lookup {
        tags: req
            .params("tag")
            .into_iter()
            .map(|t| item::tag("tag", t))
            .collect::<AppResult<_>>()?,
        barcode: req
            .param("barcode")
            .map(|c| item::barcode("barcode", c))
            .transpose()?,
        sku: item::sku(req.param("sku"))?,
        low: req.flag("low")?,
    })
}

/// Movements `/api/movements` answers when no `limit` is given.
const RECENT_DEFAULT: i64 = 50;

/// `GET /api/item`: every item (searchable, sortable, paged) or `?id=` one.
/// `?locations=true` adds where each item is stocked, for the whole page in one
/// query.
pub fn get(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let with_locations = ctx.req.flag("locations")?;
    // Checked with `id` too, where they do nothing, so that a wrong one is
    // never silently ignored.
    let q = list::list_query(ctx.req, items::SORTS)?;
    let lookup = lookup(ctx.req)?;
    if let Some(id) = ctx.req.opt_id_param("id")? {
        let item = db::read(ctx.conn, |tx| {
            let mut item = vec![items::get(tx, id)?];
            items::attach_details(tx, &mut item)?;
            if with_locations {
                add_locations(tx, &mut item)?;
            }
            add_media(tx, &mut item[0])?;
            Ok(item.remove(0))
        })?;
        return Ok(Reply::ok(&item));
    }
    let page = db::read(ctx.conn, |tx| {
        let mut page = items::list(tx, &q, &lookup)?;
        items::attach_details(tx, &mut page.rows)?;
        if with_locations {
            add_locations(tx, &mut page.rows)?;
        }
        add_primary_photos(tx, &mut page.rows)?;
        Ok(page)
    })?;
    Ok(list::page_reply(&page, &q))
}

fn add_locations(conn: &rusqlite::Connection, rows: &mut [items::Item]) -> AppResult<()> {
    let ids: Vec<i64> = rows.iter().map(|i| i.id).collect();
    let mut placed = placement::placed_for_items(conn, &STOCK, &ids)?;
    for item in rows {
        item.locations = Some(placed.remove(&item.id).unwrap_or_default());
    }
    Ok(())
}

/// The item's photos and attachments (the single-item read).
fn add_media(conn: &rusqlite::Connection, item: &mut items::Item) -> AppResult<()> {
    let photos = media::photos_of(conn, item.id)?;
    item.photo_id = photos.iter().find(|p| p.primary).map(|p| p.id);
    item.photos = photos;
    item.attachments = media::attachments_of(conn, item.id)?;
    Ok(())
}

/// Each listed item's primary photo, for the list's thumbnails.
fn add_primary_photos(conn: &rusqlite::Connection, rows: &mut [items::Item]) -> AppResult<()> {
    let ids: Vec<i64> = rows.iter().map(|i| i.id).collect();
    let mut primary = media::primary_photos(conn, &ids)?;
    for item in rows {
        item.photo_id = primary.remove(&item.id);
    }
    Ok(())
}

/// `POST /api/item`.
pub fn create(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let body: NewItemBody = ctx.req.json()?;
    let new = NewItem {
        name: fields::name("name", &body.name)?,
        category: fields::text("category", body.category.as_deref(), MAX_CATEGORY)?,
        description: fields::text("description", body.description.as_deref(), MAX_TEXT)?,
        total_quantity: match body.total_quantity {
            Some(n) => fields::quantity("total_quantity", n)?,
            None => 0,
        },
        sku: item::sku(body.sku.as_deref())?,
        min_quantity: match body.min_quantity {
            Some(n) => fields::quantity("min_quantity", n)?,
            None => 0,
        },
        reorder_quantity: reorder_quantity(body.reorder_quantity)?,
    };
    let details = Details::check(body.tags, body.fields, body.barcodes)?;
    let note = fields::note(body.note.as_deref())?;
    let user = ctx.user()?.clone();
    let item = db::write(ctx.conn, |tx| {
        if let Some(sku) = &new.sku {
            details_db::ensure_sku_free(tx, sku, None)?;
        }
        let id = items::insert(tx, &new)?;
        details.write(tx, id)?;
        // The first history entry: the total the item started with.
        let change = Change {
            note: note.as_deref(),
            ..Change::new(KIND_TOTAL, id, new.total_quantity, new.total_quantity)
        };
        movements::record(tx, user.actor(), &change)?;
        let mut item = full_item(tx, id)?;
        item.similar_to = look_alike(tx, Among::Items, &new.name, id)?;
        Ok(item)
    })?;
    Ok(Reply::created(&item))
}

/// `PUT /api/item?id=`: any subset of the fields; a lower total must still
/// cover what is stocked and what is allocated.
pub fn update(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = ctx.req.id_param("id")?;
    let body: ItemChanges = ctx.req.json()?;
    let name = fields::name_change("name", body.name)?;
    let renamed = name.is_some();
    let category = fields::text_change("category", body.category, MAX_CATEGORY)?;
    let description = fields::text_change("description", body.description, MAX_TEXT)?;
    let total = body
        .total_quantity
        .map(|n| fields::quantity("total_quantity", n))
        .transpose()?;
    let sku = body.sku.map(|s| item::sku(s.as_deref())).transpose()?;
    let min = body
        .min_quantity
        .map(|n| fields::quantity("min_quantity", n))
        .transpose()?;
    let reorder = body.reorder_quantity.map(reorder_quantity).transpose()?;
    let details = Details::check(body.tags, body.fields, body.barcodes)?;
    let note = fields::note(body.note.as_deref())?;
    let user = ctx.user()?.clone();
    let item = db::write(ctx.conn, |tx| {
        let old = items::get_active(tx, id)?;
        let new = NewItem {
            name: name.unwrap_or(old.name.clone()),
            category: category.unwrap_or(old.category.clone()),
            description: description.unwrap_or(old.description.clone()),
            total_quantity: total.unwrap_or(old.total_quantity),
            sku: sku.unwrap_or(old.sku.clone()),
            min_quantity: min.unwrap_or(old.min_quantity),
            reorder_quantity: reorder.unwrap_or(old.reorder_quantity),
        };
        if let Some(sku) = &new.sku {
            details_db::ensure_sku_free(tx, sku, Some(id))?;
        }
        let delta = new.total_quantity - old.total_quantity;
        if new.total_quantity < old.stocked_quantity || new.total_quantity < old.allocated_quantity
        {
            return Err(total_below_usage(&old, new.total_quantity));
        }
        items::update(tx, id, &new)?;
        details.write(tx, id)?;
        if delta != 0 {
            let change = Change {
                note: note.as_deref(),
                ..Change::new(KIND_TOTAL, id, delta, new.total_quantity)
            };
            movements::record(tx, user.actor(), &change)?;
        }
        let mut item = full_item(tx, id)?;
        if renamed {
            item.similar_to = look_alike(tx, Among::Items, &new.name, id)?;
        }
        Ok(item)
    })?;
    Ok(Reply::ok(&item))
}

/// `reorder_quantity`: a whole number above 0, or none.
fn reorder_quantity(n: Option<Whole>) -> AppResult<Option<i64>> {
    match n
        .map(|n| fields::quantity("reorder_quantity", n))
        .transpose()?
    {
        Some(0) => Err(AppError::invalid_field(
            "reorder_quantity",
            "The reorder_quantity must be at least 1, or null for none.",
        )),
        n => Ok(n),
    }
}

fn total_below_usage(item: &items::Item, requested: i64) -> AppError {
    let needed = item.stocked_quantity.max(item.allocated_quantity);
    AppError::conflict(
        "total_below_usage",
        format!(
            "The total cannot be lowered to {requested}: {} units are stocked and {} are allocated, so it must stay at least {needed}.",
            item.stocked_quantity, item.allocated_quantity
        ),
    )
    .with("field", "total_quantity")
    .with("requested", requested)
    .with("total_quantity", item.total_quantity)
    .with("stocked_quantity", item.stocked_quantity)
    .with("allocated_quantity", item.allocated_quantity)
    .with("minimum", needed)
}

/// `DELETE /api/item?id=`: refused while the item is stocked or allocated.
/// An item with history (any movement after the one that created it) is
/// archived: hidden from lists, kept with its history, restorable. One without
/// is deleted.
pub fn delete(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = ctx.req.id_param("id")?;
    let archived = db::write(ctx.conn, |tx| {
        let item = items::get_active(tx, id)?;
        let stock_rows = placement::rows_for_item(tx, &STOCK, id)?;
        let allocation_rows = placement::rows_for_item(tx, &ALLOCATIONS, id)?;
        if stock_rows > 0 || allocation_rows > 0 {
            return Err(in_use(&item, stock_rows, allocation_rows));
        }
        if items::has_history(tx, id)? {
            items::set_archived(tx, id, true)?;
            return Ok(true);
        }
        items::delete(tx, id)?;
        Ok(false)
    })?;
    Ok(crate::api::deleted_or_archived(id, archived))
}

fn in_use(item: &items::Item, stock_rows: i64, allocation_rows: i64) -> AppError {
    let mut blockers = Vec::new();
    if stock_rows > 0 {
        blockers.push(format!(
            "stocked in {}",
            plural(stock_rows, "location", "locations")
        ));
    }
    if allocation_rows > 0 {
        blockers.push(format!(
            "allocated to {}",
            plural(allocation_rows, "project", "projects")
        ));
    }
    AppError::conflict(
        "in_use",
        format!(
            "Item '{}' cannot be deleted: it is {}. Remove those first.",
            item.name,
            blockers.join(" and ")
        ),
    )
    .with("stock_rows", stock_rows)
    .with("allocation_rows", allocation_rows)
}

/// `POST /api/item/restore?id=`: an archived item is back in the lists.
pub fn restore(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = ctx.req.id_param("id")?;
    let item = db::write(ctx.conn, |tx| {
        if items::get(tx, id)?.archived_at.is_none() {
            return Err(Fact::NotArchived {
                noun: Noun::Item,
                id,
            }
            .into());
        }
        items::set_archived(tx, id, false)?;
        full_item(tx, id)
    })?;
    Ok(Reply::ok(&item))
}

/// `GET /api/item/history?id=`: the item's movements, newest first.
pub fn history(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = ctx.req.id_param("id")?;
    let limit = list::limit_param(ctx.req)?;
    let offset = list::offset_param(ctx.req)?;
    let (rows, total) = db::read(ctx.conn, |tx| {
        items::get(tx, id)?;
        movements::for_item(tx, id, limit, offset)
    })?;
    Ok(list::list_reply(&rows, total))
}

/// `GET /api/movements`: the latest movements over all items, newest first.
pub fn recent_movements(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let limit = list::limit_param(ctx.req)?.unwrap_or(RECENT_DEFAULT);
    let offset = list::offset_param(ctx.req)?;
    let (rows, total) = db::read(ctx.conn, |tx| movements::recent(tx, limit, offset))?;
    Ok(list::list_reply(&rows, total))
}
