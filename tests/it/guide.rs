//! The user guide (README.md and docs/) is checked against the real thing:
//! every command line it shows is accepted by the real binary's argument
//! parser and runs against a temporary appdata; its table of config keys
//! lists exactly the keys the config parser takes, with their defaults; its
//! Litestream and Compose files are the ones the project ships and agree
//! with each other. (The reverse-proxy configs are run by reverse_proxy.rs.)

use crate::common::{PASSWORD, free_port, wait_until};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const GUIDE: [&str; 11] = [
    "README.md",
    "docs/install.md",
    "docs/dashboard.md",
    "docs/phone.md",
    "docs/api.md",
    "docs/security.md",
    "docs/sign-in.md",
    "docs/reverse-proxies.md",
    "docs/data.md",
    "docs/upgrading.md",
    "docs/development.md",
];

fn read(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// The lines inside fenced code blocks (and indented ones) of a Markdown text.
fn code_lines(text: &str) -> Vec<String> {
    let (mut inside, mut out) = (false, Vec::new());
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            inside = !inside;
        } else if inside || line.starts_with("    ") {
            out.push(line.trim().to_string());
        }
    }
    out
}

/// The inline code spans of a Markdown text, outside code blocks.
fn inline_spans(text: &str) -> Vec<String> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            inside = !inside;
            continue;
        }
        if inside {
            continue;
        }
        out.extend(line.split('`').skip(1).step_by(2).map(str::to_string));
    }
    out
}

/// A documented command line as the words after `miauinv`, with what it
/// reads on standard input: `cargo run --release [-- ARGS]` and `./miauinv`
/// are the same binary; `echo 'x' |` feeds it; a comment, a description
/// column (two spaces or more) and a `> file` redirection are left off.
fn command_of(line: &str) -> Option<(String, String)> {
    let (stdin, line) = match line.strip_prefix("echo '") {
        Some(rest) => {
            let (said, rest) = rest.split_once("' |")?;
            (format!("{said}\n"), rest.trim())
        }
        None => (String::new(), line),
    };
    let rest = if let Some(rest) = line.strip_prefix("cargo run --release") {
        rest.trim_start().strip_prefix("--").unwrap_or(rest)
    } else {
        let rest = line.strip_prefix("./").unwrap_or(line);
        if rest == "miauinv" {
            ""
        } else {
            rest.strip_prefix("miauinv ")?
        }
    };
    let rest = rest.split(" #").next().unwrap();
    let rest = rest.split("  ").next().unwrap();
    let rest = rest.split(" >").next().unwrap();
    Some((rest.trim().to_string(), stdin))
}

/// Every way of writing out a documented command: each `[optional]` part
/// left out and put in, each `a|b|c` alternative, the placeholders filled.
fn variants(words: &str, file: &Path) -> Vec<String> {
    if let (Some(open), Some(close)) = (words.find('['), words.find(']')) {
        let (before, inner, after) = (&words[..open], &words[open + 1..close], &words[close + 1..]);
        let mut out = variants(&format!("{before}{after}"), file);
        out.extend(variants(&format!("{before}{inner}{after}"), file));
        return out;
    }
    let tokens: Vec<&str> = words.split_whitespace().collect();
    if let Some(i) = tokens.iter().position(|t| t.contains('|')) {
        return tokens[i]
            .split('|')
            .flat_map(|choice| {
                let mut t = tokens.clone();
                t[i] = choice;
                variants(&t.join(" "), file)
            })
            .collect();
    }
    let filled: Vec<String> = tokens
        .iter()
        .map(|t| match *t {
            "NAME" | "<username>" => "alice".to_string(),
            "ROLE" => "viewer".to_string(),
            "FILE" => file.display().to_string(),
            other => other.to_string(),
        })
        .collect();
    vec![filled.join(" ")]
}

/// `miauinv --config <dir>/config.yaml ARGS`, `stdin` as its input.
fn run(dir: &Path, args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_miauinv"))
        .arg("--config")
        .arg(dir.join("config.yaml"))
        .args(args)
        .env("JWT_SECRET", "test-secret-that-is-at-least-32-characters")
        .env_remove("MIAUINV_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().expect("the binary ends")
}

/// The server the bare command (or `serve`) starts: it must come up
/// listening; then it is stopped.
fn serves(dir: &Path, args: &[&str]) {
    let log = dir.join("serve.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_miauinv"))
        .arg("--config")
        .arg(dir.join("config.yaml"))
        .args(args)
        .env("JWT_SECRET", "test-secret-that-is-at-least-32-characters")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("the binary runs");
    let said = || std::fs::read_to_string(&log).unwrap_or_default();
    wait_until(
        Duration::from_secs(20),
        "the documented server starts",
        || said().contains("listening on") || child.try_wait().unwrap().is_some(),
    );
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        said().contains("listening on"),
        "`miauinv {args:?}`: {}",
        said()
    );
}

#[test]
fn every_command_line_in_the_guide_is_accepted_by_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.yaml"),
        format!(
            "port: {}\nbind_address: 127.0.0.1\ndatabase_path: {}\ntls: false\nbcrypt_cost: 4\nworkers: 2\nbackup_interval_hours: 0\n",
            free_port(),
            dir.path().join("database.db").display()
        ),
    )
    .unwrap();
    let made = run(
        dir.path(),
        &["user", "create", "alice", "--role", "admin"],
        PASSWORD,
    );
    assert!(made.status.success(), "{made:?}");
    let file = dir.path().join("copy.db");

    let mut commands = Vec::new();
    let mut names = Vec::new();
    for doc in GUIDE {
        let text = read(doc);
        for line in code_lines(&text) {
            if let Some(command) = command_of(&line) {
                commands.push((doc, command));
            }
        }
        // A command named in the text: its words up to the first argument.
        for span in inline_spans(&text) {
            if let Some(rest) = span.strip_prefix("miauinv ") {
                let words: Vec<&str> = rest
                    .split_whitespace()
                    .take_while(|w| {
                        !w.starts_with('-')
                            && w.chars()
                                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    })
                    .collect();
                names.push((doc, span.clone(), words.join(" ")));
            }
        }
    }
    assert!(
        commands.len() >= 15,
        "the guide's command lines were not found: {commands:?}"
    );

    for (doc, (words, stdin)) in &commands {
        for variant in variants(words, &file) {
            let args: Vec<&str> = variant.split_whitespace().collect();
            if args.is_empty() || args == ["serve"] {
                serves(dir.path(), &args);
                continue;
            }
            let out = run(dir.path(), &args, stdin);
            let said = String::from_utf8_lossy(&out.stderr);
            // The parser refuses with status 2 and a usage; a command that
            // ran and failed (healthcheck with no server) says `miauinv: …`.
            assert!(
                out.status.code() == Some(0)
                    || (out.status.code() == Some(1) && said.starts_with("miauinv: ")),
                "{doc}: `miauinv {variant}` is refused: {:?} {said}",
                out.status
            );
        }
    }
    for (doc, span, words) in names {
        let mut args: Vec<&str> = words.split_whitespace().collect();
        args.push("--help");
        let out = run(dir.path(), &args, "");
        assert!(
            out.status.success(),
            "{doc}: `{span}` names no command of the binary: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The keys of the config table in docs/install.md, with their documented
/// defaults: the rows of the table under the `| Key | Default | Meaning |`
/// head (a blank line ends a Markdown table).
fn documented_keys() -> Vec<(String, String)> {
    let text = read("docs/install.md");
    let rows = text
        .lines()
        .skip_while(|l| !l.starts_with("| Key | Default |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'));
    let mut out = Vec::new();
    for row in rows {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        for key in cells[1].split(',') {
            out.push((
                key.trim().trim_matches('`').to_string(),
                cells[2].to_string(),
            ));
        }
    }
    assert!(!out.is_empty(), "docs/install.md has no config table");
    out
}

/// The keys the real config parser takes: it refuses an unknown key naming
/// every one it expects.
fn parser_keys() -> BTreeSet<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, "no_such_key: 1\n").unwrap();
    let no_env = |_: &str| None;
    let refused = miauinv::config::load(&path, &no_env).expect_err("an unknown key is refused");
    let expected = refused
        .split_once("expected one of")
        .unwrap_or_else(|| panic!("the refusal names no keys: {refused}"))
        .1;
    expected
        .lines()
        .next()
        .unwrap()
        .split(',')
        .map(|k| k.trim().trim_matches('`').to_string())
        .collect()
}

#[test]
fn the_config_table_lists_exactly_the_keys_the_parser_takes_with_their_defaults() {
    let documented = documented_keys();
    let keys: BTreeSet<String> = documented.iter().map(|(k, _)| k.clone()).collect();
    assert_eq!(
        keys.len(),
        documented.len(),
        "a key listed twice: {documented:?}"
    );
    let parser = parser_keys();
    assert!(
        parser.contains("bind_address") && parser.contains("bcrypt_cost"),
        "{parser:?}"
    );
    assert_eq!(
        keys,
        parser,
        "docs/install.md's config table and the parser's keys differ: only documented {:?}, only parsed {:?}",
        keys.difference(&parser).collect::<Vec<_>>(),
        parser.difference(&keys).collect::<Vec<_>>()
    );
    // A literal default in the table is the one a first start writes.
    let written: Value = serde_saphyr::from_str(miauinv::config::DEFAULT_CONFIG).unwrap();
    for (key, default) in &documented {
        let literal =
            default.starts_with('`') && default.ends_with('`') && default.matches('`').count() == 2;
        let value = match &written[key] {
            Value::String(s) => s.clone(),
            Value::Array(a) if a.is_empty() => "[]".into(),
            other => other.to_string(),
        };
        if literal && !value.is_empty() {
            assert_eq!(
                default.trim_matches('`').trim_matches('"'),
                value,
                "docs/install.md: the default of `{key}`"
            );
        }
    }
}

fn yaml(text: &str, what: &str) -> Value {
    serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{what} is not YAML: {e}"))
}

/// The first fenced block of `doc` whose first line starts with `start`.
fn block(doc: &str, start: &str) -> String {
    let text = read(doc);
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.starts_with("```") {
            let body: Vec<&str> = lines
                .by_ref()
                .take_while(|l| !l.starts_with("```"))
                .collect();
            if body.first().is_some_and(|l| l.starts_with(start)) {
                return body.join("\n");
            }
        }
    }
    panic!("{doc} has no block starting with {start:?}")
}

#[test]
fn the_compose_and_litestream_files_of_the_guide_are_the_shipped_ones_and_agree() {
    // The Compose file shown in install.md is docker-compose.yaml.
    let shown = yaml(
        &block("docs/install.md", "# docker-compose.yaml"),
        "install.md's compose block",
    );
    let shipped = yaml(&read("docker-compose.yaml"), "docker-compose.yaml");
    assert_eq!(
        shown, shipped,
        "docs/install.md shows another docker-compose.yaml"
    );
    // The Litestream config shown in data.md is docs/litestream.yml (the one
    // tests/it/litestream.rs replicates and restores with).
    let litestream = yaml(&read("docs/litestream.yml"), "docs/litestream.yml");
    assert_eq!(
        yaml(&block("docs/data.md", "dbs:"), "data.md's block"),
        litestream
    );
    let db = litestream["dbs"][0]["path"]
        .as_str()
        .expect("a database path");
    let replica = litestream["dbs"][0]["replicas"][0]["url"]
        .as_str()
        .expect("a replica url");

    // The sidecar mounts that config, the appdata the database is in and the
    // replica's directory, and follows a service of docker-compose.yaml.
    let sidecar = yaml(
        &read("docs/docker-compose.litestream.yaml"),
        "docs/docker-compose.litestream.yaml",
    );
    let service = &sidecar["services"]["litestream"];
    let volumes: Vec<(String, String)> = service["volumes"]
        .as_array()
        .expect("the sidecar's volumes")
        .iter()
        .map(|v| {
            let mut parts = v.as_str().unwrap().split(':');
            (
                parts.next().unwrap().to_string(),
                parts.next().unwrap().to_string(),
            )
        })
        .collect();
    let mounted = |from: &str| {
        volumes
            .iter()
            .find(|(_, to)| from.starts_with(&format!("{to}/")) || from == to)
    };
    assert_eq!(
        mounted("/etc/litestream.yml").map(|(host, _)| host.as_str()),
        Some("./docs/litestream.yml")
    );
    assert!(
        mounted(db).is_some(),
        "{db} is not on a mounted volume: {volumes:?}"
    );
    let replica_dir = replica
        .strip_prefix("file://")
        .expect("a directory replica");
    assert!(
        mounted(replica_dir).is_some(),
        "{replica_dir} is not mounted: {volumes:?}"
    );
    let appdata = &mounted(db).unwrap().0;
    let miauinv_volumes = shipped["services"]["miauinv"]["volumes"].to_string();
    assert!(
        miauinv_volumes.contains(&format!("{appdata}:")),
        "the sidecar's {appdata} is not MiauInv's appdata: {miauinv_volumes}"
    );
    for needed in service["depends_on"].as_array().expect("depends_on") {
        let name = needed.as_str().unwrap();
        assert!(
            shipped["services"][name].is_object(),
            "depends on {name}, which docker-compose.yaml has not"
        );
    }
    // The commands that use these files name files that exist.
    let data = read("docs/data.md");
    for span in inline_spans(&data)
        .iter()
        .filter(|s| s.starts_with("docker compose -f"))
    {
        for file in span
            .split_whitespace()
            .skip_while(|w| *w != "-f")
            .filter(|w| w.ends_with(".yaml"))
        {
            assert!(
                Path::new(env!("CARGO_MANIFEST_DIR")).join(file).exists(),
                "data.md names {file}"
            );
        }
    }
}
