//! What the database layer finds that a client must hear about, as data: which
//! row is missing, which name is taken. `db/` returns these facts and never a
//! sentence: a fact becomes an error with its status, code and numbers here,
//! and `api/words/facts.rs` says it where the answer is written.

use crate::error::{AppError, Kind};

/// A kind of row, as facts name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Noun {
    Item,
    Location,
    Project,
    StockRow,
    Allocation,
}

impl Noun {
    /// The JSON key naming such a row's id in answers and error bodies (an API
    /// field name, not a sentence).
    pub fn id_key(self) -> &'static str {
        match self {
            Noun::Item => "item_id",
            Noun::Location => "location_id",
            Noun::Project => "project_id",
            Noun::StockRow => "stock_id",
            Noun::Allocation => "association_id",
        }
    }
}

/// A finding that ends a request with a client error.
#[derive(Debug, Clone, PartialEq)]
pub enum Fact {
    /// No row of this kind has this id.
    NotFound { noun: Noun, id: i64 },
    /// Another row of this kind already has this name (case-insensitively).
    NameTaken {
        noun: Noun,
        name: String,
        existing_id: Option<i64>,
    },
    /// A sibling location already has this name (case-insensitively): under
    /// `parent` (id, name), or at top level.
    LocationNameTaken {
        name: String,
        parent: Option<(i64, String)>,
        existing_id: Option<i64>,
    },
    /// Moving `location` into `parent` would make it its own ancestor
    /// (`parent` is the location itself or lies inside it).
    LocationCycle {
        location: (i64, String),
        parent: (i64, String),
    },
    /// The move or new location would be deeper than `max` (depth 0 is the
    /// top level); `depth` is how deep its deepest location would be.
    LocationTooDeep { depth: i64, max: i64 },
    /// The location is inside an archived location, so it cannot be restored
    /// before that one.
    ParentArchived {
        location: (i64, String),
        parent: (i64, String),
    },
    /// The row is archived: it keeps its history but takes no changes until
    /// it is restored.
    Archived { noun: Noun, id: i64, name: String },
    /// The row is not archived, so there is nothing to restore.
    NotArchived { noun: Noun, id: i64 },
    /// Another item already has this code: its sku (`field` "sku", ignoring
    /// case) or one of its barcodes (`field` "barcodes").
    Duplicate {
        field: &'static str,
        value: String,
        existing_id: i64,
    },
    /// Another account already has this username.
    UsernameTaken,
    /// This credential is already registered as a passkey.
    PasskeyExists,
    /// No account has this id (or name).
    UserNotFound,
    /// The account is disabled by an admin.
    AccountDisabled,
    /// The change would leave no active admin.
    LastAdmin,
    /// A one-time link (invitation, password reset) that is unknown, used,
    /// revoked or expired.
    LinkInvalid,
    /// No personal API token of this account has this id.
    TokenNotFound { id: i64 },
}

impl crate::error::Refusal for Fact {}

impl From<Fact> for AppError {
    fn from(fact: Fact) -> AppError {
        let mut extra: Vec<(&str, serde_json::Value)> = Vec::new();
        let (kind, code) = match &fact {
            Fact::NotFound { noun, id } => {
                extra.push((noun.id_key(), (*id).into()));
                (Kind::NotFound, "not_found")
            }
            Fact::NameTaken { existing_id, .. } => {
                extra.push(("field", "name".into()));
                if let Some(id) = existing_id {
                    extra.push(("existing_id", (*id).into()));
                }
                (Kind::Conflict, "name_taken")
            }
            Fact::LocationNameTaken {
                parent,
                existing_id,
                ..
            } => {
                extra.push(("field", "name".into()));
                extra.push(("parent_id", parent.as_ref().map(|p| p.0).into()));
                if let Some(id) = existing_id {
                    extra.push(("existing_id", (*id).into()));
                }
                (Kind::Conflict, "name_taken")
            }
            Fact::LocationCycle { location, parent } => {
                extra.push(("field", "parent_id".into()));
                extra.push(("location_id", location.0.into()));
                extra.push(("parent_id", parent.0.into()));
                (Kind::Conflict, "location_cycle")
            }
            Fact::LocationTooDeep { depth, max } => {
                extra.push(("field", "parent_id".into()));
                extra.push(("max_depth", (*max).into()));
                extra.push(("depth", (*depth).into()));
                (Kind::Conflict, "too_deep")
            }
            Fact::ParentArchived { location, parent } => {
                extra.push(("location_id", location.0.into()));
                extra.push(("parent_id", parent.0.into()));
                (Kind::Conflict, "parent_archived")
            }
            Fact::Archived { noun, id, .. } => {
                extra.push((noun.id_key(), (*id).into()));
                (Kind::Conflict, "archived")
            }
            Fact::NotArchived { noun, id } => {
                extra.push((noun.id_key(), (*id).into()));
                (Kind::Conflict, "not_archived")
            }
            Fact::Duplicate {
                field,
                value,
                existing_id,
            } => {
                extra.push(("field", (*field).into()));
                extra.push(("value", value.clone().into()));
                extra.push(("existing_id", (*existing_id).into()));
                (Kind::Conflict, "duplicate")
            }
            Fact::UsernameTaken => {
                extra.push(("field", "username".into()));
                (Kind::Conflict, "username_taken")
            }
            Fact::PasskeyExists => (Kind::Conflict, "passkey_exists"),
            Fact::UserNotFound => (Kind::NotFound, "not_found"),
            Fact::AccountDisabled => (Kind::Forbidden, "account_disabled"),
            Fact::LastAdmin => (Kind::Conflict, "last_admin"),
            Fact::LinkInvalid => (Kind::BadRequest, "link_invalid"),
            Fact::TokenNotFound { id } => {
                extra.push(("token_id", (*id).into()));
                (Kind::NotFound, "not_found")
            }
        };
        let mut e = AppError::refused(kind, code, fact);
        for (key, value) in extra {
            e = e.with(key, value);
        }
        e
    }
}
