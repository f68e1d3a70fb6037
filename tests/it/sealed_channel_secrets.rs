//! Every secret of a notification channel is sealed at rest (issue 28): the
//! SMTP password, the webhook's signing secret and the ntfy token are in
//! neither the database file (nor its write-ahead log) nor a backup
//! download, answers say only `secret_set`, and the channels still deliver
//! with them (a signature that verifies, a Bearer token, an SMTP login).
//! Secrets an older MiauInv stored in clear are sealed at start-up. Making,
//! changing and removing a channel is in the security log.

use crate::common;
use crate::notify_support;

use base64::Engine;
use common::{Client, TestServer};
use notify_support::{Receiver, hmac_sha256_hex, wait_all_delivered};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

const SIGNING: &str = "webhook-signing-secret-4f1c9a";
const NTFY_TOKEN: &str = "tk_ntfy-token-8d2e77b1";
const SMTP_PASSWORD: &str = "smtp-password-c3a90e5d";
/// The secret of a channel an older version removed.
const GONE: &str = "removed-channel-secret-91b2";

/// Every byte of the database: the file and its write-ahead log.
fn database_bytes(s: &TestServer) -> Vec<u8> {
    let mut bytes = std::fs::read(s.db_path()).unwrap();
    let mut wal = s.db_path().into_os_string();
    wal.push("-wal");
    bytes.extend(std::fs::read(wal).unwrap_or_default());
    bytes
}

fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// An SMTP server that wants a login (AUTH PLAIN) and keeps the credentials
/// it was given and the messages it accepted.
#[derive(Clone, Default)]
struct AuthSink {
    port: u16,
    logins: Arc<Mutex<Vec<(String, String)>>>,
    messages: Arc<Mutex<usize>>,
}

impl AuthSink {
    fn start() -> AuthSink {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let sink = AuthSink {
            port: listener.local_addr().unwrap().port(),
            ..AuthSink::default()
        };
        let shared = sink.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = shared.session(stream);
            }
        });
        sink
    }

    fn session(&self, stream: std::net::TcpStream) -> std::io::Result<()> {
        let mut reader = BufReader::new(stream.try_clone()?);
        let mut out = stream;
        let mut authenticated = false;
        out.write_all(b"220 sink ESMTP\r\n")?;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.first().map(|w| w.to_ascii_uppercase()).as_deref() {
                Some("EHLO") => out.write_all(b"250-sink\r\n250 AUTH PLAIN\r\n")?,
                Some("AUTH") if words.get(1) == Some(&"PLAIN") => {
                    let raw = base64::engine::general_purpose::STANDARD
                        .decode(words.get(2).unwrap_or(&""))
                        .unwrap_or_default();
                    let parts: Vec<String> = raw
                        .split(|b| *b == 0)
                        .map(|p| String::from_utf8_lossy(p).into_owned())
                        .collect();
                    let (user, password) = (parts[1].clone(), parts[2].clone());
                    authenticated = password == SMTP_PASSWORD;
                    self.logins.lock().unwrap().push((user, password));
                    out.write_all(if authenticated {
                        b"235 ok\r\n"
                    } else {
                        b"535 no\r\n"
                    })?;
                }
                Some("MAIL") if !authenticated => out.write_all(b"530 log in first\r\n")?,
                Some("DATA") => {
                    out.write_all(b"354 go ahead\r\n")?;
                    loop {
                        let mut l = String::new();
                        if reader.read_line(&mut l)? == 0 || l == ".\r\n" {
                            break;
                        }
                    }
                    *self.messages.lock().unwrap() += 1;
                    out.write_all(b"250 queued\r\n")?;
                }
                Some("QUIT") => return out.write_all(b"221 bye\r\n"),
                _ => out.write_all(b"250 OK\r\n")?,
            }
        }
    }
}

/// An admin with a webhook, an ntfy and an email channel, each with its secret.
fn channels(s: &TestServer, hook: &Receiver, smtp: &AuthSink) -> (Client, Vec<i64>) {
    let admin = Client::signed_up(s, "boss");
    let ids = [
        json!({"name": "hook", "kind": "webhook", "events": ["item.low"], "secret": SIGNING,
               "settings": {"url": format!("{}/hook", hook.url)}}),
        json!({"name": "phone", "kind": "ntfy", "events": ["item.low"], "secret": NTFY_TOKEN,
               "settings": {"server": hook.url, "topic": "shelf"}}),
        json!({"name": "mail", "kind": "email", "events": ["item.low"], "secret": SMTP_PASSWORD,
               "settings": {"host": "127.0.0.1", "port": smtp.port, "security": "none",
                            "user": "miauinv", "from": "miauinv@example.org", "to": "team@example.org"}}),
    ]
    .into_iter()
    .map(|body| admin.created("/api/admin/notifications", body))
    .collect();
    (admin, ids)
}

/// Sends each channel its test message and checks that every one arrived
/// carrying its secret: the signature verifies, the token and the password
/// are the ones given.
fn each_channel_still_delivers(
    s: &TestServer,
    admin: &Client,
    ids: &[i64],
    hook: &Receiver,
    smtp: &AuthSink,
) {
    let before = hook.requests().len();
    let mails = *smtp.messages.lock().unwrap();
    for id in ids {
        let r = admin.post(&format!("/api/admin/notifications/test?id={id}"), json!({}));
        assert_eq!(r.status, 202, "{}", r.text);
    }
    wait_all_delivered(s);
    let got = hook.requests()[before..].to_vec();
    let signed = got.iter().find(|r| r.path == "/hook").expect("the webhook");
    assert_eq!(
        signed.header("X-MiauInv-Signature").unwrap(),
        format!(
            "sha256={}",
            hmac_sha256_hex(SIGNING.as_bytes(), &signed.body)
        )
    );
    let ntfy = got
        .iter()
        .find(|r| r.path == "/shelf")
        .expect("the ntfy message");
    assert_eq!(
        ntfy.header("Authorization").unwrap(),
        format!("Bearer {NTFY_TOKEN}")
    );
    assert_eq!(
        *smtp.messages.lock().unwrap(),
        mails + 1,
        "the mail was accepted"
    );
    let logins = smtp.logins.lock().unwrap().clone();
    assert_eq!(
        logins.last().unwrap(),
        &("miauinv".to_string(), SMTP_PASSWORD.to_string())
    );
}

fn stored_secrets(s: &TestServer) -> Vec<Option<String>> {
    let conn = s.db();
    let mut stmt = conn
        .prepare("SELECT secret FROM notification_channels ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn channel_secrets_are_sealed_in_the_file_and_the_backup_and_still_deliver() {
    let s = TestServer::start_with("notify_retry_base_ms: 50\n");
    let (hook, smtp) = (Receiver::start(), AuthSink::start());
    let (admin, ids) = channels(&s, &hook, &smtp);
    let listed = admin.get("/api/admin/notifications");
    for c in listed.json()["channels"].as_array().unwrap() {
        assert_eq!(c["secret_set"], true, "{c}");
    }
    for secret in [SIGNING, NTFY_TOKEN, SMTP_PASSWORD] {
        assert!(!listed.text.contains(secret), "{secret} answered");
    }
    for stored in stored_secrets(&s) {
        assert!(
            stored.as_deref().unwrap().starts_with("enc1:"),
            "{stored:?}"
        );
    }
    each_channel_still_delivers(&s, &admin, &ids, &hook, &smtp);
    // Changing a secret seals the new one.
    let r = admin.put(
        &format!("/api/admin/notifications?id={}", ids[1]),
        json!({"secret": "tk_second-token-5a8f"}),
    );
    assert_eq!(
        (r.status, r.json()["secret_set"].clone()),
        (200, json!(true))
    );
    let bytes = database_bytes(&s);
    for secret in [SIGNING, NTFY_TOKEN, SMTP_PASSWORD, "tk_second-token-5a8f"] {
        assert!(!holds(&bytes, secret), "{secret} in the database file");
    }
    let (status, _, backup) = admin.get_bytes("/api/admin/backup");
    assert_eq!(status, 200);
    assert!(backup.starts_with(b"SQLite format 3\0"));
    for secret in [SIGNING, NTFY_TOKEN, SMTP_PASSWORD, "tk_second-token-5a8f"] {
        assert!(!holds(&backup, secret), "{secret} in the backup");
    }
    // A credential in an address would be kept in clear: refused.
    let r = admin.post(
        "/api/admin/notifications",
        json!({"name": "leaky", "kind": "ntfy", "events": ["item.low"],
               "settings": {"server": "https://me:hunter2@ntfy.example.org", "topic": "shelf"}}),
    );
    assert_eq!(
        (r.status, r.json()["field"].clone()),
        (400, json!("server"))
    );
}

#[test]
fn secrets_an_older_version_kept_in_clear_are_sealed_at_start() {
    let s = TestServer::start_with("notify_retry_base_ms: 50\n");
    let (hook, smtp) = (Receiver::start(), AuthSink::start());
    let (_, ids) = channels(&s, &hook, &smtp);
    // The rows as an older MiauInv left them: secrets in clear, one empty,
    // and one removed, whose long secret lingers in free pages of the file.
    {
        let conn = s.db();
        conn.execute(
            "INSERT INTO notification_channels (name, kind, events, settings, secret, created_at)
             VALUES ('gone', 'ntfy', '[]', '{}', ?1, 0)",
            [GONE.repeat(400)],
        )
        .unwrap();
        conn.execute("DELETE FROM notification_channels WHERE name = 'gone'", [])
            .unwrap();
        for (id, secret) in ids.iter().zip([SIGNING, NTFY_TOKEN, SMTP_PASSWORD]) {
            conn.execute(
                "UPDATE notification_channels SET secret = ?2 WHERE id = ?1",
                rusqlite::params![id, secret],
            )
            .unwrap();
        }
        conn.execute(
            "INSERT INTO notification_channels (name, kind, events, settings, secret, created_at)
             VALUES ('empty', 'ntfy', '[]', '{\"server\":\"http://127.0.0.1:9\",\"topic\":\"x\"}', '', 0)",
            [],
        )
        .unwrap();
    }
    assert!(holds(&database_bytes(&s), SIGNING), "written in clear");
    assert!(holds(&database_bytes(&s), GONE), "left in clear");
    let s = s.restart();
    let stored = stored_secrets(&s);
    let sealed = |v: &Option<String>| v.as_deref().is_some_and(|v| v.starts_with("enc1:"));
    assert!(stored[..3].iter().all(sealed), "{stored:?}");
    assert_eq!(stored[3], None, "an empty secret is none");
    let bytes = database_bytes(&s);
    for secret in [SIGNING, NTFY_TOKEN, SMTP_PASSWORD, GONE] {
        assert!(
            !holds(&bytes, secret),
            "{secret} still in the database file"
        );
    }
    // Sealing again changes nothing (idempotent), and they still deliver.
    let s = s.restart();
    assert_eq!(stored_secrets(&s)[..3], stored[..3]);
    let admin = s.client();
    assert_eq!(admin.login("boss", common::PASSWORD).status, 200);
    each_channel_still_delivers(&s, &admin, &ids, &hook, &smtp);
}

#[test]
fn making_changing_and_removing_a_channel_is_in_the_security_log() {
    let s = TestServer::start();
    let admin = Client::signed_up(&s, "boss");
    let id = admin.created(
        "/api/admin/notifications",
        json!({"name": "hook", "kind": "webhook", "events": ["item.low"], "secret": SIGNING,
               "settings": {"url": "http://127.0.0.1:9/hook"}}),
    );
    let r = admin.put(
        &format!("/api/admin/notifications?id={id}"),
        json!({"name": "team hook", "secret": "another-signing-secret-77"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        admin
            .delete(&format!("/api/admin/notifications?id={id}"))
            .status,
        200
    );
    let r = admin.get("/api/security-events");
    assert!(!r.text.contains(SIGNING) && !r.text.contains("another-signing"));
    let events: Vec<Value> = r.json()["events"].as_array().unwrap().clone();
    let of = |kind: &str| {
        events
            .iter()
            .find(|e| e["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} in {events:#?}"))
            .clone()
    };
    let made = of("notification_channel_created");
    assert_eq!(
        (
            made["details"]["channel_id"].clone(),
            made["details"]["kind"].clone()
        ),
        (json!(id), json!("webhook"))
    );
    let changed = of("notification_channel_changed");
    assert_eq!(changed["details"]["name"], "team hook");
    assert_eq!(changed["details"]["changed"], json!(["name", "secret"]));
    let removed = of("notification_channel_deleted");
    assert_eq!(removed["details"]["name"], "team hook");
    assert_eq!(removed["actor"], "boss");
}
