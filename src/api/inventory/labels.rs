//! `GET /api/label.svg?type=item|location&id=N`: one QR label as an SVG file
//! (70 × 37 mm unless `layout=` names another), for saving or printing one at
//! a time. It is served with a CSP of its own that allows nothing to run or
//! load, on top of the site's: the file may be opened directly.

use crate::ctx::Ctx;
use crate::db::{self, labels as rows};
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use crate::labels::{self, Kind, Label};

pub fn svg(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let kind = match ctx.req.param("type") {
        Some(t) => Kind::parse(t).ok_or_else(|| {
            AppError::invalid_field("type", "The type must be 'item' or 'location'.")
        })?,
        None => {
            return Err(AppError::invalid_field(
                "type",
                "Say which type: 'item' or 'location'.",
            ));
        }
    };
    let id = ctx
        .req
        .opt_id_param("id")?
        .ok_or_else(|| AppError::invalid_field("id", "Say which id to label."))?;
    let layout = match ctx.req.param("layout") {
        None => &labels::LAYOUTS[0],
        Some(l) => labels::layout(l).ok_or_else(|| {
            AppError::invalid_field("layout", format!("There is no label layout '{l}'."))
        })?,
    };
    let found = db::read(ctx.conn, |tx| match kind {
        Kind::Item => rows::items(tx, &[id]),
        Kind::Location => rows::locations(tx, &[id]),
    })?;
    let Some(row) = found.into_iter().next() else {
        return Err(AppError::not_found(match kind {
            Kind::Item => format!("Item {id} does not exist."),
            Kind::Location => format!("Location {id} does not exist."),
        }));
    };
    let base = labels::base_url(
        ctx.app.config.public_url(),
        ctx.req.secure,
        ctx.req.header("host"),
    );
    let label = Label {
        kind,
        id,
        url: labels::short_url(&base, kind, id),
        name: row.name,
        detail: row.detail,
    };
    let svg = labels::svg(&label, layout.label_w, layout.label_h).ok_or_else(|| {
        AppError::internal(format_args!("label {id}: URL too long for a QR code"))
    })?;
    Ok(
        Reply::new(200, "image/svg+xml; charset=utf-8", svg.into_bytes())
            .header(
                "Content-Security-Policy",
                "default-src 'none'; frame-ancestors 'none'",
            )
            .header(
                "Content-Disposition",
                format!("inline; filename=\"label-{}-{id}.svg\"", kind.letter()),
            ),
    )
}
