//! The real binary: first start creates the config and a JWT secret file, config
//! errors name the key and line and exit non-zero, JWT_SECRET is checked, and
//! the subcommands work.

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output};

fn miauinv(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_miauinv"));
    cmd.current_dir(dir).args(args).env_remove("JWT_SECRET");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn help_lists_subcommands() {
    let dir = tempfile::tempdir().unwrap();
    let o = miauinv(dir.path(), &["--help"], &[]);
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    for sub in ["serve", "healthcheck", "migrate", "reset-password"] {
        assert!(out.contains(sub), "{sub} missing from help:\n{out}");
    }
}

#[test]
fn first_start_creates_config_database_and_a_private_jwt_secret() {
    let dir = tempfile::tempdir().unwrap();
    let o = miauinv(dir.path(), &["migrate"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let cfg = std::fs::read_to_string(dir.path().join("appdata/config.yaml")).unwrap();
    for key in [
        "port: \"8080\"",
        "database_path:",
        "certificate_path:",
        "private_key_path:",
        "allow_registration: true",
    ] {
        assert!(cfg.contains(key), "{key} missing:\n{cfg}");
    }
    assert!(dir.path().join("appdata/database.db").exists());
    let secret_path = dir.path().join("appdata/jwt_secret");
    let secret = std::fs::read_to_string(&secret_path).unwrap();
    assert!(secret.len() >= 32);
    let mode = std::fs::metadata(&secret_path)
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    assert!(stderr(&o).contains("jwt_secret"));
    // Reused on the next start.
    let o = miauinv(dir.path(), &["migrate"], &[]);
    assert!(o.status.success());
    assert_eq!(std::fs::read_to_string(&secret_path).unwrap(), secret);
}

#[test]
fn short_jwt_secret_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let o = miauinv(dir.path(), &["migrate"], &[("JWT_SECRET", "too-short")]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("at least 32 characters"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn unknown_config_key_is_named_with_its_line_and_exit_is_nonzero() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("appdata")).unwrap();
    std::fs::write(
        dir.path().join("appdata/config.yaml"),
        "port: \"8080\"\ndatabase_path: ./appdata/database.db\nallow_registraton: false\n",
    )
    .unwrap();
    let o = miauinv(dir.path(), &["migrate"], &[]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("allow_registraton"), "{err}");
    assert!(
        err.contains("line 3") || err.contains(":3") || err.contains(" 3"),
        "{err}"
    );
}

#[test]
fn malformed_values_and_yaml_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("appdata")).unwrap();
    let cfg = dir.path().join("appdata/config.yaml");
    std::fs::write(&cfg, "port: \"http\"\n").unwrap();
    let o = miauinv(dir.path(), &["migrate"], &[]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("'port'"), "{}", stderr(&o));
    std::fs::write(&cfg, "port: [unclosed\n").unwrap();
    let o = miauinv(dir.path(), &["migrate"], &[]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("invalid config"), "{}", stderr(&o));
}

#[test]
fn environment_overrides_and_config_path() {
    let dir = tempfile::tempdir().unwrap();
    let custom = dir.path().join("elsewhere/miau.yaml");
    let db = dir.path().join("elsewhere/db.sqlite");
    let o = miauinv(
        dir.path(),
        &["migrate"],
        &[
            ("MIAUINV_CONFIG", custom.to_str().unwrap()),
            ("MIAUINV_DATABASE_PATH", db.to_str().unwrap()),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(custom.exists());
    assert!(db.exists());
    assert!(!dir.path().join("appdata").exists());
    let o = miauinv(
        dir.path(),
        &["migrate"],
        &[
            ("MIAUINV_CONFIG", custom.to_str().unwrap()),
            ("MIAUINV_WORKERS", "lots"),
        ],
    );
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("'workers' (environment)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn reset_password_sets_a_new_password_from_stdin() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let o = miauinv(dir.path(), &["migrate"], &[("MIAUINV_BCRYPT_COST", "4")]);
    assert!(o.status.success());
    {
        let db = rusqlite::Connection::open(dir.path().join("appdata/database.db")).unwrap();
        db.execute(
            "INSERT INTO users (id, username, password, role) VALUES ('u1', 'alice', 'x', 'admin')",
            [],
        )
        .unwrap();
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_miauinv"))
        .current_dir(dir.path())
        .args(["reset-password", "alice"])
        .env("MIAUINV_BCRYPT_COST", "4")
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a new long password\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db = rusqlite::Connection::open(dir.path().join("appdata/database.db")).unwrap();
    let hash: String = db
        .query_row("SELECT password FROM users", [], |r| r.get(0))
        .unwrap();
    assert!(bcrypt::verify("a new long password", &hash).unwrap());
}
