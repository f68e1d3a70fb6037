//! Authentication: passwords, tokens and sessions, rate limits, TOTP, passkeys,
//! each in its own file. Layer: below api/ and pages/, above db/; no HTTP types.

pub mod devices;
pub mod passkeys;
pub mod password;
pub mod ratelimit;
pub mod recovery_codes;
pub mod session;
pub mod tokens;
pub mod totp;

use crate::error::{AppError, Kind};

/// What authentication refuses, as facts; `api::words` says them. A passkey
/// failure is 400 while registering and 401 while logging in (`login`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// A purpose token (2FA step, setup) that is invalid, expired or for
    /// another purpose.
    InvalidToken,
    /// The account of a session or token no longer exists.
    AccountGone,
    /// A refresh token that is unknown, used, expired or revoked.
    RefreshInvalid,
    /// A refresh token rotated a moment ago (another tab renewed first).
    RefreshSuperseded,
    /// A passkey ceremony token that is unknown or already used.
    UnknownCeremony,
    /// A passkey ceremony older than its lifetime (`minutes`).
    CeremonyExpired { minutes: i64 },
    /// A passkey response made for another origin; this server's is `origin`.
    OriginMismatch { origin: String },
    /// A passkey response for another relying party id.
    RpIdMismatch,
    /// A passkey response to another challenge.
    ChallengeMismatch,
    /// The authenticator did not verify the person (PIN, biometrics).
    UserNotVerified { login: bool },
    /// The authenticator did not confirm presence.
    UserNotPresent { login: bool },
    /// The credential's backup eligibility changed.
    BackupEligibilityChanged { login: bool },
    /// The authenticator's signature algorithm is not accepted.
    UnsupportedAlgorithm { login: bool },
    /// Any other verification failure.
    NotVerified { login: bool },
    /// The signature counter went backwards: the key may have been copied.
    CredentialCloned,
    /// The credential is not registered here.
    UnknownCredential,
}

impl crate::error::Refusal for Refused {}

impl From<Refused> for AppError {
    fn from(r: Refused) -> AppError {
        use Refused::*;
        let for_ceremony = |login: bool| match login {
            true => Kind::Unauthorized,
            false => Kind::BadRequest,
        };
        let (kind, code, field) = match &r {
            InvalidToken => (Kind::Unauthorized, "invalid_token", None),
            AccountGone => (Kind::Unauthorized, "unauthenticated", None),
            RefreshInvalid => (Kind::Unauthorized, "invalid_refresh_token", None),
            RefreshSuperseded => (Kind::Unauthorized, "refresh_superseded", None),
            UnknownCeremony => (
                Kind::BadRequest,
                "invalid_challenge",
                Some("challenge_token"),
            ),
            CeremonyExpired { .. } => (
                Kind::BadRequest,
                "ceremony_expired",
                Some("challenge_token"),
            ),
            OriginMismatch { .. } => (Kind::BadRequest, "origin_mismatch", None),
            RpIdMismatch => (Kind::BadRequest, "rp_id_mismatch", None),
            ChallengeMismatch => (Kind::BadRequest, "challenge_mismatch", None),
            UserNotVerified { login } => (for_ceremony(*login), "user_not_verified", None),
            UserNotPresent { login } => (for_ceremony(*login), "user_not_present", None),
            BackupEligibilityChanged { login } | NotVerified { login } => {
                (for_ceremony(*login), "invalid_credential", None)
            }
            UnsupportedAlgorithm { login } => (for_ceremony(*login), "unsupported_algorithm", None),
            CredentialCloned => (Kind::Unauthorized, "credential_cloned", None),
            UnknownCredential => (Kind::Unauthorized, "unknown_credential", None),
        };
        let origin = match &r {
            OriginMismatch { origin } => Some(origin.clone()),
            _ => None,
        };
        let mut e = AppError::refused(kind, code, r);
        if let Some(field) = field {
            e = e.with("field", field);
        }
        if let Some(origin) = origin {
            e = e.with("expected_origin", origin);
        }
        e
    }
}
