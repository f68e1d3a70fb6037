//! The sentences for the refusals of the request layer (`http::Refused`),
//! authentication (`auth::Refused`) and access (`ctx::Refusal`).

use crate::auth::Refused as Auth;
use crate::ctx::Refusal as Access;
use crate::http::Refused as Request;

pub fn request(r: &Request) -> String {
    match r {
        Request::ParamRequired { name } => format!("The query parameter '{name}' is required."),
        Request::ParamNotPositive { name } => {
            format!("The query parameter '{name}' must be a positive whole number.")
        }
        Request::ParamNotFlag { name } => {
            format!("The query parameter '{name}' must be true or false.")
        }
        Request::NotJsonType => {
            "Send the request body as JSON with 'Content-Type: application/json'.".into()
        }
        Request::EmptyBody => "The request body is empty; a JSON object was expected.".into(),
        Request::NotAnObject => "The request body must be a JSON object.".into(),
        Request::NotJson { why } => format!("The request body is not valid JSON ({why})."),
        Request::UnknownField { field } => {
            format!("The field '{field}' is not accepted by this endpoint.")
        }
        Request::MissingField { field } => format!("The field '{field}' is required."),
        Request::Invalid { why } => format!("Invalid request: {why}."),
        Request::WrongType { field, expected } => {
            format!("The field '{field}' must be {}.", plain_type(expected))
        }
        Request::NotValid { field, why } => format!("The field '{field}' is not valid: {why}."),
        Request::TooLarge { limit } => {
            let size = match limit % (1024 * 1024) {
                0 => format!("{} MiB", limit / (1024 * 1024)),
                _ => format!("{limit} bytes"),
            };
            format!("The request body is larger than {size}, the most this address takes.")
        }
    }
}

/// serde's name for an expected type in words a client understands.
fn plain_type(expected: &str) -> &str {
    match expected {
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" => "a whole number",
        "f32" | "f64" => "a number",
        _ if expected.starts_with("struct ") || expected == "a map" => "an object",
        _ => expected,
    }
}

pub fn auth(r: &Auth) -> String {
    match r {
        Auth::InvalidToken => {
            "The token is invalid, expired or meant for something else. Start again.".into()
        }
        Auth::AccountGone => "This account no longer exists.".into(),
        Auth::RefreshInvalid => "The session has expired or was revoked. Log in again.".into(),
        Auth::RefreshSuperseded => {
            "This session was just renewed, for example in another tab. Use the new session."
                .into()
        }
        Auth::UnknownCeremony => {
            "This passkey request is unknown or was already used. Start again.".into()
        }
        Auth::CeremonyExpired { minutes } => {
            format!("This passkey request has expired (after {minutes} minutes). Start again.")
        }
        Auth::OriginMismatch { origin } => format!(
            "The passkey response was made for another web address; passkeys on this server work at {origin}."
        ),
        Auth::RpIdMismatch => "The passkey belongs to another site (relying party id).".into(),
        Auth::ChallengeMismatch => {
            "The passkey response does not answer this request. Start again.".into()
        }
        Auth::UserNotVerified { .. } => "The authenticator did not verify you (PIN, fingerprint or face). User verification is required for passkeys.".into(),
        Auth::UserNotPresent { .. } => "The authenticator did not confirm your presence.".into(),
        Auth::BackupEligibilityChanged { .. } => "This passkey's backup eligibility changed. Remove it in the account settings and add it again.".into(),
        Auth::UnsupportedAlgorithm { .. } => {
            "The authenticator uses a signature algorithm this server does not accept.".into()
        }
        Auth::NotVerified { .. } => "The passkey response could not be verified.".into(),
        Auth::CredentialCloned => "This passkey's signature counter went backwards, so it may have been copied. The login was refused; remove this passkey and add a new one.".into(),
        Auth::UnknownCredential => {
            "This passkey is not registered on this server (it may have been removed).".into()
        }
    }
}

/// Why the routing table's access column (or a handler needing a user)
/// turned a caller away.
pub fn access(r: Access) -> String {
    match r {
        Access::NotSignedIn => "Log in first.".into(),
        Access::ReadOnly => {
            "Your account can only read. Ask an admin for the editor role to make changes.".into()
        }
        Access::AdminOnly => "Only an administrator may do this.".into(),
        Access::TokenNotAllowed => "Personal API tokens cannot use account, security or admin routes. Log in instead.".into(),
        Access::ReadOnlyToken => "This API token may only read (GET). Make a token with scope \"write\" to change things.".into(),
    }
}
