//! `GET /api/search?q=&limit=`: quick-find over items, locations and projects at
//! once, best matches first (an item whose sku or barcode is the text, then
//! exact name, then names starting with the text, then names containing it),
//! each with a line that tells them apart.

use crate::api::list;
use crate::api::words::plural;
use crate::ctx::Ctx;
use crate::db;
use crate::db::search::{self, Found, Kind};
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use serde::Serialize;

/// Suggestions answered when no `limit` is given, and at most.
const DEFAULT_LIMIT: i64 = 10;
pub(crate) const MAX_LIMIT: i64 = 50;

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Suggestion {
    #[serde(rename = "type")]
    kind: &'static str,
    id: i64,
    name: String,
    detail: String,
}

pub fn get(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let Some(text) =
        crate::rules::fields::search_text(ctx.req.param("q"), crate::rules::fields::MAX_NAME)?
    else {
        return Err(AppError::invalid_field(
            "q",
            "Type something to search for.",
        ));
    };
    let limit = match list::limit_param(ctx.req)? {
        Some(n) if n > MAX_LIMIT => {
            return Err(AppError::invalid_field(
                "limit",
                format!("The limit parameter must be a whole number from 1 to {MAX_LIMIT}."),
            ));
        }
        Some(n) => n,
        None => DEFAULT_LIMIT,
    };
    // Best match first over all kinds; within a rank, natural order by name.
    let found = db::read(ctx.conn, |tx| search::find(tx, text, limit))?;
    let answer: Vec<Suggestion> = found.into_iter().map(suggestion).collect();
    Ok(Reply::ok(&answer))
}

fn suggestion(f: Found) -> Suggestion {
    let (kind, detail) = match f.kind {
        Kind::Item => {
            let mut detail = String::from("Item");
            for part in [f.sku, f.category].into_iter().flatten() {
                detail.push_str(" · ");
                detail.push_str(&part);
            }
            detail.push_str(&format!(" · {} available", f.units));
            ("item", detail)
        }
        // A nested location's path tells apart two "Shelf A"s in different
        // rooms; a top-level one's path is its name, already shown.
        Kind::Location => {
            let mut detail = format!(
                "Location · {} · {}",
                plural(f.units, "unit", "units"),
                plural(f.item_count, "item", "items")
            );
            if let Some(path) = f.path.as_deref().filter(|p| *p != f.name) {
                detail.push_str(&format!(" · {path}"));
            }
            ("location", detail)
        }
        Kind::Project => (
            "project",
            format!(
                "Project · {} allocated · {}",
                plural(f.units, "unit", "units"),
                plural(f.item_count, "item", "items")
            ),
        ),
    };
    Suggestion {
        kind,
        id: f.id,
        name: f.name,
        detail,
    }
}
