//! A device's name from its User-Agent ("Firefox on Linux") for the list of
//! sessions and the security log. Layer: auth (pure, no HTTP types).
//!
//! Deliberately small: the common browsers and systems, in the order that
//! tells them apart (every Chromium browser also says "Chrome" and "Safari",
//! Android also says "Linux", iOS also says "Mac OS X"). Anything else is named
//! by its first product token, so a script's session reads "curl" or "python-requests".
//! That token is the client's own text: [`known`] names a device from the
//! lists alone, for what is mailed to someone (a security notice).

/// The browser (or client) and the system it runs on.
pub fn describe(user_agent: &str) -> String {
    let ua = user_agent.trim();
    if ua.is_empty() {
        return "Unknown device".into();
    }
    match (browser(ua), system(ua)) {
        (Some(b), Some(s)) => format!("{b} on {s}"),
        (Some(b), None) => b.into(),
        (None, Some(s)) => format!("Browser on {s}"),
        (None, None) => product(ua),
    }
}

/// The browser and system from the known lists ("Firefox on Linux", or
/// "Firefox" with no known system); `None` for an agent whose browser is not
/// on the list, so no word a client made up ever reaches a notice.
pub fn known(user_agent: &str) -> Option<String> {
    let ua = user_agent.trim();
    match (browser(ua)?, system(ua)) {
        (b, Some(s)) => Some(format!("{b} on {s}")),
        (b, None) => Some(b.to_string()),
    }
}

fn browser(ua: &str) -> Option<&'static str> {
    const BROWSERS: &[(&str, &str)] = &[
        ("Edg/", "Edge"),
        ("EdgA/", "Edge"),
        ("EdgiOS/", "Edge"),
        ("OPR/", "Opera"),
        ("Vivaldi/", "Vivaldi"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("YaBrowser/", "Yandex Browser"),
        ("Firefox/", "Firefox"),
        ("FxiOS/", "Firefox"),
        ("CriOS/", "Chrome"),
        ("HeadlessChrome/", "Headless Chrome"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ];
    BROWSERS
        .iter()
        .find(|(token, _)| ua.contains(token))
        .map(|(_, name)| *name)
}

fn system(ua: &str) -> Option<&'static str> {
    const SYSTEMS: &[(&str, &str)] = &[
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("CrOS", "ChromeOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Macintosh", "macOS"),
        ("FreeBSD", "FreeBSD"),
        ("OpenBSD", "OpenBSD"),
        ("Linux", "Linux"),
        ("X11", "Linux"),
    ];
    SYSTEMS
        .iter()
        .find(|(token, _)| ua.contains(token))
        .map(|(_, name)| *name)
}

/// The first product token without its version: "curl/8.5.0" → "curl".
fn product(ua: &str) -> String {
    let first = ua.split_whitespace().next().unwrap_or(ua);
    let name = first.split('/').next().unwrap_or(first);
    name.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::{describe, known};

    #[test]
    fn only_listed_browsers_and_systems_are_known() {
        assert_eq!(
            known("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
                .as_deref(),
            Some("Firefox on Linux")
        );
        assert_eq!(known("Firefox/128.0").as_deref(), Some("Firefox"));
        for made_up in [
            "",
            "curl/8.5.0",
            "Click-here-to-claim-your-prize.example/1.0",
            "Mozilla/5.0 (X11; Linux x86_64) Whatever/1.0",
        ] {
            assert_eq!(known(made_up), None, "{made_up}");
        }
    }

    #[test]
    fn common_browsers_and_systems_are_named() {
        let cases = [
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
                "Firefox on Linux",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
                "Safari on macOS",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
                "Safari on iOS",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
                "Chrome on Android",
            ),
            ("curl/8.5.0", "curl"),
            ("", "Unknown device"),
        ];
        for (ua, name) in cases {
            assert_eq!(describe(ua), name, "{ua}");
        }
    }
}
