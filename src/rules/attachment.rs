//! The rules for an attachment's name and type (layer: rules): the upload
//! route and the ZIP import store both the same way.

/// Longest stored filename, in characters.
pub const MAX_FILENAME: usize = 120;
const FALLBACK_NAME: &str = "attachment";
pub const BINARY: &str = "application/octet-stream";

/// A filename safe to store and to send back: its last path component, no
/// control or reserved characters, no leading dots (hidden files), at most
/// [`MAX_FILENAME`] characters with the extension kept.
pub fn sanitize_filename(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| match c {
            '<' | '>' | ':' | '"' | '|' | '?' | '*' | ';' => '_',
            c => c,
        })
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    let name = if trimmed.chars().count() > MAX_FILENAME {
        shorten(trimmed)
    } else {
        trimmed.to_string()
    };
    match name.is_empty() {
        true => FALLBACK_NAME.to_string(),
        false => name,
    }
}

/// Cuts the stem so stem and extension fit [`MAX_FILENAME`]; an "extension"
/// too long to be one is cut with the rest.
fn shorten(name: &str) -> String {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e)
        .filter(|e| !e.is_empty() && e.chars().count() <= 16);
    match ext {
        Some(ext) => {
            let keep = MAX_FILENAME - ext.chars().count() - 1;
            let stem: String = name.chars().take(keep).collect();
            format!("{}.{ext}", stem.trim_end())
        }
        None => name.chars().take(MAX_FILENAME).collect(),
    }
}

/// The declared type as stored and listed: a plain `type/subtype`,
/// lowercased, or `application/octet-stream` for anything else.
pub fn stored_type(header: Option<&str>) -> String {
    let mime = header
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let token = |s: &str| {
        !s.is_empty()
            && s.len() <= 60
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    match mime.split_once('/') {
        Some((t, sub)) if token(t) && token(sub) => mime,
        _ => BINARY.to_string(),
    }
}
