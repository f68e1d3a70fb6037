//! The rules for a username and a new password (layer: rules): registration,
//! renames, invitations, password changes and resets, and `miauinv user
//! create` / `user password` take them through the same checks.

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

/// A new password: at least 8 characters, at most bcrypt's 72 bytes (a longer
/// one is refused rather than silently truncated).
pub fn new_password(password: &str, field: &str) -> AppResult<()> {
    use crate::auth::password::MIN_PASSWORD_CHARS;
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::invalid_field(
            field,
            format!("The password must be at least {MIN_PASSWORD_CHARS} characters long."),
        ));
    }
    if password.len() > crate::auth::password::MAX_PASSWORD_BYTES {
        return Err(password_too_long(field));
    }
    Ok(())
}

/// 400 for a password over bcrypt's 72 bytes, at registration and login alike.
pub fn password_too_long(field: &str) -> AppError {
    AppError::invalid_field(
        field,
        format!(
            "The password must be at most {} bytes long (bcrypt's limit).",
            crate::auth::password::MAX_PASSWORD_BYTES
        ),
    )
}
