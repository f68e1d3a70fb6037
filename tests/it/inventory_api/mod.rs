//! The inventory API end to end: every endpoint and method of items,
//! locations, projects, stock, allocations and stats, their validation and the
//! 404/409 answers the contract promises.

use crate::common;
use common::create::{allocate, item, location, project, stock};
use common::{Client, TestServer};
use serde_json::{Value, json};

fn get_item(c: &Client, id: i64) -> Value {
    let r = c.get(&format!("/api/item?id={id}"));
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
}

mod items;
mod places_and_projects;
