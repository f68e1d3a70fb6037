//! The one error type of MiauInv and the only place that maps errors to HTTP.
//!
//! Handlers return `Result<Reply, AppError>`; whatever goes wrong bubbles up with `?`
//! and is turned into a response by [`AppError::status`] and [`AppError::to_json`].
//! Storage and other internal failures become a bare 500: the detail is logged on
//! the server and never shown to the client.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};
use std::any::Any;
use std::fmt;

/// A refusal made below the edge (`auth/`, `http/`, `db/`, `ctx`, this file)
/// as a fact: which parameter, which limit, which step of a ceremony. It
/// travels in an [`AppError`] with its status and code but no words;
/// `api::words::say` words it where the answer is written (the request
/// adapter, the front, the command line), so sentences live only at the edge.
pub trait Refusal: Any + fmt::Debug + Send + Sync {}

/// The refusals every layer may meet: a busy server, too many attempts, a
/// failure inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Common {
    /// Waiting for the database, a bcrypt slot or the import gate took too long.
    Busy,
    /// Too many attempts; the next one is allowed after `seconds`.
    RateLimited { seconds: u64 },
    /// Something failed inside (the detail is in `AppError::detail`).
    Internal,
}

impl Refusal for Common {}

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
    /// A server we asked (an identity provider) answered what it must not.
    BadGateway,
    Internal,
}

#[derive(Debug)]
pub struct AppError {
    pub kind: Kind,
    /// Stable snake_case identifier clients can match on.
    pub code: &'static str,
    /// A sentence a user can act on. Never contains internals. Empty while a
    /// [`Refusal`] made below the edge has not been said yet.
    pub message: Box<str>,
    /// What a layer below the edge refused, for `api::words` to say.
    pub refusal: Option<Box<dyn Refusal>>,
    /// Extra JSON fields merged into the error body (e.g. `existing_id`, numbers).
    pub extra: Map<String, Value>,
    /// `Retry-After` seconds for 429/503.
    pub retry_after: Option<u32>,
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
            message: message.into().into_boxed_str(),
            refusal: None,
            extra: Map::new(),
            retry_after: None,
            allow: None,
            detail: None,
        }
    }

    /// A refusal without words yet (see [`Refusal`]).
    pub fn refused(kind: Kind, code: &'static str, refusal: impl Refusal) -> Self {
        let mut e = Self::new(kind, code, String::new());
        e.refusal = Some(Box::new(refusal));
        e
    }

    /// The refusal this error carries, if it is an `R`.
    pub fn refusal_as<R: Refusal>(&self) -> Option<&R> {
        let any: &dyn Any = self.refusal.as_deref()?;
        any.downcast_ref()
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

    pub fn too_many_requests(retry_after: u64) -> Self {
        let mut e = Self::refused(
            Kind::TooManyRequests,
            "rate_limited",
            Common::RateLimited {
                seconds: retry_after,
            },
        );
        e.retry_after = Some(u32::try_from(retry_after).unwrap_or(u32::MAX));
        e
    }

    pub fn busy() -> Self {
        let mut e = Self::refused(Kind::ServiceUnavailable, "server_busy", Common::Busy);
        e.retry_after = Some(1);
        e
    }

    /// An internal failure. `detail` is kept for the log (logged once, where
    /// the answer is written) and never sent to the client.
    pub fn internal(detail: impl fmt::Display) -> Self {
        let mut e = Self::refused(Kind::Internal, "internal_error", Common::Internal);
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
            Kind::BadGateway => 502,
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
            Kind::BadGateway => "Bad Gateway",
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
            error: self.message.to_string(),
            code: self.code.to_string(),
            field,
            extra,
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.status(), self.code)?;
        match (&self.refusal, self.message.is_empty()) {
            (Some(refusal), true) => write!(f, ": {refusal:?}")?,
            _ => write!(f, ": {}", self.message)?,
        }
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
