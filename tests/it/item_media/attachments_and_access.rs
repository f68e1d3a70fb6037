//! Attachments, media kept and deleted with their item, parallel and large uploads, and who may
//! see or change media.

use super::*;

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
