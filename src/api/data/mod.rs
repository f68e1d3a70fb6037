//! Data in and out: export, import and the backup download (the engines
//! are in `transfer/` and `db/backup.rs`; these are their HTTP doors). Layer: api.

pub mod backup;
pub mod export;
pub mod export_csv;
pub mod export_zip;
pub mod import;
