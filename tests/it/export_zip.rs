//! The ZIP export (`GET /api/export?format=zip`): the JSON document plus the
//! photo, thumbnail and attachment files it names, byte for byte what the
//! server serves; and its import restoring them into an empty server.

use crate::common;
use crate::media_support;

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
        assert_eq!(full, c.served(&format!("/api/item/photo?id={id}")));
        assert_eq!(full.len() as i64, p["size"].as_i64().unwrap());
        let thumb = entry(&mut zip, p["thumb_file"].as_str().unwrap());
        assert_eq!(
            thumb,
            c.served(&format!("/api/item/photo?id={id}&size=thumb"))
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
        assert_eq!(bytes, c.served(&url));
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

#[test]
fn a_zip_export_imported_into_an_empty_server_restores_photos_and_files() {
    let a = TestServer::start();
    let ca = Client::signed_up(&a, "alice");
    fill(&ca);
    let archive = zip_export(&ca).body;
    let before = json_export(&ca);

    let b = TestServer::start();
    let cb = Client::signed_up(&b, "bob");
    let empty = json_export(&cb);
    let dry = cb.import_zip(true, &archive);
    assert_eq!(dry.status, 200, "{}", dry.text);
    let dry = dry.json();
    assert_eq!(dry["created"]["photos"], 2, "{dry}");
    assert_eq!(dry["created"]["attachments"], 2, "{dry}");
    assert_eq!(json_export(&cb), empty, "a dry run changes nothing");

    let r = cb.import_zip(false, &archive);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(json_export(&cb), before, "the same document");
    // The same bytes, served the same way.
    for p in before["photos"].as_array().unwrap() {
        for size in ["full", "thumb"] {
            let url = format!("/api/item/photo?id={}&size={size}", p["id"]);
            assert_eq!(cb.served(&url), ca.served(&url), "{url}");
        }
    }
    for at in before["attachments"].as_array().unwrap() {
        let url = format!("/api/item/attachment?id={}", at["id"]);
        assert_eq!(cb.served(&url), ca.served(&url), "{url}");
    }
    // New uploads take fresh ids after the imported ones.
    let item = before["items"][0]["id"].as_i64().unwrap();
    let next = upload(
        &cb,
        &format!("/api/item/photo?id={item}"),
        &jpeg(64, 64),
        "image/jpeg",
    );
    let last = before["photos"].as_array().unwrap().last().unwrap()["id"].as_i64();
    assert!(next["id"].as_i64() > last, "{next}");
}

/// `archive` rewritten without `leave_out`, with `replace` files swapped.
fn rewritten(archive: &[u8], leave_out: &str, replace: (&str, &[u8])) -> Vec<u8> {
    use std::io::Write;
    let mut from = zip::ZipArchive::new(Cursor::new(archive.to_vec())).unwrap();
    let mut to = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let names: Vec<String> = from.file_names().map(|n| n.unwrap().to_string()).collect();
    for name in names {
        if name == leave_out {
            continue;
        }
        let bytes = match name == replace.0 {
            true => replace.1.to_vec(),
            false => entry(&mut from, &name),
        };
        to.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        to.write_all(&bytes).unwrap();
    }
    to.finish().unwrap().into_inner()
}

#[test]
fn a_zip_missing_a_file_or_with_a_false_photo_imports_nothing_and_says_where() {
    let a = TestServer::start();
    let ca = Client::signed_up(&a, "alice");
    fill(&ca);
    let archive = zip_export(&ca).body;
    let doc = json_export(&ca);
    let photo = doc["photos"][0]["file"].as_str().unwrap();
    let thumb = doc["photos"][1]["thumb_file"].as_str().unwrap();
    let manual = doc["attachments"][0]["file"].as_str().unwrap();

    let b = TestServer::start();
    let cb = Client::signed_up(&b, "bob");
    let empty = json_export(&cb);
    let broken = rewritten(&archive, manual, (thumb, b"not a png"));
    let r = cb.import_zip(false, &broken);
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.code(), "import_failed");
    let errors = r.json()["errors"].clone();
    let at: Vec<&str> = errors
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        at,
        ["photos[1].thumb_file", "attachments[0].file"],
        "{errors}"
    );
    assert_eq!(json_export(&cb), empty, "all or nothing");

    // A photo the size of another than the document says.
    let small = jpeg(10, 10);
    let r = cb.import_zip(false, &rewritten(&archive, "", (photo, &small)));
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("10×10 pixels"), "{}", r.text);

    // Not a ZIP, or a ZIP without the document.
    let r = cb.import_zip(false, b"PK but not really");
    assert_eq!((r.status, r.code().as_str()), (400, "invalid_archive"));
    let r = cb.import_zip(false, &rewritten(&archive, "export.json", ("", b"")));
    assert_eq!((r.status, r.code().as_str()), (400, "invalid_archive"));
    assert_eq!(json_export(&cb), empty);
}

#[test]
fn a_json_import_of_a_document_with_media_says_the_files_are_left_out() {
    let a = TestServer::start();
    let ca = Client::signed_up(&a, "alice");
    fill(&ca);
    let text = ca.get("/api/export?format=json").text;
    let b = TestServer::start();
    let cb = Client::signed_up(&b, "bob");
    let r = cb.send_raw(
        "POST",
        "/api/import?format=json",
        "application/json",
        text.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let skipped = r.json()["skipped"].clone();
    assert_eq!(skipped[0]["path"], "photos", "{skipped}");
    assert!(
        skipped[1]["message"]
            .as_str()
            .unwrap()
            .contains("ZIP export")
    );
    assert!(json_export(&cb).get("photos").is_none());
}

#[test]
fn the_cli_writes_the_same_zip_to_stdout() {
    let server = TestServer::start();
    let c = Client::signed_up(&server, "alice");
    fill(&c);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_miauinv"))
        .arg("--config")
        .arg(server.dir.path().join("config.yaml"))
        .args(["export", "--format", "zip"])
        .output()
        .expect("the binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut cli = zip::ZipArchive::new(Cursor::new(out.stdout)).expect("a ZIP on stdout");
    let mut api = zip::ZipArchive::new(Cursor::new(zip_export(&c).body)).unwrap();
    let doc: Value = serde_json::from_slice(&entry(&mut cli, "export.json")).unwrap();
    assert_eq!(without_time(doc.clone()), json_export(&c));
    for p in doc["photos"].as_array().unwrap() {
        let name = p["file"].as_str().unwrap();
        assert_eq!(entry(&mut cli, name), entry(&mut api, name));
    }
    assert_eq!(cli.len(), api.len());
}
