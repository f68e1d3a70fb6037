//! The rules every door shares (layer: rules, below `api/` and `transfer/`,
//! above `db/`): what a name, a text, a tag, a sku, a barcode, a custom field,
//! a quantity, an id and a place's depth may be, turned into validated values.
//! The HTTP handlers, every import format, the command line and restore build
//! their values through these functions, so a hostile file gets the same
//! answer as a hostile request.

pub mod account;
pub mod attachment;
pub mod fields;
pub mod item;
pub mod limits;
pub mod photo;
pub mod sso;
