//! The config file's parsing and checks.
use super::*;

fn no_env(_: &str) -> Option<String> {
    None
}

#[test]
fn original_go_config_loads_unchanged() {
    let text = "port: \"8080\"\ndatabase_path: ./appdata/database.db\ncertificate_path: ./appdata/cert.pem\nprivate_key_path: ./appdata/key.pem\nallow_registration: true\n";
    let c = resolve(parse(text).unwrap(), &no_env, ".".into()).unwrap();
    assert_eq!(c.port, 8080);
    assert_eq!(c.database_path, PathBuf::from("./appdata/database.db"));
    assert!(c.allow_registration);
}

#[test]
fn default_file_parses_to_defaults() {
    let c = resolve(parse(DEFAULT_CONFIG).unwrap(), &no_env, ".".into()).unwrap();
    assert_eq!(c.port, 8080);
    assert_eq!(c.workers, 16);
    assert_eq!(c.bcrypt_cost, 12);
    assert!(c.tls);
    assert_eq!(c.max_connections, 512);
    assert_eq!(
        (
            c.header_timeout_seconds,
            c.body_timeout_seconds,
            c.idle_timeout_seconds
        ),
        (10, 30, 60)
    );
}

#[test]
fn unknown_key_is_named_with_its_line() {
    let err = parse("port: \"8080\"\nallow_registraton: true\n").unwrap_err();
    assert!(err.contains("allow_registraton"), "{err}");
    assert!(err.contains('2'), "line missing: {err}");
}

#[test]
fn environment_wins_over_file() {
    let env = |k: &str| (k == "MIAUINV_PORT").then(|| "9191".to_string());
    let c = resolve(parse("port: \"8080\"\n").unwrap(), &env, ".".into()).unwrap();
    assert_eq!(c.port, 9191);
}

#[test]
fn bad_values_name_the_key() {
    let err = resolve(parse("port: \"eighty\"\n").unwrap(), &no_env, ".".into()).unwrap_err();
    assert!(err.contains("'port'"), "{err}");
    let err = resolve(parse("workers: 1\n").unwrap(), &no_env, ".".into()).unwrap_err();
    assert!(err.contains("'workers'"), "{err}");
}
