//! Cryptographic primitives shared by every layer (a leaf: it imports nothing of
//! ours): random tokens, SHA-256 for high-entropy secrets, constant-time compare.

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
