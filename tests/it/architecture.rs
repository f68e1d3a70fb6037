//! The house rules of `src/`, checked on the source text so they cannot drift:
//! imports run one way (server → front → router → api | pages →
//! transfer → ctx | rules → app → auth → db → crypto/error), SQL lives only in `db/`, `auth/` and `db/`
//! know nothing of HTTP, no file grows past ~500 lines, and no control flow
//! branches on an error's code string.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A module's layer: a file may import only modules of a lower layer (and its
/// own module). Equal layers are siblings that must not import each other.
fn layer(node: &str) -> u32 {
    match node {
        "error" | "crypto" | "memory" => 0,
        "config" | "http" | "labels" => 1,
        "db" | "tls" | "assets" => 2,
        "auth" | "templates" | "notify" => 3,
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
