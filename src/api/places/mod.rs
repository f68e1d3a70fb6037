//! Places and what lies there: locations, projects, stock rows,
//! allocations, transfers, the quick actions at the shelf and stocktakes. Layer: api.

pub mod allocations;
pub mod locations;
pub mod placement;
pub mod projects;
pub mod quick;
pub mod stock;
pub mod stocktakes;
