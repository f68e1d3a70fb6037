//! JSON API handlers, one file per resource. Each handler parses (typed structs
//! with `deny_unknown_fields`) → checks → acts in one transaction → responds.

pub mod account;
pub mod admin;
pub mod allocations;
pub mod attachments;
pub mod backup;
pub mod contract;
pub mod export;
pub mod export_csv;
pub mod export_zip;
pub mod health;
pub mod import;
pub mod items;
pub mod labels;
pub mod links;
pub mod list;
pub mod locations;
pub mod notification_email;
pub mod notifications;
pub mod onboarding;
pub mod passkeys;
pub mod photos;
pub mod placement;
pub mod projects;
pub mod quick;
pub mod reorder;
pub mod search;
pub mod security_events;
pub mod session_reply;
pub mod sessions;
pub mod stats;
pub mod stock;
pub mod stocktakes;
pub mod tags;
pub mod tokens;
pub mod two_factor;
pub mod undo;
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
