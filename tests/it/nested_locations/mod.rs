//! Nested locations through the real server: a location is inside another
//! (`parent_id`), answers its `path` and `depth`, never becomes its own
//! ancestor, nests at most 16 levels deep, has a name unique among its
//! siblings, lists one level at a time, and counts what lies inside it when
//! asked to (`recursive=true`). Deleting and restoring respect the tree.

use crate::common;
use common::create::{item, location_in, names, stock};
use common::{Client, Resp, TestServer};
use serde_json::{Value, json};

fn move_to(c: &Client, id: i64, parent: Value) -> Resp {
    c.put(
        &format!("/api/location?id={id}"),
        json!({"parent_id": parent}),
    )
}

mod contents_and_upgrade;
mod tree;
