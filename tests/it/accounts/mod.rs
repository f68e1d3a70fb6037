//! The account core end to end: registration, login, refresh rotation,
//! revocation, cookies, rate limits and the API's error contract.

use crate::common;
use common::{Client, PASSWORD, TestServer};
use serde_json::json;

mod sessions_and_guards;
mod sign_up_and_tokens;
