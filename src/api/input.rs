//! Input of the inventory handlers: JSON bodies read field by field (so every
//! error names its field), list query parameters (`q`, `category`, `sort`,
//! `order`, `limit`, `offset`) and the list reply with `X-Total-Count`.
//!
//! Bodies are read into a JSON object rather than a `deny_unknown_fields` struct
//! because serde's type errors do not say which field was wrong ("invalid type:
//! floating point `1.5`, expected i64"); the inventory contract promises
//! `{"code": "invalid_field", "field": "quantity"}`. Unknown fields are still
//! refused, as everywhere else.

use crate::db::listing::{ListQuery, SortColumn, like_pattern};
use crate::error::{AppError, AppResult};
use crate::http::{Reply, Request};
use serde::Serialize;
use serde_json::{Map, Value};

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

/// A JSON object body whose fields have been checked against an allow-list.
pub struct Body {
    fields: Map<String, Value>,
}

impl Body {
    /// Reads the body as a JSON object accepting only `allowed` fields.
    pub fn parse(req: &Request, allowed: &[&str]) -> AppResult<Body> {
        let fields = match req.json::<Value>()? {
            Value::Object(m) => m,
            _ => {
                return Err(AppError::bad_request(
                    "invalid_json",
                    "The request body must be a JSON object.",
                ));
            }
        };
        if let Some(unknown) = fields.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(AppError::bad_request(
                "unknown_field",
                format!("The field '{unknown}' is not accepted by this endpoint."),
            )
            .with("field", unknown.as_str()));
        }
        Ok(Body { fields })
    }

    fn value(&self, field: &str) -> Option<&Value> {
        self.fields.get(field)
    }

    pub fn has(&self, field: &str) -> bool {
        self.fields.contains_key(field)
    }

    /// A name: a string, trimmed, 1–200 characters. `None` when absent.
    pub fn name(&self, field: &str) -> AppResult<Option<String>> {
        match self.value(field) {
            None => Ok(None),
            Some(Value::String(s)) => {
                let name = s.trim();
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
                Ok(Some(name.to_string()))
            }
            Some(_) => Err(AppError::invalid_field(
                field,
                format!("The {field} must be a string."),
            )),
        }
    }

    /// A required name.
    pub fn required_name(&self, field: &str) -> AppResult<String> {
        self.name(field)?.ok_or_else(|| missing(field))
    }

    /// Optional free text: absent → `None` (unchanged); null or blank →
    /// `Some(None)` (cleared); otherwise the trimmed text, at most `max` characters.
    pub fn text(&self, field: &str, max: usize) -> AppResult<Option<Option<String>>> {
        match self.value(field) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::String(s)) => {
                let text = s.trim();
                if text.chars().count() > max {
                    return Err(AppError::invalid_field(
                        field,
                        format!("The {field} must be at most {max} characters long."),
                    ));
                }
                Ok(Some((!text.is_empty()).then(|| text.to_string())))
            }
            Some(_) => Err(AppError::invalid_field(
                field,
                format!("The {field} must be a string or null."),
            )),
        }
    }

    /// The optional note of a change.
    pub fn note(&self) -> AppResult<Option<String>> {
        Ok(self.text("note", MAX_TEXT)?.flatten())
    }

    /// A quantity: a JSON integer from 0 to [`MAX_QUANTITY`]. Floats (even 2.0),
    /// strings and negatives are refused.
    pub fn quantity(&self, field: &str) -> AppResult<Option<i64>> {
        match self.value(field) {
            None => Ok(None),
            Some(v) => match v.as_i64() {
                Some(n) if n < 0 => Err(AppError::invalid_field(
                    field,
                    format!("The {field} must not be negative."),
                )),
                Some(n) if n <= MAX_QUANTITY => Ok(Some(n)),
                _ if v.is_i64() || v.is_u64() => Err(AppError::invalid_field(
                    field,
                    format!("The {field} must be at most {MAX_QUANTITY}."),
                )),
                _ => Err(AppError::invalid_field(
                    field,
                    format!("The {field} must be a whole number of 0 or more."),
                )),
            },
        }
    }

    pub fn required_quantity(&self, field: &str) -> AppResult<i64> {
        self.quantity(field)?.ok_or_else(|| missing(field))
    }

    /// A required id: a positive JSON integer.
    pub fn required_id(&self, field: &str) -> AppResult<i64> {
        match self.value(field) {
            None => Err(missing(field)),
            Some(v) => match v.as_i64() {
                Some(n) if n > 0 => Ok(n),
                _ => Err(AppError::invalid_field(
                    field,
                    format!("The {field} must be a positive whole number."),
                )),
            },
        }
    }
}

fn missing(field: &str) -> AppError {
    AppError::bad_request("missing_field", format!("The field '{field}' is required."))
        .with("field", field)
}

/// Reads the list parameters against the resource's sortable columns.
pub fn list_query(req: &Request, sorts: &[SortColumn]) -> AppResult<ListQuery> {
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
            q.search = Some(like_pattern(text));
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
        q.sort_sql = column.sql;
        q.sort_text = column.text;
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

/// A list answer: the JSON array, and the number of matching rows over all
/// pages in `X-Total-Count`.
pub fn list_reply<T: Serialize>(rows: &[T], total: i64) -> Reply {
    Reply::ok(rows).header("X-Total-Count", total.to_string())
}

/// `{"deleted": true, "id": N}`.
pub fn deleted(id: i64) -> Reply {
    Reply::ok(&serde_json::json!({"deleted": true, "id": id}))
}
