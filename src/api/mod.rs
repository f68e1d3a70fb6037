//! JSON API handlers, one file per resource. Each handler parses (typed structs
//! with `deny_unknown_fields`) → checks → acts in one transaction → responds.

pub mod account;
pub mod health;
pub mod passkeys;
pub mod two_factor;
