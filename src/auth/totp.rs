//! TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps, ±1 step of clock skew):
//! secret generation, code checking that reports *which* time step matched (the
//! caller stores it so a code is accepted at most once), the otpauth URL and its
//! QR code as a PNG data URL. Storage and rate limiting live elsewhere.

use crate::error::{AppError, AppResult};
use base64::Engine;
use totp_rs::{Algorithm, Secret, TOTP};

pub const ISSUER: &str = "MiauInv";
pub const DIGITS: usize = 6;
pub const STEP_SECONDS: u64 = 30;
/// Steps accepted either side of the current one (clocks of phones drift).
pub const SKEW_STEPS: u64 = 1;
/// 160 bits, the secret length RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;

/// A new random secret from the OS CSPRNG, base32 (RFC 4648, no padding) as
/// authenticator apps expect it for manual entry.
pub fn generate_secret() -> String {
    to_base32(crate::crypto::random_bytes(SECRET_BYTES))
}

fn to_base32(bytes: Vec<u8>) -> String {
    match Secret::Raw(bytes).to_encoded() {
        Secret::Encoded(s) => s,
        Secret::Raw(_) => unreachable!("to_encoded always returns Secret::Encoded"),
    }
}

/// The TOTP generator for a base32 secret. `account` is the username shown in
/// the authenticator app.
fn generator(secret_base32: &str, account: &str) -> AppResult<TOTP> {
    let bytes = Secret::Encoded(secret_base32.trim().to_ascii_uppercase())
        .to_bytes()
        .map_err(|_| AppError::internal("stored TOTP secret is not base32"))?;
    // `new` rejects secrets shorter than 128 bits, which we never create.
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        SKEW_STEPS as u8,
        STEP_SECONDS,
        bytes,
        Some(ISSUER.to_string()),
        account.to_string(),
    )
    .map_err(|e| AppError::internal(format_args!("TOTP parameters: {e}")))
}

/// The code of one time step (used by the unit tests and nothing else that
/// needs to know a code in advance).
pub fn code_at_step(secret_base32: &str, step: u64) -> AppResult<String> {
    Ok(generator(secret_base32, "")?.generate(step * STEP_SECONDS))
}

/// What a submitted code is, for one secret at one moment.
#[derive(Debug, PartialEq, Eq)]
pub enum CodeCheck {
    /// The code of this time step (unix time / 30), later than every step
    /// accepted before: the caller must store it as the new last step.
    Accepted(i64),
    /// A valid code of a step already accepted: a replay. Reported apart so a
    /// user can be told to wait for the next code.
    AlreadyUsed,
    Wrong,
}

/// Checks `code` against the current step and `SKEW_STEPS` either side;
/// `last_step` is the last step already accepted for this secret (0: none).
/// Spaces inside the code are ignored; every candidate is compared in constant time.
pub fn check(secret_base32: &str, code: &str, now: i64, last_step: i64) -> AppResult<CodeCheck> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(CodeCheck::Wrong);
    }
    let totp = generator(secret_base32, "")?;
    let current = now.max(0) as u64 / STEP_SECONDS;
    let mut result = CodeCheck::Wrong;
    for step in current.saturating_sub(SKEW_STEPS)..=current + SKEW_STEPS {
        let expected = totp.generate(step * STEP_SECONDS);
        if !crate::crypto::constant_time_eq(expected.as_bytes(), code.as_bytes()) {
            continue;
        }
        if step as i64 > last_step {
            if !matches!(result, CodeCheck::Accepted(_)) {
                result = CodeCheck::Accepted(step as i64);
            }
        } else if result == CodeCheck::Wrong {
            result = CodeCheck::AlreadyUsed;
        }
    }
    Ok(result)
}

/// `otpauth://totp/MiauInv:<username>?secret=...&issuer=MiauInv` — what the QR
/// code encodes.
pub fn otpauth_url(secret_base32: &str, username: &str) -> AppResult<String> {
    Ok(generator(secret_base32, username)?.get_url())
}

/// Pixels per QR module and the quiet zone (in modules) the QR standard asks for.
const MODULE_PX: usize = 6;
const QUIET_ZONE: usize = 4;

/// The QR code of `text` as a `data:image/png;base64,...` URL: black modules on
/// white, an 8-bit greyscale PNG, with the standard quiet zone.
pub fn qr_png_data_url(text: &str) -> AppResult<String> {
    let qr = qrcode::QrCode::new(text.as_bytes())
        .map_err(|e| AppError::internal(format_args!("QR code: {e}")))?;
    let modules = qr.width();
    let colors = qr.to_colors();
    let side = (modules + 2 * QUIET_ZONE) * MODULE_PX;
    let mut pixels = vec![255u8; side * side];
    for y in 0..modules {
        for x in 0..modules {
            if colors[y * modules + x] != qrcode::Color::Dark {
                continue;
            }
            let (px, py) = ((x + QUIET_ZONE) * MODULE_PX, (y + QUIET_ZONE) * MODULE_PX);
            for row in py..py + MODULE_PX {
                pixels[row * side + px..row * side + px + MODULE_PX].fill(0);
            }
        }
    }
    let mut png_bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png_bytes, side as u32, side as u32);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder
            .write_header()
            .map_err(|e| AppError::internal(format_args!("PNG header: {e}")))?;
        writer
            .write_image_data(&pixels)
            .map_err(|e| AppError::internal(format_args!("PNG data: {e}")))?;
    }
    Ok(format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png_bytes)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 rows: the secret is the ASCII string
    /// "12345678901234567890"; the codes are 8 digits.
    const RFC_VECTORS: [(u64, &str); 6] = [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ];

    #[test]
    fn generator_matches_the_rfc_6238_sha1_test_vectors() {
        let secret = to_base32(b"12345678901234567890".to_vec());
        let mut totp = generator(&secret, "").unwrap();
        totp.digits = 8;
        for (time, code) in RFC_VECTORS {
            assert_eq!(totp.generate(time), code, "time {time}");
        }
        // Our 6-digit codes are the last six digits of the same value.
        for (time, code) in RFC_VECTORS {
            assert_eq!(
                code_at_step(&secret, time / STEP_SECONDS).unwrap(),
                code[2..],
                "time {time}"
            );
        }
    }

    #[test]
    fn check_accepts_one_step_of_skew_and_only_later_steps() {
        assert_eq!(generate_secret().len(), 32);
        // A fixed secret: with a random one, two steps of the window share a
        // six-digit code about once in 300 000 runs, and the replay check then
        // rightly accepts the later step (seen once).
        let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP".to_string();
        let now = 1_700_000_015; // in step 56_666_667
        let step = now / 30;
        for offset in [-1i64, 0, 1] {
            let code = code_at_step(&secret, (step + offset) as u64).unwrap();
            assert_eq!(
                check(&secret, &code, now, 0).unwrap(),
                CodeCheck::Accepted(step + offset)
            );
            // The step already accepted (or a later one) makes the code a replay.
            assert_eq!(
                check(&secret, &code, now, step + offset).unwrap(),
                CodeCheck::AlreadyUsed
            );
        }
        for offset in [-2i64, 2] {
            let code = code_at_step(&secret, (step + offset) as u64).unwrap();
            assert_eq!(check(&secret, &code, now, 0).unwrap(), CodeCheck::Wrong);
        }
        let spaced = code_at_step(&secret, step as u64).unwrap();
        let spaced = format!("{} {}", &spaced[..3], &spaced[3..]);
        assert_eq!(
            check(&secret, &spaced, now, 0).unwrap(),
            CodeCheck::Accepted(step)
        );
        assert_eq!(check(&secret, "12345", now, 0).unwrap(), CodeCheck::Wrong);
        assert_eq!(check(&secret, "abcdef", now, 0).unwrap(), CodeCheck::Wrong);
    }

    #[test]
    fn otpauth_url_names_issuer_and_account() {
        let url = otpauth_url("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "alice").unwrap();
        assert_eq!(
            url,
            "otpauth://totp/MiauInv:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=MiauInv"
        );
    }

    #[test]
    fn qr_code_is_a_png_data_url() {
        let url = qr_png_data_url("otpauth://totp/MiauInv:alice?secret=ABC").unwrap();
        let b64 = url.strip_prefix("data:image/png;base64,").unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    }
}
