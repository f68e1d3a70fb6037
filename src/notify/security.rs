//! A security notice in words: the subject and body of the email an account's
//! owner gets about a login from a new device or two-factor authentication
//! turned off (`db::security_notices`). The payload holds no secret, so
//! neither does the message.

use crate::db::security_notices::{NOTICE_NEW_DEVICE, NOTICE_TWO_FACTOR_DISABLED};
use serde_json::Value;

pub fn words(p: &Value) -> (String, String) {
    let s = |k: &str| p[k].as_str().filter(|v| !v.is_empty()).unwrap_or("unknown");
    let when = utc(p["at"].as_i64().unwrap_or(0));
    let from = format!("{} (address {})", s("device"), s("ip"));
    let not_you = "If this was not you, change your password, turn two-factor authentication on, and end the sessions you do not know under Account settings → Sessions.";
    match p["notice"].as_str().unwrap_or("") {
        NOTICE_NEW_DEVICE => (
            "New sign-in to your MiauInv account".to_string(),
            format!(
                "Your MiauInv account '{}' was signed in to from a device it had not used before: {from}, at {when}.\n\n{not_you}",
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
                    "Two-factor authentication of your MiauInv account '{}' was turned off{by}, from {from}, at {when}. Your password alone now signs you in.\n\n{not_you}",
                    s("username")
                ),
            )
        }
        _ => (
            "A security event on your MiauInv account".to_string(),
            format!(
                "Something changed on your MiauInv account '{}' at {when}.",
                s("username")
            ),
        ),
    }
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
}
