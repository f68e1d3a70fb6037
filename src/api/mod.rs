//! JSON API handlers, one folder per area (the areas of the routing table:
//! accounts, inventory, places, media, data, alerts, admin), one file per
//! resource; `words` says what lower layers report, `list` is every list's
//! paging. Each handler parses (typed structs
//! with `deny_unknown_fields`) → checks → acts in one transaction → responds.

pub mod accounts;
pub mod admin;
pub mod alerts;
pub mod contract;
pub mod data;
pub mod inventory;
pub mod list;
pub mod media;
pub mod places;
pub mod words;

use crate::http::Reply;
use schemars::JsonSchema;
use serde::Serialize;

/// The answer to deleting something: `{"deleted": true, "id": N}`, and for an
/// item, location or project whether it was archived instead because it has
/// history.
#[derive(Serialize, JsonSchema)]
pub struct Deleted {
    pub deleted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archived: Option<bool>,
    pub id: i64,
}

/// The answer to deleting a stock row or an allocation: `{"deleted": true, "id": N}`.
pub fn deleted(id: i64) -> Reply {
    Reply::ok(&Deleted {
        deleted: true,
        archived: None,
        id,
    })
}

/// The answer to deleting an item, location or project: gone, or archived
/// because it has history (`"archived": true`).
pub fn deleted_or_archived(id: i64, archived: bool) -> Reply {
    Reply::ok(&Deleted {
        deleted: true,
        archived: Some(archived),
        id,
    })
}
