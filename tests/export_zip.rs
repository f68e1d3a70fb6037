//! The ZIP export (`GET /api/export?format=zip`): the JSON document plus the
//! photo, thumbnail and attachment files it names, byte for byte what the
//! server serves; and its import restoring them into an empty server.

mod common;
mod media_support;

use common::{BytesResp, Client, TestServer};
use media_support::{jpeg, png};
use serde_json::{Value, json};
use std::io::{Cursor, Read};

fn upload(c: &Client, path: &str, bytes: &[u8], ctype: &str) -> Value {
    let r = c.send_bytes("POST", path, Some(bytes), &[("Content-Type", ctype)]);
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

/// Two items: one with a JPEG and a transparent PNG photo and a text
/// attachment, one with a PDF-ish attachment only.
fn fill(c: &Client) {
    let drill = c.created("/api/item", json!({"name": "Drill", "total_quantity": 2}));
    let saw = c.created("/api/item", json!({"name": "Saw", "total_quantity": 1}));
    upload(
        c,
        &format!("/api/item/photo?id={drill}"),
        &jpeg(900, 600),
        "image/jpeg",
    );
    upload(
        c,
        &format!("/api/item/photo?id={drill}"),
        &png(300, 200, true),
        "image/png",
    );
    upload(
        c,
        &format!("/api/item/attachment?id={drill}&filename=manual.txt"),
        b"Hold it by the handle.\n",
        "text/plain",
    );
    let receipt: Vec<u8> = (0..200_000u32).map(|n| (n % 251) as u8).collect();
    upload(
        c,
        &format!("/api/item/attachment?id={saw}&filename=receipt.pdf"),
        &receipt,
        "application/pdf",
    );
}

fn json_export(c: &Client) -> Value {
    let r = c.get("/api/export?format=json");
    assert_eq!(r.status, 200, "{}", r.text);
    without_time(r.json())
}

fn without_time(mut doc: Value) -> Value {
    doc.as_object_mut().unwrap().remove("exported_at");
    doc
}

fn zip_export(c: &Client) -> BytesResp {
    let r = c.send_bytes("GET", "/api/export?format=zip", None, &[]);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r
}

fn entry(zip: &mut zip::ZipArchive<Cursor<Vec<u8>>>, name: &str) -> Vec<u8> {
    let mut file = zip
        .by_name(name)
        .unwrap_or_else(|e| panic!("{name} is in the archive: {e}"));
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).unwrap();
    bytes
}

fn served(c: &Client, path: &str) -> Vec<u8> {
    let r = c.send_bytes("GET", path, None, &[]);
    assert_eq!(r.status, 200, "{path}");
    r.body
}

#[test]
fn the_zip_export_holds_the_json_document_and_the_served_files() {
    let server = TestServer::start();
    let c = Client::signed_up(&server, "alice");
    fill(&c);

    let r = zip_export(&c);
    assert_eq!(r.header("content-type"), Some("application/zip"));
    let disposition = r.header("content-disposition").unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"miauinv-export-")
            && disposition.ends_with(".zip\""),
        "{disposition}"
    );
    let mut zip = zip::ZipArchive::new(Cursor::new(r.body)).expect("a readable ZIP");
    let doc: Value = serde_json::from_slice(&entry(&mut zip, "export.json")).unwrap();
    assert_eq!(without_time(doc.clone()), json_export(&c));

    let photos = doc["photos"].as_array().unwrap();
    assert_eq!(photos.len(), 2);
    assert_eq!(photos[0]["file"], format!("photos/{}.jpg", photos[0]["id"]));
    assert_eq!(photos[1]["content_type"], "image/png");
    for p in photos {
        let id = &p["id"];
        let full = entry(&mut zip, p["file"].as_str().unwrap());
        assert_eq!(full, served(&c, &format!("/api/item/photo?id={id}")));
        assert_eq!(full.len() as i64, p["size"].as_i64().unwrap());
        let thumb = entry(&mut zip, p["thumb_file"].as_str().unwrap());
        assert_eq!(
            thumb,
            served(&c, &format!("/api/item/photo?id={id}&size=thumb"))
        );
    }
    let attachments = doc["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 2);
    assert_eq!(
        attachments[0]["file"],
        format!("attachments/{}/manual.txt", attachments[0]["id"])
    );
    for a in attachments {
        let bytes = entry(&mut zip, a["file"].as_str().unwrap());
        let url = format!("/api/item/attachment?id={}", a["id"]);
        assert_eq!(bytes, served(&c, &url));
    }
    // Nothing else: the document, two photos with thumbnails, two files.
    assert_eq!(zip.len(), 1 + 4 + 2);
}

#[test]
fn an_inventory_without_media_exports_the_document_as_before() {
    let server = TestServer::start();
    let c = Client::signed_up(&server, "alice");
    c.created("/api/item", json!({"name": "Bolt", "total_quantity": 5}));
    let doc = json_export(&c);
    assert!(doc.get("photos").is_none() && doc.get("attachments").is_none());
    let mut zip = zip::ZipArchive::new(Cursor::new(zip_export(&c).body)).unwrap();
    assert_eq!(zip.len(), 1);
    let inside: Value = serde_json::from_slice(&entry(&mut zip, "export.json")).unwrap();
    assert_eq!(without_time(inside), doc);
}
