//! The sentences for what `db/` reports as facts ([`Fact`]): the one place a
//! database finding becomes the error a client reads.

use crate::ctx::Refusal;
use crate::db::facts::{Fact, Noun};
use crate::error::AppError;

/// How a sentence names a kind of row: "Item", "location", ….
fn noun(n: Noun) -> &'static str {
    match n {
        Noun::Item => "item",
        Noun::Location => "location",
        Noun::Project => "project",
        Noun::StockRow => "stock row",
        Noun::Allocation => "allocation",
    }
}

/// The noun at the start of a sentence.
fn capitalised(n: Noun) -> String {
    let mut s = noun(n).to_string();
    s[..1].make_ascii_uppercase();
    s
}

impl From<Fact> for AppError {
    fn from(fact: Fact) -> AppError {
        match fact {
            Fact::NotFound { noun: n, id } => {
                AppError::not_found(format!("{} {id} does not exist.", capitalised(n)))
                    .with(n.id_key(), id)
            }
            Fact::NameTaken {
                noun: n,
                name,
                existing_id,
            } => {
                let e = AppError::conflict(
                    "name_taken",
                    format!("A {} named '{name}' already exists.", noun(n)),
                )
                .with("field", "name");
                match existing_id {
                    Some(id) => e.with("existing_id", id),
                    None => e,
                }
            }
            Fact::LocationNameTaken {
                name,
                parent,
                existing_id,
            } => {
                let (message, parent_id) = match parent {
                    Some((id, parent)) => (
                        format!("'{parent}' already has a location named '{name}'."),
                        Some(id),
                    ),
                    None => (
                        format!("A top-level location named '{name}' already exists."),
                        None,
                    ),
                };
                let e = AppError::conflict("name_taken", message)
                    .with("field", "name")
                    .with("parent_id", parent_id);
                match existing_id {
                    Some(id) => e.with("existing_id", id),
                    None => e,
                }
            }
            Fact::LocationCycle { location, parent } => {
                let message = if location.0 == parent.0 {
                    format!("'{}' cannot be inside itself.", location.1)
                } else {
                    format!(
                        "'{}' cannot be moved into '{}': '{}' is inside '{}'.",
                        location.1, parent.1, parent.1, location.1
                    )
                };
                AppError::conflict("location_cycle", message)
                    .with("field", "parent_id")
                    .with("location_id", location.0)
                    .with("parent_id", parent.0)
            }
            Fact::LocationTooDeep { depth, max } => AppError::conflict(
                "too_deep",
                format!(
                    "Locations nest at most {max} levels below the top; this would put one {depth} levels down."
                ),
            )
            .with("field", "parent_id")
            .with("max_depth", max)
            .with("depth", depth),
            Fact::ParentArchived { location, parent } => AppError::conflict(
                "parent_archived",
                format!(
                    "'{}' is inside '{}', which is archived. Restore '{}' first.",
                    location.1, parent.1, parent.1
                ),
            )
            .with("location_id", location.0)
            .with("parent_id", parent.0),
            Fact::Archived { noun: n, id, name } => AppError::conflict(
                "archived",
                format!(
                    "{} '{name}' is archived: it keeps its history but takes no changes. Restore it first.",
                    capitalised(n)
                ),
            )
            .with(n.id_key(), id),
            Fact::NotArchived { noun: n, id } => AppError::conflict(
                "not_archived",
                format!("{} {id} is not archived; there is nothing to restore.", capitalised(n)),
            )
            .with(n.id_key(), id),
            Fact::Duplicate {
                field,
                value,
                existing_id,
            } => {
                let what = if field == "sku" { "sku" } else { "barcode" };
                AppError::conflict(
                    "duplicate",
                    format!("The {what} '{value}' already belongs to item {existing_id}."),
                )
                .with("field", field)
                .with("value", value)
                .with("existing_id", existing_id)
            }
            Fact::UsernameTaken => {
                AppError::conflict("username_taken", "That username is already taken.")
                    .with("field", "username")
            }
            Fact::PasskeyExists => {
                AppError::conflict("passkey_exists", "This passkey is already registered.")
            }
            Fact::UserNotFound => AppError::not_found("There is no such account."),
            Fact::AccountDisabled => AppError::forbidden(
                "account_disabled",
                "This account is disabled. Ask an admin to enable it.",
            ),
            Fact::LastAdmin => AppError::conflict(
                "last_admin",
                "This is the last active admin. Make another account admin first.",
            ),
            Fact::LinkInvalid => AppError::bad_request(
                "link_invalid",
                "This link is not valid: it was already used, revoked, or it expired. Ask an admin for a new one.",
            ),
            Fact::TokenNotFound { id } => {
                AppError::not_found(format!("You have no API token {id}.")).with("token_id", id)
            }
        }
    }
}

/// A query parameter the address does not take (the API document lists
/// the ones it does).
/// A route that needs an account, asked without a valid session or token:
/// said by the router, and by the front for an upload sent with no
/// credentials at all.
pub fn not_signed_in() -> AppError {
    AppError::unauthorized(
        "unauthenticated",
        "You are not logged in or your session has expired.",
    )
}

pub fn unknown_param(name: &str) -> AppError {
    let shown: String = name.chars().take(40).collect();
    AppError::invalid_field(
        name,
        format!(
            "This address takes no query parameter '{shown}'. See /api/docs for the ones it takes."
        ),
    )
}

/// Why the routing table's access column turned a signed-in caller away.
pub fn refusal(r: Refusal) -> AppError {
    match r {
        Refusal::ReadOnly => AppError::forbidden(
            "read_only",
            "Your account can only read. Ask an admin for the editor role to make changes.",
        ),
        Refusal::AdminOnly => {
            AppError::forbidden("admin_only", "Only an administrator may do this.")
        }
        Refusal::TokenNotAllowed => AppError::forbidden(
            "token_not_allowed",
            "Personal API tokens cannot use account, security or admin routes. Log in instead.",
        ),
        Refusal::ReadOnlyToken => AppError::forbidden(
            "read_only_token",
            "This API token may only read (GET). Make a token with scope \"write\" to change things.",
        ),
    }
}

/// "1 stock row", "3 stock rows".
pub fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
