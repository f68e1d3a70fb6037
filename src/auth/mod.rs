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
