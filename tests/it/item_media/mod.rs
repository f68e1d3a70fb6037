//! Photos and attachments of items through the real server: uploads are
//! decoded, turned upright, scaled and re-encoded (EXIF and its GPS position
//! gone), hostile images are refused with a 4xx, the per-route body limits
//! answer 413, downloads can never run as a page of ours, and media follow
//! their item's delete and archive.

use crate::common;
use crate::media_support;

use common::{BytesResp, Client, TestServer};
use media_support::*;
use serde_json::{Value, json};

fn item(c: &Client, name: &str) -> i64 {
    c.created("/api/item", json!({"name": name, "total_quantity": 3}))
}

fn upload_photo(c: &Client, item: i64, bytes: &[u8], ctype: &str) -> BytesResp {
    c.send_bytes(
        "POST",
        &format!("/api/item/photo?id={item}"),
        Some(bytes),
        &[("Content-Type", ctype)],
    )
}

fn upload_attachment(c: &Client, item: i64, name: &str, bytes: &[u8], ctype: &str) -> BytesResp {
    let name: String = url_encode(name);
    c.send_bytes(
        "POST",
        &format!("/api/item/attachment?id={item}&filename={name}"),
        Some(bytes),
        &[("Content-Type", ctype)],
    )
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn get_bytes(c: &Client, path: &str) -> BytesResp {
    c.send_bytes("GET", path, None, &[])
}

mod attachments_and_access;
mod photos;
