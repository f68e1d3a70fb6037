//! `/api/item/photo`: an item's photos. The upload is the raw image as the
//! body (at most `router::MAX_PHOTO`, spooled to a file by the front and the
//! adapter); it is decoded and re-encoded outside any transaction
//! (`rules/photo.rs`), then stored in one. The item's first photo is its primary
//! one (the inventory list's thumbnail); deleting the primary photo promotes
//! the oldest remaining one.
//!
//! A photo's bytes never change for its id (ids are never reused), so they
//! are served with a long private cache lifetime and an ETag.

use crate::ctx::Ctx;
use crate::db;
use crate::db::items;
use crate::db::media::{self, NewPhoto, PhotoMeta};
use crate::error::{AppError, AppResult};
use crate::http::{Reply, Request};
use crate::rules::photo as imaging;
use serde::{Deserialize, Serialize};

/// Headers every stored file is served with: never interpreted as anything
/// but what its type says, and, opened on its own, a sandboxed document
/// without script, plugins or our origin.
pub const SANDBOX_CSP: &str = "sandbox; default-src 'none'; img-src 'self'";
/// Photos are immutable for their id.
const CACHE_FOREVER: &str = "private, max-age=31536000, immutable";

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Uploaded {
    id: i64,
    item_id: i64,
    width: u32,
    height: u32,
    size: usize,
    content_type: &'static str,
    primary: bool,
}

/// The answer to making a photo primary: the item's photos, primary first.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct PhotosOf {
    id: i64,
    photos: Vec<media::PhotoRef>,
}

/// `PUT /api/item/photo?id=`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PhotoChanges {
    /// Only `true`: a photo stops being primary when another one becomes it.
    #[schemars(extend("const" = true))]
    primary: bool,
}

/// `POST /api/item/photo?id=<item>`: the raw image as the body.
pub fn upload(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let item_id = ctx.req.id_param("id")?;
    let format = imaging::declared_format(ctx.req.header("content-type").unwrap_or(""))?;
    if ctx.req.body_len() == 0 {
        return Err(AppError::bad_request(
            "empty_body",
            "The request body is empty; send the photo's bytes as the body.",
        ));
    }
    // Refused before the costly decode when the item cannot take it.
    db::read(ctx.conn, |tx| items::get_active(tx, item_id))?;
    let processed = imaging::process(&ctx.app.photo_decodes, ctx.req.body_reader()?, format)?;
    let photo = NewPhoto {
        width: processed.width,
        height: processed.height,
        content_type: processed.content_type,
        data: &processed.data,
        thumb: &processed.thumb,
    };
    let (id, primary) = db::write(ctx.conn, |tx| {
        items::get_active(tx, item_id)?;
        let id = media::insert_photo(tx, item_id, &photo)?;
        let primary = media::photo(tx, id)?.is_some_and(|p| p.primary);
        Ok((id, primary))
    })?;
    Ok(Reply::created(&Uploaded {
        id,
        item_id,
        width: processed.width,
        height: processed.height,
        size: processed.data.len(),
        content_type: processed.content_type,
        primary,
    }))
}

/// `GET /api/item/photo?id=<photo>[&size=thumb]`.
pub fn get(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = ctx.req.id_param("id")?;
    let thumb = match ctx.req.param("size") {
        None | Some("full") => false,
        Some("thumb") => true,
        Some(_) => {
            return Err(AppError::invalid_field(
                "size",
                "The query parameter 'size' must be 'thumb' or 'full'.",
            ));
        }
    };
    let etag = format!("\"photo-{id}-{}\"", if thumb { "thumb" } else { "full" });
    let (meta, bytes) = db::read(ctx.conn, |tx| {
        let meta = find(tx, id)?;
        // A client holding this version needs no bytes.
        if if_none_match(ctx.req, &etag) {
            return Ok((meta, None));
        }
        let bytes = media::photo_bytes(tx, id, thumb)?.ok_or_else(|| missing(id))?;
        Ok((meta, Some(bytes)))
    })?;
    let reply = match bytes {
        None => Reply {
            status: 304,
            headers: Vec::new(),
            body: Vec::new(),
            spooled: None,
        },
        Some(bytes) => Reply::new(200, &meta.content_type, bytes),
    };
    Ok(stored_file_headers(reply)
        .header("Cache-Control", CACHE_FOREVER)
        .header("ETag", etag))
}

/// `PUT /api/item/photo?id=<photo>` `{"primary": true}`.
pub fn update(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = ctx.req.id_param("id")?;
    let body: PhotoChanges = ctx.req.json()?;
    if !body.primary {
        return Err(AppError::invalid_field(
            "primary",
            "A photo stops being primary when another one becomes primary: send {\"primary\": true} for that one.",
        ));
    }
    let photos = db::write(ctx.conn, |tx| {
        let photo = find(tx, id)?;
        items::get_active(tx, photo.item_id)?;
        media::make_primary(tx, &photo)?;
        media::photos_of(tx, photo.item_id)
    })?;
    Ok(Reply::ok(&PhotosOf { id, photos }))
}

/// `DELETE /api/item/photo?id=<photo>`.
pub fn delete(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = ctx.req.id_param("id")?;
    db::write(ctx.conn, |tx| {
        let photo = find(tx, id)?;
        items::get_active(tx, photo.item_id)?;
        media::delete_photo(tx, id)
    })?;
    Ok(crate::api::deleted(id))
}

fn find(conn: &rusqlite::Connection, id: i64) -> AppResult<PhotoMeta> {
    media::photo(conn, id)?.ok_or_else(|| missing(id))
}

fn missing(id: i64) -> AppError {
    AppError::not_found(format!("There is no photo with id {id}.")).with("photo_id", id)
}

/// Whether the request's `If-None-Match` names `etag` (or `*`).
pub fn if_none_match(req: &Request, etag: &str) -> bool {
    req.header("if-none-match").is_some_and(|v| {
        v.split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == etag || t == "*")
    })
}

/// The headers of every stored file's answer (photos and attachments).
pub fn stored_file_headers(reply: Reply) -> Reply {
    reply
        .header("Content-Security-Policy", SANDBOX_CSP)
        .header("X-Content-Type-Options", "nosniff")
        .header("Cross-Origin-Resource-Policy", "same-origin")
}
