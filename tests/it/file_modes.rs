//! Files are private whatever the umask (issue 28): the real binary, started
//! by a shell under umask 022, makes appdata 0700 and the database, its WAL
//! and SHM, the secret files, the config and a backup 0600; a server that an
//! earlier version left readable is made private when it starts.

use crate::common::spawned::{self, Spawned};
use crate::common::{Client, PASSWORD};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Serves under umask 022 and writes once (registers the first account, or
/// logs in when it exists), so that the WAL and SHM exist.
fn serve_and_write(appdata: &Path, port: u16) -> Spawned {
    let server = Spawned::serve(appdata, port, "022");
    let c = Client::new(&server.base);
    if c.register("alice", PASSWORD).status != 201 {
        assert_eq!(c.login("alice", PASSWORD).status, 200);
    }
    server
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

/// An appdata holding only a config, as a person writes it: readable by all.
fn appdata_with_config(root: &Path) -> (std::path::PathBuf, u16) {
    let appdata = root.join("appdata");
    std::fs::create_dir(&appdata).unwrap();
    let (config, port) = spawned::config(&appdata);
    std::fs::write(appdata.join("config.yaml"), config).unwrap();
    chmod(&appdata, 0o755);
    chmod(&appdata.join("config.yaml"), 0o644);
    (appdata, port)
}

#[test]
fn a_first_start_under_umask_022_keeps_everything_private() {
    let root = tempfile::tempdir().unwrap();
    let (appdata, port) = appdata_with_config(root.path());
    let server = serve_and_write(&appdata, port);
    assert_private(&appdata);
    // A backup the command line writes, into a backups directory it makes.
    let ok = spawned::command(&appdata, "backup", "022")
        .status()
        .unwrap();
    assert!(ok.success());
    drop(server);
    let backups = appdata.join("backups");
    assert_eq!(mode(&backups), 0o700);
    let files: Vec<_> = std::fs::read_dir(&backups).unwrap().flatten().collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(mode(&files[0].path()), 0o600, "{:?}", files[0].path());
}

#[test]
fn files_an_earlier_version_left_readable_are_made_private_at_start() {
    let root = tempfile::tempdir().unwrap();
    let (appdata, port) = appdata_with_config(root.path());
    drop(serve_and_write(&appdata, port));
    // What a start under umask 022 used to leave.
    chmod(&appdata, 0o755);
    for file in [
        "database.db",
        "config.yaml",
        "database.db-wal",
        "database.db-shm",
    ] {
        let path = appdata.join(file);
        if path.exists() {
            chmod(&path, 0o644);
        }
    }
    let server = serve_and_write(&appdata, port);
    assert_private(&appdata);
    drop(server);
}
