//! JSON API handlers, one file per resource. Each handler parses (typed structs
//! with `deny_unknown_fields`) → checks → acts in one transaction → responds.

pub mod account;
pub mod admin;
pub mod allocations;
pub mod attachments;
pub mod backup;
pub mod export;
pub mod export_csv;
pub mod export_zip;
pub mod fields;
pub mod health;
pub mod imaging;
pub mod import;
pub mod import_csv;
pub mod import_zip;
pub mod item_details;
pub mod items;
pub mod labels;
pub mod links;
pub mod list;
pub mod locations;
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

/// The answer to deleting a stock row or an allocation: `{"deleted": true, "id": N}`.
pub fn deleted(id: i64) -> Reply {
    Reply::ok(&serde_json::json!({"deleted": true, "id": id}))
}

/// The answer to deleting an item, location or project: gone, or archived
/// because it has history (`"archived": true`).
pub fn deleted_or_archived(id: i64, archived: bool) -> Reply {
    Reply::ok(&serde_json::json!({"deleted": true, "archived": archived, "id": id}))
}
