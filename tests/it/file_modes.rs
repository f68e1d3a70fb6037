//! Files are private whatever the umask (issue 28): the real binary, started
//! by a shell under umask 022, makes appdata 0700 and the database, its WAL
//! and SHM, the secret files, the config and a backup 0600; a server that an
//! earlier version left readable is made private when it starts.

use crate::common::{Client, PASSWORD, free_port, wait_until};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// `miauinv ARGS` with its config in `appdata`, through `sh` with umask 022.
fn under_umask_022(appdata: &Path, args: &str) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("umask 022 && exec \"$0\" --config \"$1\" {args}"))
        .arg(env!("CARGO_BIN_EXE_miauinv"))
        .arg(appdata.join("config.yaml"))
        .env_remove("MIAUINV_CONFIG")
        .env_remove("JWT_SECRET")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

fn config(appdata: &Path, port: u16) -> String {
    format!(
        "port: {port}\nbind_address: 127.0.0.1\ndatabase_path: {}\ntls: false\nbcrypt_cost: 4\nworkers: 2\nbackup_interval_hours: 0\n",
        appdata.join("database.db").display()
    )
}

/// Serves, and writes once (registers the first account, or logs in when it
/// exists) so that the WAL and SHM exist.
fn serve_and_write(appdata: &Path, port: u16) -> Child {
    let child = under_umask_022(appdata, "serve").spawn().expect("sh runs");
    wait_until(Duration::from_secs(20), "the server listens", || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let c = Client::new(&format!("http://127.0.0.1:{port}"));
    if c.register("alice", PASSWORD).status != 201 {
        assert_eq!(c.login("alice", PASSWORD).status, 200);
    }
    child
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn assert_private(appdata: &Path) {
    let mut wrong = Vec::new();
    let mut check = |path: &Path, want: u32| {
        let got = mode(path);
        if got != want {
            wrong.push(format!("{}: {got:o}, not {want:o}", path.display()));
        }
    };
    check(appdata, 0o700);
    for file in [
        "database.db",
        "database.db-wal",
        "database.db-shm",
        "secret.key",
        "jwt_secret",
        "config.yaml",
    ] {
        check(&appdata.join(file), 0o600);
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn a_first_start_under_umask_022_keeps_everything_private() {
    let root = tempfile::tempdir().unwrap();
    let appdata = root.path().join("appdata");
    let port = free_port();
    // Only the config exists, as a person writes it: readable by everyone.
    std::fs::create_dir(&appdata).unwrap();
    std::fs::set_permissions(&appdata, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(appdata.join("config.yaml"), config(&appdata, port)).unwrap();
    std::fs::set_permissions(
        appdata.join("config.yaml"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let server = serve_and_write(&appdata, port);
    assert_private(&appdata);
    // A backup the command line writes, into a backups directory it makes.
    let ok = under_umask_022(&appdata, "backup").status().unwrap();
    assert!(ok.success());
    stop(server);
    let backups = appdata.join("backups");
    assert_eq!(mode(&backups), 0o700);
    let files: Vec<_> = std::fs::read_dir(&backups).unwrap().flatten().collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(mode(&files[0].path()), 0o600, "{:?}", files[0].path());
}

#[test]
fn files_an_earlier_version_left_readable_are_made_private_at_start() {
    let root = tempfile::tempdir().unwrap();
    let appdata = root.path().join("appdata");
    let port = free_port();
    std::fs::create_dir(&appdata).unwrap();
    std::fs::write(appdata.join("config.yaml"), config(&appdata, port)).unwrap();
    stop(serve_and_write(&appdata, port));
    // What a start under umask 022 used to leave.
    for (path, m) in [
        (appdata.clone(), 0o755),
        (appdata.join("database.db"), 0o644),
        (appdata.join("config.yaml"), 0o644),
    ] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(m)).unwrap();
    }
    for side in ["database.db-wal", "database.db-shm"] {
        let path = appdata.join(side);
        if path.exists() {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
    let server = serve_and_write(&appdata, port);
    assert_private(&appdata);
    stop(server);
}
