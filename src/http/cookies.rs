//! `Set-Cookie` values. Our cookies are always HttpOnly and SameSite=Strict
//! (but one, see [`lax_cookie`]), and `Secure` whenever the request came over
//! TLS (directly or via a trusted proxy).

/// A `Set-Cookie` value; a `max_age` of 0 deletes the cookie.
pub fn cookie(name: &str, value: &str, path: &str, max_age: i64, secure: bool) -> String {
    with_same_site(name, value, path, max_age, secure, "Strict")
}

/// A cookie that comes back on a top-level navigation from another site:
/// the binding of a sign-in to the browser that started it, which returns
/// from the identity provider's site. It holds nothing that speaks for an
/// account.
pub fn lax_cookie(name: &str, value: &str, path: &str, max_age: i64, secure: bool) -> String {
    with_same_site(name, value, path, max_age, secure, "Lax")
}

fn with_same_site(
    name: &str,
    value: &str,
    path: &str,
    max_age: i64,
    secure: bool,
    same_site: &str,
) -> String {
    let mut c =
        format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite={same_site}");
    if secure {
        c.push_str("; Secure");
    }
    c
}
