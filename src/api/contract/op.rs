//! One operation of the API as the OpenAPI document describes it: its query
//! parameters, its body and its answers. The schemas come from the request and
//! answer types themselves (`schemars` reads the same serde attributes that
//! parse and write them); the limits come from the constants the handlers
//! check. What is left to say here is which type belongs to which route.

use crate::db::listing::SortColumn;
use crate::http::Method;
use schemars::{JsonSchema, Schema, SchemaGenerator};

/// Writes a type's schema into the document's components and answers a
/// reference to it.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// The [`SchemaFn`] of `T`: `schema::<NewItemBody>`.
pub fn schema<T: JsonSchema + ?Sized>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

/// What a query parameter takes, as the handlers parse it.
#[derive(Clone, Copy)]
pub enum Takes {
    /// A positive 64-bit whole number (`Request::opt_id_param`).
    Id,
    /// A whole number in a range.
    Int { min: i64, max: i64 },
    /// Text of at most this many characters (an empty one is read as absent).
    Text { max: usize },
    /// Text of any length (an empty one is read as absent).
    AnyText,
    /// A search text (`fields::search_text`): at most this many characters,
    /// no control characters; a blank one is read as absent.
    Search { max: usize },
    /// One of these words.
    OneOf(&'static [&'static str]),
    /// A yes/no flag (`Request::flag`): `true`, `false`, `1`, `0`, `yes` or `no`.
    Flag,
    /// The name of one of a list's sortable columns (of either set: a
    /// place's own list, or one place's contents).
    Sort(&'static [SortColumn], &'static [SortColumn]),
    /// An opaque token from a previous answer.
    Token,
}

#[derive(Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub required: bool,
    pub takes: Takes,
    pub about: &'static str,
    /// Given more than once (`?tag=a&tag=b`).
    pub repeated: bool,
}

/// An optional query parameter.
pub const fn query(name: &'static str, takes: Takes, about: &'static str) -> Param {
    Param {
        name,
        required: false,
        takes,
        about,
        repeated: false,
    }
}

/// A required query parameter.
pub const fn required(name: &'static str, takes: Takes, about: &'static str) -> Param {
    Param {
        required: true,
        ..query(name, takes, about)
    }
}

/// A query parameter that may be repeated.
pub const fn repeated(name: &'static str, takes: Takes, about: &'static str) -> Param {
    Param {
        repeated: true,
        ..query(name, takes, about)
    }
}

/// The body of a request or an answer.
#[derive(Clone, Copy)]
pub enum Content {
    Json(SchemaFn),
    /// Bytes of these media types (a photo, a CSV file, a backup).
    Bytes(&'static [&'static str]),
    /// JSON of this type, or bytes of these other media types (an export or
    /// an import as JSON or CSV).
    JsonOr(SchemaFn, &'static [&'static str]),
    /// No body (204).
    Empty,
}

/// One successful answer.
pub struct Answer {
    pub status: u16,
    pub about: &'static str,
    pub content: Content,
    /// A page of a list: `X-Total-Count` (and `X-Next-Cursor` when paged by cursor).
    pub list: bool,
    /// Operations whose parameters this answer fills, for clients and for
    /// stateful fuzzing: (operation, parameter, where in this answer).
    pub links: &'static [Link],
}

/// A link from an answer to an operation that takes one of its values.
pub struct Link {
    pub method: Method,
    pub path: &'static str,
    /// The query parameter, or `body.<field>` for a JSON body field.
    pub param: &'static str,
    /// A JSON pointer into this answer's body.
    pub pointer: &'static str,
}

pub const fn link(
    method: Method,
    path: &'static str,
    param: &'static str,
    pointer: &'static str,
) -> Link {
    Link {
        method,
        path,
        param,
        pointer,
    }
}

pub const fn answer(status: u16, about: &'static str, content: Content) -> Answer {
    Answer {
        status,
        about,
        content,
        list: false,
        links: &[],
    }
}

impl Answer {
    pub const fn list(self) -> Self {
        Answer { list: true, ..self }
    }
    pub const fn links(self, links: &'static [Link]) -> Self {
        Answer { links, ..self }
    }
}

pub struct Op {
    pub method: Method,
    pub path: &'static str,
    pub summary: &'static str,
    pub description: &'static str,
    pub params: &'static [Param],
    /// The list parameters (`q`, `sort`, `order`, `limit`, `offset`,
    /// `cursor`, `archived`, `category`) over these sortable columns.
    pub list: Option<&'static [SortColumn]>,
    /// More sortable columns `sort` takes: a place's contents, paged.
    pub contents: &'static [SortColumn],
    pub body: Option<Content>,
    pub answers: &'static [Answer],
    /// Failures beyond the ones every operation of its kind can meet (see
    /// `errors_of` in `mod.rs`).
    pub errors: &'static [u16],
}

pub const fn op(method: Method, path: &'static str, summary: &'static str) -> Op {
    Op {
        method,
        path,
        summary,
        description: "",
        params: &[],
        list: None,
        contents: &[],
        body: None,
        answers: &[],
        errors: &[],
    }
}

impl Op {
    pub const fn about(self, description: &'static str) -> Self {
        Op {
            description,
            ..self
        }
    }
    pub const fn params(self, params: &'static [Param]) -> Self {
        Op { params, ..self }
    }
    /// Takes the list parameters over these sortable columns.
    pub const fn list(self, sorts: &'static [SortColumn]) -> Self {
        Op {
            list: Some(sorts),
            ..self
        }
    }
    /// `sort` also takes these columns: those of one place's contents.
    pub const fn contents(self, sorts: &'static [SortColumn]) -> Self {
        Op {
            contents: sorts,
            ..self
        }
    }
    /// Every parameter: its own, then the list's.
    pub fn all_params(&self) -> Vec<Param> {
        let mut all = self.params.to_vec();
        if let Some(sorts) = self.list {
            all.extend(list_params(sorts, self.contents));
        }
        all
    }
    /// A JSON body of this type.
    pub const fn body(self, body: SchemaFn) -> Self {
        Op {
            body: Some(Content::Json(body)),
            ..self
        }
    }
    /// A body of any kind of content.
    pub const fn body_of(self, body: Content) -> Self {
        Op {
            body: Some(body),
            ..self
        }
    }
    /// A body of raw bytes of these media types.
    pub const fn bytes(self, types: &'static [&'static str]) -> Self {
        Op {
            body: Some(Content::Bytes(types)),
            ..self
        }
    }
    pub const fn answers(self, answers: &'static [Answer]) -> Self {
        Op { answers, ..self }
    }
    pub const fn errors(self, errors: &'static [u16]) -> Self {
        Op { errors, ..self }
    }
}

/// The list parameters of a searchable, sortable, paged list (`api::list`).
fn list_params(sorts: &'static [SortColumn], contents: &'static [SortColumn]) -> [Param; 8] {
    use crate::api::list::MAX_LIMIT;
    use crate::rules::fields::MAX_NAME;
    [
        query(
            "q",
            Takes::Search { max: MAX_NAME },
            "Keep the rows whose name contains this text (ignoring case).",
        ),
        query(
            "sort",
            Takes::Sort(sorts, contents),
            "Sort by this column (names in natural order: \"Part 2\" before \"Part 10\").",
        ),
        query(
            "order",
            Takes::OneOf(&["asc", "desc"]),
            "Sort order (default asc).",
        ),
        query(
            "limit",
            Takes::Int {
                min: 1,
                max: MAX_LIMIT,
            },
            "At most this many rows (default: all).",
        ),
        query(
            "offset",
            Takes::Int {
                min: 0,
                max: i64::MAX,
            },
            "Skip this many rows first.",
        ),
        query(
            "cursor",
            Takes::Token,
            "Start after the row of this `X-Next-Cursor` (not with offset).",
        ),
        query("archived", Takes::Flag, "List the archived rows instead."),
        query(
            "category",
            Takes::AnyText,
            "Keep the rows of this category.",
        ),
    ]
}
