//! The real binary: SIGTERM finishes the request in flight, the healthcheck speaks TLS, SIGHUP
//! reloads the certificate.

use super::*;

struct Binary {
    child: std::process::Child,
    port: u16,
    cfg: PathBuf,
}

impl Binary {
    fn start(dir: &Path, extra: &str) -> Binary {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cfg = write_config(dir, port, extra);
        let log = std::fs::File::create(dir.join("server.log")).unwrap();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_miauinv"))
            .arg("--config")
            .arg(&cfg)
            .env("JWT_SECRET", SECRET)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let b = Binary { child, port, cfg };
        wait_until(GENEROUS, "the binary is healthy", || b.healthcheck());
        b
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// `miauinv healthcheck` against this server.
    fn healthcheck(&self) -> bool {
        std::process::Command::new(env!("CARGO_BIN_EXE_miauinv"))
            .arg("--config")
            .arg(&self.cfg)
            .arg("healthcheck")
            .output()
            .unwrap()
            .status
            .success()
    }

    fn signal(&self, sig: libc::c_int) {
        // SAFETY: kill on the pid of a child we spawned and have not reaped.
        assert_eq!(
            unsafe { libc::kill(self.child.id() as libc::pid_t, sig) },
            0
        );
    }

    fn wait(&mut self) -> std::process::ExitStatus {
        let mut status = None;
        wait_until(GENEROUS, "the binary exits", || {
            status = self.child.try_wait().unwrap();
            status.is_some()
        });
        status.unwrap()
    }

    /// What the binary has logged so far.
    fn log(&self, dir: &Path) -> String {
        std::fs::read_to_string(dir.join("server.log")).unwrap()
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn sigterm_finishes_the_request_in_flight_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let mut bin = Binary::start(dir.path(), "tls: false\n");
    let mut idle = plain(bin.addr());
    let request = login("nobody", "");
    let (first, rest) = request.split_at(request.len() - 10);
    let mut s = plain(bin.addr());
    s.write_all(first).unwrap();
    // A bounded pause, not a condition: that the server has read the first
    // part, making the request one in flight, is not visible outside it.
    std::thread::sleep(Duration::from_millis(200));
    bin.signal(libc::SIGTERM);
    // Shutdown is under way once the idle connection is simply closed.
    idle.set_read_timeout(Some(GENEROUS)).unwrap();
    let mut b = [0u8; 8];
    match idle.read(&mut b) {
        Ok(0) => {}
        Err(e)
            if !matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) => {}
        other => panic!("the idle connection was not closed: {other:?}"),
    }
    // The request that had started is still answered in full.
    s.write_all(rest).unwrap();
    let a = read_answer(&mut s).expect("in-flight request answered");
    assert_eq!(a.status, 401, "{}", a.body);
    let status = bin.wait();
    assert!(status.success(), "exit status {status:?}");
    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    assert!(log.contains("stopped cleanly"), "{log}");
}

#[test]
fn healthcheck_speaks_tls_and_sighup_reloads_the_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let mut bin = Binary::start(dir.path(), "tls: true\n");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    // The certificate served, if it verifies against the one in `cert`.
    let served = |cert: &Path| -> Option<CertificateDer<'static>> {
        let tcp = plain(bin.addr());
        let name = ServerName::try_from("localhost").unwrap();
        let config = tls_client(cert, &rustls::version::TLS12);
        let mut conn = rustls::ClientConnection::new(config, name).unwrap();
        let mut tcp = tcp;
        while conn.is_handshaking() {
            conn.complete_io(&mut tcp).ok()?;
        }
        Some(conn.peer_certificates()?[0].clone().into_owned())
    };
    let before = served(&cert).expect("generated certificate served");
    // New files, then SIGHUP: new connections get the new certificate.
    write_pair(&cert, &key, &["localhost", "inventory.example"]);
    bin.signal(libc::SIGHUP);
    let fresh = CertificateDer::from_pem_file(&cert).unwrap();
    wait_until(GENEROUS, "the new certificate is served", || {
        served(&cert).as_ref() == Some(&fresh)
    });
    assert_ne!(before, fresh);
    // A broken file on SIGHUP keeps the working certificate.
    std::fs::write(&key, "garbage").unwrap();
    bin.signal(libc::SIGHUP);
    wait_until(GENEROUS, "the broken files are refused", || {
        bin.log(dir.path())
            .contains("keeping the old TLS certificate")
    });
    assert_eq!(served(&cert), Some(fresh));
    assert!(bin.healthcheck(), "healthcheck over TLS");
    bin.signal(libc::SIGTERM);
    assert!(bin.wait().success());
    assert!(!bin.healthcheck(), "healthcheck fails when nothing answers");
    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    assert!(log.contains("keeping the old TLS certificate"), "{log}");
}
