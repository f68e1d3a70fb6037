//! Operations of the API document: items, their photos, attachments, tags and
//! history, and the reads over the whole inventory.

use super::op::*;
use crate::api::list::MAX_LIMIT;
use crate::api::{
    Deleted, inventory::items, inventory::search, inventory::tags, inventory::undo, media::photos,
};
use crate::db::{alerts, items as items_db, media, movements, stats, tags as tags_db};
use crate::http::Method::{Delete, Get, Post, Put};
use crate::rules::fields::MAX_NAME;
use crate::rules::item::{MAX_BARCODE, MAX_SKU, MAX_TAG};

pub const ID: Param = required("id", Takes::Id, "The item's id.");
pub const LIMIT: Param = query(
    "limit",
    Takes::Int {
        min: 1,
        max: MAX_LIMIT,
    },
    "At most this many rows (default: all).",
);
pub const OFFSET: Param = query(
    "offset",
    Takes::Int {
        min: 0,
        max: i64::MAX,
    },
    "Skip this many rows first.",
);

const JSON_ITEM: Content = Content::Json(schema::<items_db::Item>);
const DELETED: Content = Content::Json(schema::<Deleted>);
const MOVEMENTS: Content = Content::Json(schema::<Vec<movements::Movement>>);

pub const OPS: &[Op] = &[
    op(Get, "/api/item", "Items: one by id, or a searchable, sortable, paged list")
        .about("Without `id`, a list: filter by `tag` (every one given), `barcode`, `sku` or `low`. With `locations=true` each item lists where it is stocked.")
        .params(&[
            query("id", Takes::Id, "Read this one item."),
            query("locations", Takes::Flag, "Add where each item is stocked."),
            repeated("tag", Takes::Text { max: MAX_TAG }, "Keep the items with this tag (repeat for all of several)."),
            query("barcode", Takes::Text { max: MAX_BARCODE }, "Keep the item with this barcode."),
            query("sku", Takes::Text { max: MAX_SKU }, "Keep the item with this sku."),
            query("low", Takes::Flag, "Keep the items below their minimum."),
        ])
        .list(items_db::SORTS)
        .answers(&[answer(200, "The item, or a page of items.", Content::Json(schema::<ItemOrItems>)).list()]),
    op(Post, "/api/item", "Create an item")
        .body(schema::<items::NewItemBody>)
        .answers(&[answer(201, "The new item.", JSON_ITEM).links(&[
            link(Get, "/api/item", "id", "/id"),
            link(Put, "/api/item", "id", "/id"),
            link(Delete, "/api/item", "id", "/id"),
            link(Get, "/api/item/history", "id", "/id"),
            link(Post, "/api/stock/consume", "body.item_id", "/id"),
            link(Post, "/api/stock/count", "body.item_id", "/id"),
            link(Post, "/api/stock/transfer", "body.item_id", "/id"),
            link(Post, "/api/item/photo", "id", "/id"),
            link(Post, "/api/item/attachment", "id", "/id"),
        ])]),
    op(Put, "/api/item", "Change an item")
        .about("Any subset of the fields; `null` clears a text or the sku; `tags`, `fields` and `barcodes` replace what the item had. A lower total must still cover what is stocked and allocated (409 `total_below_usage`).")
        .params(&[ID])
        .body(schema::<items::ItemChanges>)
        .answers(&[answer(200, "The item as changed.", JSON_ITEM)]),
    op(Delete, "/api/item", "Delete an item (archived when it has history)")
        .about("Refused while the item is stocked or allocated (409 `in_use`).")
        .params(&[ID])
        .answers(&[answer(200, "Deleted, or archived.", DELETED)
            .links(&[link(Post, "/api/item/restore", "id", "/id")])]),
    op(Post, "/api/item/restore", "Bring an archived item back")
        .params(&[ID])
        .answers(&[answer(200, "The item.", JSON_ITEM)]),
    op(Get, "/api/item/history", "An item's movements, newest first")
        .params(&[ID, LIMIT, OFFSET])
        .answers(&[answer(200, "A page of movements.", MOVEMENTS).list()]),
    op(Get, "/api/movements", "The latest movements over all items, newest first")
        .params(&[
            query("limit", Takes::Int { min: 1, max: MAX_LIMIT }, "At most this many (default 50)."),
            OFFSET,
        ])
        .answers(&[answer(200, "A page of movements.", MOVEMENTS).list()]),
    op(Post, "/api/movements/undo", "Undo a movement")
        .about("Only the newest movement of its item and place can be undone: otherwise 409 `later_changes` with `movement_ids` in the way.")
        .body(schema::<undo::UndoBody>)
        .answers(&[answer(200, "The movement undone and its reversal.", Content::Json(schema::<undo::Undone>))]),
    op(Get, "/api/item/photo", "A photo's image")
        .params(&[
            required("id", Takes::Id, "The photo's id."),
            query("size", Takes::OneOf(&["thumb", "full"]), "A thumbnail, or the full image (default)."),
        ])
        .answers(&[
            answer(200, "The image.", Content::Bytes(&["image/jpeg", "image/png", "image/webp"])),
            answer(304, "Unchanged since the `If-None-Match` ETag.", Content::Empty),
        ]),
    op(Post, "/api/item/photo", "Add a photo to an item")
        .about("The body is the image itself (JPEG, PNG or WebP, at most 15 MiB); it is oriented, resized and re-encoded, which drops its metadata.")
        .params(&[ID])
        .bytes(&["image/jpeg", "image/png", "image/webp"])
        .answers(&[answer(201, "The stored photo.", Content::Json(schema::<photos::Uploaded>)).links(&[
            link(Get, "/api/item/photo", "id", "/id"),
            link(Put, "/api/item/photo", "id", "/id"),
            link(Delete, "/api/item/photo", "id", "/id"),
        ])]),
    op(Put, "/api/item/photo", "Make a photo its item's primary one")
        .params(&[required("id", Takes::Id, "The photo's id.")])
        .body(schema::<photos::PhotoChanges>)
        .answers(&[answer(200, "The item's photos.", Content::Json(schema::<photos::PhotosOf>))]),
    op(Delete, "/api/item/photo", "Delete a photo")
        .params(&[required("id", Takes::Id, "The photo's id.")])
        .answers(&[answer(200, "Deleted.", DELETED)]),
    op(Get, "/api/item/attachment", "Download an attachment")
        .params(&[required("id", Takes::Id, "The attachment's id.")])
        .answers(&[answer(200, "The file, as a download.", Content::Bytes(&["application/octet-stream", "application/pdf", "text/plain"]))]),
    op(Post, "/api/item/attachment", "Attach a file to an item")
        .about("The body is the file itself (at most 25 MiB): a datasheet, manual or receipt. It is only ever served as a download.")
        .params(&[ID, query("filename", Takes::AnyText, "The file's name (cleaned; default \"attachment\").")])
        .bytes(&["application/octet-stream"])
        .answers(&[answer(201, "The stored attachment.", Content::Json(schema::<media::AttachmentRef>)).links(&[
            link(Get, "/api/item/attachment", "id", "/id"),
            link(Delete, "/api/item/attachment", "id", "/id"),
        ])]),
    op(Delete, "/api/item/attachment", "Delete an attachment")
        .params(&[required("id", Takes::Id, "The attachment's id.")])
        .answers(&[answer(200, "Deleted.", DELETED)]),
    op(Get, "/api/tags", "Every tag with its item count, in name order")
        .params(&[
            query("q", Takes::Search { max: MAX_TAG }, "Keep the tags containing this text."),
            LIMIT,
        ])
        .answers(&[answer(200, "The tags.", Content::Json(schema::<Vec<tags_db::TagCount>>)).list()]),
    op(Put, "/api/tags", "Rename a tag, or merge it into another")
        .body(schema::<tags::Rename>)
        .answers(&[answer(200, "The tag `to` with its item count.", Content::Json(schema::<tags_db::TagCount>))]),
    op(Get, "/api/stats", "Counts for the dashboard")
        .answers(&[answer(200, "The counts.", Content::Json(schema::<stats::Stats>))]),
    op(Get, "/api/reorder", "The items below their minimum, with what to order")
        .answers(&[answer(200, "The reorder list.", Content::Json(schema::<Vec<alerts::ReorderRow>>))]),
    op(Get, "/api/reorder.csv", "The reorder list as CSV")
        .answers(&[answer(200, "`name,sku,available,min,order`.", Content::Bytes(&["text/csv"]))]),
    op(Get, "/api/label.svg", "A printable QR label of an item or location")
        .params(&[
            required("type", Takes::OneOf(&["item", "location", "i", "l"]), "What the label is for."),
            required("id", Takes::Id, "Its id."),
            query("layout", Takes::AnyText, "A label layout's id (see the labels page; default the first)."),
        ])
        .answers(&[answer(200, "The label.", Content::Bytes(&["image/svg+xml"]))]),
    op(Get, "/api/search", "Quick-find over items, locations and projects")
        .about("Best matches first: an item whose sku or barcode is the text, then exact names, then names starting with it, then names containing it.")
        .params(&[
            required("q", Takes::Search { max: MAX_NAME }, "The text to find (not blank)."),
            query("limit", Takes::Int { min: 1, max: search::MAX_LIMIT }, "At most this many (default 10)."),
        ])
        .answers(&[answer(200, "The suggestions.", Content::Json(schema::<Vec<search::Suggestion>>))]),
];

/// `GET /api/item` answers one item with `id`, a list without.
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)] // never built: it only describes the answer
enum ItemOrItems {
    One(Box<items_db::Item>),
    Page(Vec<items_db::Item>),
}
