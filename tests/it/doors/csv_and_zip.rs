//! CSV, Homebox and ZIP archives: the API's limits by row and column, zip bombs, photos re-encoded or refused.

use super::*;

#[test]
fn csv_and_homebox_imports_keep_the_api_limits_by_row_and_column() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let deep: Vec<String> = (0..40).map(|n| format!("l{n}")).collect();
    let deep = deep.join("/");
    let long = "n".repeat(5_000);
    let over = (MAX_QUANTITY + 1).to_string();
    let csv_cases = [
        (
            format!("name,total_quantity\nBolt,{over}\n"),
            "total_quantity",
        ),
        (
            format!("name,total_quantity,location,quantity\nBolt,1,Shelf,{over}\n"),
            "quantity",
        ),
        ("name,total_quantity\nBo\u{0}lt,1\n".to_string(), "name"),
        (format!("name,total_quantity\n{long},1\n"), "name"),
        (
            format!("name,total_quantity,location,quantity\nBolt,1,{deep},1\n"),
            "location",
        ),
    ];
    for (file, column) in &csv_cases {
        let r = import_csv(&c, "csv", false, file);
        assert_eq!(refused_cells(&r), [(2, column.to_string())], "{file:.80}");
    }
    let hb_cases = [
        (format!("HB.name,HB.quantity\nBolt,{over}\n"), "HB.quantity"),
        ("HB.name,HB.quantity\nBo\u{0}lt,1\n".to_string(), "HB.name"),
        (format!("HB.name,HB.quantity\n{long},1\n"), "HB.name"),
        (
            format!("HB.name,HB.quantity,HB.location\nBolt,1,{deep}\n"),
            "HB.location",
        ),
    ];
    for (file, column) in &hb_cases {
        let r = import_csv(&c, "homebox", false, file);
        assert_eq!(refused_cells(&r), [(2, column.to_string())], "{file:.80}");
    }
    assert_eq!(item_count(&c), 0);
    assert_eq!(c.get("/api/location").json(), json!([]));

    // 17 names is as deep as the API nests, and imports.
    let path: Vec<String> = (0..17).map(|n| format!("l{n}")).collect();
    let file = format!(
        "name,total_quantity,location,quantity\nBolt,{MAX_QUANTITY},{},1\n",
        path.join(" / ")
    );
    let r = import_csv(&c, "csv", false, &file);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["created"]["locations"], 17, "{}", r.text);
}

/// A ZIP export of one item, "Drill", with a 900×600 JPEG photo.
fn export_with_photo(c: &Client) -> Vec<u8> {
    let drill = c.created("/api/item", json!({"name": "Drill", "total_quantity": 2}));
    let r = c.send_bytes(
        "POST",
        &format!("/api/item/photo?id={drill}"),
        Some(&jpeg(900, 600)),
        &[("Content-Type", "image/jpeg")],
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let r = c.send_bytes("GET", "/api/export?format=zip", None, &[]);
    assert_eq!(r.status, 200);
    r.body
}

#[test]
fn a_zip_bomb_is_refused_naming_the_cap_and_leaves_the_disk_alone() {
    let a = TestServer::start();
    let ca = Client::signed_up(&a, "alice");
    let drill = ca.created("/api/item", json!({"name": "Drill", "total_quantity": 1}));
    let r = ca.send_bytes("GET", "/api/export?format=zip", None, &[]);
    assert_eq!(r.status, 200);
    let mut entries = zip_entries(&r.body);
    // Forty attachments, all pointing at one 25 MiB entry of zeros.
    const ZEROS: u64 = 25 * MIB;
    with_document(&mut entries, |doc| {
        let attachments: Vec<Value> = (1..=40)
            .map(|id| {
                json!({"id": id, "item_id": drill, "filename": format!("manual-{id}.pdf"),
                       "content_type": "application/pdf", "size": ZEROS, "created_at": 0,
                       "file": "attachments/zeros.bin"})
            })
            .collect();
        doc["attachments"] = json!(attachments);
    });
    entries.push(("attachments/zeros.bin".into(), vec![0; ZEROS as usize]));
    let bomb = zip_of(&entries);
    assert!(bomb.len() < 40 * 1024, "a bomb of {} bytes", bomb.len());

    let b = TestServer::start();
    let cb = Client::signed_up(&b, "bob");
    let before = database_bytes(&b);
    for dry_run in [true, false] {
        let r = cb.import_zip(dry_run, &bomb);
        assert_eq!(r.status, 400, "dry_run={dry_run}: {}", r.text);
        assert_eq!(r.code(), "archive_too_large", "{}", r.text);
        let cap = (64 * MIB + 10 * bomb.len() as u64) / MIB;
        let message = r.json()["error"].as_str().unwrap_or_default().to_string();
        assert!(message.contains(&format!("{cap} MiB")), "{message}");
        let grown = database_bytes(&b).saturating_sub(before);
        assert!(
            database_bytes(&b) < 8 * MIB,
            "dry_run={dry_run}: the database and its WAL grew by {grown} bytes"
        );
    }
    assert_eq!(item_count(&cb), 0);
}

#[test]
fn a_zip_photo_with_exif_and_a_script_is_re_encoded() {
    let a = TestServer::start();
    let ca = Client::signed_up(&a, "alice");
    let mut entries = zip_entries(&export_with_photo(&ca));
    let doc: Value =
        serde_json::from_slice(&entries.iter().find(|(n, _)| n == "export.json").unwrap().1)
            .unwrap();
    let photo = doc["photos"][0].clone();
    assert_eq!(
        (photo["width"].clone(), photo["height"].clone()),
        (json!(900), json!(600))
    );
    let mut tainted = with_gps_exif(&jpeg(900, 600), 1);
    tainted.extend_from_slice(b"<script>alert(document.cookie)</script>");
    assert!(contains(&tainted, b"Exif") && contains(&tainted, GPS_MARKER));
    let slot = entries
        .iter_mut()
        .find(|(n, _)| *n == photo["file"])
        .expect("the photo is in the archive");
    slot.1 = tainted;

    let b = TestServer::start();
    let cb = Client::signed_up(&b, "bob");
    let r = cb.import_zip(false, &zip_of(&entries));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["created"]["photos"], 1, "{}", r.text);
    for size in ["full", "thumb"] {
        let bytes = cb.served(&format!("/api/item/photo?id={}&size={size}", photo["id"]));
        assert!(bytes.starts_with(&[0xFF, 0xD8]), "{size}: a JPEG");
        for needle in [&b"<script>"[..], b"Exif", GPS_MARKER] {
            assert!(
                !contains(&bytes, needle),
                "{size}: served with {}",
                String::from_utf8_lossy(needle)
            );
        }
    }
}

#[test]
fn a_zip_photo_of_thirty_thousand_pixels_a_side_is_refused() {
    let a = TestServer::start();
    let ca = Client::signed_up(&a, "alice");
    let mut entries = zip_entries(&export_with_photo(&ca));
    let mut photo_file = String::new();
    with_document(&mut entries, |doc| {
        let p = &mut doc["photos"][0];
        photo_file = format!("photos/{}.png", p["id"]);
        p["file"] = json!(photo_file);
        p["content_type"] = json!("image/png");
        p["width"] = json!(30_000);
        p["height"] = json!(30_000);
    });
    entries.push((photo_file, png_bomb(30_000, 30_000)));

    let b = TestServer::start();
    let cb = Client::signed_up(&b, "bob");
    for dry_run in [true, false] {
        let r = cb.import_zip(dry_run, &zip_of(&entries));
        let errors = match dry_run {
            true => {
                assert_eq!(r.status, 200, "{}", r.text);
                r.json()["errors"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["path"].as_str().unwrap_or_default().to_string())
                    .collect()
            }
            false => refused_paths(&r),
        };
        assert_eq!(errors, ["photos[0].file"], "{}", r.text);
    }
    assert_eq!(item_count(&cb), 0);
}
