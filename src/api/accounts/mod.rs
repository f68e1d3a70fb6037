//! Accounts and security: registration, login and sessions, two-factor
//! authentication, passkeys, personal API tokens, one-time links and the
//! security log. Layer: api.

pub mod account;
pub mod links;
pub mod notification_email;
pub mod onboarding;
pub mod passkeys;
pub mod revocation;
pub mod security_events;
pub mod session_reply;
pub mod sessions;
pub mod sso;
pub mod tokens;
pub mod two_factor;
