//! Media kept with an item: photos and attachments. Layer: api.

pub mod attachments;
pub mod photos;
