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
fn attachments_are_listed_and_downloaded_safely() {
    let server = TestServer::start();
    let c = Client::signed_up(&server, "alice");
    let id = item(&c, "Board");

    let sheet: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i % 253) as u8).collect();
    let r = upload_attachment(
        &c,
        id,
        "../../etc/Datenblatt ä\r\n.pdf",
        &sheet,
        "application/pdf",
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let a = r.json();
    assert_eq!(a["filename"], "Datenblatt ä.pdf");
    assert_eq!(a["content_type"], "application/pdf");
    assert_eq!(a["size"], sheet.len());
    assert!(a["created_at"].as_i64().unwrap() > 0);
    let aid = a["id"].as_i64().unwrap();

    let read = c.get(&format!("/api/item?id={id}")).json();
    assert_eq!(read["attachments"], json!([a]));

    let d = get_bytes(&c, &format!("/api/item/attachment?id={aid}"));
    assert_eq!(d.status, 200);
    assert!(d.body == sheet);
    assert_eq!(d.header("content-type"), Some("application/pdf"));
    assert_eq!(
        d.header("content-disposition"),
        Some("attachment; filename=\"Datenblatt _.pdf\"; filename*=UTF-8''Datenblatt%20%C3%A4.pdf")
    );
    assert_eq!(d.header("x-content-type-options"), Some("nosniff"));
    assert!(
        d.header("content-security-policy")
            .unwrap()
            .starts_with("sandbox")
    );

    // Active content is served as bytes, never as a page.
    for (name, ctype) in [
        ("x.html", "text/html"),
        ("x.svg", "image/svg+xml"),
        ("x.xml", "text/xml"),
    ] {
        let r = upload_attachment(&c, id, name, b"<script>alert(1)</script>", ctype);
        assert_eq!(r.status, 201);
        assert_eq!(r.json()["content_type"], ctype, "listed as uploaded");
        let d = get_bytes(&c, &format!("/api/item/attachment?id={}", r.json()["id"]));
        assert_eq!(
            d.header("content-type"),
            Some("application/octet-stream"),
            "{name}"
        );
        assert!(
            d.header("content-disposition")
                .unwrap()
                .starts_with("attachment;")
        );
    }

    assert_eq!(
        c.delete(&format!("/api/item/attachment?id={aid}")).status,
        200
    );
    assert_eq!(
        get_bytes(&c, &format!("/api/item/attachment?id={aid}")).status,
        404
    );
    assert_eq!(
        c.delete(&format!("/api/item/attachment?id={aid}")).status,
        404
    );
    let r = upload_attachment(&c, 999_999, "x.txt", b"x", "text/plain");
    assert_eq!(r.status, 404);
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
fn media_are_kept_by_an_archived_item_and_deleted_with_the_item() {
    let server = TestServer::start();
    let c = Client::signed_up(&server, "alice");
    let count = |table: &str| -> i64 {
        let conn = rusqlite::Connection::open(server.db_path()).unwrap();
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    };

    // No history: a delete is a hard delete and takes the media along.
    let gone = item(&c, "Mistake");
    upload_photo(&c, gone, &jpeg(30, 30), "image/jpeg");
    upload_attachment(&c, gone, "a.txt", b"abc", "text/plain");
    assert_eq!((count("photos"), count("attachments")), (1, 1));
    let r = c.delete(&format!("/api/item?id={gone}"));
    assert_eq!(r.json()["archived"], false);
    assert_eq!((count("photos"), count("attachments")), (0, 0));

    // With history: archived, media kept and still served, but no changes.
    let kept = item(&c, "Veteran");
    assert_eq!(
        c.put(
            &format!("/api/item?id={kept}"),
            json!({"total_quantity": 5})
        )
        .status,
        200
    );
    let pid = upload_photo(&c, kept, &jpeg(30, 30), "image/jpeg").json()["id"]
        .as_i64()
        .unwrap();
    let r = c.delete(&format!("/api/item?id={kept}"));
    assert_eq!(r.json()["archived"], true);
    assert_eq!(
        get_bytes(&c, &format!("/api/item/photo?id={pid}")).status,
        200
    );
    let r = upload_photo(&c, kept, &jpeg(30, 30), "image/jpeg");
    assert_eq!(r.status, 409, "an archived item takes no new photos");
    assert_eq!(c.delete(&format!("/api/item/photo?id={pid}")).status, 409);
    assert_eq!(count("photos"), 1);
}

#[test]
fn parallel_uploads_all_succeed() {
    let server = TestServer::start();
    let c = Client::signed_up(&server, "alice");
    let id = item(&c, "Busy");
    let photo = jpeg(2500, 1800);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| upload_photo(&c, id, &photo, "image/jpeg").status))
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), 201);
        }
    });
    assert_eq!(
        c.get(&format!("/api/item?id={id}")).json()["photos"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
}

#[test]
fn media_need_a_session_and_the_same_origin() {
    let server = TestServer::start();
    let c = Client::signed_up(&server, "alice");
    let id = item(&c, "Private");
    let pid = upload_photo(&c, id, &jpeg(20, 20), "image/jpeg").json()["id"]
        .as_i64()
        .unwrap();
    let stranger = server.client();
    assert_eq!(
        get_bytes(&stranger, &format!("/api/item/photo?id={pid}")).status,
        401
    );
    let r = c.send_bytes(
        "POST",
        &format!("/api/item/photo?id={id}"),
        Some(&jpeg(20, 20)),
        &[
            ("Content-Type", "image/jpeg"),
            ("Origin", "http://evil.example"),
        ],
    );
    assert_eq!(r.status, 403);
}

/// A raw connection to the server and a Bearer token for it.
fn raw_session(server: &TestServer) -> (std::net::TcpStream, String) {
    let c = server.client();
    c.register("raw", common::PASSWORD);
    let token = c.login("raw", common::PASSWORD).json()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let addr = server.base.trim_start_matches("http://").parse().unwrap();
    (common::raw::plain(addr), token)
}

#[test]
fn large_uploads_keep_100_continue_and_chunked_framing() {
    use std::io::Write;
    let server = TestServer::start();
    let (mut s, token) = raw_session(&server);
    let mut c = server.client();
    c.bearer = Some(token.clone());
    let id = item(&c, "Raw");
    let file: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i % 249) as u8).collect();

    // Expect: 100-continue: the go-ahead comes before the body is sent.
    let head = format!(
        "POST /api/item/attachment?id={id}&filename=a.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        file.len()
    );
    let go = common::raw::exchange(&mut s, head.as_bytes());
    assert_eq!(go.status, 100);
    let done = common::raw::exchange(&mut s, &file);
    assert_eq!(done.status, 201, "{}", done.body);
    let first: Value = serde_json::from_str(&done.body).unwrap();

    // Chunked, on the same keep-alive connection.
    let mut chunked = format!(
        "POST /api/item/attachment?id={id}&filename=b.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    for piece in file.chunks(100_000) {
        chunked.extend(format!("{:x}\r\n", piece.len()).as_bytes());
        chunked.extend(piece);
        chunked.extend(b"\r\n");
    }
    chunked.extend(b"0\r\n\r\n");
    let done = common::raw::exchange(&mut s, &chunked);
    assert_eq!(done.status, 201, "{}", done.body);
    let second: Value = serde_json::from_str(&done.body).unwrap();
    for a in [first, second] {
        let back = get_bytes(&c, &format!("/api/item/attachment?id={}", a["id"]));
        assert!(back.body == file, "{} came back changed", a["filename"]);
    }

    // A chunked photo past 15 MiB is cut off with 413 while it streams.
    let mut s = common::raw::plain(s.peer_addr().unwrap());
    let head = format!(
        "POST /api/item/photo?id={id} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: image/jpeg\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    s.write_all(head.as_bytes()).unwrap();
    let piece = vec![0u8; 1024 * 1024];
    for _ in 0..17 {
        let mut chunk = format!("{:x}\r\n", piece.len()).into_bytes();
        chunk.extend(&piece);
        chunk.extend(b"\r\n");
        if s.write_all(&chunk).is_err() {
            break;
        }
    }
    let refused = common::raw::read_answer(&mut s).expect("an answer");
    assert_eq!(refused.status, 413, "{}", refused.body);
    assert!(refused.body.contains("payload_too_large"));
}

/// An upload with no credentials at all is refused from its head: no
/// go-ahead for its body, nothing read or spooled, and the same 401 as the
/// router's. One with credentials that turn out to be wrong still reaches the
/// router, which refuses it the same way.
#[test]
fn uploads_without_credentials_are_refused_before_their_body() {
    use std::io::Write;
    let server = TestServer::start();
    let c = Client::signed_up(&server, "alice");
    let id = item(&c, "Guarded");
    let addr = server.base.trim_start_matches("http://").parse().unwrap();

    for path in [
        format!("/api/item/photo?id={id}"),
        format!("/api/item/attachment?id={id}&filename=a.bin"),
        "/api/import?format=json&dry_run=true".to_string(),
    ] {
        let mut s = common::raw::plain(addr);
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n\
             Content-Length: {}\r\nExpect: 100-continue\r\n\r\n",
            10 * 1024 * 1024
        );
        let refused = common::raw::exchange(&mut s, head.as_bytes());
        assert_eq!(refused.status, 401, "{path}: {}", refused.body);
        let error: Value = serde_json::from_str(&refused.body).unwrap();
        assert_eq!(error["code"], "unauthenticated", "{path}");
        assert_eq!(refused.header("connection").as_deref(), Some("close"));
    }

    // The router's answer to a request without credentials, word for word.
    let router = common::raw::exchange(
        &mut common::raw::plain(addr),
        &common::raw::get("/api/profile", ""),
    );
    assert_eq!(router.status, 401);
    let front = common::raw::exchange(
        &mut common::raw::plain(addr),
        format!("POST /api/item/photo?id={id} HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx")
            .as_bytes(),
    );
    assert_eq!(
        serde_json::from_str::<Value>(&front.body).unwrap(),
        serde_json::from_str::<Value>(&router.body).unwrap(),
        "the front and the router refuse in the same words"
    );

    // A wrong token is the router's to refuse, after the body.
    let mut s = common::raw::plain(addr);
    let jpeg = jpeg(32, 32);
    let head = format!(
        "POST /api/item/photo?id={id} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer not-a-token\r\n\
         Content-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n",
        jpeg.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    let wrong = common::raw::exchange(&mut s, &jpeg);
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    assert!(wrong.body.contains("unauthenticated"), "{}", wrong.body);
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

#[test]
fn viewers_see_media_and_only_editors_change_them() {
    let server = TestServer::start_with("default_role: viewer\n");
    let admin = Client::signed_up(&server, "first");
    let id = item(&admin, "Shared");
    let pid = upload_photo(&admin, id, &jpeg(40, 40), "image/jpeg").json()["id"]
        .as_i64()
        .unwrap();
    let aid = upload_attachment(&admin, id, "a.txt", b"abc", "text/plain").json()["id"]
        .as_i64()
        .unwrap();
    let viewer = Client::signed_up(&server, "looker");
    assert_eq!(
        get_bytes(&viewer, &format!("/api/item/photo?id={pid}")).status,
        200
    );
    assert_eq!(
        get_bytes(&viewer, &format!("/api/item/attachment?id={aid}")).status,
        200
    );
    for r in [
        upload_photo(&viewer, id, &jpeg(40, 40), "image/jpeg"),
        upload_attachment(&viewer, id, "b.txt", b"x", "text/plain"),
        viewer.send_bytes("DELETE", &format!("/api/item/photo?id={pid}"), None, &[]),
        viewer.send_bytes(
            "DELETE",
            &format!("/api/item/attachment?id={aid}"),
            None,
            &[],
        ),
    ] {
        assert_eq!(r.status, 403, "{}", String::from_utf8_lossy(&r.body));
    }
    assert_eq!(
        viewer
            .put(
                &format!("/api/item/photo?id={pid}"),
                json!({"primary": true})
            )
            .status,
        403
    );
}
