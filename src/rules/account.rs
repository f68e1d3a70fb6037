//! The rules for a username (layer: rules): registration, renames,
//! invitations and `miauinv user create` take a name through the same check.

use crate::error::{AppError, AppResult};

/// The shortest and longest username registration and renames accept.
pub const MIN_USERNAME_CHARS: usize = 3;
pub const MAX_USERNAME_CHARS: usize = 32;
/// The API document's pattern for a new username: what [`normalize_username`]
/// accepts before it trims and lowercases (whitespace as `char::is_whitespace`).
pub const USERNAME_PATTERN: &str = concat!(
    "^",
    crate::rules::fields::space!(),
    "*[A-Za-z0-9._-]{3,32}",
    crate::rules::fields::space!(),
    "*$"
);

/// Trims and lowercases a username and checks its shape: 3–32 of `a-z 0-9 . _ -`
/// (at most 32 as given, before trimming: the limit the API document states).
/// Only ASCII letters are lowercased: the Kelvin sign `K` is not a `k`.
pub fn normalize_username(raw: &str) -> AppResult<String> {
    let name = raw.trim().to_ascii_lowercase();
    let len = name.chars().count();
    if !(MIN_USERNAME_CHARS..=MAX_USERNAME_CHARS).contains(&len)
        || crate::rules::fields::over(raw, MAX_USERNAME_CHARS)
    {
        return Err(AppError::invalid_field(
            "username",
            "The username must be 3 to 32 characters long.",
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
    {
        return Err(AppError::invalid_field(
            "username",
            "The username may only contain letters a-z, digits and . _ -",
        ));
    }
    Ok(name)
}
