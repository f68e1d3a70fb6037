//! The sentences for what `db/` reports as facts ([`Fact`]): the one place a
//! database finding becomes words a client reads.

use crate::db::facts::{Fact, Noun};

/// How a sentence names a kind of row: "item", "location", ….
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

pub fn said(fact: &Fact) -> String {
    match fact {
        Fact::NotFound { noun: n, id } => format!("{} {id} does not exist.", capitalised(*n)),
        Fact::NameTaken { noun: n, name, .. } => {
            format!("A {} named '{name}' already exists.", noun(*n))
        }
        Fact::LocationNameTaken { name, parent, .. } => match parent {
            Some((_, parent)) => format!("'{parent}' already has a location named '{name}'."),
            None => format!("A top-level location named '{name}' already exists."),
        },
        Fact::LocationCycle { location, parent } => {
            if location.0 == parent.0 {
                format!("'{}' cannot be inside itself.", location.1)
            } else {
                format!(
                    "'{}' cannot be moved into '{}': '{}' is inside '{}'.",
                    location.1, parent.1, parent.1, location.1
                )
            }
        }
        Fact::LocationTooDeep { depth, max } => format!(
            "Locations nest at most {max} levels below the top; this would put one {depth} levels down."
        ),
        Fact::ParentArchived { location, parent } => format!(
            "'{}' is inside '{}', which is archived. Restore '{}' first.",
            location.1, parent.1, parent.1
        ),
        Fact::Archived { noun: n, name, .. } => format!(
            "{} '{name}' is archived: it keeps its history but takes no changes. Restore it first.",
            capitalised(*n)
        ),
        Fact::NotArchived { noun: n, id } => format!(
            "{} {id} is not archived; there is nothing to restore.",
            capitalised(*n)
        ),
        Fact::Duplicate {
            field,
            value,
            existing_id,
        } => {
            let what = if *field == "sku" { "sku" } else { "barcode" };
            format!("The {what} '{value}' already belongs to item {existing_id}.")
        }
        Fact::UsernameTaken => "That username is already taken.".into(),
        Fact::PasskeyExists => "This passkey is already registered.".into(),
        Fact::UserNotFound => "There is no such account.".into(),
        Fact::AccountDisabled => "This account is disabled. Ask an admin to enable it.".into(),
        Fact::LastAdmin => {
            "This is the last active admin. Make another account admin first.".into()
        }
        Fact::LinkInvalid => "This link is not valid: it was already used, revoked, or it expired. Ask an admin for a new one.".into(),
        Fact::TokenNotFound { id } => format!("You have no API token {id}."),
    }
}
