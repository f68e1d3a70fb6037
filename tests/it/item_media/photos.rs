//! Photos: scaled with a thumbnail, EXIF removed, hostile images refused, size limits, primary photo.

use super::*;

fn decoded(bytes: &[u8]) -> image::DynamicImage {
    image::load_from_memory(bytes).expect("the served photo decodes")
}

#[test]
fn a_photo_is_stored_scaled_with_a_thumbnail_and_served_cacheably() {
    let server = TestServer::start();
    let c = Client::signed_up(&server, "alice");
    let id = item(&c, "Resistor 10k");

    let r = upload_photo(&c, id, &png(3000, 1000, false), "image/png");
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let photo = r.json();
    assert_eq!(photo["width"], 2048);
    assert_eq!(photo["height"], 683);
    assert_eq!(
        photo["content_type"], "image/jpeg",
        "opaque photos become JPEG"
    );
    assert_eq!(photo["primary"], true, "the first photo is primary");
    let pid = photo["id"].as_i64().unwrap();

    let full = get_bytes(&c, &format!("/api/item/photo?id={pid}"));
    assert_eq!(full.status, 200);
    assert_eq!(full.header("content-type"), Some("image/jpeg"));
    assert_eq!(full.body.len() as i64, photo["size"].as_i64().unwrap());
    assert_eq!(decoded(&full.body).width(), 2048);
    let cache = full.header("cache-control").unwrap();
    assert!(
        cache.contains("private") && cache.contains("max-age=31536000"),
        "{cache}"
    );
    assert_eq!(full.header("x-content-type-options"), Some("nosniff"));
    assert!(
        full.header("content-security-policy")
            .unwrap()
            .starts_with("sandbox")
    );

    let thumb = get_bytes(&c, &format!("/api/item/photo?id={pid}&size=thumb"));
    assert_eq!(thumb.status, 200);
    let small = decoded(&thumb.body);
    assert_eq!((small.width(), small.height()), (256, 85));
    assert_ne!(thumb.header("etag"), full.header("etag"));

    let etag = full.header("etag").unwrap().to_string();
    let again = c.send_bytes(
        "GET",
        &format!("/api/item/photo?id={pid}"),
        None,
        &[("If-None-Match", &etag)],
    );
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());

    // A transparent PNG stays a PNG; a small photo is not enlarged.
    let r = upload_photo(&c, id, &png(300, 200, true), "image/png");
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["content_type"], "image/png");
    assert_eq!(r.json()["width"], 300);
    assert_eq!(r.json()["primary"], false);

    let read = c.get(&format!("/api/item?id={id}")).json();
    let photos = read["photos"].as_array().unwrap();
    assert_eq!(photos.len(), 2);
    assert_eq!(
        photos[0],
        json!({"id": pid, "width": 2048, "height": 683, "primary": true})
    );
    assert_eq!(read["photo_id"], pid);
    assert!(
        read.get("attachments").is_none(),
        "absent while there are none"
    );
    let list = c.get("/api/item").json();
    let row = list["data"]
        .as_array()
        .or(list.as_array())
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .cloned()
        .unwrap();
    assert_eq!(row["photo_id"], pid, "the list carries the primary photo");
    assert!(row.get("photos").is_none(), "the list stays light");
}

#[test]
fn exif_gps_is_gone_and_the_orientation_is_applied() {
    let server = TestServer::start();
    let c = Client::signed_up(&server, "alice");
    let id = item(&c, "Camera shot");
    // 6: the camera was turned, the pixels must be rotated 90° clockwise.
    let phone_photo = with_gps_exif(&jpeg(400, 200), 6);
    assert!(contains(&phone_photo, GPS_MARKER) && contains(&phone_photo, b"Exif"));

    let r = upload_photo(&c, id, &phone_photo, "image/jpeg");
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        (r.json()["width"].clone(), r.json()["height"].clone()),
        (json!(200), json!(400))
    );
    let pid = r.json()["id"].as_i64().unwrap();
    for size in ["full", "thumb"] {
        let served = get_bytes(&c, &format!("/api/item/photo?id={pid}&size={size}")).body;
        assert!(
            !contains(&served, GPS_MARKER),
            "{size}: the GPS block survived"
        );
        assert!(
            !contains(&served, b"Exif"),
            "{size}: an EXIF block survived"
        );
        assert!(
            !contains(&served, &[0xFF, 0xE1]),
            "{size}: an APP1 segment survived"
        );
        let img = decoded(&served);
        assert!(img.height() > img.width(), "{size}: upright");
    }
    // Nor is it anywhere in the database file.
    let conn = rusqlite::Connection::open(server.db_path()).unwrap();
    let leaked: i64 = conn
        .query_row(
            "SELECT count(*) FROM photos WHERE instr(data, ?1) > 0 OR instr(thumb, ?1) > 0",
            [GPS_MARKER],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(leaked, 0);
}

#[test]
fn hostile_and_broken_images_are_refused_with_a_4xx() {
    let server = TestServer::start();
    let c = Client::signed_up(&server, "alice");
    let id = item(&c, "Target");

    let cases: Vec<(&str, Vec<u8>, &str, u16, &str)> = vec![
        (
            "a PNG claiming 100000² pixels",
            png_bomb(100_000, 100_000),
            "image/png",
            400,
            "image_too_large",
        ),
        (
            "a PNG claiming 15000² pixels",
            png_bomb(15_000, 15_000),
            "image/png",
            400,
            "image_too_large",
        ),
        (
            "a truncated JPEG",
            jpeg(800, 600)[..3000].to_vec(),
            "image/jpeg",
            400,
            "invalid_image",
        ),
        (
            "text called a JPEG",
            b"hello, not a photo".to_vec(),
            "image/jpeg",
            400,
            "invalid_image",
        ),
        (
            "a JPEG called a PNG",
            jpeg(40, 40),
            "image/png",
            400,
            "invalid_image",
        ),
        (
            "an SVG",
            b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(),
            "image/svg+xml",
            415,
            "unsupported_media_type",
        ),
        ("nothing", Vec::new(), "image/jpeg", 400, "empty_body"),
    ];
    for (what, body, ctype, status, code) in cases {
        let r = upload_photo(&c, id, &body, ctype);
        assert_eq!(
            r.status,
            status,
            "{what}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(r.json()["code"], code, "{what}");
        assert!(
            r.json()["error"].as_str().unwrap().len() > 20,
            "{what}: a clear message"
        );
    }
    // Nothing was stored, and the server still works.
    assert!(
        c.get(&format!("/api/item?id={id}"))
            .json()
            .get("photos")
            .is_none()
    );
    assert_eq!(
        upload_photo(&c, id, &jpeg(64, 64), "image/jpeg").status,
        201
    );
}

#[test]
fn bodies_over_the_route_limit_answer_413_and_others_keep_1_mib() {
    let server = TestServer::start();
    let c = Client::signed_up(&server, "alice");
    let id = item(&c, "Big");

    let over_photo = vec![0u8; 15 * 1024 * 1024 + 1];
    let r = upload_photo(&c, id, &over_photo, "image/jpeg");
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["code"], "payload_too_large");
    assert_eq!(r.json()["limit"], 15 * 1024 * 1024);

    let over_file = vec![7u8; 25 * 1024 * 1024 + 1];
    let r = upload_attachment(&c, id, "big.bin", &over_file, "application/octet-stream");
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["limit"], 25 * 1024 * 1024);

    // The large limits belong to those two routes alone.
    let two_mib = vec![b' '; 2 * 1024 * 1024];
    let r = c.send_bytes(
        "PUT",
        &format!("/api/item?id={id}"),
        Some(&two_mib),
        &[("Content-Type", "application/json")],
    );
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["limit"], 1024 * 1024);

    // A JSON body over the spooling threshold stays a JSON body.
    let padded = format!("{{\"name\": \"Big too\"{}}}", " ".repeat(200 * 1024));
    let r = c.send_bytes(
        "PUT",
        &format!("/api/item?id={id}"),
        Some(padded.as_bytes()),
        &[("Content-Type", "application/json")],
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));

    // Just under the limit goes through (and is spooled on its way).
    let file: Vec<u8> = (0..25 * 1024 * 1024u32)
        .map(|i| (i * 7 % 251) as u8)
        .collect();
    let r = upload_attachment(&c, id, "full.bin", &file, "application/octet-stream");
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let aid = r.json()["id"].as_i64().unwrap();
    let back = get_bytes(&c, &format!("/api/item/attachment?id={aid}"));
    assert_eq!(back.status, 200);
    assert!(
        back.body == file,
        "the download is the upload, byte for byte"
    );
}

#[test]
fn primary_photo_moves_on_delete_and_on_request() {
    let server = TestServer::start();
    let c = Client::signed_up(&server, "alice");
    let id = item(&c, "Gallery");
    let ids: Vec<i64> = (0..3)
        .map(|_| {
            upload_photo(&c, id, &jpeg(50, 50), "image/jpeg").json()["id"]
                .as_i64()
                .unwrap()
        })
        .collect();
    let primary = |c: &Client| c.get(&format!("/api/item?id={id}")).json()["photo_id"].clone();
    assert_eq!(primary(&c), ids[0]);

    let r = c.put(
        &format!("/api/item/photo?id={}", ids[2]),
        json!({"primary": true}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(primary(&c), ids[2]);
    let flags: Vec<Value> = c.get(&format!("/api/item?id={id}")).json()["photos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["primary"].clone())
        .collect();
    assert_eq!(flags, vec![json!(true), json!(false), json!(false)]);
    assert_eq!(
        c.put(
            &format!("/api/item/photo?id={}", ids[0]),
            json!({"primary": false})
        )
        .status,
        400
    );
    assert_eq!(
        c.put(
            &format!("/api/item/photo?id={}", ids[0]),
            json!({"main": true})
        )
        .status,
        400
    );

    assert_eq!(
        c.delete(&format!("/api/item/photo?id={}", ids[2])).status,
        200
    );
    assert_eq!(
        primary(&c),
        ids[0],
        "the oldest remaining photo becomes primary"
    );
    assert_eq!(
        get_bytes(&c, &format!("/api/item/photo?id={}", ids[2])).status,
        404
    );
    assert_eq!(
        c.delete(&format!("/api/item/photo?id={}", ids[0])).status,
        200
    );
    assert_eq!(
        c.delete(&format!("/api/item/photo?id={}", ids[1])).status,
        200
    );
    assert_eq!(primary(&c), Value::Null);
}

#[test]
fn large_jpegs_are_decoded_at_a_reduced_scale() {
    let server = TestServer::start();
    let c = Client::signed_up(&server, "alice");
    let id = item(&c, "Panorama");
    // 6,600 px wide: decoded at 1/4 (1,650 px, the smallest scale still at
    // least 1,600 px) and stored so, never held at full size.
    let r = upload_photo(&c, id, &jpeg(6600, 1000), "image/jpeg");
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        (r.json()["width"].clone(), r.json()["height"].clone()),
        (json!(1650), json!(250))
    );
    // 4,100 px: decoded at 1/2 (2,050 px), then scaled to 2,048.
    let r = upload_photo(&c, id, &jpeg(4100, 1000), "image/jpeg");
    assert_eq!(r.json()["width"], 2048);
}
