//! Words at the edge: the one place where what the layers below report (a
//! [`Fact`] of `db/`, a refusal of `http/`, `auth/` or `ctx`, the common
//! busy / rate-limited / internal) becomes the sentence a person reads, and
//! where the edge's own refusals (the router's, the front's, the request
//! adapter's) are worded. The layers below carry status, code and numbers
//! but no words; [`say`] adds them where the answer is written: the request
//! adapter, the front, and the command line.

mod facts;
mod refusals;

use crate::db::facts::Fact;
use crate::error::{AppError, Common, Kind};

pub use refusals::{access, auth, request};

/// Gives an error made below the edge its sentence. Errors made with words
/// (by `api/`, `pages/`, `rules/`, `transfer/`) are left as they are.
pub fn say(err: &mut AppError) {
    if !err.message.is_empty() {
        return;
    }
    let words: String = if let Some(fact) = err.refusal_as::<Fact>() {
        facts::said(fact)
    } else if let Some(r) = err.refusal_as::<crate::http::Refused>() {
        request(r)
    } else if let Some(r) = err.refusal_as::<crate::auth::Refused>() {
        auth(r)
    } else if let Some(r) = err.refusal_as::<crate::ctx::Refusal>() {
        access(*r)
    } else if let Some(c) = err.refusal_as::<Common>() {
        common(*c)
    } else {
        // A refusal type with no words here is a bug of this module; the
        // client still gets a sentence, and the log says which.
        eprintln!("no words for refusal {:?}", err.refusal);
        "The request was refused.".into()
    };
    err.message = words.into();
}

/// The error, said (for callers that own it).
pub fn said(mut err: AppError) -> AppError {
    say(&mut err);
    err
}

fn common(c: Common) -> String {
    match c {
        Common::Busy => "The server is busy. Try again in a moment.".into(),
        Common::RateLimited { seconds } => {
            format!("Too many attempts. Try again in {seconds} seconds.")
        }
        Common::Internal => "Something went wrong on the server. The error has been logged.".into(),
    }
}

// ── the edge's own refusals ─────────────────────────────────────────────────────────────

/// A route that needs an account, asked without a valid session or token:
/// said by the router, and by the front for an upload sent with no
/// credentials at all.
pub fn not_signed_in() -> AppError {
    AppError::unauthorized(
        "unauthenticated",
        "You are not logged in or your session has expired.",
    )
}

/// A query parameter the address does not take (the API document lists
/// the ones it does).
pub fn unknown_param(name: &str) -> AppError {
    let shown: String = name.chars().take(40).collect();
    AppError::invalid_field(
        name,
        format!(
            "This address takes no query parameter '{shown}'. See /api/docs for the ones it takes."
        ),
    )
}

/// No route (and no page or asset) at this path.
pub fn nothing_here() -> AppError {
    AppError::not_found("There is nothing at this address.")
}

/// A route that exists for other methods (`allow`, as the `Allow` header).
pub fn method_not_allowed(allow: String) -> AppError {
    let mut e = AppError::new(
        Kind::MethodNotAllowed,
        "method_not_allowed",
        format!("This endpoint only accepts {allow}."),
    );
    e.allow = Some(allow.into());
    e
}

/// A write from another site that carried our cookies.
pub fn cross_origin() -> AppError {
    AppError::forbidden(
        "cross_origin",
        "Cross-site requests are not allowed. Use the MiauInv pages or a Bearer token.",
    )
}

/// A request that reached the internal socket without passing the front.
pub fn not_via_listener() -> AppError {
    AppError::forbidden("not_via_listener", "Connect to MiauInv's public port.")
}

/// The body could not be read to its end (`why`: the reader's error).
pub fn unreadable_body(why: impl std::fmt::Display) -> AppError {
    AppError::bad_request(
        "unreadable_body",
        format!("The request body could not be read: {why}."),
    )
}

/// What the front answers by itself, before a request reaches a worker.
pub mod front {
    use crate::error::{AppError, Kind};

    pub fn malformed() -> AppError {
        AppError::bad_request("malformed_request", "The request is not valid HTTP/1.1.")
    }

    pub fn not_ascii() -> AppError {
        AppError::bad_request(
            "malformed_request",
            "The request line and headers must be ASCII: percent-encode other characters in the URL.",
        )
    }

    pub fn head_too_large(max: usize) -> AppError {
        AppError::new(
            Kind::HeaderFieldsTooLarge,
            "request_header_fields_too_large",
            format!("The request line and headers are larger than {max} bytes."),
        )
    }

    pub fn unavailable() -> AppError {
        AppError::new(
            Kind::ServiceUnavailable,
            "unavailable",
            "The server cannot take the request right now.",
        )
    }

    pub fn too_many_connections() -> AppError {
        AppError::new(
            Kind::ServiceUnavailable,
            "too_many_connections",
            "The server has too many open connections.",
        )
    }
}

/// "1 stock row", "3 stock rows".
pub fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of refusal made below the edge is said here: none falls
    /// through to the sentence for a refusal this module does not know.
    #[test]
    fn every_refusal_below_the_edge_has_words() {
        let made_below: Vec<AppError> = vec![
            Fact::UsernameTaken.into(),
            crate::http::Refused::TooLarge { limit: 1 << 20 }.into(),
            crate::auth::Refused::RefreshSuperseded.into(),
            crate::ctx::Refusal::NotSignedIn.into(),
            AppError::busy(),
            AppError::too_many_requests(3),
            AppError::internal("detail for the log"),
        ];
        for mut err in made_below {
            assert!(err.message.is_empty(), "{err}: said too early");
            say(&mut err);
            assert!(!err.message.is_empty());
            assert_ne!(&*err.message, "The request was refused.", "{err:?}");
        }
        let mut large = said(crate::http::Refused::TooLarge { limit: 1 << 20 }.into());
        assert_eq!(
            &*large.message,
            "The request body is larger than 1 MiB, the most this address takes."
        );
        // Said once: words already given are kept.
        large.message = "kept".into();
        say(&mut large);
        assert_eq!(&*large.message, "kept");
    }
}
