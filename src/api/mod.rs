//! JSON API handlers, one file per resource. Each handler parses (typed structs
//! with `deny_unknown_fields`) → checks → acts in one transaction → responds.

pub mod account;
pub mod allocations;
pub mod health;
pub mod input;
pub mod items;
pub mod locations;
pub mod passkeys;
pub mod placement;
pub mod projects;
pub mod stats;
pub mod stock;
pub mod two_factor;
