//! TLS, the certificate, and the client's real address (forwarded headers, the internal peer
//! header).

use super::*;

#[test]
fn tls_is_served_with_tls12_and_tls13_on_a_generated_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let running = start_in(dir.path(), "tls: true\n").expect("TLS server starts");
    assert!(running.url().starts_with("https://"));
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    assert!(cert.exists(), "certificate generated");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "private key readable by its owner only");

    for version in [&rustls::version::TLS12, &rustls::version::TLS13] {
        let mut s = tls_connect(plain(running.addr()), &cert, version);
        assert_eq!(s.conn.protocol_version(), Some(version.version));
        let a = exchange(&mut s, &get("/healthz", ""));
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(
            a.header("strict-transport-security").as_deref(),
            Some("max-age=31536000"),
            "HSTS over TLS"
        );
        // Keep-alive over TLS: a second request on the same connection.
        let a = exchange(&mut s, &get("/api/profile", ""));
        assert_eq!(a.status, 401, "{}", a.body);
        assert_eq!(a.header("cache-control").as_deref(), Some("no-store"));
        let csp = a.header("content-security-policy").unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(
            a.header("x-content-type-options").as_deref(),
            Some("nosniff")
        );
        assert!(a.header("referrer-policy").is_some());
    }

    // The head size limit holds over TLS too, with a readable answer.
    let mut s = tls_connect(plain(running.addr()), &cert, &rustls::version::TLS13);
    let too_big = format!("X-Fill: {}\r\n", "a".repeat(17 * 1024));
    assert_eq!(exchange(&mut s, &get("/healthz", &too_big)).status, 431);

    // Plain HTTP on the TLS port gets no HTTP answer.
    let mut s = plain(running.addr());
    s.write_all(&get("/healthz", "")).unwrap();
    assert!(
        read_answer(&mut s).is_none(),
        "plain HTTP must not be served on the TLS port"
    );
    running.shutdown();
}

#[test]
fn plain_http_sends_no_hsts() {
    let dir = tempfile::tempdir().unwrap();
    let running = start_in(dir.path(), "tls: false\n").unwrap();
    let a = exchange(&mut plain(running.addr()), &get("/healthz", ""));
    assert_eq!(a.status, 200);
    assert_eq!(a.header("strict-transport-security"), None);
    assert!(a.header("content-security-policy").is_some());
    assert!(
        !dir.path().join("cert.pem").exists(),
        "no certificate without TLS"
    );
}

#[test]
fn generated_certificate_is_reused_on_restart() {
    let dir = tempfile::tempdir().unwrap();
    let cert_path = dir.path().join("cert.pem");
    let first = start_in(dir.path(), "tls: true\n").unwrap();
    let pem = std::fs::read(&cert_path).unwrap();
    first.shutdown();
    let second = start_in(dir.path(), "tls: true\n").unwrap();
    assert_eq!(std::fs::read(&cert_path).unwrap(), pem, "not regenerated");
    let s = tls_connect(plain(second.addr()), &cert_path, &rustls::version::TLS13);
    let served = s.conn.peer_certificates().unwrap()[0].clone();
    let on_disk = CertificateDer::from_pem_slice(&pem).unwrap();
    assert_eq!(served, on_disk);
}

#[test]
fn mismatched_or_unreadable_tls_files_are_a_clear_startup_error() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let other_key = dir.path().join("other-key.pem");
    write_pair(&cert, &other_key, &["localhost"]);
    write_pair(&dir.path().join("other-cert.pem"), &key, &["localhost"]);
    let err = start_in(dir.path(), "tls: true\n").err().expect("refused");
    assert!(err.contains("cannot be used together"), "{err}");
    assert!(err.contains("cert.pem") && err.contains("key.pem"), "{err}");

    std::fs::write(&cert, "not a certificate").unwrap();
    let err = start_in(dir.path(), "tls: true\n").err().expect("refused");
    assert!(err.contains("cannot read TLS certificate"), "{err}");

    std::fs::remove_file(&key).unwrap();
    let err = start_in(dir.path(), "tls: true\n").err().expect("refused");
    assert!(
        err.contains("private key") && err.contains("missing"),
        "{err}"
    );

    // The real binary exits non-zero with the message.
    write_pair(&cert, &other_key, &["localhost"]);
    write_pair(&dir.path().join("other-cert.pem"), &key, &["localhost"]);
    let cfg = write_config(dir.path(), 0, "tls: true\n");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_miauinv"))
        .arg("--config")
        .arg(&cfg)
        .env("JWT_SECRET", SECRET)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot be used together"), "{stderr}");
}

#[test]
fn the_real_client_address_reaches_rate_limits_through_tls() {
    let dir = tempfile::tempdir().unwrap();
    let running = start_in(dir.path(), "tls: true\n").unwrap();
    let cert = dir.path().join("cert.pem");
    let client = |ip: [u8; 4]| {
        let tcp = connect_from(Ipv4Addr::from(ip), running.addr());
        tls_connect(tcp, &cert, &rustls::version::TLS13)
    };
    let mut first = client([127, 0, 0, 3]);
    // 20 logins per minute per address; usernames vary so only the address limit applies.
    let statuses: Vec<u16> = (0..21)
        .map(|i| exchange(&mut first, &login(&format!("nobody{i}"), "")).status)
        .collect();
    assert_eq!(statuses[..20], [401; 20]);
    assert_eq!(
        statuses[20], 429,
        "the 21st login from one address is limited"
    );
    // A new connection from the same address is still limited; another address is not.
    assert_eq!(
        exchange(&mut client([127, 0, 0, 3]), &login("nobody99", "")).status,
        429
    );
    assert_eq!(
        exchange(&mut client([127, 0, 0, 4]), &login("nobody99", "")).status,
        401
    );
}

#[test]
fn forwarded_headers_are_believed_only_from_trusted_proxies() {
    let dir = tempfile::tempdir().unwrap();
    let running = start_in(dir.path(), "tls: false\ntrusted_proxies: [\"127.0.0.2\"]\n").unwrap();
    let proxy = || {
        let s = connect_from(Ipv4Addr::new(127, 0, 0, 2), running.addr());
        s.set_read_timeout(Some(GENEROUS)).unwrap();
        s
    };
    let stranger = || {
        let s = connect_from(Ipv4Addr::new(127, 0, 0, 5), running.addr());
        s.set_read_timeout(Some(GENEROUS)).unwrap();
        s
    };
    let https = "X-Forwarded-Proto: https\r\n";
    let a = exchange(&mut proxy(), &get("/healthz", https));
    assert!(
        a.header("strict-transport-security").is_some(),
        "trusted proxy says HTTPS"
    );
    let a = exchange(&mut stranger(), &get("/healthz", https));
    assert_eq!(
        a.header("strict-transport-security"),
        None,
        "untrusted header ignored"
    );

    // X-Forwarded-For from the proxy keys the rate limit by the real client.
    let mut p = proxy();
    let from = |ip: &str| format!("X-Forwarded-For: {ip}\r\n");
    for i in 0..20 {
        let a = exchange(&mut p, &login(&format!("u{i}"), &from("198.51.100.7")));
        assert_eq!(a.status, 401);
    }
    let a = exchange(&mut p, &login("u20", &from("198.51.100.7")));
    assert_eq!(a.status, 429, "limited by the forwarded address");
    let a = exchange(&mut p, &login("u21", &from("198.51.100.8")));
    assert_eq!(a.status, 401, "another forwarded client is not limited");
    // A stranger claiming to be 198.51.100.7 is keyed by its own address.
    let a = exchange(&mut stranger(), &login("u22", &from("198.51.100.7")));
    assert_eq!(a.status, 401, "X-Forwarded-For from a stranger is ignored");
}

#[test]
fn a_client_cannot_hide_behind_a_forwarded_for_line_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let running = start_in(dir.path(), "tls: false\ntrusted_proxies: [\"127.0.0.2\"]\n").unwrap();
    let mut proxy = connect_from(Ipv4Addr::new(127, 0, 0, 2), running.addr());
    proxy.set_read_timeout(Some(GENEROUS)).unwrap();
    // The client sends a line of its own, a new address each time; the proxy
    // appends a line with the address it saw (as HAProxy does).
    let lines = |i: usize, real: &str| {
        format!("X-Forwarded-For: 203.0.113.{i}\r\nX-Forwarded-For: {real}\r\n")
    };
    for i in 0..20 {
        let a = exchange(
            &mut proxy,
            &login(&format!("h{i}"), &lines(i, "198.51.100.7")),
        );
        assert_eq!(a.status, 401, "{}", a.body);
    }
    let a = exchange(&mut proxy, &login("h20", &lines(20, "198.51.100.7")));
    assert_eq!(a.status, 429, "limited by the address the proxy saw");
    let a = exchange(&mut proxy, &login("h21", &lines(21, "198.51.100.8")));
    assert_eq!(a.status, 401, "another real client is not limited");
}

#[test]
fn answers_do_not_name_tiny_http() {
    let dir = tempfile::tempdir().unwrap();
    let running = start_in(dir.path(), "tls: false\n").unwrap();
    let a = exchange(&mut plain(running.addr()), &get("/healthz", ""));
    assert_eq!(a.header("server").as_deref(), Some("MiauInv"), "{}", a.head);
    // The front's own answers too.
    let too_big = format!("X-Fill: {}\r\n", "a".repeat(17 * 1024));
    let a = exchange(&mut plain(running.addr()), &get("/healthz", &too_big));
    assert_eq!(a.status, 431);
    assert_eq!(a.header("server").as_deref(), Some("MiauInv"), "{}", a.head);
    assert!(!a.head.to_ascii_lowercase().contains("tiny"), "{}", a.head);
}

#[test]
fn the_internal_peer_header_cannot_be_forged() {
    let dir = tempfile::tempdir().unwrap();
    let running = start_in(dir.path(), "tls: false\n").unwrap();
    // A client claiming another address and TLS in the front's own header is
    // still itself: its 21st login is limited, and it gets no HSTS.
    let forged = "X-Miauinv-Peer: 00000000000000000000000000000000 198.51.100.9:443 https\r\n";
    let mut c = connect_from(Ipv4Addr::new(127, 0, 0, 6), running.addr());
    c.set_read_timeout(Some(GENEROUS)).unwrap();
    let a = exchange(&mut c, &get("/healthz", forged));
    assert_eq!(a.status, 200);
    assert_eq!(a.header("strict-transport-security"), None);
    for i in 0..20 {
        assert_eq!(
            exchange(&mut c, &login(&format!("f{i}"), forged)).status,
            401
        );
    }
    let fresh = || {
        let s = connect_from(Ipv4Addr::new(127, 0, 0, 6), running.addr());
        s.set_read_timeout(Some(GENEROUS)).unwrap();
        s
    };
    assert_eq!(exchange(&mut fresh(), &login("f20", "")).status, 429);

    // Whatever reaches the internal socket directly is refused, with or
    // without a peer header.
    let socket = dir
        .path()
        .join(format!(".miauinv-{}.sock", std::process::id()));
    for headers in ["", forged] {
        let mut s = std::os::unix::net::UnixStream::connect(&socket).unwrap();
        s.set_read_timeout(Some(GENEROUS)).unwrap();
        let a = exchange(&mut s, &get("/healthz", headers));
        assert_eq!(a.status, 403, "{headers:?}: {}", a.body);
        assert!(a.body.contains("not_via_listener"), "{}", a.body);
    }
    drop(running);
    assert!(!socket.exists(), "the socket file is removed at shutdown");
}

#[test]
fn an_appdata_path_too_long_for_a_socket_still_serves() {
    let dir = tempfile::tempdir().unwrap();
    let deep = dir
        .path()
        .join("a-rather-long-directory-name-for-appdata".repeat(3));
    std::fs::create_dir_all(&deep).unwrap();
    let running = start_in(&deep, "tls: false\n").unwrap();
    let a = exchange(&mut plain(running.addr()), &get("/healthz", ""));
    assert_eq!(a.status, 200, "{}", a.body);
}
