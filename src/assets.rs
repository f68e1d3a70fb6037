//! Embedded static assets under `/assets/*`: content types, ETags and 304s,
//! fingerprinted URLs with long caching, `.min.js`/`.min.css` variants minified
//! on first request, and gzip when the client accepts it. Nothing is read from
//! disk at run time. Layer: beside http (it knows requests and replies, not
//! routes or handlers).

use crate::http::{Reply, Request};
use flate2::Compression;
use flate2::write::GzEncoder;
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, LazyLock, Mutex};

#[derive(RustEmbed)]
#[folder = "web/assets/"]
struct Assets;

/// One servable representation of an asset, prepared once.
struct Prepared {
    content_type: &'static str,
    /// Borrowed from the embedded file when served as it is (no second copy of
    /// a large vendored bundle), owned when minified.
    body: Cow<'static, [u8]>,
    /// Present when the type compresses and gzip actually saves bytes.
    gzipped: Option<Vec<u8>>,
    /// Hex digest of `body`; the ETag (with a `-gz` suffix for the gzip body).
    digest: String,
    /// The fingerprint `asset()` puts in URLs: a digest of the source file.
    fingerprint: String,
}

/// Prepared assets by path. The content comes only from the embedded files, so it
/// is the same for every server in the process: a process-wide cache is safe and
/// means each minification and compression happens once.
static CACHE: LazyLock<Mutex<HashMap<String, Arc<Prepared>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "json" => "application/json; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "webmanifest" => "application/manifest+json",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

fn compressible(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || content_type.starts_with("application/json")
        || content_type.starts_with("application/manifest")
        || content_type == "image/svg+xml"
        || content_type == "application/wasm"
}

/// The scanner's decoder worker compiles the vendored WebAssembly decoder, so
/// its script (and only its: a dedicated worker takes the policy of its own
/// script's response) may run WebAssembly. Pages keep the site's CSP.
fn own_policy(path: &str) -> Option<&'static str> {
    matches!(path, "js/scan_worker.js" | "js/scan_worker.min.js")
        .then_some("default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'")
}

/// A minifier: source text in, minified text out (None when it cannot parse).
type Minify = fn(&str) -> Option<String>;

/// For `js/app.min.js` the embedded source `js/app.js` and the minifier to use.
fn min_source(path: &str) -> Option<(String, Minify)> {
    if let Some(stem) = path.strip_suffix(".min.js") {
        return Some((format!("{stem}.js"), minify_js));
    }
    if let Some(stem) = path.strip_suffix(".min.css") {
        return Some((format!("{stem}.css"), minify_css));
    }
    None
}

fn minify_js(source: &str) -> Option<String> {
    Some(minifier::js::minify(source).ok()?.to_string())
}

fn minify_css(source: &str) -> Option<String> {
    Some(minifier::css::minify(source).ok()?.to_string())
}

fn source_fingerprint(file: &rust_embed::EmbeddedFile) -> String {
    hex::encode(&file.metadata.sha256_hash()[..8])
}

/// Loads (or takes from the cache) the prepared representation of `path`.
fn prepared(path: &str) -> Option<Arc<Prepared>> {
    let cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(p) = cache.get(path) {
        return Some(p.clone());
    }
    drop(cache);
    let (body, fingerprint) = match Assets::get(path) {
        Some(file) => {
            let fingerprint = source_fingerprint(&file);
            (file.data, fingerprint)
        }
        None => {
            let (source_path, minify) = min_source(path)?;
            let file = Assets::get(&source_path)?;
            let text = std::str::from_utf8(&file.data).ok()?;
            // A minifier failure must not take the asset down: serve the source.
            let body = minify(text)
                .unwrap_or_else(|| text.to_string())
                .into_bytes();
            (Cow::Owned(body), source_fingerprint(&file))
        }
    };
    let content_type = content_type(path);
    let gzipped = if compressible(content_type) {
        gzip(&body).filter(|gz| gz.len() < body.len())
    } else {
        None
    };
    let digest = hex::encode(&Sha256::digest(&body)[..12]);
    let entry = Arc::new(Prepared {
        content_type,
        body,
        gzipped,
        digest,
        fingerprint,
    });
    CACHE
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(path.to_string(), entry.clone());
    Some(entry)
}

fn gzip(data: &[u8]) -> Option<Vec<u8>> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(data).ok()?;
    enc.finish().ok()
}

/// The URL of an asset for templates: `{{ asset("css/app.css") }}` gives
/// `/assets/css/app.css?v=<fingerprint>`. An unknown asset is a template error,
/// so a typo fails the page tests instead of shipping a broken link. The URL is
/// marked safe: it is built from the template's own literal and a hex digest,
/// and escaping would only turn its slashes into entities.
pub fn asset_url(path: String) -> Result<minijinja::Value, minijinja::Error> {
    let entry = prepared(&path).ok_or_else(|| {
        minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!("no asset named {path}"),
        )
    })?;
    Ok(minijinja::Value::from_safe_string(format!(
        "/assets/{path}?v={}",
        entry.fingerprint
    )))
}

/// Whether the client accepts gzip (`gzip` or `*` listed without `q=0`).
fn accepts_gzip(req: &Request) -> bool {
    let Some(header) = req.header("accept-encoding") else {
        return false;
    };
    header.split(',').any(|part| {
        let mut pieces = part.split(';');
        let coding = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let refused = pieces.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        (coding == "gzip" || coding == "*") && !refused
    })
}

/// `If-None-Match` holds one of our tags (weak or strong; any representation).
fn not_modified(req: &Request, digest: &str) -> bool {
    let Some(header) = req.header("if-none-match") else {
        return false;
    };
    header.split(',').any(|tag| {
        let tag = tag.trim();
        let tag = tag.strip_prefix("W/").unwrap_or(tag).trim_matches('"');
        tag == "*" || tag == digest || tag.strip_suffix("-gz") == Some(digest)
    })
}

/// Answers `GET /assets/<path>` for the request; `None` when there is no
/// such file (the page handler says so).
pub fn serve(req: &Request) -> Option<Reply> {
    let path = req.path.trim_start_matches("/assets/");
    let entry = prepared(path)?;
    // A matching fingerprint names exactly this content forever; any other URL
    // (no or stale `v`) must be revalidated so a new release is picked up.
    let cache_control = if req.param("v") == Some(entry.fingerprint.as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let gzip = entry.gzipped.is_some() && accepts_gzip(req);
    let etag = if gzip {
        format!("\"{}-gz\"", entry.digest)
    } else {
        format!("\"{}\"", entry.digest)
    };
    let mut reply = if not_modified(req, &entry.digest) {
        Reply {
            status: 304,
            headers: Vec::new(),
            body: Vec::new(),
            spooled: None,
        }
    } else if let (true, Some(gz)) = (gzip, &entry.gzipped) {
        Reply::new(200, entry.content_type, gz.clone()).header("Content-Encoding", "gzip")
    } else {
        Reply::new(200, entry.content_type, entry.body.to_vec())
    };
    reply = reply
        .header("ETag", etag)
        .header("Cache-Control", cache_control);
    if compressible(entry.content_type) {
        reply = reply.header("Vary", "Accept-Encoding");
    }
    if let Some(policy) = own_policy(path) {
        reply = reply.header("Content-Security-Policy", policy);
    }
    Some(reply)
}
