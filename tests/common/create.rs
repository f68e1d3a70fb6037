//! Rows made through the real API for a test to work on, each insisting on
//! 201 (`Client::created`) and returning the new row's id; and the few ways
//! tests read lists back.

use super::Client;
use serde_json::{Value, json};

/// An item with `total` units.
pub fn item(c: &Client, name: &str, total: i64) -> i64 {
    c.created("/api/item", json!({"name": name, "total_quantity": total}))
}

/// A top-level location.
pub fn location(c: &Client, name: &str) -> i64 {
    c.created("/api/location", json!({"name": name}))
}

/// A location inside `parent` (top-level when `None`).
pub fn location_in(c: &Client, name: &str, parent: Option<i64>) -> i64 {
    c.created("/api/location", json!({"name": name, "parent_id": parent}))
}

pub fn project(c: &Client, name: &str) -> i64 {
    c.created("/api/project", json!({"name": name}))
}

/// `quantity` units of `item` stocked at `location`; the stock row's id.
pub fn stock(c: &Client, item: i64, location: i64, quantity: i64) -> i64 {
    c.created(
        "/api/stock",
        json!({"item_id": item, "location_id": location, "quantity": quantity}),
    )
}

/// `quantity` units of `item` allocated to `project`; the allocation's id.
pub fn allocate(c: &Client, item: i64, project: i64, quantity: i64) -> i64 {
    c.created(
        "/api/association",
        json!({"item_id": item, "project_id": project, "quantity": quantity}),
    )
}

/// The item as `GET /api/item?id=` shows it.
pub fn item_json(c: &Client, id: i64) -> Value {
    c.get(&format!("/api/item?id={id}")).json()
}

/// The `id` of every row of a JSON list.
pub fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

/// The `name` of every row of a JSON list.
pub fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}
