//! Inventory: items with their history, quick-find, tags, undo, the
//! dashboard's figures and QR labels. Layer: api.

pub mod items;
pub mod labels;
pub mod search;
pub mod stats;
pub mod tags;
pub mod undo;
