//! `/api/tags`: the tags items carry, with how many active items carry each
//! (`GET`, `?q=` to find some, `?limit=`), and renaming a tag (`PUT {from,
//! to}`), which merges it into `to` when that tag exists already: in one
//! transaction, every item that had either ends with `to`, once.

use crate::api::list;
use crate::ctx::Ctx;
use crate::db;
use crate::db::listing::like_pattern;
use crate::db::tags;
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use crate::rules::item::{self, MAX_TAG};
use serde::Deserialize;

/// `PUT /api/tags`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Rename {
    /// A tag some item carries (any case).
    #[schemars(length(max = MAX_TAG), regex(pattern = crate::rules::fields::NAME_PATTERN))]
    from: String,
    #[schemars(length(max = MAX_TAG), regex(pattern = crate::rules::fields::NAME_PATTERN))]
    to: String,
}

/// `GET /api/tags`: `[{name, item_count}]` in name order; `q` keeps the tags
/// containing it, `limit` the first so many. `X-Total-Count` counts them all.
pub fn get(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let like = crate::rules::fields::search_text(ctx.req.param("q"), item::MAX_TAG)?
        .map(|q| like_pattern(&q.to_lowercase()));
    let limit = list::limit_param(ctx.req)?;
    let mut all = db::read(ctx.conn, |tx| tags::list(tx, like.as_deref()))?;
    let total = all.len() as i64;
    if let Some(n) = limit {
        all.truncate(n as usize);
    }
    Ok(list::list_reply(&all, total))
}

/// `PUT /api/tags {from, to}`: renames or merges; answers the tag `to` with
/// its item count. 404 when no item carries `from`.
pub fn rename(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let body: Rename = ctx.req.json()?;
    let from = item::tag("from", &body.from)?;
    let to = item::tag("to", &body.to)?;
    let renamed = db::write(ctx.conn, |tx| tags::rename(tx, &from, &to))?;
    match renamed {
        Some(tag) => Ok(Reply::ok(&tag)),
        None => {
            Err(AppError::not_found(format!("No item is tagged '{from}'.")).with("field", "from"))
        }
    }
}
