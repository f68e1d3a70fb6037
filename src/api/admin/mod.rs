//! Administration: accounts, invitations, the server's state, and the
//! health check. Layer: api.

pub mod health;
pub mod invites;
pub mod status;
pub mod users;
