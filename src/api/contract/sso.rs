//! Operations of the API document: sign-in with an identity provider
//! (OpenID Connect). A browser flow: `start` and `finish` are called by the
//! login and callback pages, `link` by Settings; scripts keep using personal
//! API tokens.

use super::op::*;
use crate::api::accounts::sso;
use crate::http::Method::{Delete, Get, Post};

/// Rate limited (429); the provider may be down (503) or answer what
/// OpenID Connect does not allow (502).
const PROVIDER: &[u16] = &[429, 502, 503];

pub const OPS: &[Op] = &[
    op(Post, "/api/sso/start", "Start a sign-in at an identity provider")
        .about("Answers the provider's sign-in address to send the browser to, and sets the `sso_flow` cookie (HttpOnly, SameSite=Lax, ten minutes) that binds the sign-in to this browser. The provider sends the browser back to `/auth/oidc/callback`. An unknown provider is 400; a provider that cannot be reached 503 (it is asked again on the next try).")
        .body(schema::<sso::StartBody>)
        .answers(&[answer(200, "Where to send the browser.", Content::Json(schema::<sso::Started>))])
        .errors(PROVIDER),
    op(Post, "/api/sso/finish", "Finish a sign-in at an identity provider")
        .about("Called by the callback page with the `state` and `code` (or `error`) the provider sent back, and the `sso_flow` cookie. The state is used once. The ID token is checked (signature against the provider's keys, issuer, audience, expiry, nonce). Answers a session and the page to open, or `requires_2fa` with a `two_factor_token` for `/api/login/2fa` when the account has two-factor authentication, or `linked` after a link from Settings. Every refusal is in the security log: 401 for a state or token that does not hold, 403 when no account may sign in with this identity, 409 for a link that cannot be made.")
        .body(schema::<sso::FinishBody>)
        .answers(&[answer(200, "A session, the second step, or the link made.", Content::Json(schema::<FinishAnswer>))])
        .errors(&[401, 403, 409, 429, 502, 503]),
    op(Post, "/api/sso/link", "Link an identity provider to your account")
        .about("As `/api/sso/start`, for the signed-in account: the identity is linked when the provider sends the browser back. Needs a login within the last 5 minutes, or the account's `password` (401 `password_required`).")
        .body(schema::<sso::LinkBody>)
        .answers(&[answer(200, "Where to send the browser.", Content::Json(schema::<sso::Started>))])
        .errors(&[401, 429, 502, 503]),
    op(Get, "/api/sso/identities", "The identity providers and your identities there")
        .answers(&[answer(200, "Every configured provider, with your identity there if linked.", Content::Json(schema::<Vec<sso::ProviderLink>>))]),
    op(Delete, "/api/sso/identities", "Unlink an identity provider")
        .about("Refused (409 `last_way_in`) when it is the account's only way in: no usable password, no passkey, no other provider.")
        .params(&[required("provider", Takes::Text { max: 32 }, "The provider's id.")])
        .answers(&[answer(204, "Unlinked.", Content::Empty)])
        .errors(&[409]),
];

/// `POST /api/sso/finish` answers a session with the page to open, the
/// second step, or the link made.
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)] // never built: it only describes the answer
enum FinishAnswer {
    Session(sso::SignedInAnswer),
    Other(sso::Next),
}
