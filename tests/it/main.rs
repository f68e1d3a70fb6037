//! The integration tests, one binary: every test starts its own server
//! in-process on an ephemeral port with a temporary appdata (`common`), so
//! they run side by side; one binary links once instead of forty times.

#[path = "../common/mod.rs"]
mod common;
#[path = "../media_support/mod.rs"]
mod media_support;
#[path = "../notify_support/mod.rs"]
mod notify_support;
#[path = "../sso_support/mod.rs"]
mod sso_support;
#[path = "../totp_support/mod.rs"]
mod totp_support;

mod accounts;
mod admin;
mod api_contract;
mod architecture;
mod archive;
mod backup;
mod doors;
mod export_import;
mod export_zip;
mod file_modes;
mod front_kept;
mod front_pool;
mod guide;
mod hardening;
mod installable;
mod inventory_api;
mod inventory_invariants;
mod inventory_lists;
mod inventory_totals;
mod inventory_upgrade;
mod item_media;
mod item_tags_fields;
mod labels;
mod litestream;
mod location_totals;
mod login_limits;
mod names;
mod nested_locations;
mod notice_confirmation;
mod notice_limits;
mod one_time_links;
mod pages;
mod passkeys;
mod persistent_limits;
mod quick_actions;
mod quick_find;
mod reverse_proxy;
mod roles;
mod sealed_channel_secrets;
mod secrets_at_rest;
mod security_events;
mod security_notices;
mod sessions;
mod sso;
mod startup;
mod stock_alerts;
mod tokens_end;
mod two_factor;
mod undo;
mod upgrade;
