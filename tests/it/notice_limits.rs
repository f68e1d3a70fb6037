//! Security notices nobody can use to flood an inbox (issue 28), through a
//! real SMTP sink: a notice names a device only from the known browsers and
//! systems ("Firefox on Linux", else "an unknown browser"), new-device logins
//! from one address within the hour are one notice, and an account gets at
//! most three notices an hour, then one summary of the rest.

use crate::common;
use crate::notice_confirmation::{FIREFOX, login_as, mailing_server, mails, set_and_confirm};
use crate::notify_support::wait_all_delivered;
use crate::totp_support::{Enabled, enable};

use common::{Client, PASSWORD, TestServer};
use serde_json::json;

/// The account's rows of the notice log by state: (mailed, held, summarised).
fn notice_log(s: &TestServer, username: &str) -> (i64, i64, i64) {
    s.db()
        .query_row(
            "SELECT count(*) FILTER (WHERE state = 'mailed'),
                    count(*) FILTER (WHERE state = 'held'),
                    count(*) FILTER (WHERE state = 'summarised')
               FROM security_notice_log l JOIN users u ON u.id = l.user_id
              WHERE u.username = ?1",
            [username],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
}

#[test]
fn a_burst_of_made_up_browsers_from_one_address_is_one_notice_naming_none_of_them() {
    let (s, _admin, sink) = mailing_server();
    let alice = Client::signed_up(&s, "alice");
    let bob = Client::signed_up(&s, "bob");
    set_and_confirm(&s, &sink, &alice, "alice@example.org");
    set_and_confirm(&s, &sink, &bob, "bob@example.org");

    // A real Firefox is named as such.
    login_as(&s, "bob", FIREFOX, "198.51.100.20");
    // Eighteen made-up agents, each a "new device", from one address.
    for i in 0..18 {
        let agent = format!("Claim-your-prize-at-evil.example-{i}/1.0 (pay now)");
        login_as(&s, "alice", &agent, "198.51.100.7");
    }
    wait_all_delivered(&s);
    let (_, notices) = mails(&sink);
    assert_eq!(notices.len(), 2, "{notices:#?}");
    let (bobs, to) = &notices[0];
    assert_eq!(to, &vec!["bob@example.org".to_string()]);
    assert!(
        bobs.contains("Firefox on Linux (address 198.51.100.20)"),
        "{bobs}"
    );
    let (alices, to) = &notices[1];
    assert_eq!(to, &vec!["alice@example.org".to_string()]);
    assert!(
        alices.contains("an unknown browser (address 198.51.100.7)"),
        "{alices}"
    );
    for chosen in ["Claim", "prize", "evil.example", "pay now"] {
        assert!(!alices.contains(chosen), "{chosen} in {alices}");
    }
    // The rest wait for the summary; the security log has every login.
    assert_eq!(notice_log(&s, "alice"), (1, 17, 0));
    let events = alice.get("/api/security-events?limit=100").json()["events"].clone();
    let new_devices = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["details"]["new_device"] == true && e["ip"] == "198.51.100.7")
        .count();
    assert_eq!(new_devices, 18);
}

#[test]
fn at_most_three_notices_an_hour_then_one_summary_of_the_rest() {
    let (s, _admin, sink) = mailing_server();
    let alice = Client::signed_up(&s, "alice");
    set_and_confirm(&s, &sink, &alice, "alice@example.org");
    let browsers = [
        FIREFOX,
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
    ];
    // Five new devices from five addresses, then two-factor authentication off.
    for (i, agent) in browsers.iter().enumerate() {
        login_as(&s, "alice", agent, &format!("203.0.113.{}", i + 1));
    }
    let Enabled { mut app, .. } = enable(&alice);
    let r = alice.post(
        "/api/2fa/disable",
        json!({"password": PASSWORD, "code": app.next_code()}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    wait_all_delivered(&s);
    let (_, notices) = mails(&sink);
    assert_eq!(notices.len(), 3, "{notices:#?}");
    assert!(
        notices[2]
            .0
            .contains("Safari on macOS (address 203.0.113.3)")
    );
    assert_eq!(notice_log(&s, "alice"), (3, 3, 0));

    // An hour later the held ones are told at once.
    s.db()
        .execute("UPDATE security_notice_log SET at = at - 3700", [])
        .unwrap();
    common::wait_until(
        std::time::Duration::from_secs(10),
        "the summary is mailed",
        || mails(&sink).1.len() == 4,
    );
    wait_all_delivered(&s);
    let (_, notices) = mails(&sink);
    assert_eq!(notices.len(), 4, "{notices:#?}");
    let (summary, to) = &notices[3];
    assert_eq!(to, &vec!["alice@example.org".to_string()]);
    assert!(
        summary.contains("Subject: More security events on your MiauInv account"),
        "{summary}"
    );
    assert!(
        summary.contains("'alice' had 3 more security events since"),
        "{summary}"
    );
    assert!(summary.contains("2 sign-ins from new devices"), "{summary}");
    assert!(
        summary.contains("two-factor authentication turned off once"),
        "{summary}"
    );
    // Summarised once: nothing more is mailed for them.
    assert_eq!(notice_log(&s, "alice"), (4, 0, 3));
}
