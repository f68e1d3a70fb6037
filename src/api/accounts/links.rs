//! One-time links (invitations, password resets) and personal API tokens: the
//! secrets they carry, the address a link is handed out at, and their lifetimes
//! in whole days.
//!
//! A link's address never comes from the request: its `Host` header is
//! whatever the sender typed (`Host: evil.example`), and a link that sends its
//! secret to another server gives the account away. The address is the
//! configured `public_url` (else `rp_origin`); with neither set, a link is
//! handed out as its path alone, and the person who hands it over puts it
//! behind the address they use. (QR labels are different: they print the
//! address their page was opened at, which is the one the phone reached.)

use crate::ctx::Ctx;
use crate::error::{AppError, AppResult};
use crate::rules::fields::Whole;
use serde::Serialize;

/// A link's secret: 32 random bytes, URL-safe.
pub fn secret() -> String {
    crate::crypto::random_token(32)
}

/// A one-time link as an answer hands it out.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct HandedOut {
    /// The whole link to hand over: the configured `public_url` (or
    /// `rp_origin`) with `path`. With neither configured, only `path` (which
    /// starts with `/`): put it behind the address the person opens MiauInv
    /// at.
    url: String,
    /// The link's path and query, `/invite?token=…`, whatever is configured.
    path: String,
    /// Whether `public_url` or `rp_origin` is set, so `url` is a whole link.
    origin_configured: bool,
}

/// The link to `path?token=secret`, at the configured public address.
pub(crate) fn handed_out(ctx: &Ctx<'_>, path: &str, secret: &str) -> HandedOut {
    let path = format!("{path}?token={secret}");
    match ctx.app.config.public_url() {
        Some(origin) => HandedOut {
            url: format!("{origin}{path}"),
            path,
            origin_configured: true,
        },
        None => HandedOut {
            url: path.clone(),
            path,
            origin_configured: false,
        },
    }
}

/// The address of `path?token=secret` as the person will open it: the
/// configured public address with the path, or the path alone when none is
/// configured (see [`handed_out`]); never the request's `Host`.
pub fn url(ctx: &Ctx<'_>, path: &str, secret: &str) -> String {
    handed_out(ctx, path, secret).url
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
