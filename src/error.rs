//! The one error type of MiauInv and the only place that maps errors to HTTP.
//!
//! Handlers return `Result<Reply, AppError>`; whatever goes wrong bubbles up with `?`
//! and is turned into a response by [`AppError::status`] and [`AppError::to_json`].
//! Storage and other internal failures become a bare 500: the detail is logged on
//! the server and never shown to the client.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};
use std::fmt;

/// Every error answer's body: `{"error", "code", "field"?}` and, for some
/// errors, more facts (`existing_id`, `later_changes`, numbers).
#[derive(Serialize, JsonSchema)]
pub struct ErrorBody {
    /// A sentence a person can act on.
    pub error: String,
    /// A stable snake_case identifier to match on.
    pub code: String,
    /// The query parameter or body field the error is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What kind of failure this is; decides the status code and nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    TooManyRequests,
    /// The request line and headers are larger than the front takes.
    HeaderFieldsTooLarge,
    ServiceUnavailable,
    Internal,
}

#[derive(Debug)]
pub struct AppError {
    pub kind: Kind,
    /// Stable snake_case identifier clients can match on.
    pub code: &'static str,
    /// A sentence a user can act on. Never contains internals.
    pub message: String,
    /// Extra JSON fields merged into the error body (e.g. `existing_id`, numbers).
    pub extra: Map<String, Value>,
    /// `Retry-After` seconds for 429/503.
    pub retry_after: Option<u64>,
    /// `Allow` header for 405.
    pub allow: Option<Box<str>>,
    /// What went wrong inside, for the log only (never sent): logged once,
    /// where the answer is written, with the request's method and path
    /// (`server::adapter`), or by the command line or background task that
    /// met it (shown by `Display`).
    pub detail: Option<Box<str>>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(kind: Kind, code: &'static str, message: impl Into<String>) -> Self {
        AppError {
            kind,
            code,
            message: message.into(),
            extra: Map::new(),
            retry_after: None,
            allow: None,
            detail: None,
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Kind::BadRequest, code, message)
    }

    /// 400 for one invalid input field; the field is named in the body too.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self::new(Kind::BadRequest, "invalid_field", message).with("field", field)
    }

    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Kind::Unauthorized, code, message)
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Kind::Forbidden, code, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(Kind::NotFound, "not_found", message)
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Kind::Conflict, code, message)
    }

    pub fn method_not_allowed(allow: String) -> Self {
        let mut e = Self::new(
            Kind::MethodNotAllowed,
            "method_not_allowed",
            format!("This endpoint only accepts {allow}."),
        );
        e.allow = Some(allow.into());
        e
    }

    pub fn too_many_requests(retry_after: u64) -> Self {
        let mut e = Self::new(
            Kind::TooManyRequests,
            "rate_limited",
            format!("Too many attempts. Try again in {retry_after} seconds."),
        );
        e.retry_after = Some(retry_after);
        e
    }

    pub fn busy() -> Self {
        let mut e = Self::new(
            Kind::ServiceUnavailable,
            "server_busy",
            "The server is busy. Try again in a moment.",
        );
        e.retry_after = Some(1);
        e
    }

    /// An internal failure. `detail` is kept for the log (logged once, where
    /// the answer is written) and never sent to the client.
    pub fn internal(detail: impl fmt::Display) -> Self {
        let mut e = Self::new(
            Kind::Internal,
            "internal_error",
            "Something went wrong on the server. The error has been logged.",
        );
        e.detail = Some(detail.to_string().into());
        e
    }

    /// Adds a field to the JSON error body.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(key.to_string(), value.into());
        self
    }

    pub fn status(&self) -> u16 {
        match self.kind {
            Kind::BadRequest => 400,
            Kind::Unauthorized => 401,
            Kind::Forbidden => 403,
            Kind::NotFound => 404,
            Kind::MethodNotAllowed => 405,
            Kind::Conflict => 409,
            Kind::PayloadTooLarge => 413,
            Kind::UnsupportedMediaType => 415,
            Kind::TooManyRequests => 429,
            Kind::HeaderFieldsTooLarge => 431,
            Kind::ServiceUnavailable => 503,
            Kind::Internal => 500,
        }
    }

    /// The reason phrase of this error's status line (the front writes its
    /// own status lines; tiny_http writes the others).
    pub fn reason(&self) -> &'static str {
        match self.kind {
            Kind::BadRequest => "Bad Request",
            Kind::Unauthorized => "Unauthorized",
            Kind::Forbidden => "Forbidden",
            Kind::NotFound => "Not Found",
            Kind::MethodNotAllowed => "Method Not Allowed",
            Kind::Conflict => "Conflict",
            Kind::PayloadTooLarge => "Payload Too Large",
            Kind::UnsupportedMediaType => "Unsupported Media Type",
            Kind::TooManyRequests => "Too Many Requests",
            Kind::HeaderFieldsTooLarge => "Request Header Fields Too Large",
            Kind::ServiceUnavailable => "Service Unavailable",
            Kind::Internal => "Internal Server Error",
        }
    }

    /// The JSON body: `{"error": ..., "code": ..., ...extra}`.
    pub fn to_json(&self) -> ErrorBody {
        let mut extra = self.extra.clone();
        let field = match extra.remove("field") {
            Some(Value::String(f)) => Some(f),
            _ => None,
        };
        ErrorBody {
            error: self.message.clone(),
            code: self.code.to_string(),
            field,
            extra,
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.status(), self.code, self.message)?;
        match &self.detail {
            Some(detail) => write!(f, " [{detail}]"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for AppError {}

/// Storage errors are internal unless a caller has mapped them first. Busy/locked
/// databases are reported as 503 so clients retry instead of seeing a crash.
impl From<rusqlite::Error> for AppError {
    fn from(e: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(f, _) = &e
            && matches!(
                f.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            )
        {
            eprintln!("database busy: {e}");
            return AppError::busy();
        }
        AppError::internal(format_args!("database: {e}"))
    }
}

/// Reading or writing our own files (spooled bodies, BLOBs) failed.
impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
        AppError::internal(format_args!("i/o: {e}"))
    }
}

impl From<minijinja::Error> for AppError {
    fn from(e: minijinja::Error) -> Self {
        AppError::internal(format_args!("template: {e:#}"))
    }
}
