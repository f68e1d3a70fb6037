//! A security notice in words: the subject and body of the email an account's
//! owner gets about a login from a new device or two-factor authentication
//! turned off, the summary of those held back, and the mail that confirms an
//! address (`db::security_notices`). The payload holds no secret, so neither
//! does a notice; the confirmation link is opened by the sender just before.
//! Nothing a client typed is said to a stranger: a device is named from the
//! known lists or is "an unknown browser", and the confirmation mail, the
//! only one an unconfirmed address gets, names neither account nor person.

use crate::db::security_notices::{
    NOTICE_CONFIRM_EMAIL, NOTICE_NEW_DEVICE, NOTICE_SUMMARY, NOTICE_TWO_FACTOR_DISABLED,
};
use serde_json::Value;

const NOT_YOU: &str = "If this was not you, change your password, turn two-factor authentication on, and end the sessions you do not know under Account settings → Sessions.";

pub fn words(p: &Value) -> (String, String) {
    let s = |k: &str| p[k].as_str().filter(|v| !v.is_empty()).unwrap_or("unknown");
    let when = utc(p["at"].as_i64().unwrap_or(0));
    let device = p["device"]
        .as_str()
        .filter(|v| !v.is_empty())
        .unwrap_or("an unknown browser");
    let from = format!("{device} (address {})", s("ip"));
    match p["notice"].as_str().unwrap_or("") {
        NOTICE_NEW_DEVICE => (
            "New sign-in to your MiauInv account".to_string(),
            format!(
                "Your MiauInv account '{}' was signed in to from a device it had not used before: {from}, at {when}.\n\nMore sign-ins from new devices at this address within the hour are not mailed one by one; the security log under Account settings lists every one.\n\n{NOT_YOU}",
                s("username")
            ),
        ),
        NOTICE_TWO_FACTOR_DISABLED => {
            let by = match p["by"].as_str() {
                Some(by) => format!(" by {by}"),
                None => String::new(),
            };
            (
                "Two-factor authentication was turned off".to_string(),
                format!(
                    "Two-factor authentication of your MiauInv account '{}' was turned off{by}, from {from}, at {when}. Your password alone now signs you in.\n\n{NOT_YOU}",
                    s("username")
                ),
            )
        }
        NOTICE_SUMMARY => summary(p, s("username")),
        NOTICE_CONFIRM_EMAIL => confirmation(p),
        _ => (
            "A security event on your MiauInv account".to_string(),
            format!(
                "Something changed on your MiauInv account '{}' at {when}.",
                s("username")
            ),
        ),
    }
}

/// The notices held back (over the hourly limit, or more new-device logins
/// from one address), told at once.
fn summary(p: &Value, username: &str) -> (String, String) {
    let held = |k: &str| p["held"][k].as_i64().unwrap_or(0);
    let total: i64 = p["held"]
        .as_object()
        .map_or(0, |m| m.values().filter_map(Value::as_i64).sum());
    let mut kinds = Vec::new();
    match held(NOTICE_NEW_DEVICE) {
        0 => {}
        1 => kinds.push("1 sign-in from a new device".to_string()),
        n => kinds.push(format!("{n} sign-ins from new devices")),
    }
    match held(NOTICE_TWO_FACTOR_DISABLED) {
        0 => {}
        1 => kinds.push("two-factor authentication turned off once".to_string()),
        n => kinds.push(format!("two-factor authentication turned off {n} times")),
    }
    let kinds = match kinds.is_empty() {
        true => String::new(),
        false => format!(" ({})", kinds.join(", ")),
    };
    (
        "More security events on your MiauInv account".to_string(),
        format!(
            "Your MiauInv account '{username}' had {total} more security events since {}{kinds}, and at most {} notices an hour are mailed, so they were not mailed one by one. The security log under Account settings lists each with its device and address.\n\n{NOT_YOU}",
            utc(p["since"].as_i64().unwrap_or(0)),
            crate::db::security_notices::NOTICES_PER_HOUR,
        ),
    )
}

/// The one mail an unconfirmed address gets: the link, the server it is
/// for (from the config, never from a request), and nothing anybody typed.
fn confirmation(p: &Value) -> (String, String) {
    let link = p["link"].as_str().unwrap_or("");
    let server = p["server"].as_str().unwrap_or("");
    let until = utc(p["expires_at"].as_i64().unwrap_or(0));
    (
        "Confirm your address for MiauInv security notices".to_string(),
        format!(
            "Someone asked the MiauInv server at {server} to send the security notices of an account to this address. Nothing else is sent here unless the address is confirmed.\n\nTo confirm, open this link and press Confirm (it works once, until {until}):\n{link}\n\nIf you did not ask for this, ignore this mail: you will get nothing more."
        ),
    )
}

/// `2026-11-29 09:33 UTC`.
fn utc(at: i64) -> String {
    let (y, m, d) = crate::db::civil_from_days(at.div_euclid(86_400));
    let minutes = at.rem_euclid(86_400) / 60;
    format!(
        "{y}-{m:02}-{d:02} {:02}:{:02} UTC",
        minutes / 60,
        minutes % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_new_device_notice_names_device_address_and_time() {
        let (subject, body) = words(&json!({"notice": "new_device_login", "username": "alice",
            "device": "Firefox on Linux", "ip": "192.0.2.7", "at": 1_796_030_000, "by": null}));
        assert_eq!(subject, "New sign-in to your MiauInv account");
        assert!(body.contains("'alice'"), "{body}");
        assert!(
            body.contains("Firefox on Linux (address 192.0.2.7)"),
            "{body}"
        );
        assert!(body.contains("2026-11-30 09:13 UTC"), "{body}");
    }

    #[test]
    fn a_device_off_the_known_lists_is_an_unknown_browser() {
        let (_, body) = words(&json!({"notice": "new_device_login", "username": "alice",
            "device": null, "ip": "192.0.2.7", "at": 0}));
        assert!(
            body.contains("an unknown browser (address 192.0.2.7)"),
            "{body}"
        );
    }

    #[test]
    fn a_summary_counts_what_was_held_since_when() {
        let (subject, body) = words(&json!({"notice": "summary", "username": "alice",
            "since": 1_796_030_000, "at": 1_796_033_600,
            "held": {"new_device_login": 17, "two_factor_disabled": 1}}));
        assert_eq!(subject, "More security events on your MiauInv account");
        assert!(
            body.contains("18 more security events since 2026-11-30 09:13 UTC"),
            "{body}"
        );
        assert!(body.contains("17 sign-ins from new devices"), "{body}");
        assert!(body.contains("turned off once"), "{body}");
    }

    #[test]
    fn a_confirmation_names_the_server_and_the_link_only() {
        let (_, body) = words(
            &json!({"notice": "confirm_email", "server": "https://inv.example.org",
            "link": "https://inv.example.org/confirm-email?token=abc", "expires_at": 1_796_030_000}),
        );
        assert!(
            body.contains("https://inv.example.org/confirm-email?token=abc"),
            "{body}"
        );
        assert!(body.contains("until 2026-11-30 09:13 UTC"), "{body}");
    }
}
