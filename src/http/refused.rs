//! What the request layer refuses (layer: http): a query parameter, the JSON
//! body, its size. Status, code and the field named here; `api::words` says it.

use crate::error::{AppError, Kind};

/// What the request layer refuses, as facts (which parameter, which field,
/// what serde expected); `api::words` says them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// A required query parameter is absent.
    ParamRequired { name: String },
    /// A query parameter that must be a positive whole number is not.
    ParamNotPositive { name: String },
    /// A yes/no query parameter is neither.
    ParamNotFlag { name: String },
    /// A JSON route was sent another content type.
    NotJsonType,
    /// A JSON route was sent no body.
    EmptyBody,
    /// The body is JSON but not an object.
    NotAnObject,
    /// The body is not JSON at all (`why`: the parser's finding).
    NotJson { why: String },
    /// A field this route does not take.
    UnknownField { field: String },
    /// A required field is absent.
    MissingField { field: String },
    /// The body as a whole is refused (`why`: the type's own finding).
    Invalid { why: String },
    /// A field has the wrong JSON type (`expected`: serde's name for it).
    WrongType { field: String, expected: String },
    /// A field's value is refused (`why`: the type's own finding, worded by
    /// the rule that refused it).
    NotValid { field: String, why: String },
    /// The body is larger than this route's `limit` in bytes.
    TooLarge { limit: usize },
}

impl crate::error::Refusal for Refused {}

impl From<Refused> for AppError {
    fn from(r: Refused) -> AppError {
        let field = match &r {
            Refused::ParamRequired { name }
            | Refused::ParamNotPositive { name }
            | Refused::ParamNotFlag { name } => Some(name.clone()),
            Refused::UnknownField { field }
            | Refused::MissingField { field }
            | Refused::WrongType { field, .. }
            | Refused::NotValid { field, .. } => Some(field.clone()),
            _ => None,
        };
        let (kind, code) = match &r {
            Refused::NotJsonType => (Kind::UnsupportedMediaType, "unsupported_media_type"),
            Refused::EmptyBody | Refused::NotAnObject | Refused::NotJson { .. } => {
                (Kind::BadRequest, "invalid_json")
            }
            Refused::UnknownField { .. } => (Kind::BadRequest, "unknown_field"),
            Refused::MissingField { .. } => (Kind::BadRequest, "missing_field"),
            Refused::TooLarge { .. } => (Kind::PayloadTooLarge, "payload_too_large"),
            _ => (Kind::BadRequest, "invalid_field"),
        };
        let limit = match &r {
            Refused::TooLarge { limit } => Some(*limit),
            _ => None,
        };
        let mut e = AppError::refused(kind, code, r);
        if let Some(field) = field {
            e = e.with("field", field);
        }
        if let Some(limit) = limit {
            e = e.with("limit", limit);
        }
        e
    }
}
