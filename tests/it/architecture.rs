//! The house rules of `src/`, checked on the source text so they cannot drift:
//! imports run one way (server → front → router → api | pages →
//! transfer → ctx | rules → app → auth → db → crypto/error) and no two files
//! import each other, SQL lives only in `db/`, sentences only at the edge,
//! conversions into `AppError` beside their type, `auth/` and `db/`
//! know nothing of HTTP, no file grows past ~500 lines, and no control flow
//! branches on an error's code string.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A module's layer: a file may import only modules of a lower layer (and its
/// own module). Equal layers are siblings that must not import each other.
fn layer(node: &str) -> u32 {
    match node {
        "error" | "crypto" | "memory" | "files" => 0,
        "config" | "http" | "labels" | "outbound" => 1,
        "db" | "tls" | "assets" => 2,
        "auth" | "templates" | "notify" | "sso" => 3,
        "app" => 4,
        "ctx" | "rules" => 5,
        "transfer" => 6,
        "api" | "pages" => 7,
        "router" => 8,
        "front" => 10,
        "server" | "healthcheck" | "commands" => 11,
        "lib" | "main" => 12,
        other => panic!("src/{other}: a module with no layer; add it to tests/architecture.rs"),
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every source file of the crate as (path below src/ without `.rs`, text
/// without comments and without its unit tests).
fn sources() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(&src)
                .expect("below src")
                .with_extension("")
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&p).expect("source is UTF-8");
            let code: Vec<&str> = text
                .lines()
                .take_while(|l| l.trim() != "#[cfg(test)]")
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect();
            (rel, code.join("\n"))
        })
        .collect()
}

/// The module a file belongs to: its first path segment.
fn node_of(rel: &str) -> String {
    rel.split('/').next().unwrap_or(rel).to_string()
}

/// The modules a file names as `crate::x` (or `crate::{x, …}`).
fn imports(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            group[..end].split(',').map(str::trim).collect()
        } else {
            vec![rest]
        };
        for name in names {
            let head: String = name
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if head.is_empty() {
                continue;
            }
            found.push(head);
        }
    }
    found
}

#[test]
fn imports_run_one_way() {
    let mut wrong: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (rel, code) in sources() {
        let node = node_of(&rel);
        for target in imports(&code) {
            if target != node && layer(&target) >= layer(&node) {
                wrong.entry(rel.clone()).or_default().push(target);
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "files importing a module of their own layer or above: {wrong:#?}"
    );
}

#[test]
fn sql_lives_only_in_db() {
    let sql = [
        "SELECT ",
        "INSERT INTO",
        "DELETE FROM",
        "UPDATE ",
        "CREATE TABLE",
    ];
    let mut wrong = Vec::new();
    for (rel, code) in sources() {
        if rel.starts_with("db/") {
            continue;
        }
        for line in code.lines() {
            // Only inside string literals: SQL is text handed to SQLite.
            let quoted: Vec<&str> = line.split('"').skip(1).step_by(2).collect();
            if quoted.iter().any(|q| {
                sql.iter()
                    .any(|k| q.to_ascii_uppercase().contains(k) && q.contains(k))
            }) {
                wrong.push(format!("{rel}: {}", line.trim()));
            }
        }
    }
    assert!(wrong.is_empty(), "SQL outside db/: {wrong:#?}");
}

#[test]
fn auth_and_db_know_nothing_of_http() {
    let http = ["tiny_http", "Reply", "cookie", "Set-Cookie", "crate::http"];
    let mut wrong = Vec::new();
    for (rel, code) in sources() {
        if !(rel.starts_with("auth/") || rel.starts_with("db/")) {
            continue;
        }
        for word in http {
            if code.contains(word) {
                wrong.push(format!("{rel}: {word}"));
            }
        }
    }
    assert!(wrong.is_empty(), "HTTP types in auth/ or db/: {wrong:#?}");
}

#[test]
fn no_source_file_is_over_500_lines() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|p| {
            let n = std::fs::read_to_string(p).ok()?.lines().count();
            (n > 500).then(|| format!("{}: {n} lines", p.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these by responsibility: {long:#?}");
}

#[test]
fn control_flow_never_branches_on_error_code_strings() {
    let mut wrong = Vec::new();
    for (rel, code) in sources() {
        for line in code.lines() {
            let l = line.replace(' ', "");
            if l.contains(".code==\"") || l.contains("matches!(e.code") || l.contains(".code!=\"") {
                wrong.push(format!("{rel}: {}", line.trim()));
            }
        }
    }
    assert!(wrong.is_empty(), "branching on error codes: {wrong:#?}");
}

/// A file's module path: `db/mod` and `db` are `["db"]`, `lib` is `[]`.
fn module_of(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> = rel.split('/').map(str::to_string).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts == ["lib"] || parts == ["main"] {
        parts.clear();
    }
    parts
}

/// The files a file names through `crate::…` or `super::…` paths (also in
/// `{…}` groups): each path resolved to the longest module that is a file.
fn file_imports(rel: &str, code: &str, files: &BTreeMap<Vec<String>, String>) -> Vec<String> {
    let me = module_of(rel);
    let mut found = Vec::new();
    for (root, base) in [
        ("crate::", Vec::new()),
        ("super::", me[..me.len().saturating_sub(1)].to_vec()),
    ] {
        let mut rest = code;
        while let Some(i) = rest.find(root) {
            // `super::` inside `crate::a::super::` does not occur; a word
            // ending just before (`xsuper::`) is not this root.
            let before = rest[..i].chars().last();
            rest = &rest[i + root.len()..];
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            let word = |s: &str| -> Vec<String> {
                s.split("::")
                    .map(|seg| {
                        seg.chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                            .collect::<String>()
                    })
                    .take_while(|seg| !seg.is_empty())
                    .collect()
            };
            let paths: Vec<Vec<String>> = match rest.strip_prefix('{') {
                Some(group) => group[..group.find('}').unwrap_or(group.len())]
                    .split(',')
                    .map(|p| word(p.trim()))
                    .collect(),
                None => vec![word(rest)],
            };
            for path in paths {
                let full: Vec<String> = base.iter().cloned().chain(path).collect();
                if let Some(file) = (1..=full.len()).rev().find_map(|n| files.get(&full[..n]))
                    && file != rel
                {
                    found.push(file.clone());
                }
            }
        }
    }
    found
}

#[test]
fn no_two_files_import_each_other_even_through_others() {
    let sources = sources();
    let files: BTreeMap<Vec<String>, String> = sources
        .iter()
        .map(|(rel, _)| (module_of(rel), rel.clone()))
        .collect();
    let graph: BTreeMap<&str, Vec<String>> = sources
        .iter()
        .map(|(rel, code)| (rel.as_str(), file_imports(rel, code, &files)))
        .collect();
    // A circle through `start`: a path from one of its imports back to it.
    let mut circles = Vec::new();
    for start in graph.keys() {
        let mut seen = std::collections::BTreeSet::new();
        let mut stack: Vec<(String, Vec<String>)> = graph[start]
            .iter()
            .map(|n| (n.clone(), vec![start.to_string(), n.clone()]))
            .collect();
        while let Some((node, path)) = stack.pop() {
            if node == *start {
                circles.push(path.join(" → "));
                break;
            }
            if !seen.insert(node.clone()) {
                continue;
            }
            for next in graph.get(node.as_str()).into_iter().flatten() {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push((next.clone(), longer));
            }
        }
    }
    assert!(
        circles.is_empty(),
        "files that import each other: {circles:#?}"
    );
}

/// The string literals of `code`, as written (escapes kept), skipping char
/// literals such as `'"'`.
fn string_literals(code: &str) -> Vec<&str> {
    let bytes = code.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' if bytes.get(i + 2) == Some(&b'\'') => i += 3,
            b'\'' if bytes.get(i + 1) == Some(&b'\\') && bytes.get(i + 3) == Some(&b'\'') => i += 4,
            b'"' => {
                let start = i + 1;
                i = start;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                found.push(&code[start..i.min(code.len())]);
                i += 1;
            }
            _ => i += 1,
        }
    }
    found
}

/// Whether a literal reads as a sentence to a person: it starts with a
/// capital letter, has at least three words, and ends a sentence.
fn is_sentence(text: &str) -> bool {
    let text = text.trim_end_matches("\\n");
    // SQL starts with a keyword in capitals (`SELECT …`, `WHERE …`).
    let first = text.split_whitespace().next().unwrap_or("");
    let keyword = first.len() > 1 && first.chars().all(|c| c.is_ascii_uppercase());
    !keyword
        && text.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && text.split_whitespace().count() >= 3
        && (text.ends_with(['.', '?', '!']) || text.contains(". "))
}

/// Where words are made: the edge (`api/`, `pages/`), and what is words by
/// nature: the notices and mail of `notify/`, the command line's own output
/// (`commands`, `main`, `healthcheck`), the config loader's errors, and the
/// rules every door shares (`rules/`, with the import engines of `transfer/`
/// that report them row by row), which the HTTP answer, the import report
/// and the command line must say alike.
fn makes_words(rel: &str) -> bool {
    [
        "api/",
        "pages/",
        "notify/",
        "config/",
        "rules/",
        "transfer/",
    ]
    .iter()
    .any(|area| rel.starts_with(area))
        || ["commands", "main", "healthcheck"].contains(&rel)
}

#[test]
fn words_live_only_at_the_edge() {
    let mut wrong = Vec::new();
    for (rel, code) in sources() {
        if makes_words(&rel) {
            continue;
        }
        for line in code.lines() {
            // A panic message or a log line is for the operator, not a
            // person using MiauInv.
            if ["expect(", "panic!(", "eprintln!(", "unreachable!("]
                .iter()
                .any(|m| line.contains(m))
            {
                continue;
            }
            for text in string_literals(line) {
                if is_sentence(text) {
                    wrong.push(format!("{rel}: \"{text}\""));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "sentences below the edge (return a typed refusal; api/words says it): {wrong:#?}"
    );
}

#[test]
fn an_error_conversion_lives_beside_what_it_converts() {
    let sources = sources();
    let mut wrong = Vec::new();
    for (rel, code) in &sources {
        let mut rest = code.as_str();
        while let Some(i) = rest.find("impl From<") {
            rest = &rest[i + "impl From<".len()..];
            let Some(end) = rest.find('>') else { break };
            let (ty, after) = rest.split_at(end);
            if !after[1..].trim_start().starts_with("for AppError") {
                continue;
            }
            let name = ty.rsplit("::").next().unwrap_or(ty).trim();
            let defines = [format!("enum {name} "), format!("struct {name} ")]
                .iter()
                .any(|d| code.contains(d.as_str()));
            if rel != "error" && !defines {
                wrong.push(format!("{rel}: From<{ty}> for AppError"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "conversions into AppError belong in error.rs or beside the type they convert: {wrong:#?}"
    );
}

#[test]
fn the_command_line_uses_no_http_handler() {
    let (_, code) = sources()
        .into_iter()
        .find(|(rel, _)| rel == "commands")
        .expect("src/commands.rs exists");
    let from_api: Vec<&str> = code
        .match_indices("crate::api::")
        .map(|(i, _)| code[i..].split([';', '(', ' ']).next().unwrap_or(""))
        .filter(|path| !path.starts_with("crate::api::words::"))
        .collect();
    assert!(
        from_api.is_empty(),
        "commands.rs may take only the words of api/ (its engines are in transfer/, rules/, db/): {from_api:#?}"
    );
}
