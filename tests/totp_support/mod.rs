//! An authenticator app of the browser tests' own: RFC 6238 TOTP (HMAC-SHA-1
//! from the `hmac` and `sha1` crates), independent of the server's code. Its
//! RFC test vectors are checked in `two_factor.rs`.
//! And the one way a test turns 2FA on through the API: [`setup`], [`enable`].
#![allow(dead_code)]

use crate::common::Client;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha1::Sha1;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub fn base32_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut count, mut out) = (0u64, 0u32, Vec::new());
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = ALPHABET
            .iter()
            .position(|a| *a == c.to_ascii_uppercase())
            .expect("base32 character") as u64;
        bits = (bits << 5) | v;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    out
}

/// RFC 4226 HOTP with HMAC-SHA-1 and dynamic truncation.
pub fn hotp(key: &[u8], counter: u64, digits: u32) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = (h[19] & 0x0f) as usize;
    let value = u32::from_be_bytes([
        h[offset] & 0x7f,
        h[offset + 1],
        h[offset + 2],
        h[offset + 3],
    ]);
    format!(
        "{:0width$}",
        value % 10u32.pow(digits),
        width = digits as usize
    )
}

/// (current 30-second step, seconds into it)
pub fn now() -> (i64, i64) {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    (secs / 30, secs % 30)
}

/// Hands out codes of time steps the server has not accepted yet (it accepts
/// each step once, within ±1 step).
pub struct Authenticator {
    key: Vec<u8>,
    /// The last step whose code was handed out (and so accepted by the server).
    pub last_step: i64,
}

impl Authenticator {
    pub fn new(secret: &str) -> Authenticator {
        Authenticator {
            key: base32_decode(secret),
            last_step: 0,
        }
    }

    /// The code of one time step.
    pub fn code_at(&self, step: i64) -> String {
        hotp(&self.key, step as u64, 6)
    }

    /// The earliest unused step the server accepts now. The previous step is
    /// only used while at least 15 s of the current one remain, so a step
    /// boundary while the browser submits cannot make it stale; when no step is
    /// left, waits for the next one (at most 30 s).
    pub fn next_code(&mut self) -> String {
        loop {
            let (current, into) = now();
            let earliest = if into <= 15 { current - 1 } else { current };
            let step = earliest.max(self.last_step + 1);
            if step <= current + 1 {
                self.last_step = step;
                return hotp(&self.key, step as u64, 6);
            }
            // Time itself: the next 30-second step is what the code needs.
            std::thread::sleep(Duration::from_millis(((30 - into) * 1000 + 200) as u64));
        }
    }

    /// A six-digit code that is valid nowhere near now.
    pub fn wrong_code(&self) -> String {
        let (current, _) = now();
        let valid: Vec<String> = (current - 3..=current + 3)
            .map(|s| hotp(&self.key, s as u64, 6))
            .collect();
        ["000000", "111111", "222222", "333333"]
            .into_iter()
            .find(|c| !valid.iter().any(|v| v == c))
            .expect("four codes cannot all be valid")
            .to_string()
    }
}

/// Starts turning 2FA on for the client's account (`POST /api/2fa/setup`,
/// 200 insisted on): (secret, setup token).
pub fn setup(c: &Client) -> (String, String) {
    let r = c.post("/api/2fa/setup", json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    let b = r.json();
    (
        b["secret"].as_str().unwrap().to_string(),
        b["setup_token"].as_str().unwrap().to_string(),
    )
}

/// What turning 2FA on gives a test.
pub struct Enabled {
    /// The authenticator, its first code used.
    pub app: Authenticator,
    pub secret: String,
    pub recovery_codes: Vec<String>,
    /// The answer to `POST /api/2fa/enable`.
    pub answer: Value,
}

/// Turns 2FA on for the client's account: setup, then enable with the
/// authenticator's first code (200 insisted on).
pub fn enable(c: &Client) -> Enabled {
    let (secret, token) = setup(c);
    let mut app = Authenticator::new(&secret);
    let r = c.post(
        "/api/2fa/enable",
        json!({"setup_token": token, "code": app.next_code()}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let answer = r.json();
    let recovery_codes = answer["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    Enabled {
        app,
        secret,
        recovery_codes,
        answer,
    }
}
