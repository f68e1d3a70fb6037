//! The ranges every door keeps for ids a file brings along and for how deep
//! places nest.

use crate::db::tree::MAX_DEPTH;
use crate::error::{AppError, AppResult};

/// The largest id a document may keep (2^40). Ids are kept as the file gives
/// them, so a row made afterwards gets the next one: far below `i64::MAX`,
/// an import can never exhaust SQLite's AUTOINCREMENT sequence (at its top,
/// every later create failed), and far below 2^53, so every id stays exact in
/// the pages' JavaScript.
pub const MAX_ID: i64 = 1 << 40;

/// An id a file keeps: from 1 to [`MAX_ID`].
pub fn kept_id(field: &str, id: i64) -> AppResult<i64> {
    match (1..=MAX_ID).contains(&id) {
        true => Ok(id),
        false => Err(AppError::invalid_field(
            field,
            format!("An id must be a whole number from 1 to {MAX_ID}; {id} is not."),
        )),
    }
}

/// A place `depth` levels below the top (0 is the top level).
pub fn depth(field: &str, depth: i64) -> AppResult<()> {
    match depth <= MAX_DEPTH {
        true => Ok(()),
        false => Err(AppError::invalid_field(
            field,
            format!(
                "Locations nest at most {MAX_DEPTH} levels below the top; this one would be {depth} levels down."
            ),
        )),
    }
}
