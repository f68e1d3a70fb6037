//! What the database layer finds that a client must hear about, as data: which
//! row is missing, which name is taken. `db/` returns these facts and never a
//! sentence; `api/words.rs` turns each into the error a client reads (its
//! `From<Fact> for AppError`), so the wording lives with the API.

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
