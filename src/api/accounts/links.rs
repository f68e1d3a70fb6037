//! One-time links (invitations, password resets) and personal API tokens: the
//! secrets they carry, the address a link is handed out at, and their lifetimes
//! in whole days.

use crate::ctx::Ctx;
use crate::error::{AppError, AppResult};
use crate::rules::fields::Whole;

/// A link's secret: 32 random bytes, URL-safe.
pub fn secret() -> String {
    crate::crypto::random_token(32)
}

/// The full address of `path?token=secret` as the person will open it: the
/// configured public origin (`rp_origin`), else the origin this request was
/// sent to.
pub fn url(ctx: &Ctx<'_>, path: &str, secret: &str) -> String {
    let configured = ctx.app.config.rp_origin.trim_end_matches('/');
    let origin = if configured.is_empty() {
        let scheme = if ctx.req.secure { "https" } else { "http" };
        let host = ctx.req.header("host").unwrap_or("localhost");
        format!("{scheme}://{host}")
    } else {
        configured.to_string()
    };
    format!("{origin}{path}?token={secret}")
}

/// A lifetime in whole days, 1 to `max`.
pub fn days(field: &str, n: Whole, max: i64) -> AppResult<i64> {
    let d = crate::rules::fields::id(field, n)?;
    if d > max {
        return Err(AppError::invalid_field(
            field,
            format!("'{field}' must be between 1 and {max} days."),
        ));
    }
    Ok(d)
}
