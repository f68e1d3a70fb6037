//! Embedded static assets under `/assets/*`: content types and ETags.

use crate::error::{AppError, AppResult};
use crate::http::Reply;
use crate::router::Ctx;
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "web/assets/"]
struct Assets;

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "json" => "application/json; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The URL of an asset for templates: `{{ asset("css/app.css") }}`.
pub fn asset_url(path: String) -> String {
    format!("/assets/{path}")
}

pub fn serve(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let path = ctx.req.path.trim_start_matches("/assets/");
    let file = Assets::get(path).ok_or_else(|| AppError::not_found("No such asset."))?;
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..12]));
    if ctx.req.header("if-none-match") == Some(etag.as_str()) {
        return Ok(Reply {
            status: 304,
            headers: vec![("ETag".into(), etag)],
            body: Vec::new(),
        });
    }
    Ok(Reply::new(200, content_type(path), file.data.into_owned())
        .header("ETag", etag)
        .header("Cache-Control", "public, max-age=300"))
}
