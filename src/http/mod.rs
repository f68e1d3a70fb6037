//! Our request and response types over tiny_http: query, cookies, JSON bodies with
//! a size limit, client address. Handlers only ever see these, never tiny_http, so
//! the listener underneath (plain, TLS, behind a proxy) can change freely.

pub mod body;
pub mod cookies;

use crate::error::{AppError, AppResult};

mod refused;
pub use refused::Refused;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::net::IpAddr;

/// Request bodies above this size are refused with 413.
/// The words a yes/no query parameter takes ([`Request::flag`]).
pub const FLAG_WORDS: &[&str] = &["true", "false", "1", "0", "yes", "no"];

pub const MAX_BODY: usize = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Delete,
    Patch,
    Options,
    Other,
}

impl Method {
    pub fn parse(s: &str) -> Method {
        match s {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            "PATCH" => Method::Patch,
            "OPTIONS" => Method::Options,
            _ => Method::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Patch => "PATCH",
            Method::Options => "OPTIONS",
            Method::Other => "OTHER",
        }
    }
}

/// A parsed request. The body is read (bounded) before routing.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub path: String,
    pub query: Query,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// A body above `body::SPOOL_ABOVE` bytes, kept in a temporary file
    /// (`body` is then empty).
    pub spool: Option<body::Spooled>,
    /// The real client address (after trusted-proxy resolution).
    pub client: IpAddr,
    /// Whether the client reached us over TLS (directly or via a trusted HTTPS proxy).
    pub secure: bool,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k == "cookie")
            .flat_map(|(_, v)| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.trim_matches('"').to_string())
            .filter(|v| !v.is_empty())
    }

    /// The body's length, wherever it is kept.
    pub fn body_len(&self) -> u64 {
        self.spool
            .as_ref()
            .map_or(self.body.len() as u64, body::Spooled::len)
    }

    /// Reads the body from its start, wherever it is kept.
    pub fn body_reader(&self) -> std::io::Result<body::BodyReader<'_>> {
        match &self.spool {
            Some(spooled) => body::BodyReader::file(spooled),
            None => Ok(body::BodyReader::memory(&self.body)),
        }
    }

    pub fn is_api(&self) -> bool {
        self.path == "/api" || self.path.starts_with("/api/")
    }

    pub fn user_agent(&self) -> String {
        self.header("user-agent")
            .unwrap_or("")
            .chars()
            .take(255)
            .collect()
    }

    /// A query parameter, if present and non-empty (the first, if repeated).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.first(name).filter(|v| !v.is_empty())
    }

    /// Every non-empty value of a repeated query parameter (`?tag=a&tag=b`), in
    /// the order given.
    pub fn params(&self, name: &str) -> Vec<&str> {
        let mut values = self.query.all(name);
        values.retain(|v| !v.is_empty());
        values
    }

    /// A required positive integer id from the query string (`?id=`).
    pub fn id_param(&self, name: &str) -> AppResult<i64> {
        match self.param(name) {
            None => Err(Refused::ParamRequired { name: name.into() }.into()),
            Some(_) => self
                .opt_id_param(name)
                .map(|v| v.expect("presence checked above")),
        }
    }

    /// An optional positive integer id from the query string.
    pub fn opt_id_param(&self, name: &str) -> AppResult<Option<i64>> {
        match self.typed_param(name) {
            None => Ok(None),
            Some(v) => match v.parse::<i64>() {
                Ok(n) if n > 0 => Ok(Some(n)),
                _ => Err(Refused::ParamNotPositive { name: name.into() }.into()),
            },
        }
    }

    /// A query parameter that is not free text (an id, a number, a flag, a
    /// word from a list), if present: unlike [`Request::param`] an empty value
    /// is kept, so that `?id=` is refused as not a number rather than read as
    /// no id at all.
    pub fn typed_param(&self, name: &str) -> Option<&str> {
        self.query.first(name)
    }

    /// A yes/no flag from the query string: absent is no; anything but the
    /// [`FLAG_WORDS`] is refused, so a misspelt `?content=ture` is not
    /// silently read as no.
    pub fn flag(&self, name: &str) -> AppResult<bool> {
        match self.typed_param(name) {
            None => Ok(false),
            Some("true" | "1" | "yes") => Ok(true),
            Some("false" | "0" | "no") => Ok(false),
            Some(_) => Err(Refused::ParamNotFlag { name: name.into() }.into()),
        }
    }

    /// Parses the JSON body into `T`, the one way handlers read a body. Unknown
    /// fields are rejected by the types (`deny_unknown_fields`); every error names
    /// the field it is about (`serde_path_to_error` tracks where serde failed).
    pub fn json<T: DeserializeOwned>(&self) -> AppResult<T> {
        let ctype = self.header("content-type").unwrap_or("");
        let mime = ctype.split(';').next().unwrap_or("").trim();
        if !mime.eq_ignore_ascii_case("application/json") {
            return Err(Refused::NotJsonType.into());
        }
        if self.body.is_empty() {
            return Err(Refused::EmptyBody.into());
        }
        // Every body we accept is an object. serde would also read a struct from
        // an array, field by field in declaration order, which no client means.
        if self.body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(Refused::NotAnObject.into());
        }
        let mut de = serde_json::Deserializer::from_slice(&self.body);
        let value = serde_path_to_error::deserialize(&mut de)
            .map_err(|e| json_error(e.inner(), &e.path().to_string()))?;
        de.end().map_err(|e| json_error(&e, "."))?;
        Ok(value)
    }
}

/// Turns a serde_json error at `path` (`.` for the body itself) into a 400 that
/// names the field and what is wrong, without echoing internal type names.
fn json_error(e: &serde_json::Error, path: &str) -> AppError {
    use serde_json::error::Category;
    let text = e.to_string();
    let text = text.split(" at line ").next().unwrap_or(&text).to_string();
    if e.classify() != Category::Data {
        return Refused::NotJson { why: text }.into();
    }
    // serde names an unknown or missing field in backticks; the path already
    // ends in an unknown one, but stops at the object missing one.
    let named = text.split('`').nth(1).unwrap_or_default();
    if text.starts_with("unknown field") {
        let field = if path == "." { named } else { path };
        return Refused::UnknownField {
            field: field.into(),
        }
        .into();
    }
    if text.starts_with("missing field") {
        let field = match path {
            "." => named.to_string(),
            _ => format!("{path}.{named}"),
        };
        return Refused::MissingField { field }.into();
    }
    if path == "." {
        return Refused::Invalid { why: text }.into();
    }
    let refused = match text.split_once(", expected ") {
        Some((_, expected)) => Refused::WrongType {
            field: path.into(),
            expected: expected.into(),
        },
        None => Refused::NotValid {
            field: path.into(),
            why: text,
        },
    };
    refused.into()
}

/// A percent-decoded query string: its pairs in order. A parameter may repeat
/// (`?tag=a&tag=b`); [`Request::param`] reads the first value, [`Request::params`]
/// all of them.
#[derive(Debug, Clone, Default)]
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn first(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every parameter name given, in order (repeated names repeat).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Splits `path?query` and percent-decodes the query.
pub fn split_target(target: &str) -> (String, Query) {
    let (path, qs) = target.split_once('?').unwrap_or((target, ""));
    let query = url::form_urlencoded::parse(qs.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    (path.to_string(), Query(query))
}

/// The login page's address for a person who asked for `path`: its `next`
/// brings them back afterwards. `path` comes from the request line, so it goes
/// in only when it is a path of this origin the way browsers read it: one
/// leading `/` not followed by another, no `\` (browsers read it as `/`), and
/// only visible ASCII (browsers drop tab, CR and LF, which would join slashes
/// back up). Otherwise the login page leads to the dashboard.
pub fn login_location(path: &str) -> String {
    let local = path.starts_with('/')
        && !path[1..].starts_with('/')
        && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    if !local {
        return "/login".into();
    }
    let next: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
    format!("/login?next={next}")
}

/// What a handler answers. Turned into a tiny_http response by the server.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// A large body kept in a temporary file instead (`body` is then
    /// empty): an attachment download, sent from there in small pieces.
    pub spooled: Option<body::Spooled>,
}

pub const JSON_TYPE: &str = "application/json; charset=utf-8";
pub const HTML_TYPE: &str = "text/html; charset=utf-8";

impl Reply {
    pub fn new(status: u16, content_type: &str, body: Vec<u8>) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body,
            spooled: None,
        }
    }

    pub fn json<T: Serialize + ?Sized>(status: u16, value: &T) -> Reply {
        // Serialising our own response types cannot fail: no maps with non-string keys.
        let body = serde_json::to_vec(value).expect("response types serialise");
        Reply::new(status, JSON_TYPE, body)
    }

    pub fn ok<T: Serialize + ?Sized>(value: &T) -> Reply {
        Reply::json(200, value)
    }

    pub fn created<T: Serialize + ?Sized>(value: &T) -> Reply {
        Reply::json(201, value)
    }

    pub fn html(status: u16, body: String) -> Reply {
        Reply::new(status, HTML_TYPE, body.into_bytes())
    }

    pub fn redirect(location: &str) -> Reply {
        Reply {
            status: 303,
            headers: vec![("Location".into(), location.into())],
            body: Vec::new(),
            spooled: None,
        }
    }

    pub fn no_content() -> Reply {
        Reply {
            status: 204,
            headers: Vec::new(),
            body: Vec::new(),
            spooled: None,
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Marks the reply as a download saved as `filename` (the one way every
    /// download is named): an ASCII fallback any client reads, and the exact
    /// name percent-encoded in UTF-8 (RFC 6266) for those that read it.
    pub fn download(self, filename: &str) -> Reply {
        let ascii: String = filename
            .chars()
            .map(|c| match c {
                ' '..='~' if c != '"' && c != '\\' => c,
                _ => '_',
            })
            .collect();
        let encoded: String = filename
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        // A plain name is said once, as it always was; `filename*` only
        // when the ASCII fallback had to change it.
        let value = match encoded == filename {
            true => format!("attachment; filename=\"{ascii}\""),
            false => format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
        };
        self.header("Content-Disposition", value)
    }

    pub fn has_header(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(name))
    }

    pub fn error_json(err: &AppError) -> Reply {
        let mut reply = Reply::json(err.status(), &err.to_json());
        if let Some(s) = err.retry_after {
            reply = reply.header("Retry-After", s.to_string());
        }
        if let Some(allow) = &err.allow {
            reply = reply.header("Allow", allow.to_string());
        }
        reply
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_download_is_named_with_an_ascii_fallback_and_the_encoded_name() {
        let reply = super::Reply::new(200, "text/plain", Vec::new()).download("Datenblatt ä.pdf");
        assert_eq!(
            reply.headers.last().map(|(_, v)| v.as_str()),
            Some(
                "attachment; filename=\"Datenblatt _.pdf\"; filename*=UTF-8''Datenblatt%20%C3%A4.pdf"
            )
        );
    }

    use super::login_location;

    #[test]
    fn the_login_redirect_keeps_only_paths_of_this_origin() {
        assert_eq!(login_location("/dashboard"), "/login?next=%2Fdashboard");
        assert_eq!(
            login_location("/profile/settings"),
            "/login?next=%2Fprofile%2Fsettings"
        );
        for hostile in [
            "//evil.com",
            "/\\evil.com",
            "/\t/evil.com",
            "/\n/evil.com",
            "/\r/evil.com",
            "/\t\\evil.com",
            "https://evil.com",
            "",
        ] {
            assert_eq!(login_location(hostile), "/login", "{hostile:?}");
        }
    }
}
