//! Input of the inventory handlers: the checks on body fields (names, texts,
//! quantities, ids) after `Request::json` has read them into typed structs, the
//! serde helpers those structs need (whole numbers, present-or-absent and
//! nullable fields), list query parameters (`q`, `category`, `sort`, `order`,
//! `limit`, `offset`) and the list reply with `X-Total-Count`.

use crate::db::listing::{Cursor, ListQuery, Page, Search, SortColumn};
use crate::error::{AppError, AppResult};
use crate::http::{Reply, Request};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest accepted name (items, locations, projects) in characters.
pub const MAX_NAME: usize = 200;
/// Longest accepted category.
pub const MAX_CATEGORY: usize = 200;
/// Longest accepted description or note.
pub const MAX_TEXT: usize = 10_000;
/// Largest accepted quantity: far beyond any real stock, and small enough that
/// sums over every item can never overflow a 64-bit integer.
pub const MAX_QUANTITY: i64 = 1_000_000_000_000;
/// Largest page a list answers.
pub const MAX_LIMIT: i64 = 1000;

/// A JSON integer in a request body. Floats (even `2.0`), strings and null are
/// refused by serde with the field named; [`quantity`] and [`id`] check the range.
#[derive(Debug, Clone, Copy)]
pub struct Whole(i128);

impl<'de> Deserialize<'de> for Whole {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Whole, D::Error> {
        struct WholeVisitor;
        impl Visitor<'_> for WholeVisitor {
            type Value = Whole;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a whole number")
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Whole, E> {
                Ok(Whole(n.into()))
            }
            // Kept beyond i64 so the range checks, not serde, refuse it.
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Whole, E> {
                Ok(Whole(n.into()))
            }
        }
        d.deserialize_i64(WholeVisitor)
    }
}

/// For `#[serde(default, deserialize_with = "input::present")]` on an optional
/// field: absent is `None`, but an explicit `null` is refused like any other
/// value of the wrong type (plain `Option` would take it as absent).
pub fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// For `#[serde(default, deserialize_with = "input::nullable")]` on a field a
/// partial update may clear: absent is `None` (unchanged), `null` is
/// `Some(None)` (cleared), a value is `Some(Some(value))`.
pub fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A name: trimmed, 1–200 characters, no control characters.
pub fn name(field: &str, name: &str) -> AppResult<String> {
    let name = name.trim();
    let len = name.chars().count();
    if len == 0 {
        return Err(AppError::invalid_field(
            field,
            format!("The {field} must not be empty."),
        ));
    }
    if len > MAX_NAME {
        return Err(AppError::invalid_field(
            field,
            format!("The {field} must be at most {MAX_NAME} characters long."),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::invalid_field(
            field,
            format!("The {field} must not contain control characters."),
        ));
    }
    Ok(name.to_string())
}

/// Optional free text: trimmed, at most `max` characters; blank is `None`.
pub fn text(field: &str, text: Option<&str>, max: usize) -> AppResult<Option<String>> {
    let Some(text) = text.map(str::trim) else {
        return Ok(None);
    };
    if text.chars().count() > max {
        return Err(AppError::invalid_field(
            field,
            format!("The {field} must be at most {max} characters long."),
        ));
    }
    Ok((!text.is_empty()).then(|| text.to_string()))
}

/// A partial update's name: `None` when left out.
pub fn name_change(field: &str, name: Option<String>) -> AppResult<Option<String>> {
    name.map(|n| self::name(field, &n)).transpose()
}

/// A partial update's free text: `None` when left out, `Some(None)` when
/// cleared (null or blank).
pub fn text_change(
    field: &str,
    text: Option<Option<String>>,
    max: usize,
) -> AppResult<Option<Option<String>>> {
    text.map(|t| self::text(field, t.as_deref(), max))
        .transpose()
}

/// The optional note of a change.
pub fn note(note: Option<&str>) -> AppResult<Option<String>> {
    text("note", note, MAX_TEXT)
}

/// A quantity: from 0 to [`MAX_QUANTITY`].
pub fn quantity(field: &str, n: Whole) -> AppResult<i64> {
    match i64::try_from(n.0) {
        Ok(n) if n < 0 => Err(AppError::invalid_field(
            field,
            format!("The {field} must not be negative."),
        )),
        Ok(n) if n <= MAX_QUANTITY => Ok(n),
        _ => Err(AppError::invalid_field(
            field,
            format!("The {field} must be at most {MAX_QUANTITY}."),
        )),
    }
}

/// An id: a positive whole number.
pub fn id(field: &str, n: Whole) -> AppResult<i64> {
    match i64::try_from(n.0) {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(AppError::invalid_field(
            field,
            format!("The {field} must be a positive whole number."),
        )),
    }
}

/// Reads the list parameters against the resource's sortable columns.
pub fn list_query(req: &Request, sorts: &'static [SortColumn]) -> AppResult<ListQuery> {
    let mut q = ListQuery::all();
    if let Some(text) = req.param("q") {
        let text = text.trim();
        if text.chars().count() > MAX_NAME {
            return Err(AppError::invalid_field(
                "q",
                format!("The search text must be at most {MAX_NAME} characters long."),
            ));
        }
        if !text.is_empty() {
            q.search = Some(Search::new(text));
        }
    }
    if let Some(c) = req.param("category") {
        q.category = Some(c.trim().to_string());
    }
    if let Some(name) = req.param("sort") {
        let column = sorts.iter().find(|c| c.name == name).ok_or_else(|| {
            let names: Vec<&str> = sorts.iter().map(|c| c.name).collect();
            AppError::invalid_field(
                "sort",
                format!("The sort parameter must be one of: {}.", names.join(", ")),
            )
        })?;
        q.sort = column;
    }
    match req.param("order") {
        None => {}
        Some(o) if o.eq_ignore_ascii_case("asc") => q.descending = false,
        Some(o) if o.eq_ignore_ascii_case("desc") => q.descending = true,
        Some(_) => {
            return Err(AppError::invalid_field(
                "order",
                "The order parameter must be 'asc' or 'desc'.",
            ));
        }
    }
    q.limit = limit_param(req)?;
    q.offset = offset_param(req)?;
    if let Some(token) = req.param("cursor") {
        if req.param("offset").is_some() {
            return Err(AppError::invalid_field(
                "cursor",
                "Page with either offset or cursor, not both.",
            ));
        }
        q.after = Some(Cursor::decode(token, &q)?);
    }
    Ok(q)
}

/// `limit`: 1–1000, or absent for everything.
pub fn limit_param(req: &Request) -> AppResult<Option<i64>> {
    match req.param("limit") {
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
    match req.param("offset") {
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
pub fn page_reply<T: Serialize>(page: &Page<T>) -> Reply {
    let reply = list_reply(&page.rows, page.total);
    match &page.next {
        Some(cursor) => reply.header("X-Next-Cursor", cursor.clone()),
        None => reply,
    }
}

/// A list answer: the JSON array, and the number of matching rows over all
/// pages in `X-Total-Count`.
pub fn list_reply<T: Serialize>(rows: &[T], total: i64) -> Reply {
    Reply::ok(rows).header("X-Total-Count", total.to_string())
}

/// `{"deleted": true, "id": N}`.
pub fn deleted(id: i64) -> Reply {
    Reply::ok(&serde_json::json!({"deleted": true, "id": id}))
}
