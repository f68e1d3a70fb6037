//! Lists at scale: search (`q`), `category`, `sort`/`order`, `limit`/`offset`
//! with the total in `X-Total-Count`, on every list and on 100 000 items.

use crate::common;
use common::create::ids;
use common::{Client, TestServer};
use serde_json::{Value, json};
use std::collections::HashSet;

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| {
            x["name"]
                .as_str()
                .or(x["item_name"].as_str())
                .unwrap()
                .to_string()
        })
        .collect()
}

mod at_scale;
mod search_and_sort;
