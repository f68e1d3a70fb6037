//! `Set-Cookie` values. Our cookies are always HttpOnly and SameSite=Strict, and
//! `Secure` whenever the request came over TLS (directly or via a trusted proxy).

/// A `Set-Cookie` value; a `max_age` of 0 deletes the cookie.
pub fn cookie(name: &str, value: &str, path: &str, max_age: i64, secure: bool) -> String {
    let mut c =
        format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Strict");
    if secure {
        c.push_str("; Secure");
    }
    c
}
