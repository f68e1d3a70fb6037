//! The one way a session reaches the client: the session as JSON (with any
//! extra fields of the flow beside it) and both auth cookies. Password, 2FA and
//! passkey flows all answer through [`with_session`]; logout and the end of
//! every session clear the cookies through [`clear_session`].

use crate::auth::session::Session;
use crate::auth::tokens::ACCESS_TTL;
use crate::db::sessions::REFRESH_TTL;
use crate::http::cookies::cookie;
use crate::http::{Reply, Request};
use serde::Serialize;

/// Nothing beside the session.
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "Only")]
pub(crate) struct Nothing {}

/// The session with a flow's extra fields beside it, as answered.
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "Session{T}")]
pub(crate) struct SessionWith<'a, T: Serialize> {
    #[serde(flatten)]
    session: &'a Session,
    #[serde(flatten)]
    extra: T,
}

/// The answer of a flow that issues a session and says nothing more.
pub(crate) type Issued = SessionWith<'static, Nothing>;

/// Answers with the session and `extra`'s fields at the top level (e.g. the
/// recovery codes shown once when 2FA is enabled), and sets both cookies.
pub fn with_session<T: Serialize>(
    status: u16,
    session: &Session,
    extra: T,
    req: &Request,
) -> Reply {
    let reply = Reply::json(status, &SessionWith { session, extra });
    reply
        .header(
            "Set-Cookie",
            cookie(
                "access_token",
                &session.access_token,
                "/",
                ACCESS_TTL,
                req.secure,
            ),
        )
        .header(
            "Set-Cookie",
            // The refresh cookie is only ever sent to the refresh and logout endpoints.
            cookie(
                "refresh_token",
                &session.refresh_token,
                "/api",
                REFRESH_TTL,
                req.secure,
            ),
        )
}

/// `200 OK` with the session alone: a login, a refresh, a password change.
pub fn issued(session: &Session, req: &Request) -> Reply {
    with_session(200, session, Nothing {}, req)
}

/// Deletes both auth cookies.
pub fn clear_session(reply: Reply, req: &Request) -> Reply {
    reply
        .header("Set-Cookie", cookie("access_token", "", "/", 0, req.secure))
        .header(
            "Set-Cookie",
            cookie("refresh_token", "", "/api", 0, req.secure),
        )
}
