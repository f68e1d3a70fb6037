//! Cryptographic primitives shared by every layer (a leaf: it imports nothing of
//! ours): random tokens, SHA-256 for high-entropy secrets, constant-time
//! compare, and the server's secret key for secrets at rest ([`SecretKey`]).

use base64::Engine;
use sha2::{Digest, Sha256};

/// `n` bytes from the operating system's CSPRNG, base64url without padding.
pub fn random_token(n: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes(n))
}

pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    // The OS RNG failing means the machine cannot do cryptography at all.
    getrandom::fill(&mut buf).expect("the operating system random number generator failed");
    buf
}

/// Hex SHA-256, used to store high-entropy secrets (refresh tokens, recovery
/// codes, ceremony tokens): they are unguessable, so a fast hash is enough and
/// lets us look them up by hash.
pub fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// Raw SHA-256: a fixed-size key for values of any length (rate-limit keys).
pub fn sha256(value: &[u8]) -> [u8; 32] {
    Sha256::digest(value).into()
}

/// Constant-time comparison for secrets of equal length.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The server's own key (`appdata/secret.key`), kept apart from the database so
/// a copy of the database file alone reveals no secret: TOTP secrets are sealed
/// with AES-256-GCM under it and recovery codes hashed with HMAC-SHA-256 under
/// it. Each use gets its own subkey (an HMAC of the key and the use's name).
pub struct SecretKey {
    sealing: aws_lc_rs::aead::LessSafeKey,
    hashing: aws_lc_rs::hmac::Key,
}

/// What a sealed value starts with: the format's version, so values sealed
/// earlier (or still plain) are told apart.
pub const SEALED_PREFIX: &str = "enc1:";

/// What a keyed hash starts with, for the same reason.
pub const KEYED_PREFIX: &str = "k1:";

const NONCE_LEN: usize = 12;

impl SecretKey {
    /// The key from its 32 bytes.
    pub fn from_bytes(master: &[u8; 32]) -> SecretKey {
        use aws_lc_rs::{aead, hmac};
        let root = hmac::Key::new(hmac::HMAC_SHA256, master);
        let sub = |purpose: &str| hmac::sign(&root, purpose.as_bytes());
        let sealing =
            aead::UnboundKey::new(&aead::AES_256_GCM, sub("miauinv totp secrets v1").as_ref())
                .expect("a SHA-256 output is an AES-256 key");
        SecretKey {
            sealing: aead::LessSafeKey::new(sealing),
            hashing: hmac::Key::new(hmac::HMAC_SHA256, sub("miauinv recovery codes v1").as_ref()),
        }
    }

    /// Seals `plain` for the row named `bound_to` (its id is the associated
    /// data, so a sealed value moved to another row does not open).
    pub fn seal(&self, plain: &str, bound_to: &str) -> String {
        use aws_lc_rs::aead::{Aad, Nonce};
        let nonce_bytes: [u8; NONCE_LEN] = random_bytes(NONCE_LEN)
            .try_into()
            .expect("asked for exactly the nonce's length");
        let mut data = plain.as_bytes().to_vec();
        self.sealing
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(bound_to.as_bytes()),
                &mut data,
            )
            .expect("AES-GCM seals any input shorter than 64 GiB");
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&data);
        format!(
            "{SEALED_PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out)
        )
    }

    /// Opens a value [`seal`](Self::seal)ed for `bound_to`; None when it was
    /// not sealed, was sealed under another key or for another row, or was
    /// tampered with.
    pub fn open(&self, sealed: &str, bound_to: &str) -> Option<String> {
        use aws_lc_rs::aead::{Aad, Nonce};
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(sealed.strip_prefix(SEALED_PREFIX)?)
            .ok()?;
        if raw.len() < NONCE_LEN {
            return None;
        }
        let (nonce, body) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut body = body.to_vec();
        let plain = self
            .sealing
            .open_in_place(nonce, Aad::from(bound_to.as_bytes()), &mut body)
            .ok()?;
        String::from_utf8(plain.to_vec()).ok()
    }

    /// Hex HMAC-SHA-256 of `value` under the key, with [`KEYED_PREFIX`].
    pub fn keyed_hash(&self, value: &str) -> String {
        let tag = aws_lc_rs::hmac::sign(&self.hashing, value.as_bytes());
        format!("{KEYED_PREFIX}{}", hex::encode(tag.as_ref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_row() {
        let key = SecretKey::from_bytes(&[7; 32]);
        let sealed = key.seal("JBSWY3DPEHPK3PXP", "user-1");
        assert!(sealed.starts_with(SEALED_PREFIX));
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_ne!(
            sealed,
            key.seal("JBSWY3DPEHPK3PXP", "user-1"),
            "a fresh nonce each time"
        );
        assert_eq!(
            key.open(&sealed, "user-1").as_deref(),
            Some("JBSWY3DPEHPK3PXP")
        );
        assert_eq!(key.open(&sealed, "user-2"), None);
        assert_eq!(
            SecretKey::from_bytes(&[8; 32]).open(&sealed, "user-1"),
            None
        );
        assert_eq!(key.open("JBSWY3DPEHPK3PXP", "user-1"), None);
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(key.open(&tampered, "user-1"), None);
    }

    #[test]
    fn keyed_hashes_depend_on_the_key() {
        let a = SecretKey::from_bytes(&[1; 32]);
        let b = SecretKey::from_bytes(&[2; 32]);
        assert_eq!(a.keyed_hash("x"), a.keyed_hash("x"));
        assert_ne!(a.keyed_hash("x"), b.keyed_hash("x"));
        assert!(a.keyed_hash("x").starts_with(KEYED_PREFIX));
    }
}
