//! MiauInv: a self-hosted inventory, stock and project-allocation server.
//!
//! `main.rs` is the command line; everything else is a library so the tests and
//! the benchmark can start real servers in-process.

pub mod api;
pub mod app;
pub mod assets;
pub mod auth;
pub mod commands;
pub mod config;
pub mod crypto;
pub mod ctx;
pub mod db;
pub mod error;
pub mod files;
pub mod front;
pub mod healthcheck;
pub mod http;
pub mod labels;
pub mod memory;
pub mod notify;
pub mod outbound;
pub mod pages;
pub mod router;
pub mod rules;
pub mod server;
pub mod sso;
pub mod templates;
pub mod transfer;
