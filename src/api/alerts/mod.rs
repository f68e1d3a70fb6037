//! Alerts: what to reorder, and the notification channels that carry
//! alerts and security notices out. Layer: api.

pub mod notifications;
pub mod reorder;
