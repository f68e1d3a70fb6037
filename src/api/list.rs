//! Lists: the query parameters (`q`, `category`, `sort`, `order`, `limit`,
//! `offset`, `cursor`), the cursor token's format, and the list reply with
//! `X-Total-Count` and `X-Next-Cursor`.

use crate::db::listing::{Cursor, ListQuery, Page, Search, SortColumn};
use crate::error::{AppError, AppResult};
use crate::http::{Reply, Request};
use crate::rules::fields::MAX_NAME;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rusqlite::types::Value;
use serde::Serialize;

/// Largest page a list answers.
pub const MAX_LIMIT: i64 = 1000;

/// Reads the list parameters against the resource's sortable columns.
pub fn list_query(req: &Request, sorts: &'static [SortColumn]) -> AppResult<ListQuery> {
    let mut q = ListQuery::all();
    if let Some(text) = crate::rules::fields::search_text(req.param("q"), MAX_NAME)? {
        q.search = Some(Search::new(text));
    }
    if let Some(c) = req.param("category") {
        q.category = Some(c.trim().to_string());
    }
    if let Some(name) = req.typed_param("sort") {
        let column = sorts.iter().find(|c| c.name == name).ok_or_else(|| {
            let names: Vec<&str> = sorts.iter().map(|c| c.name).collect();
            AppError::invalid_field(
                "sort",
                format!("The sort parameter must be one of: {}.", names.join(", ")),
            )
        })?;
        q.sort = column;
    }
    match req.typed_param("order") {
        None => {}
        Some("asc") => q.descending = false,
        Some("desc") => q.descending = true,
        Some(_) => {
            return Err(AppError::invalid_field(
                "order",
                "The order parameter must be 'asc' or 'desc'.",
            ));
        }
    }
    q.archived = req.flag("archived")?;
    q.limit = limit_param(req)?;
    q.offset = offset_param(req)?;
    if let Some(token) = req.typed_param("cursor") {
        if req.typed_param("offset").is_some() {
            return Err(AppError::invalid_field(
                "cursor",
                "Page with either offset or cursor, not both.",
            ));
        }
        q.after = Some(decode_cursor(token, &q)?);
    }
    Ok(q)
}

/// `limit`: 1–1000, or absent for everything.
pub fn limit_param(req: &Request) -> AppResult<Option<i64>> {
    match req.typed_param("limit") {
        None => Ok(None),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(Some(n)),
            _ => Err(AppError::invalid_field(
                "limit",
                format!("The limit parameter must be a whole number from 1 to {MAX_LIMIT}."),
            )),
        },
    }
}

/// `offset`: 0 or more (default 0).
pub fn offset_param(req: &Request) -> AppResult<i64> {
    match req.typed_param("offset") {
        None => Ok(0),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= 0 => Ok(n),
            _ => Err(AppError::invalid_field(
                "offset",
                "The offset parameter must be a whole number of 0 or more.",
            )),
        },
    }
}

/// A paged list answer: [`list_reply`], and the token for the next page in
/// `X-Next-Cursor` when this page was full.
pub fn page_reply<T: Serialize>(page: &Page<T>, q: &ListQuery) -> Reply {
    page_headers(Reply::ok(&page.rows), page, q)
}

/// `X-Total-Count` and, for a full page, `X-Next-Cursor` of `page` on `reply`
/// (whose body may hold the page inside something else).
pub fn page_headers<T>(reply: Reply, page: &Page<T>, q: &ListQuery) -> Reply {
    let reply = reply.header("X-Total-Count", page.total.to_string());
    match &page.next {
        Some(cursor) => reply.header("X-Next-Cursor", encode_cursor(cursor, q)),
        None => reply,
    }
}

/// Whether the request asks for a page (any list parameter): where a list is
/// answered whole by default, such a request gets it paged instead.
pub fn wants_page(req: &Request) -> bool {
    req.param("q").is_some()
        || ["sort", "order", "limit", "offset", "cursor"]
            .iter()
            .any(|p| req.typed_param(p).is_some())
}

/// The token for the row after which the next page of `q` starts. The sort
/// column and direction are recorded so a token is never applied to a
/// different order.
pub fn encode_cursor(cursor: &Cursor, q: &ListQuery) -> String {
    let value = match &cursor.value {
        Value::Integer(n) => serde_json::Value::from(*n),
        Value::Real(x) => serde_json::Value::from(*x),
        Value::Text(t) => serde_json::Value::from(t.as_str()),
        Value::Null | Value::Blob(_) => serde_json::Value::Null,
    };
    let json = serde_json::json!([q.sort.name, q.order_name(), cursor.id, value]);
    URL_SAFE_NO_PAD.encode(json.to_string())
}

/// Reads a token made by [`encode_cursor`] for the same sort and direction.
pub fn decode_cursor(token: &str, q: &ListQuery) -> AppResult<Cursor> {
    let invalid = || {
        AppError::invalid_field(
            "cursor",
            "The cursor is not one this list handed out (X-Next-Cursor); start again without it.",
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let (sort, dir, id, value): (String, String, i64, serde_json::Value) =
        serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    let value = match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::String(t) => Value::Text(t),
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Value::Integer(i),
            (None, Some(x)) => Value::Real(x),
            _ => return Err(invalid()),
        },
        _ => return Err(invalid()),
    };
    if sort != q.sort.name || dir != q.order_name() {
        return Err(AppError::invalid_field(
            "cursor",
            format!(
                "The cursor was handed out for sort={sort}&order={dir}; ask with the same sort and order, or start again without it."
            ),
        ));
    }
    Ok(Cursor { value, id })
}

/// A list answer: the JSON array, and the number of matching rows over all
/// pages in `X-Total-Count`.
pub fn list_reply<T: Serialize>(rows: &[T], total: i64) -> Reply {
    Reply::ok(rows).header("X-Total-Count", total.to_string())
}
